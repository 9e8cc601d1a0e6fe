"""Numeric conditions in questions: "more than 1 million", "over $1,000", "between 10 and 20%".

They are found before anything else reads the question, blanked out of its text, and later bound
to the metric or entity measure they are about.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from engine.errors import BotError

_OPERATORS = [
    (r"no more than|not more than|at most|up to|maximum of|max of|<=", "<="),
    (r"no less than|not less than|at least|minimum of|min of|or more|>=", ">="),
    (r"more than|greater than|higher than|bigger than|larger than|over|above|exceeding|exceeds|"
     r"exceeded|exceed|in excess of|>", ">"),
    (r"less than|fewer than|lower than|smaller than|cheaper than|under|below|<", "<"),
    (r"equal to|equals|exactly|=", "="),
]
_SCALE = {"k": 1e3, "thousand": 1e3, "thousands": 1e3, "m": 1e6, "mm": 1e6, "mn": 1e6,
          "million": 1e6, "millions": 1e6, "b": 1e9, "bn": 1e9, "billion": 1e9, "billions": 1e9}
_NUMBER = (r"(?:\$|usd\s*|€|£)?\s*(\d[\d,]*(?:\.\d+)?(?:e[+-]?\d+)?|\.\d+)\s*(" + "|".join(sorted(_SCALE, key=len, reverse=True))
           + r")?\b\s*(%|percent|pct|dollars?|usd|bucks|eur|euros?)?")
_OP_RE = "|".join(f"(?:{words})" for words, _ in _OPERATORS)
_CONDITION = re.compile(rf"(?<![\w$])({_OP_RE})\s*(?:of\s+|than\s+)?{_NUMBER}")
_TRAILING_OR_MORE = re.compile(rf"(?<![\w$]){_NUMBER}\s*(\+|or more|or less|or fewer|and up|and above|plus)(?!\w)")
_BETWEEN = re.compile(rf"\bbetween\s+{_NUMBER}\s+and\s+{_NUMBER}")


MAX_VALUE = 1e15  # beyond this a float no longer holds every whole number, and no metric gets there


class NumberOutOfRange(BotError):
    """A number in a condition too large to compare with (it would reach the SQL as inf)."""


@dataclass(frozen=True)
class NumericCondition:
    op: str  # ">", ">=", "<", "<=", "=", "between"
    value: float
    high: float | None = None
    percent: bool = False
    start: int = 0  # character span in the question
    end: int = 0
    money: bool = False  # "$3,000", "3k dollars": only a money measure can be meant


_MONEY = re.compile(r"[$€£]|\busd\b|\bdollars?\b|\bbucks\b|\beur\b|\beuros?\b")


def _money(text: str) -> bool:
    return bool(_MONEY.search(text))


def _number(digits: str, scale: str | None, unit: str | None) -> tuple[float, bool]:
    value = float(digits.replace(",", "")) * (_SCALE[scale] if scale else 1)
    if not math.isfinite(value) or value > MAX_VALUE:
        shown = digits if len(digits) <= 24 else f"{digits[:12]}... ({len(digits)} characters)"
        raise NumberOutOfRange(f"The number {shown}{' ' + scale if scale else ''} is too large to compare "
                               f"with: I compare with numbers up to {MAX_VALUE:,.0f}.")
    percent = bool(unit) and unit.startswith(("%", "percent", "pct"))
    return (value / 100 if percent else value), percent


def _op_of(words: str) -> str:
    for pattern, op in _OPERATORS:
        if re.fullmatch(pattern, words):
            return op
    raise ValueError(words)


def _looks_like_year(digits: str, scale: str | None, unit: str | None, text: str) -> bool:
    return (not scale and not unit and "$" not in text and re.fullmatch(r"(19|20)\d\d", digits) is not None)


def find_conditions(text: str) -> tuple[list[NumericCondition], str]:
    """Conditions in ``text`` and the text with them blanked out (same length)."""
    found: list[NumericCondition] = []

    def blank(start: int, end: int) -> None:
        nonlocal text
        text = text[:start] + " " * (end - start) + text[end:]

    for m in list(_BETWEEN.finditer(text)):
        low, low_pct = _number(m[1], m[2], m[3] or m[6])
        high, high_pct = _number(m[4], m[5], m[6])
        if _looks_like_year(m[1], m[2], m[3], m[0]) and _looks_like_year(m[4], m[5], m[6], m[0]):
            continue  # "between 2023 and 2024" is time
        found.append(NumericCondition("between", low, high, low_pct or high_pct, m.start(), m.end(), _money(m[0])))
        blank(m.start(), m.end())
    for m in list(_CONDITION.finditer(text)):
        if _looks_like_year(m[2], m[3], m[4], m[0]):
            continue  # "over 2024" is not a number condition
        value, pct = _number(m[2], m[3], m[4])
        found.append(NumericCondition(_op_of(m[1]), value, None, pct, m.start(), m.end(), _money(m[0])))
        blank(m.start(), m.end())
    for m in list(_TRAILING_OR_MORE.finditer(text)):
        if _looks_like_year(m[1], m[2], m[3], m[0]):
            continue
        value, pct = _number(m[1], m[2], m[3])
        op = "<=" if m[4] in ("or less", "or fewer") else ">="
        found.append(NumericCondition(op, value, None, pct, m.start(), m.end(), _money(m[0])))
        blank(m.start(), m.end())
    return sorted(found, key=lambda c: c.start), text
