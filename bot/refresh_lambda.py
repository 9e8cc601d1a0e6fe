"""Lambda handler for the scheduled values refresh (EventBridge Scheduler, deploy/template.yaml).

Runs `athena-bot refresh-values` with the function's own role (allowed one Athena query in the
bot's workgroup and to write the values file); the workers pick the new file up within their
values TTL. It waits on the query, so its timeout stays under the function's 900 s.
"""

from __future__ import annotations

import os
from typing import Any


def handler(event: dict[str, Any], context: Any) -> dict[str, str]:
    from bot.service import refresh_values
    from bot.settings import Settings

    timeout = float(os.environ.get("ATHENA_BOT_REFRESH_TIMEOUT_SECONDS") or 840)
    return {"values_file": refresh_values(Settings.from_env(), timeout_seconds=timeout)}
