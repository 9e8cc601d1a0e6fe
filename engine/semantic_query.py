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
class SemanticQuery:
    metrics: list[str]
    dimensions: list[str] = field(default_factory=list)
    filters: list[ValueFilter] = field(default_factory=list)
    time_range: DateRange | None = None
    grain: str | None = None
    order: Literal["asc", "desc"] | None = None
    limit: int | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if self.time_range:
            data["time_range"] = {"start": self.time_range.start.isoformat(),
                                  "end": self.time_range.end.isoformat(),
                                  "label": self.time_range.label}
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "SemanticQuery":
        tr = data.get("time_range")
        return cls(
            metrics=list(data["metrics"]), dimensions=list(data.get("dimensions") or []),
            filters=[ValueFilter(**f) for f in data.get("filters") or []],
            time_range=DateRange(dt.date.fromisoformat(tr["start"]), dt.date.fromisoformat(tr["end"]),
                                 tr.get("label", "")) if tr else None,
            grain=data.get("grain"), order=data.get("order"), limit=data.get("limit"),
        )
