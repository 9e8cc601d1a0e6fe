"""The container HEALTHCHECK (Dockerfile, ECS task definitions): exit 0 when healthy.

A server (Teams endpoint, web chat, Slack over HTTP) sets ATHENA_BOT_HEALTH_URL and is healthy
when that URL answers 200. The worker sets ATHENA_BOT_HEARTBEAT_FILE, touched on every poll
(bot/service.py), and is healthy while it is fresher than ATHENA_BOT_HEARTBEAT_MAX_AGE seconds.
"""

from __future__ import annotations

import os
import sys
import time
import urllib.request


def healthy(env: dict[str, str]) -> tuple[bool, str]:
    url = env.get("ATHENA_BOT_HEALTH_URL")
    if url:
        try:
            with urllib.request.urlopen(url, timeout=3) as response:  # noqa: S310 - a loopback URL
                return response.status == 200, f"{url}: {response.status}"
        except OSError as err:
            return False, f"{url}: {err}"
    beat = env.get("ATHENA_BOT_HEARTBEAT_FILE")
    if beat:
        try:
            age = time.time() - os.stat(beat).st_mtime
        except OSError:
            return False, f"no heartbeat at {beat}"
        limit = float(env.get("ATHENA_BOT_HEARTBEAT_MAX_AGE") or 120)
        return age < limit, f"heartbeat {age:.0f} s old (limit {limit:.0f} s)"
    return True, "nothing to check (Lambda ignores HEALTHCHECK)"


if __name__ == "__main__":
    ok, detail = healthy(dict(os.environ))
    print(detail)
    sys.exit(0 if ok else 1)
