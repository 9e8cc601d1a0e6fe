"""Execution-accuracy scorer for the question sets, through the real `athena-bot ask --format jsonl -`.

    python -m tests.dev_set.score blind saas          # or: dev, hr, a path to a set YAML; --check-gold

Each set is asked in one CLI subprocess (questions in file order, per-item ``as_of``, follow-ups
sharing a ``conversation`` id), the gold SQL runs on DuckDB over the same lake, and every item
is classified:

- ``right``: the answer's rows equal the gold's, or the bot asked and ``accept_clarify`` is set,
  or it asked / refused as the item expects;
- ``wrong``: answered, but wrong (also: answered where it should have asked or refused). This is
  the silent-wrong outcome, the worst one;
- ``asked``: a clarification where an answer was expected;
- ``declined``: refused or an error where an answer was expected (or the other non-answer).

Comparison: numbers rounded (4 decimals below 10, else 2), midnight timestamps as dates, "(no
...)" group labels as NULL, rows as multisets unless ``ordered``. The bot may show extra columns
(a key beside a name, a share beside the measure): every gold column must map onto a distinct
answer column with equal values (a fraction may also appear as a percentage), never the other
way round. ``gold_alt`` lists other answers that are equally right.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import re
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SAMPLE_SCALE, SAMPLE_SEED = 0.05, 7  # the test lake of tests/conftest.py
# name -> (set file, lake kind); a lake kind other than "sample" is answered by its drafted model
SETS = {
    "dev": ("questions.yaml", "sample"),
    "blind": ("blind.yaml", "sample"),
    "hr": ("hr_questions.yaml", "hr"),
    "saas": ("saas_questions.yaml", "saas"),
}
OUTCOMES = ("right", "wrong", "asked", "declined")
_NO_GROUP = re.compile(r"^\((no|none|null|blank|missing|unknown|not set)\b.*\)$", re.IGNORECASE)
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$")


# --------------------------------------------------------------------------- comparison

def norm(value: Any, scale: float = 1.0) -> Any:
    """A value as compared: rounded number, ISO date (time only if not midnight), NULL group."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) or type(value).__name__ == "Decimal":
        number = float(value) * scale
        if math.isnan(number):
            return None
        return round(number, 4 if abs(number) < 10 else 2) + 0.0
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        text = value.strip()
        if _ISO.match(text):
            try:
                return norm(dt.datetime.fromisoformat(text.replace(" ", "T")))
            except ValueError:
                return text
        if _NO_GROUP.match(text):
            return None
        return text
    return value


def _column(rows: list[list[Any]], index: int, scale: float = 1.0) -> list[Any]:
    return [norm(row[index], scale) for row in rows]


def _numeric(values: list[Any]) -> bool:
    return any(isinstance(v, float) for v in values) and all(v is None or isinstance(v, float) for v in values)


def _same(a: list[Any], b: list[Any], ordered: bool) -> bool:
    return a == b if ordered else Counter(map(repr, a)) == Counter(map(repr, b))


def matches(gold_rows: list[list[Any]], answer_rows: list[list[Any]], n_gold: int, n_answer: int,
            ordered: bool) -> bool:
    """Whether every gold column maps onto a distinct answer column so the rows are equal."""
    if len(gold_rows) != len(answer_rows) or n_gold > n_answer:
        return False
    if not gold_rows:
        return True
    answer_cols = [_column(answer_rows, k) for k in range(n_answer)]
    options: list[list[tuple[int, list[Any]]]] = []  # per gold column: (answer column, gold values)
    for j in range(n_gold):
        gold_col = _column(gold_rows, j)
        scaled = [gold_col]
        if _numeric(gold_col):
            scaled.append(_column(gold_rows, j, 100.0))  # a fraction shown as a percentage
        found = [(k, values) for k in range(n_answer) for values in scaled
                 if _same(values, answer_cols[k], ordered)]
        if not found:
            return False
        options.append(found)
    order = sorted(range(n_gold), key=lambda j: len(options[j]))

    def assign(position: int, used: dict[int, tuple[int, list[Any]]]) -> bool:
        if position == len(order):
            gold_tuples = [tuple(used[j][1][r] for j in range(n_gold)) for r in range(len(gold_rows))]
            answer_tuples = [tuple(answer_cols[used[j][0]][r] for j in range(n_gold)) for r in range(len(gold_rows))]
            return _same(gold_tuples, answer_tuples, ordered)
        j = order[position]
        taken = {k for k, _ in used.values()}
        for k, values in options[j]:
            if k not in taken and assign(position + 1, {**used, j: (k, values)}):
                return True
        return False

    return assign(0, {})


# --------------------------------------------------------------------------- sets and lakes

@dataclass
class QuestionSet:
    name: str
    path: Path
    lake_kind: str
    as_of: str | None
    items: list[dict]


def load_set(name_or_path: str) -> QuestionSet:
    if name_or_path in SETS:
        file, kind = SETS[name_or_path]
        path = HERE / file
    else:
        path, kind = Path(name_or_path), ""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    kind = raw.get("lake", kind) or "sample"
    as_of = raw.get("as_of")
    return QuestionSet(name_or_path if name_or_path in SETS else path.stem, path, kind,
                       str(as_of) if as_of else None, list(raw["questions"]))


def build_lake(kind: str, where: Path) -> Path:
    """A fresh lake of the set's kind under ``where``: the test sample lake, or a tests/ generator."""
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
        raise ValueError(f"unknown lake kind {kind!r}")
    return lake


def draft_model(lake: Path, out: Path) -> Path:
    """`athena-bot semantic-model init --lake LAKE --out OUT`, the command a data team runs."""
    result = _cli(["semantic-model", "init", "--lake", str(lake), "--out", str(out)], None, out.parent)
    if result.returncode != 0:
        raise RuntimeError(f"semantic-model init failed: {result.stderr.strip()}")
    return out


def _cli(args: list[str], stdin: str | None, home: Path, timeout: float = 900) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATHENA_BOT_")}
    env.update({"ATHENA_BOT_HOME": str(home), "PYTHONPATH": str(ROOT)})
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], input=stdin, capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=timeout)


def jsonl_requests(qset: QuestionSet) -> str:
    lines = []
    for item in qset.items:
        conversation = item.get("conversation")
        as_of = item.get("as_of") or qset.as_of
        lines.append(json.dumps({"question": item["question"], "as_of": str(as_of) if as_of else None,
                                 "conversation": f"{qset.name}:{conversation}" if conversation else None}))
    return "\n".join(lines) + "\n"


def ask_all(qset: QuestionSet, lake: Path, model: Path | None, home: Path) -> list[dict]:
    """Every question of the set through one `athena-bot ask --format jsonl -` process."""
    args = ["ask", "-", "--format", "jsonl", "--lake", str(lake)] + (["--model", str(model)] if model else [])
    result = _cli(args, jsonl_requests(qset), home)
    records = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    if result.returncode != 0 or len(records) != len(qset.items):
        raise RuntimeError(f"the jsonl CLI returned {result.returncode} with {len(records)} of "
                           f"{len(qset.items)} answers: {result.stderr.strip()[-2000:]}")
    return records


# --------------------------------------------------------------------------- scoring

@dataclass
class Outcome:
    item: dict
    outcome: str
    record: dict
    expected: list[list[Any]] = field(default_factory=list)
    detail: str = ""


@dataclass
class Report:
    qset: QuestionSet
    outcomes: list[Outcome]

    def count(self, outcome: str) -> int:
        return sum(o.outcome == outcome for o in self.outcomes)

    @property
    def accuracy(self) -> float:
        return self.count("right") / len(self.outcomes)

    @property
    def silent_wrong_rate(self) -> float:
        return self.count("wrong") / len(self.outcomes)

    def summary(self) -> str:
        n = len(self.outcomes)
        answered = sum(o.record["status"] == "answered" for o in self.outcomes)
        return (f"{self.qset.name:6} {n:4} questions ({self.qset.lake_kind} lake): "
                f"right {self.count('right')} = {self.accuracy:.1%}; answered-but-wrong "
                f"{self.count('wrong')} = {self.silent_wrong_rate:.1%} (of {answered} answered); "
                f"asked {self.count('asked')}; refused/error {self.count('declined')}")

    def misses(self) -> Iterator[str]:
        for o in self.outcomes:
            if o.outcome == "right":
                continue
            item, record = o.item, o.record
            as_of = item.get("as_of") or self.qset.as_of
            thread = f" [thread {item['conversation']}]" if item.get("conversation") else ""
            head = f"[{o.outcome}] {item.get('id', '')} {item['question']!r} (as of {as_of}){thread}"
            lines = [head, f"    expected {item.get('expect', 'answered')}; got {record['status']}: "
                           f"{(record.get('message') or '')[:300]}"]
            if o.detail:
                lines.append(f"    {o.detail}")
            if record.get("sql"):
                lines.append("    bot SQL: " + " ".join(record["sql"].split()))
            yield "\n".join(lines)


def _executor(lake: Path):  # noqa: ANN202
    from adapters.local.catalog import LocalCatalog
    from adapters.local.duckdb_executor import DuckDBExecutor

    return DuckDBExecutor(LocalCatalog(lake))


def _gold_rows(executor, sql: str) -> tuple[list[list[Any]], int]:  # noqa: ANN001
    from engine.domain import LOCAL_ANALYST

    table = executor.execute(sql, LOCAL_ANALYST, 100_000)
    return [list(r) for r in table.rows], len(table.columns)


def classify(item: dict, record: dict, executor) -> Outcome:  # noqa: ANN001
    expected = item.get("expect", "answered")
    status = record["status"]
    if expected != "answered":
        if status == expected:
            return Outcome(item, "right", record)
        if status == "answered":
            return Outcome(item, "wrong", record, detail=f"answered where it should have {expected}")
        return Outcome(item, "asked" if status == "clarify" else "declined", record)
    if status == "clarify":
        return Outcome(item, "right" if item.get("accept_clarify") else "asked", record)
    if status != "answered":
        return Outcome(item, "declined", record)
    answer_rows, n_answer = record["rows"], len(record["columns"])
    ordered = bool(item.get("ordered"))
    first: list[list[Any]] = []
    for sql in [item["gold"], *item.get("gold_alt", [])]:
        gold_rows, n_gold = _gold_rows(executor, sql)
        first = first or gold_rows
        if matches(gold_rows, answer_rows, n_gold, n_answer, ordered):
            return Outcome(item, "right", record, gold_rows)
    shown = [[norm(v) for v in row] for row in answer_rows[:4]]
    wanted = [[norm(v) for v in row] for row in first[:4]]
    return Outcome(item, "wrong", record, first,
                   f"got {len(answer_rows)} rows {record['columns']} {shown}; expected {len(first)} rows {wanted}")


def score(name_or_path: str, lake: Path | None = None, work: Path | None = None) -> Report:
    """Score one set: build its lake (unless given), draft its model if not the sample, ask, compare."""
    qset = load_set(name_or_path)
    with tempfile.TemporaryDirectory(prefix=f"score-{qset.name}-") as tmp:
        where = Path(work or tmp)
        lake = lake or build_lake(qset.lake_kind, where)
        model = None if qset.lake_kind == "sample" else draft_model(lake, where / f"{qset.lake_kind}_model.yaml")
        records = ask_all(qset, lake, model, where)
        executor = _executor(lake)
        outcomes = [classify(item, record, executor) for item, record in zip(qset.items, records)]
    return Report(qset, outcomes)


# --------------------------------------------------------------------------- gold checks

def check_gold(name_or_path: str, lake: Path | None = None) -> list[str]:
    """Problems with a set's gold SQL: guard rejections, failures, empty or all-NULL results, ties at
    a LIMIT or inside an ordered result (the gold would not be the one right answer)."""
    import sqlglot

    from adapters.local.catalog import LocalCatalog
    from engine.domain import LOCAL_ANALYST
    from engine.guard import SqlGuard
    from engine.ports import schema_of

    qset = load_set(name_or_path)
    problems: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        lake = lake or build_lake(qset.lake_kind, Path(tmp))
        guard = SqlGuard(schema_of(LocalCatalog(lake)))
        executor = _executor(lake)
        for item in qset.items:
            label = f"{item.get('id', '')} {item['question']!r}"
            if item.get("expect", "answered") != "answered":
                if "gold" in item:
                    problems.append(f"{label}: a {item['expect']} item has gold SQL")
                continue
            for sql in [item["gold"], *item.get("gold_alt", [])]:
                try:
                    guard.check(sql, LOCAL_ANALYST)
                    rows, _ = _gold_rows(executor, sql)
                except Exception as err:  # noqa: BLE001 - report every kind of failure
                    problems.append(f"{label}: {type(err).__name__}: {err}")
                    continue
                if not rows or all(v is None for row in rows for v in row):
                    problems.append(f"{label}: gold returns nothing")
                tree = sqlglot.parse_one(sql, read="athena")
                order = tree.args.get("order")
                if order is None:
                    continue
                keys = [o.this.name for o in order.expressions if o.this.name]
                limit = tree.args.get("limit")
                n = int(limit.expression.name) if limit is not None else None
                if n is not None:
                    probe = tree.copy()
                    probe.set("limit", None)
                    full = executor.execute(probe.sql(dialect="athena"), LOCAL_ANALYST, n + 1)
                    columns, extra = full.columns, [list(r) for r in full.rows]
                else:
                    table = executor.execute(sql, LOCAL_ANALYST, 100_000)
                    columns, extra = table.columns, [list(r) for r in table.rows]
                index = [columns.index(k) for k in keys if k in columns]
                if not index:
                    continue
                last = len(extra) if n is None else min(n + 1, len(extra))
                for r in range(1, last):
                    if [norm(extra[r][i]) for i in index] == [norm(extra[r - 1][i]) for i in index] and \
                            (item.get("ordered") or (n is not None and r == n)):
                        problems.append(f"{label}: tie on {keys} at rows {r} and {r + 1}")
                        break
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.dev_set.score", description=__doc__.split("\n")[0])
    parser.add_argument("sets", nargs="+", help=f"set names ({', '.join(SETS)}) or set YAML paths")
    parser.add_argument("--lake", type=Path, help="use this lake instead of building one")
    parser.add_argument("--check-gold", action="store_true", help="check the gold SQL instead of scoring")
    parser.add_argument("--quiet", action="store_true", help="figures only, no list of misses")
    args = parser.parse_args(argv)
    failed = False
    for name in args.sets:
        if args.check_gold:
            problems = check_gold(name, args.lake)
            print(f"{name}: {len(problems)} gold problems")
            for problem in problems:
                print("  " + problem)
            failed |= bool(problems)
            continue
        report = score(name, args.lake)
        print(report.summary())
        if not args.quiet:
            for miss in report.misses():
                print("  " + miss.replace("\n", "\n  "))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
