"""Profiles of a lake's tables, and what their column and table names say about their
meaning, for drafting a semantic model.

Names are read word by word (``health_score`` -> health, score); each rule is a small word list,
so a reviewer can see why the draft chose what it chose:

- score-like integer columns (csat, nps, rating, score) are averaged, never summed;
- state-like amounts (mrr, balance, inventory levels) are a current value, not a flow: summed
  over the rows currently in that state, never over time, and marked for review;
- created/start dates make "new X" the count of X by that date;
- common names for the same kind of thing (cases/tickets, clients/customers/accounts,
  staff/employees) are synonyms of each other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from engine.language.vocabulary import normalize_token

MAX_DIMENSION_VALUES = 100
_NUMERIC = ("bigint", "integer", "int", "smallint", "tinyint", "double", "real", "float", "decimal")
MONEY = re.compile(r"salary|salaries|pay|price|cost|revenue|amount|bonus|fee|spend|income|wage|"
                    r"budget|sales|value|total|compensation|charge|balance|tax|discount|(^|_)(mrr|arr)($|_)")
NAME_COLUMNS = ("name", "full_name", "title", "display_name", "label")
PEOPLE_TABLES = ("employees", "employee", "staff", "people", "workers", "personnel", "members")
TIME_HINTS = ("created", "date", "_ts", "_at", "_on", "time", "day")


@dataclass
class ColumnProfile:
    name: str
    type: str
    distinct: int
    nulls: int = 0
    values: list[str] = field(default_factory=list)  # text columns with few distinct values


@dataclass
class TableProfile:
    database: str
    name: str
    rows: int
    columns: list[ColumnProfile]
    partition_keys: tuple[str, ...] = ()
    # partition key -> (time column it is derived from, strftime format), checked on the data
    partition_follows: dict[str, tuple[str, str]] = field(default_factory=dict)

    def column(self, name: str) -> ColumnProfile | None:
        return next((c for c in self.columns if c.name == name), None)


def singular(name: str) -> str:
    words = name.split("_")
    last = {"people": "person", "staff": "staff", "data": "data"}.get(words[-1]) or normalize_token(words[-1])
    if last.endswith("sse"):  # "addresses" -> "addresse" -> "address"
        last = last[:-1]
    return "_".join(words[:-1] + [last])


def words(name: str) -> str:
    return name.replace("_", " ").strip()


def is_numeric(type_name: str) -> bool:
    return type_name.lower().startswith(_NUMERIC)


def is_time(type_name: str) -> bool:
    return type_name.lower().startswith(("date", "timestamp"))


def is_id(name: str) -> bool:
    return name == "id" or name.endswith(("_id", "_key", "_code")) or name in ("year", "month", "day")


def plural(text: str) -> str:
    if text.endswith(("s", "x", "ch", "sh")):
        return text + "es"
    return text[:-1] + "ies" if text.endswith("y") and text[-2:-1] not in "aeiou" else text + "s"


def unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(i for i in items if i))


def drop_none(spec: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in spec.items() if v is not None}


SCORE_WORDS = {"csat", "nps", "rating", "ratings", "score", "scores", "satisfaction", "stars", "grade"}
STATE_WORDS = {"mrr", "arr", "balance", "balances", "inventory", "stock", "on_hand",
               "outstanding", "backlog", "headcount"}
# values of a status column that mean "currently in force", in order of preference
CURRENT_STATES = ("active", "current", "open", "live", "enabled", "in force")
START_WORDS = {"created", "creation", "start", "started", "opened", "signup", "signed", "registered", "issued",
               "joined", "hired", "hire", "onboarded", "activated"}
END_WORDS = {"closed", "resolved", "solved", "end", "ended", "terminated", "termination", "cancelled",
             "canceled", "churned", "finished", "completed"}
# kinds of things people call by several names; a table named by one gets the others as synonyms
ENTITY_SYNONYMS = [
    ("case", "ticket", "support case", "support ticket", "issue"),
    ("customer", "client", "account"),
    ("employee", "staff", "worker", "person", "team member"),
    ("sales rep", "rep", "salesperson", "account executive", "account manager", "owner"),
    ("order", "purchase"),
    ("product", "item", "sku"),
    ("subscription", "sub", "contract"),
    ("invoice", "bill"),
    ("user", "member"),
    ("event", "activity"),
    ("response", "survey response", "answer"),
    ("vendor", "supplier"),
    ("deal", "opportunity", "opp"),
]


def name_words(name: str) -> list[str]:
    return [w for w in name.lower().split("_") if w]


def is_score(column: str) -> bool:
    """csat, nps_score, rating, health_score: a rating on a scale, so averages only."""
    return bool(set(name_words(column)) & SCORE_WORDS)


def is_state(column: str) -> bool:
    """mrr, account_balance, inventory_level: a current amount, not something that accumulates."""
    words = name_words(column)
    return bool(set(words) & STATE_WORDS) or column.lower() in STATE_WORDS


def is_start(column: str) -> bool:
    return bool(set(name_words(column)) & START_WORDS)


def is_end(column: str) -> bool:
    return bool(set(name_words(column)) & END_WORDS)


def current_state(values: list[str]) -> str | None:
    """The value of a status column meaning "in force now" ("Active"), if it has one."""
    lowered = {v.lower(): v for v in values}
    return next((lowered[s] for s in CURRENT_STATES if s in lowered), None)


def kind_synonyms(noun: str) -> list[str]:
    """Other names of the kind of thing ``noun`` names ("support case" -> ticket, support ticket...).
    The noun's last word is matched too ("support case" is a case)."""
    words = noun.split()
    for group in ENTITY_SYNONYMS:
        if noun in group or (words and words[-1] in group):
            return [g for g in group if g != noun]
    return []


_UNITS = ("seconds", "secs", "sec", "minutes", "mins", "hours", "hrs", "days", "ms", "usd", "eur", "pct")


def without_unit(column: str) -> str:
    """``duration_seconds`` -> ``duration``: the quantity a column holds, without its unit."""
    parts = name_words(column)
    return "_".join(parts[:-1]) if len(parts) > 1 and parts[-1] in _UNITS else column


# verbs people use for the rows of a table named by the noun ("most used feature": usage events)
NOUN_VERBS = {"usage": ["used", "use", "uses", "usage"], "login": ["logins", "logged in"],
              "visit": ["visited", "visits"], "download": ["downloaded", "downloads"],
              "purchase": ["bought", "purchased"], "view": ["viewed", "views"]}


def verbs_of(table_words: list[str]) -> list[str]:
    return [v for w in table_words for v in NOUN_VERBS.get(w, [])]

