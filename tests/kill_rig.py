"""Crash tests of the worker as a real process: start it, pause it at a named point, kill -9 it there.

``WorkerProcess`` runs ``athena-bot worker`` (or any command) with ``ATHENA_BOT_TEST_PAUSE_AT``, reads
its stderr, and waits for the line the worker writes when it pauses. ``seed_jobs`` puts Slack jobs
on a queue, each in its own thread with a placeholder posted to a fake Slack, as the Slack
receiver would. ``tally`` then reads what each thread finally shows: answered once, told that it
failed, silent (the placeholder never replaced) or doubled (a second answer or chart in the thread);
``kill_then_finish`` kills a worker at a series of points, and ``assert_all_answered_once``
asserts what such a run must leave.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from slack_sdk import WebClient

from engine.domain import Principal, ReplyTarget
from engine.jobs import AskJob, encode_job
from tests.slack.fake_slack import FakeSlack

REPO = Path(__file__).resolve().parents[1]
PAUSED = "PAUSED at "  # what the worker writes to stderr when it stops at a test pause point
FAILED = "Sorry, I couldn't"  # how a failure notice starts
PLACEHOLDER = "Looking into it"


class WorkerProcess:
    """One worker process; ``pause_at`` (``point`` or ``point@n``) makes it stop there to be killed."""

    def __init__(self, env: dict[str, str], command: Sequence[str] | None = None) -> None:
        self.env = env
        self.command = list(command or [sys.executable, "-m", "bot.cli", "worker"])
        self.process: subprocess.Popen[str] | None = None
        self.lines: list[str] = []
        self._reader: threading.Thread | None = None

    def start(self, pause_at: str | None = None) -> "WorkerProcess":
        env = {**self.env}
        env.pop("ATHENA_BOT_TEST_PAUSE_AT", None)
        if pause_at:
            env["ATHENA_BOT_TEST_PAUSE_AT"] = pause_at
        self.lines = []
        self.process = subprocess.Popen(self.command, env=env, cwd=REPO, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE, text=True)
        self._reader = threading.Thread(target=self._read, args=(self.process, self.lines), daemon=True)
        self._reader.start()
        return self

    @staticmethod
    def _read(process: subprocess.Popen[str], lines: list[str]) -> None:
        assert process.stderr is not None
        for line in process.stderr:
            lines.append(line.rstrip("\n"))

    def wait_paused(self, timeout: float = 60) -> str:
        """Wait until the worker pauses; returns what it said: the point, then the job id if known."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if PAUSED in line:
                    return line.split(PAUSED, 1)[1]
            if self.process is not None and self.process.poll() is not None:
                raise AssertionError(f"worker exited ({self.process.returncode}) before pausing:\n"
                                     + "\n".join(self.lines[-30:]))
            time.sleep(0.02)
        raise AssertionError("worker did not pause in time:\n" + "\n".join(self.lines[-30:]))

    def kill(self) -> None:
        """kill -9: no cleanup, no finally blocks, leases and in-flight messages left as they are."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self, timeout: float = 60) -> int:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)

    def wait(self, timeout: float = 120) -> int:
        assert self.process is not None
        return self.process.wait(timeout=timeout)

    def ensure_dead(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)


@dataclass
class SeededJob:
    job: AskJob
    channel: str
    thread: str
    placeholder: str
    body: str


def seed_jobs(fake: FakeSlack, send: Callable[[str], object], questions: Sequence[str],
              principal: Principal, as_of: str = "2025-06-15", channel: str = "C1") -> list[SeededJob]:
    """One thread per question, with the receiver's placeholder in it, and the job on the queue."""
    client = WebClient(token="xoxb-test", base_url=fake.url)
    seeded: list[SeededJob] = []
    for i, question in enumerate(questions):
        root = str(client.chat_postMessage(channel=channel, text=question)["ts"])
        placeholder = str(client.chat_postMessage(channel=channel, thread_ts=root,
                                                  text=f":hourglass: {PLACEHOLDER}...")["ts"])
        job = AskJob(question=question, principal=principal, as_of=as_of,
                     reply_to=ReplyTarget("slack", channel, root, {"placeholder": placeholder, "user": "U1"}),
                     conversation_id=f"slack:{channel}:{root}")
        body = encode_job(job)
        send(body)
        seeded.append(SeededJob(job, channel, root, placeholder, body))
    return seeded


@dataclass
class Tally:
    answered: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # told that it failed
    silent: list[str] = field(default_factory=list)  # the placeholder was never replaced
    doubled: list[str] = field(default_factory=list)  # a second answer message or chart in the thread
    charts: int = 0

    @property
    def settled(self) -> int:
        return len(self.answered) + len(self.failed)

    def summary(self) -> str:
        return (f"answered {len(self.answered)}, told failed {len(self.failed)}, silent {len(self.silent)}, "
                f"doubled {len(self.doubled)}, charts {self.charts}")


def _images(blocks: object) -> list[str]:
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks or []
    return [b["slack_file"]["id"] for b in blocks if b.get("type") == "image" and "slack_file" in b]  # type: ignore[union-attr]


def tally(fake: FakeSlack, jobs: Sequence[SeededJob]) -> Tally:
    """What each thread shows now: exactly one answer (or failure notice), and at most one chart
    (an image in the answer, or a file shared into the thread when Slack refused the image)."""
    result = Tally()
    for seeded in jobs:
        messages = fake.thread_messages(seeded.channel, seeded.thread)
        shown = [m for m in messages if PLACEHOLDER not in m.text]
        charts = [f for m in messages for f in _images(m.blocks)] + [f.file_id for f in fake.shares(seeded.channel, seeded.thread)]
        result.charts += len(charts)
        if len(shown) > 1 or len(charts) > 1 or len(messages) > 1:
            result.doubled.append(seeded.job.job_id)
        if not shown:
            result.silent.append(seeded.job.job_id)
        elif all(FAILED in m.text for m in shown):
            result.failed.append(seeded.job.job_id)
        else:
            result.answered.append(seeded.job.job_id)
    return result


def kill_then_finish(process: WorkerProcess, points: Sequence[str], after_lease: str, lease_seconds: float,
                     timeout: float = 180) -> dict[str, str]:
    """Kill the worker at each of ``points`` and restart it at once; kill it at ``after_lease`` and
    restart it only once that lease (``lease_seconds``) has run out; then let it finish the queue.
    Returns the job id it was killed on at each point."""
    killed: dict[str, str] = {}
    try:
        for point in points:
            killed[point] = process.start(point).wait_paused().split()[-1]
            process.kill()
        killed[after_lease] = process.start(after_lease).wait_paused().split()[-1]
        process.kill()
        time.sleep(lease_seconds + 0.5)
        assert process.start().wait(timeout=timeout) == 0, "\n".join(process.lines[-40:])
    finally:
        process.ensure_dead()
    return killed


def assert_all_answered_once(fake: FakeSlack, jobs: Sequence[SeededJob], killed_after_posting: Sequence[str]) -> Tally:
    """Every job answered exactly once with one chart, nothing silent or doubled; each job in
    ``killed_after_posting`` (once per kill between its post and its record) shows its text again
    for each kill, then the chart: its placeholder updated kills + 2 times."""
    result = tally(fake, jobs)
    assert result.silent == [] and result.doubled == [], result.summary()
    assert sorted(result.answered) == sorted(s.job.job_id for s in jobs), result.summary()
    assert result.charts == len(jobs)  # one chart per thread, the repeats' uploads skipped
    by_id = {s.job.job_id: s for s in jobs}
    for job_id, kills in Counter(killed_after_posting).items():
        assert fake.messages[by_id[job_id].placeholder].updates == kills + 2, (job_id, kills)
    return result


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()
