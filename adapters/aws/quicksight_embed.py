"""The bot's embed route: a link that makes QuickSight's embed URL only when it is clicked.

``GenerateEmbedUrlForRegisteredUser`` URLs sign their holder in, work once and expire within
minutes, so the bot never posts one. It posts a link to this route instead, carrying a token
signed with ``ATHENA_BOT_QUICKSIGHT_EMBED_SECRET`` (HMAC-SHA256) that names the dashboard, the
QuickSight user and their email and expires (``ATHENA_BOT_QUICKSIGHT_EMBED_LINK_MINUTES``); in
Slack the link is sent ephemerally, to the asker alone. On GET the route checks the token (and,
behind the web chat's load balancer, that the signed-in email is the token's), generates the
embed URL for that user and dashboard, and redirects to it with ``Cache-Control: no-store``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlencode

log = logging.getLogger(__name__)

ROUTE = "/quicksight/open"
SESSION_MINUTES = 60


class EmbedLinkInvalid(ValueError):
    """A token that is malformed, forged or expired; the message is shown to the person."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign_link(base_url: str, secret: str, dashboard_id: str, user_arn: str, email: str, expires_at: float) -> str:
    payload = _b64(json.dumps({"d": dashboard_id, "u": user_arn, "e": email, "x": int(expires_at)},
                              separators=(",", ":")).encode())
    mac = _b64(hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest())
    return f"{base_url}{'&' if '?' in base_url else '?'}{urlencode({'t': f'{payload}.{mac}'})}"


def read_token(token: str, secret: str, now: float | None = None) -> dict[str, Any]:
    """The token's fields ({"d", "u", "e", "x"}); EmbedLinkInvalid when it cannot be trusted."""
    payload, _, mac = token.partition(".")
    expected = _b64(hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest())
    if not payload or not hmac.compare_digest(mac, expected):
        raise EmbedLinkInvalid("This dashboard link is not valid.")
    try:
        data = json.loads(_unb64(payload))
    except (ValueError, UnicodeDecodeError) as err:
        raise EmbedLinkInvalid("This dashboard link is not valid.") from err
    if not isinstance(data, dict) or not all(isinstance(data.get(k), str) for k in ("d", "u", "e")) \
            or not isinstance(data.get("x"), int):
        raise EmbedLinkInvalid("This dashboard link is not valid.")
    if data["x"] < (time.time() if now is None else now):
        raise EmbedLinkInvalid("This dashboard link has expired: click Open in QuickSight under the answer again.")
    return data


class EmbedRoute:
    """A WSGI app for ``GET /quicksight/open?t=...`` (mounted beside the Slack endpoint)."""

    def __init__(self, client: Any, account_id: str, secret: str, *, allowed_domains: list[str] | None = None,
                 signed_in: Callable[[dict[str, Any]], str | None] | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.client, self.account_id, self.secret = client, account_id, secret
        self.allowed_domains = allowed_domains
        self.signed_in = signed_in  # the request's signed-in email (behind the ALB), if known
        self.clock = clock

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        if environ.get("REQUEST_METHOD") != "GET":
            return _page(start_response, 405, "Use the link under the answer.")
        token = (parse_qs(environ.get("QUERY_STRING") or "").get("t") or [""])[0]
        try:
            data = read_token(token, self.secret, self.clock())
        except EmbedLinkInvalid as err:
            return _page(start_response, 403, str(err))
        if self.signed_in is not None:
            email = self.signed_in(environ)
            if not email or email.lower() != data["e"].lower():
                return _page(start_response, 403, "This dashboard link was made for someone else.")
        request: dict[str, Any] = {"AwsAccountId": self.account_id, "UserArn": data["u"],
                                   "SessionLifetimeInMinutes": SESSION_MINUTES,
                                   "ExperienceConfiguration": {"Dashboard": {"InitialDashboardId": data["d"]}}}
        if self.allowed_domains:
            request["AllowedDomains"] = self.allowed_domains
        try:
            url = str(self.client.generate_embed_url_for_registered_user(**request)["EmbedUrl"])
        except Exception as err:  # noqa: BLE001 - a readable page, never a traceback
            log.error("GenerateEmbedUrlForRegisteredUser failed for %s: %s", data["d"], err)
            return _page(start_response, 502, "QuickSight could not open the dashboard just now; try again.")
        start_response("302 Found", [("Location", url), ("Cache-Control", "no-store"), ("Content-Length", "0"),
                                     ("Referrer-Policy", "no-referrer")])
        return [b""]


def _page(start_response: Any, status: int, text: str) -> list[bytes]:
    reasons = {403: "Forbidden", 405: "Method Not Allowed", 502: "Bad Gateway"}
    body = text.encode()
    start_response(f"{status} {reasons.get(status, 'Error')}", [
        ("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body))),
        ("Cache-Control", "no-store")])
    return [body]
