"""Execution-accuracy scorer for the question sets, through the real `athena-bot ask --format jsonl -`.

    python -m tests.dev_set.score dev blind saas hr    # or a path to a set YAML; --check-gold

Each set is asked in one CLI subprocess (questions in file order, per-item ``as_of``, follow-ups
sharing a ``conversation`` id) on a fresh lake of its kind (the test sample lake, or a generator
in tests/ whose model `athena-bot semantic-model init` drafts, unedited), while its gold SQL runs
on DuckDB over the same lake. Every item is classified:

- ``right``: the answer holds the gold's rows (tests/dev_set/compare.py), or the bot asked and
  ``accept_clarify`` is set, or it asked / refused as the item expects;
- ``wrong``: answered, but wrong (also: answered where it should have asked or refused). This is
  the silent-wrong outcome, the worst one;
- ``asked``: a clarification where an answer was expected;
- ``declined``: refused or an error where an answer was expected (or the other non-answer).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import yaml

from tests.dev_set.compare import matches, norm

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SAMPLE_SCALE, SAMPLE_SEED = 0.05, 7  # the test lake of tests/conftest.py
# name -> (set file, lake kind); a lake kind other than "sample" is answered by its drafted model
SETS = {
    "dev": ("questions.yaml", "sample"),
    "blind": ("blind.yaml", "sample"),
    "hr": ("hr_questions.yaml", "hr"),
    "saas": ("saas_questions.yaml", "saas"),
    "clauses": ("clauses.yaml", "sample"),
    "clauses_saas": ("clauses_saas.yaml", "saas"),
}


@dataclass
class QuestionSet:
    name: str
    path: Path
    lake_kind: str
    as_of: str | None
    items: list[dict]


def load_set(name_or_path: str) -> QuestionSet:
    """A set by name (see SETS) or by path; a file's top-level ``lake`` says which lake it is for."""
    if name_or_path in SETS:
        file, kind = SETS[name_or_path]
        path, name = HERE / file, name_or_path
    else:
        path, kind = Path(name_or_path), "sample"
        name = path.stem
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    as_of = raw.get("as_of")
    return QuestionSet(name, path, raw.get("lake", kind), str(as_of) if as_of else None, list(raw["questions"]))


def build_lake(kind: str, where: Path) -> Path:
    """A fresh lake of the given kind under ``where``."""
    lake = where / f"{kind}_lake"
    if kind == "sample":
        from adapters.local.sample_lake import build_sample_lake

        build_sample_lake(lake, scale=SAMPLE_SCALE, seed=SAMPLE_SEED)
    elif kind == "hr":
        from tests.hr_lake import build_hr_lake

        build_hr_lake(lake)
    elif kind == "saas":
        from tests.saas_lake import build_saas_lake

        build_saas_lake(lake)
    else:
        raise ValueError(f"unknown lake kind {kind!r} (sample, hr, saas)")
    return lake


def _cli_env(home: Path) -> dict[str, str]:
    # the rules are measured alone: no planner, model, lake or as-of from the caller's environment
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATHENA_BOT_")}
    env.update({"ATHENA_BOT_HOME": str(home), "PYTHONPATH": str(ROOT)})
    return env


def _cli_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "bot.cli", *args]


def draft_model(lake: Path, out: Path) -> Path:
    """`athena-bot semantic-model init --lake LAKE --out OUT`, as a data team runs it."""
    result = subprocess.run(_cli_command("semantic-model", "init", "--lake", str(lake), "--out", str(out)),
                            capture_output=True, text=True, env=_cli_env(out.parent), cwd=ROOT, timeout=300)
    if result.returncode != 0:
        raise RuntimeError(f"semantic-model init failed: {result.stderr.strip()}")
    return out


def jsonl_requests(qset: QuestionSet) -> str:
    """The set as jsonl requests; conversation ids are prefixed with the set's name."""
    lines = []
    for item in qset.items:
        conversation = item.get("conversation")
        as_of = item.get("as_of") or qset.as_of
        lines.append(json.dumps({"question": item["question"], "as_of": str(as_of) if as_of else None,
                                 "conversation": f"{qset.name}:{conversation}" if conversation else None}))
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- outcomes

@dataclass
class Outcome:
    item: dict
    outcome: str  # right | wrong | asked | declined
    record: dict
    detail: str = ""


@dataclass
class Report:
    qset: QuestionSet
    outcomes: list[Outcome]
    gold_problems: list[str] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(o.outcome == outcome for o in self.outcomes)

    @property
    def accuracy(self) -> float:
        return self.count("right") / len(self.outcomes)

    @property
    def silent_wrong_rate(self) -> float:
        """Answered-but-wrong items over all items."""
        return self.count("wrong") / len(self.outcomes)

    def summary(self) -> str:
        n = len(self.outcomes)
        answered = sum(o.record["status"] == "answered" for o in self.outcomes)
        return (f"{self.qset.name:6} {n:4} questions ({self.qset.lake_kind} lake): "
                f"right {self.count('right')} = {self.accuracy:.1%}; answered-but-wrong "
                f"{self.count('wrong')} = {self.silent_wrong_rate:.1%} (of {answered} answered); "
                f"asked {self.count('asked')}; refused/error {self.count('declined')}")

    def misses(self) -> Iterator[str]:
        """One paragraph per item not right: question, what came back, and the bot's SQL."""
        for o in self.outcomes:
            if o.outcome == "right":
                continue
            item, record = o.item, o.record
            as_of = item.get("as_of") or self.qset.as_of
            thread = f" [thread {item['conversation']}]" if item.get("conversation") else ""
            lines = [f"[{o.outcome}] {item.get('id', '')} {item['question']!r} (as of {as_of}){thread}",
                     f"    expected {item.get('expect', 'answered')}; got {record['status']}: "
                     f"{(record.get('message') or '')[:300]}"]
            if o.detail:
                lines.append(f"    {o.detail}")
            if record.get("sql"):
                lines.append("    bot SQL: " + " ".join(record["sql"].split()))
            yield "\n".join(lines)


def classify(item: dict, record: dict, golds: list[tuple[list[list[Any]], int]]) -> Outcome:
    """The outcome of one answer against the item's expectation and its gold results."""
    expected = item.get("expect", "answered")
    status = record["status"]
    if expected != "answered":
        if status == expected:
            return Outcome(item, "right", record)
        if status == "answered":
            return Outcome(item, "wrong", record, f"answered where it should have {expected}")
        return Outcome(item, "asked" if status == "clarify" else "declined", record)
    if status == "clarify":
        return Outcome(item, "right" if item.get("accept_clarify") else "asked", record)
    if status != "answered":
        return Outcome(item, "declined", record)
    rows, n_columns = record["rows"], len(record["columns"])
    for gold_rows, n_gold in golds:
        if matches(gold_rows, n_gold, rows, n_columns, bool(item.get("ordered"))):
            return Outcome(item, "right", record)
    first = golds[0][0] if golds else []
    shown = [[norm(v) for v in row] for row in rows[:4]]
    wanted = [[norm(v) for v in row] for row in first[:4]]
    return Outcome(item, "wrong", record, f"got {len(rows)} rows {record['columns']} {shown}; "
                                          f"expected {len(first)} rows {wanted}")


# --------------------------------------------------------------------------- a run

class Run:
    """One set being scored: its lake (built unless given), its model, and the CLI process asking it.

    The CLI starts at once; ``report()`` runs the gold SQL while the CLI answers, so several Runs
    started together overlap.
    """

    def __init__(self, name_or_path: str, lake: Path | None = None) -> None:
        self.qset = load_set(name_or_path)
        self._tmp = tempfile.TemporaryDirectory(prefix=f"score-{self.qset.name}-")
        where = Path(self._tmp.name)
        self.lake = lake or build_lake(self.qset.lake_kind, where)
        self.model = None if self.qset.lake_kind == "sample" else \
            draft_model(self.lake, where / f"{self.qset.lake_kind}_model.yaml")
        args = ["ask", "-", "--format", "jsonl", "--lake", str(self.lake)]
        args += ["--model", str(self.model)] if self.model else []
        self._process = subprocess.Popen(_cli_command(*args), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE, text=True, env=_cli_env(where), cwd=ROOT)
        self._output: tuple[str, str] = ("", "")
        self._reader = threading.Thread(target=self._communicate, daemon=True)
        self._reader.start()

    def _communicate(self) -> None:
        self._output = self._process.communicate(jsonl_requests(self.qset), timeout=1800)

    def report(self) -> Report:
        try:
            golds, problems = self._golds()
            self._reader.join()
            stdout, stderr = self._output
            records = [json.loads(line) for line in stdout.splitlines() if line.strip()]
            if self._process.returncode != 0 or len(records) != len(self.qset.items):
                raise RuntimeError(f"the jsonl CLI exited {self._process.returncode} with {len(records)} of "
                                   f"{len(self.qset.items)} answers: {stderr.strip()[-2000:]}")
            outcomes = [classify(item, record, gold)
                        for item, record, gold in zip(self.qset.items, records, golds)]
            return Report(self.qset, outcomes, problems)
        finally:
            if self._process.poll() is None:
                self._process.kill()
            self._tmp.cleanup()

    def _golds(self) -> tuple[list[list[tuple[list[list[Any]], int]]], list[str]]:
        """Every item's gold results (main and alternatives), and problems: guard rejections,
        failures, empty results. The gold is held to the bot's own rules."""
        from adapters.local.catalog import LocalCatalog
        from adapters.local.duckdb_executor import DuckDBExecutor
        from engine.domain import LOCAL_ANALYST
        from engine.guard import SqlGuard
        from engine.ports import schema_of

        catalog = LocalCatalog(self.lake)
        guard, executor = SqlGuard(schema_of(catalog)), DuckDBExecutor(catalog)
        golds, problems = [], []
        for item in self.qset.items:
            results = []
            for sql in [item["gold"], *item.get("gold_alt", [])] if "gold" in item else []:
                try:
                    guard.check(sql, LOCAL_ANALYST)
                    table = executor.execute(sql, LOCAL_ANALYST, 100_000)
                except Exception as err:  # noqa: BLE001 - every failure is reported, none stops the run
                    problems.append(f"{item.get('id', '')} {item['question']!r}: {type(err).__name__}: {err}")
                    continue
                rows = [list(r) for r in table.rows]
                if not rows or all(v is None for row in rows for v in row):
                    problems.append(f"{item.get('id', '')} {item['question']!r}: the gold returns nothing")
                results.append((rows, len(table.columns)))
            golds.append(results)
        return golds, problems


def score(name_or_path: str, lake: Path | None = None) -> Report:
    """Score one set (see Run)."""
    return Run(name_or_path, lake).report()


def check_ties(name_or_path: str, lake: Path | None = None) -> list[str]:
    """Gold queries whose result is not the one right answer: a tie on the ORDER BY keys at the
    LIMIT, or between neighbours of an ``ordered`` result. Run when writing a set."""
    import sqlglot

    from adapters.local.catalog import LocalCatalog
    from adapters.local.duckdb_executor import DuckDBExecutor
    from engine.domain import LOCAL_ANALYST

    qset = load_set(name_or_path)
    problems: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        executor = DuckDBExecutor(LocalCatalog(lake or build_lake(qset.lake_kind, Path(tmp))))
        for item in qset.items:
            for sql in [item["gold"], *item.get("gold_alt", [])] if "gold" in item else []:
                tree = sqlglot.parse_one(sql, read="athena")
                order, limit = tree.args.get("order"), tree.args.get("limit")
                keys = [o.this.name for o in order.expressions if o.this.name] if order else []
                if not keys or (limit is None and not item.get("ordered")):
                    continue
                n = int(limit.expression.name) if limit is not None else None
                probe = tree.copy()
                probe.set("limit", None)
                table = executor.execute(probe.sql(dialect="athena"), LOCAL_ANALYST, (n or 100_000) + 1)
                index = [table.columns.index(k) for k in keys if k in table.columns]
                key = [[norm(row[i]) for i in index] for row in table.rows]
                ties = [r for r in range(1, len(key)) if key[r] == key[r - 1]
                        and (r == n or (item.get("ordered") and (n is None or r < n)))]
                if index and ties:
                    problems.append(f"{item.get('id', '')} {item['question']!r}: tie on {keys} "
                                    f"between rows {ties[0]} and {ties[0] + 1}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.dev_set.score",
                                     description="Score question sets through the jsonl CLI.")
    parser.add_argument("sets", nargs="+", help=f"set names ({', '.join(SETS)}) or set YAML paths")
    parser.add_argument("--lake", type=Path, help="ask on this lake instead of a freshly built one")
    parser.add_argument("--check-gold", action="store_true",
                        help="check the gold SQL (guard, runs, rows, no ties) instead of listing misses")
    parser.add_argument("--quiet", action="store_true", help="figures only, no list of misses")
    args = parser.parse_args(argv)
    runs = [Run(name, args.lake) for name in args.sets]  # all CLIs at once; reports in order
    failed = False
    for run in runs:
        report = run.report()
        print(report.summary())
        problems = report.gold_problems + (check_ties(run.qset.name if run.qset.name in SETS else
                                                      str(run.qset.path), args.lake)
                                           if args.check_gold else [])
        if args.check_gold:
            for problem in problems:
                print(f"  gold problem: {problem}")
            failed |= bool(problems)
        elif problems:
            print(f"  {len(problems)} gold problems (empty results, failures): see --check-gold")
        if not args.quiet and not args.check_gold:
            for miss in report.misses():
                print("  " + miss.replace("\n", "\n  "))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
