"""The metrics a drafted model gets from one table's columns: a total and an average of each
number (only an average for a score, a state over the rows in force now), the time from a row's
start to its end, and counts of rows that reached an end state, by the date they did."""

from __future__ import annotations

from typing import Any

from engine import draft_rules as rules
from engine.draft_rules import MONEY, ColumnProfile, TableProfile, drop_none, is_time, unique, words


def current_filter(alias: str, table: TableProfile) -> tuple[str, str] | None:
    """(SQL, label) picking the rows currently in force ("subscriptions.status = 'Active'"), from a
    status-like column that has such a value."""
    for column in table.columns:
        if column.values and rules.name_words(column.name)[-1:] in (["status"], ["state"]):
            value = rules.current_state(column.values)
            if value is not None:
                literal = value.replace("'", "''")
                return f"{alias}.{column.name} = '{literal}'", f"{value.lower()} {words(table.name)}"
    return None


def column_metrics(alias: str, table: TableProfile, column: ColumnProfile, noun: str, time: str | None,
                   shared: bool, current: tuple[str, str] | None) -> dict[str, dict[str, Any]]:
    """A total and an average of a numeric column; only an average for a score (a CSAT is never
    summed); a state (MRR, a balance) over the rows in force now and never over time."""
    money = bool(MONEY.search(column.name))
    integer = column.type.startswith(("bigint", "int", "smallint", "tinyint"))
    label = f"{words(noun)} {words(column.name)}" if shared else words(column.name)
    metric = f"{noun}_{column.name}" if shared else column.name
    own = [f"{words(noun)} {label}"] if noun != column.name else []
    bare = rules.without_unit(column.name)  # duration_seconds is the "duration" (in seconds)
    if bare != column.name and not shared:
        own += [words(bare), f"{words(noun)} {words(bare)}"]
    if money and sum(bool(MONEY.search(c.name)) for c in table.columns) == 1:
        own += [f"{words(noun)} total", f"{words(noun)} value"]  # the one amount: "invoice total"
    qualifier = noun.split("_")[:-1]  # "nps_responses".score is also the "nps score", the "nps"
    if qualifier and rules.is_score(qualifier[0]) and not column.name.startswith(qualifier[0]):
        own += [f"{' '.join(qualifier)} {label}", " ".join(qualifier)]
    out: dict[str, dict[str, Any]] = {}
    state = rules.is_state(column.name)
    extra: dict[str, Any] = {}
    if state:
        extra = {"time": None, "state": True, "filter": current[0] if current else None,
                 "filter_label": current[1] if current else "every row (no status says which are current)"}
        own += [f"current {label}", f"{label} now", f"today's {label}"]
    if not rules.is_score(column.name):
        out[f"total_{metric}"] = drop_none({
            "label": f"Total {label}",
            "synonyms": unique([label, f"total {label}", f"sum of {label}", f"{label} total"] + own),
            "sql": f"SUM({alias}.{column.name})", "time": time, "roots": [alias],
            "format": "currency" if money else ("integer" if integer else "decimal"),
            "additive": not state, **extra})
    average = [f"average {label}", f"avg {label}", f"mean {label}"] + [f"average {o}" for o in own]
    if rules.is_score(column.name):  # the plain word means the average
        average = [label, *own] + average
    out[f"average_{metric}"] = drop_none({
        "label": f"Average {label}",
        "synonyms": unique(average),
        "sql": f"AVG({alias}.{column.name})", "time": time, "roots": [alias],
        "format": "currency" if money else "decimal", **extra})
    return out


def duration_metrics(alias: str, table: TableProfile, noun: str, start: str) -> dict[str, dict[str, Any]]:
    """The average time from a row's start to its end (a case opened -> closed: its resolution
    time), in hours between timestamps, in days between dates."""
    start_col = table.column(start)
    end = next((c for c in table.columns if is_time(c.type) and c.name != start and rules.is_end(c.name)), None)
    if start_col is None or end is None or not rules.is_start(start):
        return {}
    hours = start_col.type.startswith("timestamp") and end.type.startswith("timestamp")
    unit = "hours" if hours else "days"
    diff = (f"CAST(date_diff('second', {alias}.{start}, {alias}.{end.name}) AS DOUBLE) / 3600" if hours
            else f"CAST(date_diff('day', {alias}.{start}, {alias}.{end.name}) AS DOUBLE)")
    resolved = bool(set(rules.name_words(end.name)) & {"closed", "resolved", "solved"})
    label = "resolution time" if resolved else f"{words(noun)} duration"
    synonyms = [label, f"average {label}", f"avg {label}", f"{label} in {unit}"]
    if resolved:
        synonyms += ["time to resolve", "time to resolution", "time to close", "handling time", "resolve", "resolution"]
    return {f"{noun}_{label.replace(' ', '_')}": {
        "label": f"{label.capitalize()} ({unit})", "synonyms": unique(synonyms),
        "sql": f"AVG({diff})",
        "time": f"{alias}.{start}", "roots": [alias], "format": "decimal"}}


def ended_metrics(alias: str, table: TableProfile, noun: str, key: str | None,
                  others: list[str]) -> dict[str, dict[str, Any]]:
    """Counts of the rows that reached an end state, by the date they reached it: "subscriptions
    cancelled last quarter" counts by the end date, not by when they started."""
    end = next((c for c in table.columns if is_time(c.type) and rules.is_end(c.name)), None)
    status = next((c for c in table.columns if c.values and rules.name_words(c.name)[-1:] in (["status"], ["state"])),
                  None)
    if end is None or status is None:
        return {}
    out: dict[str, dict[str, Any]] = {}
    plural = words(table.name)
    for value in status.values:
        if not rules.is_end(value.lower().replace(" ", "_")):
            continue
        word = value.lower()
        literal = value.replace("'", "''")
        names = [plural, *[o for o in others if o.endswith("s")]]
        out[f"{word.replace(' ', '_')}_{table.name}"] = {
            "label": f"{value} {plural}",
            "synonyms": unique([f"{word} {n}" for n in names] + [f"{n} {word}" for n in names]),
            "sql": f"COUNT(DISTINCT {alias}.{key})" if key else "COUNT(*)",
            "filter": f"{alias}.{status.name} = '{literal}'",
            "filter_label": f"status {value}, by {words(end.name)}",
            "time": f"{alias}.{end.name}", "roots": [alias], "format": "integer", "additive": True}
    return out

