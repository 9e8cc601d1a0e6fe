"""Per-user AWS sessions: STS AssumeRole into the role the user's groups map to.

SourceIdentity is the user's email and the session carries ``user`` and ``groups`` tags, so
CloudTrail shows who asked. Credentials are cached per (role, user) until shortly before expiry.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from typing import Any

import boto3

from adapters.aws.clients import LazyClient
from engine.domain import Principal
from engine.errors import Refused

_TAG_VALUE = re.compile(r"[^\w\s.:/=+\-@]", re.UNICODE)
_SESSION_NAME = re.compile(r"[^\w+=,.@-]")


def session_tags(principal: Principal) -> list[dict[str, str]]:
    groups = ":".join(principal.groups)
    return [{"Key": "user", "Value": _TAG_VALUE.sub("_", principal.email)[:256]},
            {"Key": "groups", "Value": _TAG_VALUE.sub("_", groups)[:256] or "none"}]


class RoleSessions:
    """boto3 Sessions (and clients) acting as a principal's IAM role."""

    def __init__(self, base: boto3.Session | None = None, duration_seconds: int = 3600,
                 refresh_margin_seconds: int = 300) -> None:
        self.base = base or boto3.Session()
        self.duration_seconds = duration_seconds
        self.refresh_margin = dt.timedelta(seconds=refresh_margin_seconds)
        self._sts = LazyClient(self.base, "sts")
        self._cache: dict[tuple[str, str], tuple[dt.datetime, boto3.Session]] = {}
        self._clients: dict[tuple[int, str], Any] = {}
        self._lock = threading.Lock()

    def client(self, principal: Principal, service: str) -> Any:
        """A client of ``service`` acting as the principal's role, reused while its credentials last."""
        session = self.for_principal(principal)
        key = (id(session), service)
        with self._lock:
            found = self._clients.get(key)
        if found is None:
            found = session.client(service)  # creating clients is slow: keep them
            with self._lock:
                self._clients[key] = found
        return found

    def seconds_left(self, principal: Principal) -> float | None:
        """How long the principal's cached credentials stay valid (None: no session yet)."""
        with self._lock:
            cached = self._cache.get((principal.role_arn or "", principal.email))
        if cached is None:
            return None
        return (cached[0] - dt.datetime.now(dt.timezone.utc)).total_seconds()

    def for_principal(self, principal: Principal) -> boto3.Session:
        if not principal.role_arn:
            raise Refused("You have no data role, so I can't run queries for you. Ask your data "
                          "team to add you to a group that maps to one.")
        key = (principal.role_arn, principal.email)
        now = dt.datetime.now(dt.timezone.utc)
        with self._lock:
            cached = self._cache.get(key)
            if cached and cached[0] - self.refresh_margin > now:
                return cached[1]
        response: dict[str, Any] = self._sts.assume_role(
            RoleArn=principal.role_arn,
            RoleSessionName=_SESSION_NAME.sub("-", principal.email)[:64],
            SourceIdentity=_SESSION_NAME.sub("-", principal.email)[:64],
            Tags=session_tags(principal),
            DurationSeconds=self.duration_seconds,
        )
        creds = response["Credentials"]
        session = boto3.Session(aws_access_key_id=creds["AccessKeyId"],
                                aws_secret_access_key=creds["SecretAccessKey"],
                                aws_session_token=creds["SessionToken"],
                                region_name=self.base.region_name)
        expiry = creds["Expiration"]
        if isinstance(expiry, str):
            expiry = dt.datetime.fromisoformat(expiry.replace("Z", "+00:00"))
        with self._lock:
            stale = self._cache.get(key)
            if stale:  # drop the clients of the session being replaced
                self._clients = {k: v for k, v in self._clients.items() if k[0] != id(stale[1])}
            self._cache[key] = (expiry, session)
        return session
