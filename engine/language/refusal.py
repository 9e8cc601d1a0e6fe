"""Requests to change data, or SQL smuggled into a question, are refused before anything else runs."""

from __future__ import annotations

import re

from engine.errors import Refused

_REFUSE_ANYWHERE = re.compile(
    r"\b(delete|truncate|insert|alter|grant|revoke|unload|msck|vacuum|upsert)\b|"
    # "drop table", "merge into": a statement; "did revenue drop", "after the merge": a question
    r"\b(drop)\s+(?:table|view|database|schema|index|column|partition|all|everything|the\s+\w+\s+table)\b|"
    r"^\s*(drop|merge)\b|\b(merge)\s+into\b")
_REFUSE_AT_START = re.compile(
    r"^\s*(?:please\s+|pls\s+|can you\s+|could you\s+)?(update|create|remove|replace|modify|change|"
    r"set|rename|overwrite|write|wipe|erase|purge|add|load|copy|restore)\b")
# a verb that changes a record, said to a record: "mark invoice 1234 as paid", "close ticket 5",
# "cancel all pending orders" (not "close rate by rep", "cancelled orders")
_CHANGE_A_RECORD = re.compile(
    r"^\s*(?:please\s+|pls\s+|can you\s+|could you\s+)?(mark|flag|assign|approve|reject|reopen|refund|cancel|"
    r"close|archive|void|resolve|escalate|reassign|send|email)\s+(?=(?:the|all|this|that|these|those|my|our|every|"
    r"an?)\b|\w+\s+#?\d|.*\b(?:as|to)\s+\w+\s*$)")
_SQL_AFTER_SEMICOLON = re.compile(r";\s*\S")
_TYPED_SQL = re.compile(r"^\s*(?:select|with)\b.+\bfrom\b|^\s*(?:show|describe)\s+(?:tables|columns|databases)\b")


def check_not_mutating(question: str) -> None:
    """Refuse anything that asks to change data, or SQL smuggled after a semicolon."""
    lowered = question.lower()
    m = _REFUSE_ANYWHERE.search(lowered) or _REFUSE_AT_START.search(lowered) or _CHANGE_A_RECORD.search(lowered)
    if m:
        verb = next(g for g in m.groups() if g)
        raise Refused(f"I only read data, so I can't {verb} anything. Ask me a question about "
                      "the data instead, e.g. \"revenue by region last quarter\".")
    if _TYPED_SQL.search(lowered):
        raise Refused("I don't run SQL typed in chat; every query I run is one I build from a question. "
                      "Ask in words, e.g. \"orders by channel last month\", and I'll show you the SQL.")
    if _SQL_AFTER_SEMICOLON.search(lowered):
        raise Refused("I answer one question at a time and never run statements you type; "
                      "please ask a single question without ';'.")
