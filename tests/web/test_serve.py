"""`athena-bot serve web` refuses settings that cannot work, before anything starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_cli import cli


@pytest.mark.parametrize(("env", "says"), [
    ({"ATHENA_BOT_WEB_AUTH": "cookie"}, "ATHENA_BOT_WEB_AUTH must be 'none' or 'alb', not 'cookie'"),
    ({"ATHENA_BOT_WEB_AUTH": "alb", "ATHENA_BOT_ALB_ARN": ""}, "ATHENA_BOT_WEB_AUTH=alb needs ATHENA_BOT_ALB_ARN"),
    ({"ATHENA_BOT_WEB_AUTH": "alb", "ATHENA_BOT_ALB_ARN": "arn:aws:iam::123456789012:role/web"},
     "not an Application Load Balancer ARN"),
    ({"ATHENA_BOT_WEB_AUTH": "alb", "ATHENA_BOT_ALB_KEY_URL": "http://keys.example.com",
      "ATHENA_BOT_ALB_ARN": "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/web/0a1b2c3d"},
     "must be an https URL"),
])
def test_serve_web_with_settings_that_cannot_work_says_what_to_fix(env: dict[str, str], says: str,
                                                                   tmp_path: Path) -> None:
    result = cli("serve", "web", env={"ATHENA_BOT_HOME": str(tmp_path), **env}, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert says in result.stderr
