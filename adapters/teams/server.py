"""The Teams endpoint: aiohttp with Bot Framework / Entra ID token validation at /api/messages,
the chart images the cards show at /charts/<name>?sig=... (signature checked, re-signed on every
fetch: see chart_links.py), and /healthz.

Authentication is on whenever an app id is configured; with none (local development) anonymous
requests are accepted, and a malformed bearer token still gets 401. The token is checked from the
headers before the body is read; the body is capped (413 from its Content-Length, before reading)
and must arrive within BODY_TIMEOUT_SECONDS; an activity that is not one (bad JSON, missing
type, conversation, serviceUrl or sender) is 400 with a log line. Connections idle for
IDLE_TIMEOUT_SECONDS, including ones that never send a request, are closed. aiohttp serves every
connection on one event loop, so held-open connections cost no thread.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from typing import Any

from aiohttp import web
from microsoft_agents.activity import Activity
from microsoft_agents.authentication.msal import MsalConnectionManager
from microsoft_agents.hosting.aiohttp import CloudAdapter, start_agent_process
from microsoft_agents.hosting.core import AgentAuthConfiguration, ClaimsIdentity, JwtTokenValidator

from adapters.teams.chart_links import ChartSigner, ChartStore

log = logging.getLogger(__name__)
MESSAGES_PATH = "/api/messages"
MAX_BODY_BYTES = 1024 * 1024  # an activity is a few KB; Teams' own message limit is about 28 KB
BODY_TIMEOUT_SECONDS = 10  # the whole body, once the headers are in
IDLE_TIMEOUT_SECONDS = 15  # a connection with no request in progress (aiohttp's keep-alive timeout)


def auth_configuration(app_id: str | None, app_secret: str | None, tenant_id: str | None) -> AgentAuthConfiguration:
    return AgentAuthConfiguration(client_id=app_id or None, client_secret=app_secret or None,
                                  tenant_id=tenant_id or None, anonymous_allowed=not app_id)


def build_adapter(config: AgentAuthConfiguration) -> CloudAdapter:
    return CloudAdapter(connection_manager=MsalConnectionManager(
        connections_configurations={"SERVICE_CONNECTION": config}))


async def authenticate(request: web.Request, config: AgentAuthConfiguration,
                       validator: JwtTokenValidator) -> ClaimsIdentity | None:
    """The caller's claims from its Bot Framework / Entra ID token, or None: unauthorized.

    No token is anonymous only when authentication is off. Any token that does not validate,
    however malformed (no key id, not a JWT, keys unreachable), is unauthorized: 401, never 500.
    """
    header = request.headers.get("Authorization")
    if header is None:
        return validator.get_anonymous_claims() if config.ANONYMOUS_ALLOWED else None
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or any(c.isspace() for c in token):
        return None
    try:
        return await validator.validate_token(token)
    except Exception as err:  # noqa: BLE001 - whatever the reason, the caller is not authenticated
        log.warning("rejected a bearer token (%s)", type(err).__name__)
        return None


def build_web_app(agent: Any, adapter: CloudAdapter, config: AgentAuthConfiguration,
                  charts: ChartStore | None = None, signer: ChartSigner | None = None) -> web.Application:
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    validator = JwtTokenValidator(config)

    async def messages(request: web.Request) -> web.StreamResponse:
        claims = await authenticate(request, config, validator)
        if claims is None:
            return web.json_response({"error": "Invalid token or authentication failed."}, status=401)
        if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
            return _rejected(413, "body too large")
        try:
            async with asyncio.timeout(BODY_TIMEOUT_SECONDS):
                body = await request.read()  # kept by aiohttp: the SDK reads the same bytes
        except TimeoutError:
            return _rejected(408, f"the body did not arrive within {BODY_TIMEOUT_SECONDS} s")
        except web.HTTPRequestEntityTooLarge:
            return _rejected(413, "body too large")
        problem = malformed_activity(body)
        if problem:
            return _rejected(400, problem)
        request["claims_identity"] = claims  # where the SDK's adapter reads the caller's identity
        response = await start_agent_process(request, agent, adapter)
        return response if response is not None else web.Response(status=202)

    async def chart(request: web.Request) -> web.StreamResponse:
        """A chart a card links to: the signature checked, then the PNG, or a redirect to a URL
        presigned just now (S3). Never a link that expires with the card."""
        name = request.match_info["name"]
        if charts is None or signer is None or not signer.valid(name, request.query.get("sig", "")):
            raise web.HTTPNotFound()
        found = await asyncio.get_running_loop().run_in_executor(None, charts.fetch, name)
        if found is None:
            raise web.HTTPNotFound()
        if isinstance(found, str):
            raise web.HTTPFound(found, headers={"Cache-Control": "no-store"})
        return web.Response(body=found, content_type="image/png", headers={"Cache-Control": "private, max-age=86400"})

    async def health(_: web.Request) -> web.Response:
        return web.Response(text="ok")

    app.router.add_post(MESSAGES_PATH, messages)
    app.router.add_get("/charts/{name}", chart)
    app.router.add_get("/healthz", health)
    return app


def _rejected(status: int, reason: str) -> web.Response:
    log.warning("rejected a Teams request: %s (%s)", reason, status)
    return web.json_response({"error": reason}, status=status)


def malformed_activity(body: bytes) -> str | None:
    """What keeps ``body`` from being an activity the agent can handle, or None."""
    try:
        data = json.loads(body)
    except RecursionError:
        return "the body is nested too deeply"
    except ValueError as err:  # UnicodeDecodeError is one
        return f"the body is not JSON ({type(err).__name__})"
    if not isinstance(data, dict):
        return "the body is not an object"
    for name in ("type", "channelId"):
        if not isinstance(data.get(name), str):
            return f"activity without {name}"
    conversation = data.get("conversation")
    if not isinstance(conversation, dict) or not isinstance(conversation.get("id"), str):
        return "activity without conversation.id"
    if data["type"] == "message":
        sender = data.get("from")
        if not isinstance(sender, dict) or not isinstance(sender.get("id"), str):
            return "message without from.id"
        if not isinstance(data.get("serviceUrl"), str) or not data["serviceUrl"].startswith(("http://", "https://")):
            return "message without a serviceUrl"
        if data.get("text") is not None and not isinstance(data["text"], str):
            return "message text is not a string"
    sdk_log = logging.getLogger(Activity.__module__)
    sdk_log.disabled = True  # the SDK logs every failed validation with a traceback; ours is the line
    try:
        Activity.model_validate(data)
    except ValueError as err:  # pydantic's ValidationError
        return f"not a valid activity ({str(err).splitlines()[0]})"
    finally:
        sdk_log.disabled = False
    return None


class TeamsServer:
    """The aiohttp app on host:port, on an event loop in a background thread (port 0: any free)."""

    def __init__(self, app: web.Application, host: str = "127.0.0.1", port: int = 3978,
                 idle_timeout: float = IDLE_TIMEOUT_SECONDS) -> None:
        self.loop = asyncio.new_event_loop()
        self.runner = web.AppRunner(app, keepalive_timeout=idle_timeout)
        self.loop.run_until_complete(self.runner.setup())
        self.site = web.TCPSite(self.runner, host, port)
        self.loop.run_until_complete(self.site.start())
        self.thread = threading.Thread(target=self.loop.run_forever, name="teams-http", daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.site._server.sockets[0].getsockname()[:2]  # type: ignore[union-attr]
        return f"http://{host}:{port}"

    def start(self) -> "TeamsServer":
        self.thread.start()
        return self

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
