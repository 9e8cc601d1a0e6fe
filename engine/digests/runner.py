"""Running digests inside the worker: a DigestJob becomes an ask of the frozen query, run as the
owner; its answer is posted to the channel when the condition says so.

The worker calls three hooks (engine/worker_hooks.py, engine/worker.py): ``ask_job`` turns the
scheduler's DigestJob into an AskJob (the job id stays uuid5(digest, scheduled time), so the
worker's per-job idempotency covers a schedule firing twice); ``prepare`` re-resolves the owner,
moves the frozen query's periods to the run's date in the schedule's time zone, then compiles and
guards it as the owner; ``deliver`` decides and posts. The same hooks create a digest from a chat
answer (``schedule`` on the AskJob): the answer is the preview, posted under the confirmation.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Callable
from typing import Any

from engine.digests.conditions import Condition, ConditionError, after_post, evaluate, measure_column
from engine.digests.delivery import OwnerUnreachable, Undeliverable
from engine.digests.model import FAILING_AFTER, Digest, Owner
from engine.digests.periods import rebase, specs_of
from engine.digests.schedule import Schedule, ScheduleError, local_text, parse_instant
from engine.digests.service import DigestService, NotAllowed
from engine.domain import Answer, Principal, ReplyTarget
from engine.errors import BotError, Refused
from engine.jobs import AskJob, DigestJob
from engine.ports import IdentityResolver, ReplyPoster
from engine.semantic_query import SemanticQuery
from engine.service import Prepared, QueryEngine

log = logging.getLogger(__name__)

Post = Callable[[ReplyTarget, Answer], None]


class DigestSkipped(Exception):
    """This run posts nothing: the digest is gone or paused, or its owner lost access (and was told)."""


class DigestRunner:
    def __init__(self, service: DigestService, engine: QueryEngine, identity: IdentityResolver,
                 poster: ReplyPoster, default_as_of: dt.date | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.service = service
        self.store = service.store
        self.engine = engine
        self.identity = identity
        self.poster = poster
        self.default_as_of = default_as_of
        self.clock = clock

    # -- the scheduler's job -------------------------------------------------------------------
    def ask_job(self, item: DigestJob) -> AskJob | None:
        """The run as an AskJob of the digest's question, dated in the schedule's time zone; None
        when the digest is gone or paused (nothing to do)."""
        digest = self.store.get(item.digest_id)
        if digest is None or digest.state == "paused":
            log.info("digest %s is %s; its run for %s posts nothing", item.digest_id,
                     "gone" if digest is None else "paused", item.scheduled_for)
            return None
        scheduled = parse_instant(item.scheduled_for)
        as_of = scheduled.astimezone(digest.schedule.tz()).date()
        owner = Principal(f"{digest.owner.platform}:{digest.owner.user}", digest.owner.email)
        return AskJob(question=digest.question, principal=owner, reply_to=digest.reply_target({"buttons": "post"}),
                      as_of=as_of.isoformat(), job_id=item.job_id, submitted_at=scheduled.timestamp(),
                      digest={"id": digest.digest_id, "scheduled_for": item.scheduled_for})

    # -- preparing -----------------------------------------------------------------------------
    def prepare(self, job: AskJob, as_of: dt.date | None) -> Prepared | None:
        """The Prepared query for a digest run or a digest's creation; None for a plain question."""
        if job.digest:
            return self._prepare_run(job)
        saved = (job.schedule or {}).get("query")
        if saved:  # created from an answer's Schedule button: that answer's query, moved to today
            read_on = dt.date.fromisoformat(job.schedule["as_of"]) if job.schedule.get("as_of") else self._as_of(job)
            query = SemanticQuery.from_dict(saved)
            moved = rebase(query, specs_of(query, read_on), as_of or self._as_of(job))
            return self.engine.prepare_query(moved, job.question, job.principal)
        return None

    def _prepare_run(self, job: AskJob) -> Prepared:
        assert job.digest is not None
        digest = self.store.get(job.digest["id"])
        if digest is None or digest.state == "paused":
            raise DigestSkipped(job.digest["id"])
        try:
            principal = self.identity.resolve(digest.owner.platform, digest.owner.user, digest.owner.email)
        except Refused as err:
            self._lost_access(digest, f"{digest.owner.email} is no longer known to the bot's identities ({err})")
            raise DigestSkipped(digest.digest_id) from err
        job.principal = principal  # the run is the owner's, as they are now
        query = rebase(SemanticQuery.from_dict(digest.query), digest.periods, self._as_of(job))
        model = self.engine.model
        gone = [m for m in query.metrics if m not in model.metrics] + \
            [d for d in query.dimensions if d not in model.dimensions]
        if gone:  # the frozen query names what the data team's model no longer has
            raise BotError(f"The semantic model no longer defines {', '.join(gone)}, which this digest "
                           "uses. Ask the question again and schedule the new answer.")
        try:
            return self.engine.prepare_query(query, digest.question, principal)
        except Refused as err:  # the guard: the owner may no longer read a table it needs
            self._lost_access(digest, f"{digest.owner.email} may no longer read its data ({err})")
            raise DigestSkipped(digest.digest_id) from err

    def _as_of(self, job: AskJob) -> dt.date:
        if job.as_of:
            return dt.date.fromisoformat(job.as_of)
        return self.default_as_of or dt.date.today()

    # -- delivering ----------------------------------------------------------------------------
    def deliver(self, job: AskJob, answer: Answer, post: Post) -> None:
        if job.digest:
            self._deliver_run(job, answer, post)
        else:
            self._deliver_new(job, answer, post)

    def _deliver_run(self, job: AskJob, answer: Answer, post: Post) -> None:
        assert job.digest is not None
        digest = self.store.get(job.digest["id"])
        if digest is None:
            return
        ran = job.digest["scheduled_for"]
        if answer.status != "answered" or answer.table is None:
            self._failed(digest, ran, answer.message)
            return
        try:
            verdict = evaluate(digest.condition, answer.table, digest.memory,
                               list(digest.query.get("metrics") or []), digest.formats)
        except ConditionError as err:
            self._failed(digest, ran, str(err))
            return
        if verdict.post:
            at = local_text(parse_instant(ran), digest.schedule.timezone)
            if verdict.reason:
                answer.message = f"{verdict.reason}\n{answer.message}"
            answer.footer = " · ".join(x for x in (f"As of {at}", f"Digest: {digest.schedule.describe()}",
                                                    answer.footer) if x)
            answer.answer_id = job.job_id
            extra = {"buttons": "post"}
            if answer.saved:
                extra["query"] = json.dumps(answer.saved["query"])  # the post's thread takes follow-ups
            try:
                post(digest.reply_target(extra), answer)
            except Undeliverable as err:  # no retry can fix it: a failed run, counted like any other
                self._failed(digest, ran, f"the post could not be delivered ({err})")
                return
            memory, outcome = after_post(verdict), "posted"
        else:
            memory, outcome = verdict.memory, f"skipped: {verdict.reason}"
            log.info("digest %s run %s: %s", digest.digest_id, ran, outcome)
        changes: dict[str, Any] = {"last_run": ran, "last_outcome": outcome, "failures": 0, "memory": memory}
        if digest.state == "failing":
            changes.update(state="active", reason="")
        self.store.update(digest.digest_id, changes)

    def _failed(self, digest: Digest, ran: str, error: str) -> None:
        failures = digest.failures + 1
        changes: dict[str, Any] = {"last_run": ran, "last_outcome": f"failed: {error}", "failures": failures}
        log.warning("digest %s run %s failed (%d in a row): %s", digest.digest_id, ran, failures, error)
        if failures >= FAILING_AFTER and digest.state != "failing":
            changes.update(state="failing", reason=error)
            self.store.update(digest.digest_id, changes)
            at = digest.next_run_at()
            self._tell_owner(digest, Answer(
                status="error", question=digest.question, answer_id=f"failing-{digest.digest_id}-{ran}",
                message=(f"Your digest \"{digest.question}\" ({digest.schedule.describe()}, posting in "
                         f"{digest.where()}) failed {failures} times in a row. The last error: {error}\n"
                         "It keeps its schedule" + (f" and tries again {local_text(at, digest.schedule.timezone)}"
                                                    if at else "") +
                         "; press Resume once it is fixed, or pause or delete it.")), buttons="resume")
            return
        self.store.update(digest.digest_id, changes)

    def _lost_access(self, digest: Digest, why: str) -> None:
        """Pause the digest and tell the owner, or the channel when the owner cannot be reached."""
        self.service.pause(digest.digest_id, None, reason=f"its owner lost access: {why}")
        notice = Answer(status="refused", question=digest.question, answer_id=f"paused-{digest.digest_id}",
                        message=(f"I paused the digest \"{digest.question}\" ({digest.schedule.describe()}): "
                                 f"it runs with its owner's data access, and {why}. Nothing was posted. Once the "
                                 "access is back, its owner can resume it (\"my digests\")."))
        self._tell_owner(digest, notice, buttons="resume")

    def _tell_owner(self, digest: Digest, answer: Answer, buttons: str) -> None:
        owner = ReplyTarget(digest.owner.platform, digest.owner.dm or digest.owner.user, None,
                            {"dm": digest.owner.user, "digest": digest.digest_id, "buttons": buttons})
        try:
            self.poster.post(owner, answer)
            return
        except OwnerUnreachable as err:
            log.warning("digest %s: its owner cannot be reached (%s); telling the channel", digest.digest_id, err)
        if digest.target.get("kind") != "dm":
            self.poster.post(digest.reply_target({"buttons": "none"}), answer)

    # -- creating ------------------------------------------------------------------------------
    def _deliver_new(self, job: AskJob, answer: Answer, post: Post) -> None:
        spec = job.schedule or {}
        if answer.status != "answered" or answer.table is None or not answer.saved:
            answer.message = ("I haven't scheduled this yet: I need the question answered first. "
                              + answer.message)
            post(job.reply_to, answer)
            return
        try:
            digest = self._digest(job, answer, spec)
        except (BotError, ConditionError, ScheduleError) as err:
            answer.message = f"I couldn't schedule this: {err}\n\n{answer.message}"
            post(job.reply_to, answer)
            return
        digest = self.service.create(digest)
        at = digest.next_run_at()
        condition = "" if digest.condition.kind == "always" else f", {digest.condition.describe(digest.formats)}"
        answer.message = (f"Scheduled \"{digest.question}\": {digest.schedule.describe()}, posting in "
                          f"{digest.where()}{condition}. Next run: "
                          f"{local_text(at, digest.schedule.timezone) if at else 'none (paused)'}. "
                          "It runs with your data access: whoever sees the post sees what you may see. "
                          f"Preview:\n{answer.message}")
        answer.answer_id = job.job_id
        post(ReplyTarget(job.reply_to.platform, job.reply_to.channel, job.reply_to.thread,
                         {**job.reply_to.extra, "digest": digest.digest_id, "buttons": "confirm"}), answer)

    def _digest(self, job: AskJob, answer: Answer, spec: dict[str, Any]) -> Digest:
        assert answer.table is not None and answer.saved is not None
        query = SemanticQuery.from_dict(answer.saved["query"])
        condition = Condition.from_dict(spec.get("condition"))
        if condition.kind == "threshold":
            column = measure_column(answer.table, condition.measure, query.metrics)
            value = condition.value
            if spec.get("value_in_percent") and answer.column_formats.get(column) == "percent" and value is not None:
                value = value / 100  # "above 10 %" of a rate stored as a fraction
            condition = Condition("threshold", condition.op, value, condition.percent, column)
        owner = dict(spec.get("owner") or {})
        if not owner.get("user"):
            raise NotAllowed("I couldn't tell who owns this digest.")
        return Digest(
            digest_id=Digest.new_id(job.job_id), owner=Owner(str(owner.get("platform") or job.reply_to.platform),
                                                             str(owner["user"]), str(owner.get("email") or job.principal.email),
                                                             str(owner.get("dm") or owner["user"])),
            question=str(spec.get("question") or job.question), query=answer.saved["query"],
            periods=specs_of(query, self._as_of(job)), target=dict(spec.get("target") or {}),
            schedule=Schedule.from_dict(spec["schedule"]), condition=condition, summary=answer.message,
            formats=dict(answer.column_formats), created_at="")
