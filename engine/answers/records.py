"""What an answer's buttons act on later: a record of each answer, kept beside the thread state.

The worker writes the record before it posts the answer (so a click right after finds it), keyed
by the job id every surface carries: the question, the semantic query and SQL, the result's
columns and the chart the bot chose, the date it was read for and who asked.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from engine.domain import Answer
from engine.ports import ConversationStore


def record_key(answer_id: str) -> str:
    return f"answer-record:{answer_id}"


@dataclass
class AnswerRecord:
    answer_id: str
    question: str
    sql: str
    query: dict[str, Any] | None = None
    columns: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    chart_kind: str | None = None
    as_of: str | None = None
    asker: str = ""  # email
    conversation_id: str | None = None
    verified_id: str | None = None  # the verified question it was answered from

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "AnswerRecord":
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


class AnswerLog:
    """Answer records in the ConversationStore (they expire with it: 7 days by default)."""

    def __init__(self, store: ConversationStore) -> None:
        self.store = store

    def save(self, answer: Answer, *, as_of: dt.date | str | None, asker: str,
             conversation_id: str | None, verified_id: str | None = None) -> None:
        if answer.status != "answered" or not answer.answer_id or not answer.sql:
            return
        table = answer.table
        record = AnswerRecord(answer.answer_id, answer.question, answer.sql, answer.query,
                              list(table.columns) if table else [], list(table.types) if table else [],
                              answer.chart_kind, as_of.isoformat() if isinstance(as_of, dt.date) else as_of,
                              asker, conversation_id, verified_id)
        self.store.save(record_key(answer.answer_id), record.to_dict())

    def load(self, answer_id: str) -> AnswerRecord | None:
        data = self.store.load(record_key(answer_id))
        return AnswerRecord.from_dict(data) if data else None
