"""Managing digests: create, list, pause, resume, reschedule, delete; only the owner or an admin
group changes one. Every change goes to the store and to the schedule publisher together."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable

from engine.digests.model import Digest, DigestStore, NoPublisher, SchedulePublisher, now_utc
from engine.digests.schedule import Schedule, iso_utc, local_text
from engine.domain import Principal
from engine.errors import BotError, Refused


class DigestNotFound(BotError):
    """No digest has that id (any more)."""


class NotAllowed(Refused):
    """Someone other than the owner or an admin tried to change a digest."""


class DigestService:
    def __init__(self, store: DigestStore, publisher: SchedulePublisher | None = None,
                 admin_groups: Iterable[str] = (), clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.publisher = publisher or NoPublisher()
        self.admin_groups = frozenset(g.strip().lower() for g in admin_groups if g.strip())
        self.clock = clock

    def now(self) -> dt.datetime:
        return now_utc(self.clock)

    # -- who may -------------------------------------------------------------------------------
    def is_admin(self, actor: Principal) -> bool:
        return bool(self.admin_groups & {g.lower() for g in actor.groups})

    def owns(self, digest: Digest, actor: Principal) -> bool:
        return actor.user_id == f"{digest.owner.platform}:{digest.owner.user}" or \
            bool(actor.email) and actor.email.lower() == digest.owner.email.lower()

    def may_change(self, digest: Digest, actor: Principal) -> bool:
        return self.owns(digest, actor) or self.is_admin(actor)

    def _changeable(self, digest_id: str, actor: Principal | None) -> Digest:
        digest = self.store.get(digest_id)
        if digest is None:
            raise DigestNotFound(f"There is no digest {digest_id} any more.")
        if actor is not None and not self.may_change(digest, actor):
            raise NotAllowed(f"Only the digest's owner ({digest.owner.email}) or an admin can change it.")
        return digest

    # -- changes -------------------------------------------------------------------------------
    def create(self, digest: Digest) -> Digest:
        """Store a new digest (the same id again replaces it: creating is idempotent) and publish it."""
        now = self.now()
        digest.created_at = digest.created_at or iso_utc(now)
        digest.next_run = digest.next_run_after(now) if digest.state != "paused" else None
        self.store.put(digest)
        self.publisher.upsert(digest)
        return digest

    def pause(self, digest_id: str, actor: Principal | None, reason: str = "paused by its owner") -> Digest:
        self._changeable(digest_id, actor)
        return self._set(digest_id, {"state": "paused", "reason": reason, "next_run": None})

    def resume(self, digest_id: str, actor: Principal | None) -> Digest:
        digest = self._changeable(digest_id, actor)
        return self._set(digest_id, {"state": "active", "reason": "", "failures": 0,
                                     "next_run": digest.next_run_after(self.now())})

    def reschedule(self, digest_id: str, schedule: Schedule, actor: Principal | None) -> Digest:
        digest = self._changeable(digest_id, actor)
        digest.schedule = schedule
        changes = {"schedule": schedule.to_dict()}
        if digest.state != "paused":
            changes["next_run"] = digest.next_run_after(self.now())
        return self._set(digest_id, changes)

    def delete(self, digest_id: str, actor: Principal | None) -> Digest:
        digest = self._changeable(digest_id, actor)
        self.store.delete(digest_id)
        self.publisher.delete(digest_id)
        return digest

    def _set(self, digest_id: str, changes: dict[str, object]) -> Digest:
        digest = self.store.update(digest_id, changes)
        if digest is None:
            raise DigestNotFound(f"There is no digest {digest_id} any more.")
        self.publisher.upsert(digest)
        return digest

    # -- reading -------------------------------------------------------------------------------
    def list_for(self, actor: Principal, everyone: bool = False) -> list[Digest]:
        """The actor's digests; with ``everyone``, an admin sees all of them."""
        if everyone and self.is_admin(actor):
            return sorted(self.store.list(), key=lambda d: d.created_at)
        return sorted((d for d in self.store.list(actor.email) if self.owns(d, actor)),
                      key=lambda d: d.created_at)


def status_line(digest: Digest) -> str:
    """E.g. "every Monday at 09:00 (Europe/Berlin) · next Mon 23 Jun 2025, 09:00 CEST · last posted"."""
    parts = [digest.schedule.describe()]
    if digest.state == "paused":
        parts.append(f"paused ({digest.reason})" if digest.reason else "paused")
    else:
        at = digest.next_run_at()
        if at is not None:
            parts.append(f"next {local_text(at, digest.schedule.timezone)}")
        if digest.state == "failing":
            parts.append(f"FAILING: {digest.reason}")
    if digest.last_run:
        parts.append(f"last {local_text(dt.datetime.fromisoformat(digest.last_run.replace('Z', '+00:00')), digest.schedule.timezone)}"
                     f" ({digest.last_outcome or 'ran'})")
    else:
        parts.append("not run yet")
    if digest.condition.kind != "always":
        parts.append(digest.condition.describe(digest.formats))
    return " · ".join(parts)
