"""Answering from a verified question versus the normal path, on the embedded default.

Five questions are verified first; then two paraphrases of each are asked on an engine with the
verified questions and on one without (the normal path: understand, compile, guard, run), the
same words on both, alternating which goes first so neither always meets the warmer cache:

- a paraphrase in the model's vocabulary ("what's our sales per customer region last
  quarter?"): recalled by its key, so the rules are not asked, and the steward's SQL runs
  (relative time words are read again for the day, as any question's; cached per day);
- a misspelt paraphrase ("reveune ..."): the rules read it, and their reading matches.

Reported: the whole answer (no chart) and the preparing part alone (what differs), median and
p90, next to the normal path's median and the ratio. Questions the
rules cannot read would go to the LLM planner on the normal path (a Bedrock round trip, not
simulated here); answered from a verified question they make no planner call, which is counted.
"""

from __future__ import annotations

import datetime as dt
import statistics
import tempfile
import time
from pathlib import Path

from adapters.local.verified_file import VerifiedFile
from bot.bootstrap import build_local
from bot.settings import Settings
from engine.answers.verified import VerifiedAnswers, VerifiedQuestion
from engine.domain import LOCAL_ANALYST
from engine.service import QueryEngine

AS_OF = dt.date(2025, 12, 31)
# verified question, its vocabulary paraphrase, its misspelt paraphrase
CASES = [
    ("revenue by customer region last quarter", "what's our sales per customer region last quarter?",
     "reveune by customer region last quarter"),
    ("orders by channel in 2025", "how many orders per channel in 2025", "ordres by channel in 2025"),
    ("monthly revenue in 2025", "show me the monthly turnover in 2025 please", "monthly reveune in 2025"),
    ("tickets by priority last month", "what were the tickets per priority last month",
     "tikcets by priority last month"),
    ("return rate by category this year", "the return rate per category this year",
     "return rate by categroy this year"),
]


def _stats(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return statistics.median(values), ordered[min(len(ordered) - 1, int(round(0.9 * (len(ordered) - 1))))]


def _timed(engine: QueryEngine, question: str) -> tuple[float, float, str | None]:
    """(prepare ms, whole answer ms, verified by) for one question."""
    started = time.perf_counter()
    prepared = engine.prepare(question, LOCAL_ANALYST, AS_OF)
    prepared_ms = (time.perf_counter() - started) * 1000
    _, table = engine.execute_prepared(prepared, LOCAL_ANALYST, AS_OF)
    answer = engine.present(prepared, table, charts=False)
    return prepared_ms, (time.perf_counter() - started) * 1000, answer.verified_by


def run(lake: Path, rounds: int = 5) -> None:
    with tempfile.TemporaryDirectory() as home:
        settings = Settings.from_env({"ATHENA_BOT_HOME": home, "ATHENA_BOT_LAKE": str(lake)})
        app = build_local(settings, charts=False)
        base = app.engine
        normal = QueryEngine(base.model, base.catalog, base.executor, values=base.values)
        verified = QueryEngine(base.model, base.catalog, base.executor, values=base.values)
        store = VerifiedFile(Path(home) / "bench.verified.yaml")
        verified.verified = VerifiedAnswers(store, verified)
        for question, _, _ in CASES:
            prepared = normal.prepare(question, LOCAL_ANALYST, AS_OF)
            store.put(VerifiedQuestion(question, prepared.sql, "steward@example.com", prepared.query.to_dict(),
                                       as_of=AS_OF.isoformat()))
        kinds = {"paraphrase, recalled by its key": 1, "misspelt, the rules' reading matched": 2}
        results = {(kind, path): ([], []) for kind in kinds for path in ("normal", "verified")}
        engines = {"normal": normal, "verified": verified}
        for case in CASES:  # warm-up: every question on both paths
            for which in kinds.values():
                for engine in engines.values():
                    _timed(engine, case[which])
        for r in range(rounds):
            for case in CASES:
                for kind, which in kinds.items():
                    for path in (("normal", "verified") if r % 2 == 0 else ("verified", "normal")):
                        prepare_ms, total_ms, by = _timed(engines[path], case[which])
                        assert (by is None) == (path == "normal"), (path, case[which])
                        results[(kind, path)][0].append(prepare_ms)
                        results[(kind, path)][1].append(total_ms)
        for kind in kinds:
            (np_, _), (nt, _) = _stats(results[(kind, "normal")][0]), _stats(results[(kind, "normal")][1])
            (vp, vp90), (vt, vt90) = _stats(results[(kind, "verified")][0]), _stats(results[(kind, "verified")][1])
            print(f"{'verified (' + kind + '): answer':62} median {vt:7.2f} ms  p90 {vt90:7.2f} ms  "
                  f"normal {nt:7.2f} ms  x{vt / nt:4.2f}")
            print(f"{'  of which preparing (understand+compile+guard / recall+guard)':62} median {vp:7.2f} ms  "
                  f"p90 {vp90:7.2f} ms  normal {np_:7.2f} ms  x{vp / np_:4.2f}")
        print(f"{'planner calls for a verified planner answer':58} 0 (normal path: 1 Bedrock call, 1-3 repairs max)")
