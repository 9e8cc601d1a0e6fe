"""The structured meaning of a question: what the understanding produces and the compiler reads."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from engine.domain import DateRange


@dataclass
class ValueFilter:
    dimension: str
    values: list[str]
    negate: bool = False


@dataclass
class Condition:
    """A numeric condition on a metric ("revenue over 1M") or on an entity measure ("price > 500")."""

    target: str  # metric name, or in a listing the entity's measure name
    op: str  # ">", ">=", "<", "<=", "=", "between"
    value: float
    high: float | None = None


@dataclass
class SemanticQuery:
    """Metrics by dimensions (an aggregate), or with ``entity`` set, a listing of its rows."""

    metrics: list[str]
    dimensions: list[str] = field(default_factory=list)
    filters: list[ValueFilter] = field(default_factory=list)
    time_range: DateRange | None = None
    grain: str | None = None
    order: Literal["asc", "desc"] | None = None
    limit: int | None = None
    conditions: list[Condition] = field(default_factory=list)
    compare: list[DateRange] = field(default_factory=list)  # periods side by side, a period column
    entity: str | None = None  # listing: rows of this entity
    sort: str | None = None  # listing: a measure name, or "time"
    count: bool = False  # listing counted: "how many orders over $1,000"
    share: bool = False  # each row's share of the total ("what share of revenue comes from online")
    highlight: list[str] = field(default_factory=list)  # the values the share question named
    growth: bool = False  # change against the previous period of the grain ("revenue growth by month")
    growth_over: str | None = None  # "yoy by month": against the same month one year before
    # derived measures (engine/derived_sql.py)
    ratio: list[str] = field(default_factory=list)  # [numerator, denominator]: "revenue per buyer"
    ratio_kind: str = "per"  # "per" | "percent" ("margin %")
    percentile: float | None = None  # 0.5 = the median
    of_measure: str | None = None  # "entity.measure" the percentile is of ("order.order_value")
    count_of: str | None = None  # entity whose keys meeting the conditions are counted
    scope: str | None = None  # a metric whose filter the other metrics are computed within
    rank_within: list[str] = field(default_factory=list)  # "top customer in each region": per group
    # anti-join (listing): only the rows with none of this metric's rows ("customers with no
    # orders"), within its own window and filters (the event's, not the entity's)
    absent: str | None = None
    absent_range: DateRange | None = None
    absent_filters: list[ValueFilter] = field(default_factory=list)
    # what the summary must say about how the question was read: corrections and assumptions
    notes: list[str] = field(default_factory=list)
    # one-click alternatives to an assumption: option -> the question rewritten with it
    alternatives: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["time_range"] = _range_dict(self.time_range) if self.time_range else None
        data["compare"] = [_range_dict(r) for r in self.compare]
        data["absent_range"] = _range_dict(self.absent_range) if self.absent_range else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "SemanticQuery":
        tr = data.get("time_range")
        return cls(
            metrics=list(data["metrics"]), dimensions=list(data.get("dimensions") or []),
            filters=[ValueFilter(**f) for f in data.get("filters") or []],
            time_range=_range(tr) if tr else None,
            grain=data.get("grain"), order=data.get("order"), limit=data.get("limit"),
            conditions=[Condition(**c) for c in data.get("conditions") or []],
            compare=[_range(r) for r in data.get("compare") or []],
            entity=data.get("entity"), sort=data.get("sort"), count=bool(data.get("count")),
            share=bool(data.get("share")), highlight=list(data.get("highlight") or []),
            growth=bool(data.get("growth")), notes=list(data.get("notes") or []),
            growth_over=data.get("growth_over"),
            ratio=list(data.get("ratio") or []), ratio_kind=data.get("ratio_kind") or "per",
            percentile=data.get("percentile"), of_measure=data.get("of_measure"),
            count_of=data.get("count_of"), scope=data.get("scope"),
            rank_within=list(data.get("rank_within") or []),
            alternatives=dict(data.get("alternatives") or {}),
            absent=data.get("absent"),
            absent_range=_range(data["absent_range"]) if data.get("absent_range") else None,
            absent_filters=[ValueFilter(**f) for f in data.get("absent_filters") or []],
        )


def _range_dict(period: DateRange) -> dict[str, str]:
    return {"start": period.start.isoformat(), "end": period.end.isoformat(), "label": period.label}


def _range(data: dict[str, str]) -> DateRange:
    return DateRange(dt.date.fromisoformat(data["start"]), dt.date.fromisoformat(data["end"]),
                     data.get("label", ""))
