"""Cold start of the two Lambda entry points, each in a fresh interpreter, as a ratio to `python -c pass`.

- slack import / ready: `import bot.slack_lambda`; then the receiver built as on Lambda (bolt App,
  identity resolver, SQS/DynamoDB adapters) with no network call;
- worker import / ready: `import bot.lambda_handler`; then the worker app built (model, engine,
  adapters, Powertools) with no network call.

Runs alternate (pass, then each entry point) so the shared machine's noise hits all alike; the
figures are medians. `python -m bench.cold --root DIR` measures another checkout (before/after).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 0.5

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
                    "SlackRequestHandler(build_aws_slack_app(Settings.from_env(), SlackSettings.from_env(), lazy=True))"),
    "worker import": "import bot.lambda_handler",
    "worker ready": ("import bot.lambda_handler as h\n"
                     "from bot.aws_settings import AwsSettings\n"
                     "from bot.bootstrap import build_aws\n"
                     "from bot.settings import Settings\n"
                     "import aws_lambda_powertools.utilities.batch\n"
                     "build_aws(Settings.from_env(), AwsSettings.from_env())"),
}


def run(script: str, root: Path) -> float:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ATHENA_BOT_", "SLACK_"))}, **ENV,
           "PYTHONPATH": str(root), "PYTHONWARNINGS": "ignore"}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", script], cwd=root, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def measure(root: Path, rounds: int) -> dict[str, float]:
    times: dict[str, list[float]] = {name: [] for name in SCRIPTS}
    for name, script in SCRIPTS.items():  # warm the page cache and .pyc files
        run(script, root)
    for _ in range(rounds):
        for name, script in SCRIPTS.items():
            times[name].append(run(script, root))
    return {name: statistics.median(values) for name, values in times.items()}


def report(root: Path, rounds: int) -> list[str]:
    figures = measure(root, rounds)
    base = figures["pass"]
    lines = [f"cold start ({root}), median of {rounds} fresh interpreters; `python -c pass` = {base * 1000:.0f} ms"]
    for name, seconds in figures.items():
        if name == "pass":
            continue
        verdict = "ok" if seconds - base < TARGET_SECONDS else "over"
        lines.append(f"  {name:14} {seconds * 1000:7.0f} ms  {seconds / base:5.1f}x pass  "
                     f"({(seconds - base) * 1000:.0f} ms over pass; target < {TARGET_SECONDS * 1000:.0f} ms: {verdict})")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout to measure")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    print("\n".join(report(args.root.resolve(), args.rounds)))


if __name__ == "__main__":
    main()
