"""The digest record, and the ports digests need: a store and a schedule publisher."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from engine.digests.conditions import Condition
from engine.digests.schedule import Schedule, iso_utc, parse_instant
from engine.domain import ReplyTarget

STATES = ("active", "paused", "failing")
FAILING_AFTER = 3  # failed runs in a row before a digest is marked failing and its owner told


@dataclass
class Owner:
    """Whose digest it is: re-resolved through the IdentityResolver at every run."""

    platform: str
    user: str  # the chat user id (Slack U..., Teams AAD object id)
    email: str
    dm: str = ""  # where to tell them: a Slack user id, or the Teams conversation they created it in


@dataclass
class Digest:
    """A saved question posted on a schedule; ``query`` is frozen, ``periods`` say how its dates move."""

    digest_id: str
    owner: Owner
    question: str
    query: dict[str, Any]
    periods: dict[str, Any]
    target: dict[str, Any]  # {"platform", "channel", "kind": "channel" | "dm", "name", "extra"}
    schedule: Schedule
    condition: Condition = field(default_factory=Condition)
    summary: str = ""  # the first run's summary: what the subscription means
    state: str = "active"
    reason: str = ""  # why it is paused or failing
    created_at: str = ""
    next_run: str | None = None  # ISO UTC; None while paused
    last_run: str | None = None
    last_outcome: str = ""  # posted | skipped: ... | failed: ...
    failures: int = 0  # failed runs in a row
    memory: dict[str, Any] = field(default_factory=dict)  # what the condition remembers between runs
    formats: dict[str, str] = field(default_factory=dict)  # column formats, for describing thresholds

    @staticmethod
    def new_id(seed: str | None = None) -> str:
        return (uuid.uuid5(uuid.NAMESPACE_URL, f"digest:{seed}") if seed else uuid.uuid4()).hex[:12]

    def reply_target(self, extra: dict[str, str] | None = None) -> ReplyTarget:
        """Where runs post: the channel itself (never a thread), or the owner's direct messages."""
        base = {k: str(v) for k, v in (self.target.get("extra") or {}).items()}
        return ReplyTarget(str(self.target["platform"]), str(self.target["channel"]), None,
                           {**base, "digest": self.digest_id, **({"dm": self.owner.user}
                                                                   if self.target.get("kind") == "dm" else {}),
                            **(extra or {})})

    def where(self) -> str:
        if self.target.get("kind") == "dm":
            return "a direct message to you"
        if self.target.get("kind") == "feed":
            return "your digest posts in the web chat"
        name = self.target.get("name")
        return f"#{name}" if name else "this channel"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["schedule"] = self.schedule.to_dict()
        data["condition"] = self.condition.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Digest":
        fields = dict(data)
        fields["owner"] = Owner(**fields["owner"])
        fields["schedule"] = Schedule.from_dict(fields["schedule"])
        fields["condition"] = Condition.from_dict(fields.get("condition"))
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in fields.items() if k in known})

    def next_run_after(self, instant: dt.datetime) -> str:
        return iso_utc(self.schedule.next_after(instant))

    def next_run_at(self) -> dt.datetime | None:
        return parse_instant(self.next_run) if self.next_run else None


def now_utc(clock: Any = time.time) -> dt.datetime:
    return dt.datetime.fromtimestamp(clock(), dt.timezone.utc)


class DigestStore(Protocol):
    """Digests by id, and the due ones by next run (SQLite locally, DynamoDB on AWS)."""

    def put(self, digest: Digest) -> None: ...

    def get(self, digest_id: str) -> Digest | None: ...

    def delete(self, digest_id: str) -> None: ...

    def update(self, digest_id: str, changes: dict[str, Any]) -> Digest | None:
        """Set top-level fields of a stored digest (atomically per call); None if it is gone."""
        ...

    def list(self, owner_email: str | None = None) -> list[Digest]: ...

    def due(self, now: dt.datetime, limit: int = 500) -> list[Digest]:
        """Active and failing digests whose next run is at or before ``now``."""
        ...

    def advance(self, digest_id: str, expected_next: str, new_next: str) -> bool:
        """Move ``next_run`` from ``expected_next`` to ``new_next``; False if another scheduler did."""
        ...


class SchedulePublisher(Protocol):
    """Keeps an outside scheduler in step with the store (EventBridge Scheduler on AWS)."""

    def upsert(self, digest: Digest) -> None: ...

    def delete(self, digest_id: str) -> None: ...


class NoPublisher:
    """The embedded default: the local scheduler loop reads the store itself."""

    def upsert(self, digest: Digest) -> None:
        return None

    def delete(self, digest_id: str) -> None:
        return None
