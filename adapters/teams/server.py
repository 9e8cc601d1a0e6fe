"""The Teams endpoint: aiohttp with Bot Framework / Entra ID token validation at /api/messages,
the chart images the cards show at /charts/<name>, and /healthz.

Authentication is on whenever an app id is configured; with none (local development) anonymous
requests are accepted, and a malformed bearer token still gets 401.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
from pathlib import Path
from typing import Any

from aiohttp import web
from microsoft_agents.authentication.msal import MsalConnectionManager
from microsoft_agents.hosting.aiohttp import CloudAdapter, start_agent_process
from microsoft_agents.hosting.core import AgentAuthConfiguration, ClaimsIdentity, JwtTokenValidator

log = logging.getLogger(__name__)
MESSAGES_PATH = "/api/messages"
_CHART_NAME = re.compile(r"^[a-z0-9-]+\.png$")


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
                  charts_dir: Path | None = None) -> web.Application:
    app = web.Application()
    validator = JwtTokenValidator(config)

    async def messages(request: web.Request) -> web.StreamResponse:
        claims = await authenticate(request, config, validator)
        if claims is None:
            return web.json_response({"error": "Invalid token or authentication failed."}, status=401)
        request["claims_identity"] = claims  # where the SDK's adapter reads the caller's identity
        response = await start_agent_process(request, agent, adapter)
        return response if response is not None else web.Response(status=202)

    async def chart(request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        path = (charts_dir / name) if charts_dir else None
        if not _CHART_NAME.match(name) or path is None or not path.is_file():
            raise web.HTTPNotFound()
        return web.FileResponse(path, headers={"Content-Type": "image/png"})

    async def health(_: web.Request) -> web.Response:
        return web.Response(text="ok")

    app.router.add_post(MESSAGES_PATH, messages)
    app.router.add_get("/charts/{name}", chart)
    app.router.add_get("/healthz", health)
    return app


class TeamsServer:
    """The aiohttp app on host:port, on an event loop in a background thread (port 0: any free)."""

    def __init__(self, app: web.Application, host: str = "127.0.0.1", port: int = 3978) -> None:
        self.loop = asyncio.new_event_loop()
        self.runner = web.AppRunner(app)
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
