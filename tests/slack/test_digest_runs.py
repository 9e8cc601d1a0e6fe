"""Digest runs on the local stack, posting into a fake Slack: `athena-bot digests run-due --now`
at the due instant (as a process), the schedule's time zone in the as-of dates, missed runs,
conditions (not empty, thresholds that fire once and re-arm), an owner who lost access, failures."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.bootstrap import LocalApp, local_digests
from bot.digests import run as digests_cli
from bot.settings import Settings
from engine.digests.conditions import Condition
from engine.digests.model import Digest, Owner
from engine.digests.periods import specs_of
from engine.digests.schedule import Schedule, parse_instant
from tests.slack.fake_slack import FakeSlack
from tests.slack.test_slack import blocks_text

IDENTITY = "groups:\n  analysts: {tables: ['*']}\nusers:\n  ana@example.com: {groups: [analysts], aliases: [U1]}\n"


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    slack = FakeSlack({"U1": "ana@example.com"}).start()
    yield slack
    slack.stop()


@pytest.fixture
def env(fake: FakeSlack, lake: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    identity = tmp_path / "identity.yaml"
    identity.write_text(IDENTITY)
    values = {"ATHENA_BOT_HOME": str(tmp_path), "ATHENA_BOT_LAKE": str(lake), "ATHENA_BOT_IDENTITY_FILE": str(identity),
              "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_URL": fake.url}
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("ATHENA_BOT_AS_OF", raising=False)
    return values


def create(env: dict[str, str], app: LocalApp, question: str, schedule: Schedule, created: str,
           condition: Condition | None = None, target: dict | None = None) -> Digest:
    """A digest as the chat creates it, at the instant ``created``."""
    as_of = parse_instant(created).astimezone(schedule.tz()).date()
    prepared = app.engine.prepare(question, app.identity.resolve("slack", "U1"), as_of)
    digest = Digest(Digest.new_id(), Owner("slack", "U1", "ana@example.com", "U1"), question,
                    prepared.query.to_dict(), specs_of(prepared.query, as_of),
                    target or {"platform": "slack", "channel": "C1", "kind": "channel"}, schedule,
                    condition or Condition(), formats={})
    service = local_digests(Settings.from_env(env))
    service.clock = lambda: parse_instant(created).timestamp()
    return service.create(digest)


def run_due(env: dict[str, str], now: str) -> str:
    out = io.StringIO()
    assert digests_cli(Settings.from_env(env), "run-due", None, now, out) == 0
    return out.getvalue()


def stored(env: dict[str, str], digest: Digest) -> Digest:
    return local_digests(Settings.from_env(env)).store.get(digest.digest_id)


def channel_posts(fake: FakeSlack, channel: str = "C1") -> list:
    return [c for c in fake.of("chat.postMessage") if c.params.get("channel") == channel]


def test_run_due_posts_once_in_the_channel_with_the_schedules_dates(env: dict[str, str], app: LocalApp,
                                                                    fake: FakeSlack) -> None:
    # Monday 00:30 in Berlin is still Sunday in UTC: "last week" must be Berlin's
    digest = create(env, app, "revenue by customer region last week", Schedule("weekly", "Europe/Berlin", 0, 30, 0),
                    "2025-06-10T12:00:00Z")
    assert digest.next_run == "2025-06-15T22:30:00Z"
    command = [sys.executable, "-m", "bot.cli", "digests", "run-due", "--now", "2025-06-15T22:30:00Z"]
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, **env}, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "running digest" in done.stdout and "Mon 16 Jun 2025, 00:30 CEST" in done.stdout
    [post] = channel_posts(fake)
    assert post.params.get("thread_ts") is None  # a channel message, not a thread reply
    text, chart = fake.of("chat.update")  # the text as soon as the rows are back, then with its chart
    assert text.params["ts"] == chart.params["ts"] == post.result["ts"]
    assert text.params["text"].startswith("Revenue (completed orders) by customer region, 9 Jun 2025 - 15 Jun 2025")
    blocks = blocks_text(chart)
    assert "As of Mon 16 Jun 2025, 00:30 CEST" in blocks and "every Monday at 00:30 (Europe/Berlin)" in blocks
    assert '"digest_pause"' in blocks and '"Unsubscribe"' in blocks
    [upload] = fake.of("files.completeUploadExternal")  # no channel: shown in the post's image block
    files = upload.params["files"]
    file_id = (json.loads(files) if isinstance(files, str) else files)[0]["id"]
    assert "channel_id" not in upload.params and f'"slack_file": {{"id": "{file_id}"}}' in blocks
    after = stored(env, digest)
    assert after.last_outcome == "posted" and after.next_run == "2025-06-22T22:30:00Z"
    # the post's thread takes follow-ups: the query is its conversation's
    from adapters.local.sqlite_store import SQLiteConversationStore

    thread = SQLiteConversationStore(Settings.from_env(env).state_path).load(f"slack:C1:{post.result['ts']}")
    assert thread["query"]["time_range"]["start"] == "2025-06-09"

    assert "0 digest run(s) due" in run_due(env, "2025-06-15T22:30:00Z")  # the same instant again
    assert len(channel_posts(fake)) == 1 and len(fake.of("chat.update")) == 2  # nothing more: the text and its chart, once


def test_a_missed_run_runs_once_for_its_latest_slot(env: dict[str, str], app: LocalApp, fake: FakeSlack) -> None:
    digest = create(env, app, "orders yesterday", Schedule("daily", "UTC", 9), "2025-06-01T00:00:00Z")
    out = run_due(env, "2025-06-05T12:00:00Z")  # four days down: one run, for 5 June
    assert out.count("running digest") == 1 and "Thu 5 Jun 2025, 09:00 UTC" in out
    [update] = fake.of("chat.update")
    assert update.params["text"].startswith("Orders (all statuses), 4 Jun 2025")
    assert stored(env, digest).next_run == "2025-06-06T09:00:00Z"


def test_only_if_not_empty_skips_an_empty_result(env: dict[str, str], app: LocalApp, fake: FakeSlack) -> None:
    question = "orders over $2500 yesterday"
    principal = app.identity.resolve("slack", "U1")
    rows = {d: app.engine.ask(question, principal, dt.date(2025, 6, d), charts=False).table.row_count
            for d in range(2, 20)}
    empty = next(d for d, n in rows.items() if n == 0)
    full = next(d for d, n in rows.items() if n > 0 and d > empty)
    digest = create(env, app, question, Schedule("daily", "UTC", 9), f"2025-06-{empty - 1:02d}T10:00:00Z",
                    Condition("not_empty"))
    run_due(env, f"2025-06-{empty:02d}T09:00:00Z")
    assert stored(env, digest).last_outcome == "skipped: the result is empty" and channel_posts(fake) == []
    run_due(env, f"2025-06-{full:02d}T09:00:00Z")
    assert stored(env, digest).last_outcome == "posted" and len(channel_posts(fake)) == 1


def test_threshold_alert_fires_once_stays_quiet_and_re_arms(env: dict[str, str], app: LocalApp,
                                                            fake: FakeSlack) -> None:
    principal = app.identity.resolve("slack", "U1")
    counts = []
    for d in range(1, 41):
        day = dt.date(2025, 5, 1) + dt.timedelta(days=d)
        counts.append(app.engine.ask("orders yesterday", principal, day).table.rows[0][0])
    # four days in a row: over, over (still over: quiet), under (clears), over (fires again)
    start, limit = next((i, n) for i in range(len(counts) - 3) for n in sorted(set(counts))
                        if counts[i] > n and counts[i + 1] > n and counts[i + 2] <= n and counts[i + 3] > n)
    first = dt.date(2025, 5, 1) + dt.timedelta(days=start + 1)
    digest = create(env, app, "orders yesterday", Schedule("daily", "UTC", 9),
                    f"{first - dt.timedelta(days=1)}T10:00:00Z", Condition("threshold", "above", float(limit)))
    posted = []
    for offset in range(4):
        run_due(env, f"{first + dt.timedelta(days=offset)}T09:00:00Z")
        posted.append(len(channel_posts(fake)))
    assert posted == [1, 1, 1, 2]  # fired, quiet while over, re-armed when it cleared, fired again
    fired = fake.of("chat.update")
    assert fired[0].params["text"].startswith(f"Alert: orders is above {limit}: {counts[start]}")
    assert stored(env, digest).memory["firing"] == [""]


def test_an_owner_removed_from_the_identity_file_pauses_the_digest_and_is_told(
        env: dict[str, str], app: LocalApp, fake: FakeSlack) -> None:
    digest = create(env, app, "orders yesterday", Schedule("daily", "UTC", 9), "2025-06-01T00:00:00Z")
    Path(env["ATHENA_BOT_IDENTITY_FILE"]).write_text("groups:\n  analysts: {tables: ['*']}\nusers: {}\n")
    run_due(env, "2025-06-02T09:00:00Z")
    assert channel_posts(fake) == []  # nothing ran as someone without access
    paused = stored(env, digest)
    assert paused.state == "paused" and "no longer known" in paused.reason and paused.next_run is None
    [opened] = fake.of("conversations.open")
    assert opened.params["users"] == "U1"
    [notice] = fake.of("chat.update")
    assert notice.params["channel"] == "DU1" and "I paused the digest \"orders yesterday\"" in notice.params["text"]
    assert '"digest_resume"' in blocks_text(notice)
    assert "0 digest run(s) due" in run_due(env, "2025-06-03T09:00:00Z")  # paused: nothing more


def test_an_owner_who_left_slack_is_replaced_by_a_notice_in_the_channel(env: dict[str, str], app: LocalApp,
                                                                       fake: FakeSlack) -> None:
    digest = create(env, app, "orders yesterday", Schedule("daily", "UTC", 9), "2025-06-01T00:00:00Z")
    Path(env["ATHENA_BOT_IDENTITY_FILE"]).write_text("groups:\n  analysts: {tables: ['*']}\nusers: {}\n")
    fake.gone.add("U1")
    run_due(env, "2025-06-02T09:00:00Z")
    [notice] = fake.of("chat.update")
    assert notice.params["channel"] == "C1" and "I paused the digest" in notice.params["text"]
    assert stored(env, digest).state == "paused"


def test_three_failed_runs_mark_it_failing_and_tell_the_owner(env: dict[str, str], app: LocalApp,
                                                              fake: FakeSlack) -> None:
    digest = create(env, app, "orders yesterday", Schedule("daily", "UTC", 9), "2025-06-01T00:00:00Z")
    service = local_digests(Settings.from_env(env))
    service.store.update(digest.digest_id, {"query": {**digest.query, "metrics": ["retired_metric"]}})
    for day in (2, 3):
        run_due(env, f"2025-06-0{day}T09:00:00Z")
        assert stored(env, digest).state == "active" and fake.of("chat.update") == []
    run_due(env, "2025-06-04T09:00:00Z")
    failing = stored(env, digest)
    assert failing.state == "failing" and failing.failures == 3 and failing.next_run == "2025-06-05T09:00:00Z"
    [dm] = fake.of("chat.update")
    assert dm.params["channel"] == "DU1" and "failed 3 times in a row" in dm.params["text"]
    assert '"digest_resume"' in blocks_text(dm)
    assert channel_posts(fake) == []
    service.resume(digest.digest_id, None)
    assert stored(env, digest).state == "active" and stored(env, digest).failures == 0


def test_a_post_slack_refuses_for_good_is_a_failed_run(env: dict[str, str], app: LocalApp, fake: FakeSlack) -> None:
    digest = create(env, app, "orders yesterday", Schedule("daily", "UTC", 9), "2025-06-01T00:00:00Z")
    fake.errors["chat.postMessage"] = "is_archived"
    run_due(env, "2025-06-02T09:00:00Z")
    after = stored(env, digest)
    assert after.failures == 1 and after.last_outcome == "failed: the post could not be delivered (Slack: is_archived)"
