"""Feedback on answers and the stewards' review queue.

A 👍 or 👎 is stored with the question and SQL it was about; a 👎 may say why ("wrong number",
"wrong breakdown", "did not understand"). Thumbs down with a reason and verified questions that
stopped passing the guard are what stewards review (a channel post, the Slack App Home,
`athena-bot feedback list`).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Protocol

# the reasons a 👎 can give: id -> what the person clicks
REASONS = {"wrong_number": "Wrong number", "wrong_breakdown": "Wrong breakdown",
           "not_understood": "Did not understand"}
Kind = Literal["vote", "flagged"]


@dataclass
class Feedback:
    """One person's vote on one answer (a later vote replaces it), or a flagged verified question."""

    answer_id: str  # the job id of the answer; for a flag, the verified question's id
    vote: str  # "up" | "down"
    user: str  # who: email, else the platform's user id
    question: str = ""
    sql: str | None = None
    reason: str | None = None  # a REASONS key
    platform: str = ""
    kind: Kind = "vote"
    note: str = ""  # for a flag: why the verified question is not used any more
    at: float = field(default_factory=time.time)

    @property
    def id(self) -> str:
        return uuid.uuid5(uuid.NAMESPACE_URL, f"feedback:{self.kind}:{self.answer_id}:{self.user}").hex

    @property
    def for_review(self) -> bool:
        return self.kind == "flagged" or self.vote == "down"

    @property
    def reason_text(self) -> str:
        return REASONS.get(self.reason or "", self.reason or "")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Feedback":
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)


class FeedbackStore(Protocol):
    """Votes and flags, listed newest first (SQLite locally, DynamoDB on AWS)."""

    def add(self, item: Feedback) -> None: ...

    def list(self, review_only: bool = False, limit: int = 100) -> list[Feedback]: ...


def review_line(item: Feedback) -> str:
    """One line of the review queue, plain text (each surface escapes it)."""
    when = time.strftime("%Y-%m-%d %H:%M", time.gmtime(item.at))
    if item.kind == "flagged":
        return f"{when}  flagged  \"{item.question}\": {item.note}"
    reason = f" ({item.reason_text})" if item.reason else ""
    return f"{when}  {'👍' if item.vote == 'up' else '👎'}{reason}  \"{item.question}\"  by {item.user}"
