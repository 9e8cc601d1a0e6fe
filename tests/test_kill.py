"""kill -9 of the local worker as a real process (`athena-bot worker` over the SQLite queue and state,
answering into a fake Slack on 127.0.0.1): whatever the point of the kill, every job is answered
exactly once or its user is told that it failed; nothing is silent, nothing doubled.

Kills are deterministic: ATHENA_BOT_TEST_PAUSE_AT makes the worker stop at a named point and say
so, and the test kills it there. Visibility is 2 s, so leases and redeliveries are quick.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from adapters.local.sqlite_queue import SQLiteQueue
from engine.domain import LOCAL_ANALYST
from tests.kill_rig import (FAILED, SeededJob, WorkerProcess, assert_all_answered_once, kill_then_finish, seed_jobs,
                            tally)
from tests.slack.fake_slack import FakeSlack

VISIBILITY = 2
QUESTIONS = ["revenue by category in 2024", "orders by channel in 2024", "units sold by brand in 2025",
             "revenue by customer region in 2025", "orders by payment method in 2024",
             "revenue by category in 2025", "units sold by category in 2024", "orders by customer region in 2025"]


@pytest.fixture()
def fake() -> FakeSlack:
    fake = FakeSlack().start()
    yield fake
    fake.stop()


def worker_env(lake: Path, home: Path, fake: FakeSlack, max_receives: int) -> dict[str, str]:
    env = {**os.environ, "ATHENA_BOT_HOME": str(home), "ATHENA_BOT_LAKE": str(lake),
           "ATHENA_BOT_STATE": str(home / "state.sqlite"), "ATHENA_BOT_AS_OF": "2025-06-15",
           "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_URL": fake.url,
           "ATHENA_BOT_VISIBILITY_TIMEOUT": str(VISIBILITY), "ATHENA_BOT_MAX_RECEIVES": str(max_receives)}
    env.pop("ATHENA_BOT_BACKEND", None)
    return env


def worker(env: dict[str, str]) -> WorkerProcess:
    return WorkerProcess(env, [sys.executable, "-m", "bot.cli", "worker", "--idle-exit", "3"])


def unreadable_job(fake: FakeSlack, queue: SQLiteQueue) -> SeededJob:
    """A job from a newer bot version: undecodable, but its reply target can still be read."""
    [seeded] = seed_jobs(fake, lambda body: None, ["orders in 2024"], LOCAL_ANALYST)
    body = json.loads(seeded.body)
    body["version"] = 99
    queue.send(json.dumps(body))
    return seeded


def test_kills_mid_run_and_a_restart_after_the_lease_lose_and_double_nothing(lake: Path, tmp_path: Path,
                                                                             fake: FakeSlack) -> None:
    # four kills may all land on one job (which job reaches a point first is timing): five receives
    # let even that one be answered; the last receive's notice has its own test below
    queue = SQLiteQueue(tmp_path / "state.sqlite", visibility_timeout=VISIBILITY, max_receives=5)
    jobs = seed_jobs(fake, queue.send, QUESTIONS[:4], LOCAL_ANALYST)
    odd = unreadable_job(fake, queue)
    jobs += seed_jobs(fake, queue.send, QUESTIONS[4:], LOCAL_ANALYST)
    process = worker(worker_env(lake, tmp_path, fake, max_receives=5))
    # a step's lease taken, nothing done; an answer posted but its step not recorded; the step
    # recorded but its message not deleted: killed there, restarted at once; then killed between
    # posting and recording, restarted only once the lease has run out
    killed = kill_then_finish(process, ("leased@2", "posted@2", "recorded@1"), "posted@1", VISIBILITY)

    assert_all_answered_once(fake, jobs, [killed[point] for point in ("posted@2", "posted@1")])
    [notice] = fake.thread_messages(odd.channel, odd.thread)
    assert "couldn't read this request" in notice.text and notice.updates == 1
    assert queue.counts() == {"jobs": 0, "jobs-dlq": 1}  # only the unreadable one, its sender told
    assert '"version":99' in queue.dead_letters()[0].replace(" ", "")


def test_a_job_killed_on_its_last_attempt_is_told_before_the_dead_letter_queue(lake: Path, tmp_path: Path,
                                                                               fake: FakeSlack) -> None:
    # two receives allowed: one attempt, then the receive kept for telling the user
    queue = SQLiteQueue(tmp_path / "state.sqlite", visibility_timeout=VISIBILITY, max_receives=2)
    [job] = seed_jobs(fake, queue.send, ["revenue by category in 2024"], LOCAL_ANALYST)
    process = worker(worker_env(lake, tmp_path, fake, max_receives=2))
    try:
        assert process.start("leased@1").wait_paused().split()[-1] == job.job.job_id
        process.kill()
        assert process.start().wait(timeout=120) == 0, "\n".join(process.lines[-40:])
    finally:
        process.ensure_dead()
    result = tally(fake, [job])
    assert result.failed == [job.job.job_id] and result.doubled == [], result.summary()
    [notice] = fake.thread_messages(job.channel, job.thread)
    assert FAILED in notice.text and job.job.job_id in notice.text
    assert queue.counts() == {"jobs": 0, "jobs-dlq": 1}
