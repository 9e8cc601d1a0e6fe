"""Cold start of the two Lambda entry points, each in a fresh interpreter, as a ratio to `python -c pass`.

- slack import / ready: `import bot.slack_lambda`; then the receiver built as on Lambda (bolt App,
  identity resolver, SQS/DynamoDB adapters) with no network call;
- worker import / ready: `import bot.lambda_handler`; then the worker app built (model, engine,
  adapters, Powertools) with no network call.

Runs alternate (pass, then each entry point, then the same in the other checkout) so the shared
machine's noise hits all alike; the figures are medians, of wall time and of the CPU time (user +
system) the interpreter used, which a loaded machine inflates far less. `python -m bench.cold
--before DIR` measures another checkout (e.g. `git archive` of an earlier commit) in the same run.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 0.5
PACKAGES = ("bot", "adapters", "engine", "charts")

ENV = {"ATHENA_BOT_BACKEND": "aws", "ATHENA_BOT_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/q",
       "ATHENA_BOT_DATABASE": "sales", "ATHENA_BOT_IDEMPOTENCY_TABLE": "idem", "ATHENA_BOT_PENDING_TABLE": "pending",
       "ATHENA_BOT_CONVERSATIONS_TABLE": "conv", "ATHENA_BOT_IDENTITY_STORE_ID": "d-1234567890",
       "SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": "bench", "AWS_DEFAULT_REGION": "us-east-1",
       "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY": "bench",
       "ATHENA_BOT_VALUES_FILE": "s3://bench-config/values.json", "POWERTOOLS_TRACE_DISABLED": "true",
       "POWERTOOLS_METRICS_NAMESPACE": "Bench", "AWS_ENDPOINT_URL": "http://127.0.0.1:9"}

SCRIPTS = {
    "pass": "pass",
    "slack import": "import bot.slack_lambda",
    "slack ready": ("import bot.slack_lambda\n"
                    "from slack_bolt.adapter.aws_lambda import SlackRequestHandler\n"
                    "from bot.settings import Settings\n"
                    "from bot.slack import SlackSettings, build_aws_slack_app\n"
                    "SlackRequestHandler(build_aws_slack_app(Settings.from_env(), SlackSettings.from_env()))"),
    "worker import": "import bot.lambda_handler",
    "worker ready": ("import bot.lambda_handler as h\n"
                     "from bot.aws_settings import AwsSettings\n"
                     "from bot.bootstrap import build_aws\n"
                     "from bot.settings import Settings\n"
                     "import aws_lambda_powertools.utilities.batch\n"
                     "build_aws(Settings.from_env(), AwsSettings.from_env())"),
}


def run(script: str, root: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one fresh interpreter running ``script`` in ``root``."""
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ATHENA_BOT_", "SLACK_"))}, **ENV,
           "PYTHONPATH": str(root), "PYTHONWARNINGS": "ignore"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", script], cwd=root, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def compile_bytecode(root: Path) -> None:
    """Bytecode for the checkout's code, as the image has it (pip compiles what it installs):
    with PYTHONDONTWRITEBYTECODE set, every run would otherwise compile every module again."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", *(str(root / d) for d in PACKAGES)],
                   check=True, stdout=subprocess.DEVNULL)


def measure(roots: list[Path], rounds: int) -> dict[Path, dict[str, tuple[float, float]]]:
    for root in roots:
        compile_bytecode(root)
    times = {root: {name: ([], []) for name in SCRIPTS} for root in roots}
    for root in roots:  # warm the page cache and .pyc files
        for script in SCRIPTS.values():
            run(script, root)
    for _ in range(rounds):
        for root in roots:
            for name, script in SCRIPTS.items():
                wall, cpu = run(script, root)
                times[root][name][0].append(wall)
                times[root][name][1].append(cpu)
    return {root: {name: (statistics.median(w), statistics.median(c)) for name, (w, c) in figures.items()}
            for root, figures in times.items()}


def report(roots: list[Path], rounds: int) -> list[str]:
    lines = [f"cold start, median of {rounds} fresh interpreters each (wall | CPU = user + system)"]
    for root, figures in measure(roots, rounds).items():
        wall0, cpu0 = figures["pass"]
        lines.append(f"{root}: `python -c pass` = {wall0 * 1000:.0f} ms wall | {cpu0 * 1000:.0f} ms CPU")
        for name, (wall, cpu) in figures.items():
            if name == "pass":
                continue
            verdict = "ok" if wall - wall0 < TARGET_SECONDS else "over"
            lines.append(f"  {name:14} {wall * 1000:7.0f} ms {wall / wall0:5.1f}x pass | {cpu * 1000:6.0f} ms "
                         f"{cpu / cpu0:5.1f}x pass  (wall {(wall - wall0) * 1000:.0f} ms over pass; "
                         f"target < {TARGET_SECONDS * 1000:.0f} ms: {verdict})")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout to measure")
    parser.add_argument("--before", type=Path, help="another checkout measured in the same run")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    roots = ([args.before.resolve()] if args.before else []) + [args.root.resolve()]
    print("\n".join(report(roots, args.rounds)))


if __name__ == "__main__":
    main()
