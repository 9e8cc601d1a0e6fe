"""Whether a bot's answer table holds the gold answer: robust to presentation, honest about content.

Values are normalised (numbers rounded to 4 decimals below 10, else 2; midnight timestamps as
dates; ISO strings parsed; "(no store)"-style group labels as NULL). Rows are compared as
multisets unless the order matters. The answer may have more columns than the gold (a key beside
a name, a share beside the measure): every gold column must map onto a distinct answer column
with the same values (a fraction may be shown as a percentage), never the other way round, and
the answer must have exactly the gold's rows.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter
from decimal import Decimal
from typing import Any, Sequence

_NO_GROUP = re.compile(r"^\((no|none|null|blank|missing|unknown|not set|unassigned)\b.*\)$", re.IGNORECASE)
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$")


def norm(value: Any, scale: float = 1.0) -> Any:
    """A value as compared; ``scale`` multiplies numbers first (100: a fraction as a percentage)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, (int, float, Decimal)):
        number = float(value) * scale
        if math.isnan(number):
            return None
        return round(number, 4 if abs(number) < 10 else 2) + 0.0  # + 0.0: no negative zero
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
        return None if _NO_GROUP.match(text) else text
    return value


def _column(rows: Sequence[Sequence[Any]], index: int, scale: float = 1.0) -> list[Any]:
    return [norm(row[index], scale) for row in rows]


def _numeric(values: list[Any]) -> bool:
    return any(isinstance(v, float) for v in values) and all(v is None or isinstance(v, float) for v in values)


def _same(a: list[Any], b: list[Any], ordered: bool) -> bool:
    return a == b if ordered else Counter(map(repr, a)) == Counter(map(repr, b))


def matches(gold_rows: Sequence[Sequence[Any]], n_gold: int, answer_rows: Sequence[Sequence[Any]],
            n_answer: int, ordered: bool = False) -> bool:
    """Whether every gold column maps onto a distinct answer column so that the rows are equal."""
    if len(gold_rows) != len(answer_rows) or n_gold > n_answer:
        return False
    if not gold_rows:
        return True
    answer_cols = [_column(answer_rows, k) for k in range(n_answer)]
    options: list[list[tuple[int, list[Any]]]] = []  # per gold column: (answer column, gold values)
    for j in range(n_gold):
        gold_col = _column(gold_rows, j)
        variants = [gold_col] + ([_column(gold_rows, j, 100.0)] if _numeric(gold_col) else [])
        found = [(k, values) for k in range(n_answer) for values in variants
                 if _same(values, answer_cols[k], ordered)]
        if not found:
            return False
        options.append(found)
    order = sorted(range(n_gold), key=lambda j: len(options[j]))  # fewest candidates first
    n_rows = len(gold_rows)

    def assign(position: int, used: dict[int, tuple[int, list[Any]]]) -> bool:
        if position == n_gold:
            gold_tuples = [tuple(used[j][1][r] for j in range(n_gold)) for r in range(n_rows)]
            answer_tuples = [tuple(answer_cols[used[j][0]][r] for j in range(n_gold)) for r in range(n_rows)]
            return _same(gold_tuples, answer_tuples, ordered)
        j = order[position]
        taken = {k for k, _ in used.values()}
        return any(assign(position + 1, {**used, j: (k, values)})
                   for k, values in options[j] if k not in taken)

    return assign(0, {})
