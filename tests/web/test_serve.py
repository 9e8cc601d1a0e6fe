"""`athena-bot serve web` refuses settings that cannot work, before anything starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.aws_settings import ConfigError
from bot.web import WebSettings, streamlit_command
from tests.test_cli import cli

ARN = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/web/0a1b2c3d"


@pytest.mark.parametrize(("env", "says"), [
    ({"ATHENA_BOT_WEB_AUTH": "cookie"}, "ATHENA_BOT_WEB_AUTH must be 'none' or 'alb', not 'cookie'"),
    ({"ATHENA_BOT_WEB_AUTH": "alb"}, "ATHENA_BOT_WEB_AUTH=alb needs ATHENA_BOT_ALB_ARN"),
    ({"ATHENA_BOT_WEB_AUTH": "alb", "ATHENA_BOT_ALB_ARN": "arn:aws:iam::123456789012:role/web"},
     "not an Application Load Balancer ARN"),
    ({"ATHENA_BOT_WEB_AUTH": "alb", "ATHENA_BOT_ALB_ARN": ARN, "ATHENA_BOT_ALB_KEY_URL": "http://keys.example.com"},
     "must be an https URL"),
    ({"ATHENA_BOT_WEB_WAIT_SECONDS": "soon"}, "ATHENA_BOT_WEB_WAIT_SECONDS must be a number"),
])
def test_settings_that_cannot_work_say_what_to_fix(env: dict[str, str], says: str) -> None:
    with pytest.raises(ConfigError, match=says):
        WebSettings.from_env(env).verifier()


def test_serve_web_with_a_bad_setting_exits_2_with_the_message(tmp_path: Path) -> None:
    result = cli("serve", "web", env={"ATHENA_BOT_HOME": str(tmp_path), "ATHENA_BOT_WEB_AUTH": "alb",
                                      "ATHENA_BOT_ALB_ARN": ""}, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "ATHENA_BOT_WEB_AUTH=alb needs ATHENA_BOT_ALB_ARN" in result.stderr


def test_the_streamlit_server_is_headless_and_never_calls_out() -> None:
    command = " ".join(streamlit_command("0.0.0.0", 8501))
    for flag in ("--server.address 0.0.0.0", "--server.port 8501", "--server.headless true",
                 "--browser.gatherUsageStats false", "--server.fileWatcherType none"):
        assert flag in command
