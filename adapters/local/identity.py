"""IdentityResolver port from a local YAML file, or everyone as a local analyst when there is none.

File format::

    groups:
      analysts: {role_arn: "arn:aws:iam::123456789012:role/analyst", tables: ["*"]}
      support:  {tables: [support.tickets, sales.customers]}
    users:
      ana@example.com: {groups: [analysts], aliases: [U012ABC]}   # aliases: chat user ids
"""

from __future__ import annotations

from pathlib import Path

import yaml

from engine.domain import Principal
from engine.errors import Refused


class OpenLocalIdentity:
    """The embedded default: every chat user is a local analyst who may read the whole local lake."""

    def resolve(self, platform: str, user_id: str, email: str | None = None) -> Principal:
        return Principal(user_id=f"{platform}:{user_id}", email=email or f"{user_id}@localhost",
                         groups=("analysts",))


class FileIdentity:
    """Users, groups, roles and readable tables from a YAML file; unknown users are refused.

    The file is read again when it changes, so a user removed from it loses access at once (a
    digest's owner is re-resolved at every run) without restarting the bot."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._stamp: int | None = None
        self._load()

    def _load(self) -> None:
        try:
            stamp = self.path.stat().st_mtime_ns
        except OSError:
            stamp = None
        if stamp == self._stamp or (stamp is None and hasattr(self, "users")):
            return  # unchanged (or gone for a moment while being rewritten: keep what was read)
        raw = yaml.safe_load(self.path.read_text(encoding="utf-8")) or {}
        users: dict[str, dict] = {}
        for email, spec in (raw.get("users") or {}).items():
            spec = spec or {}
            entry = {"email": str(email).lower(), "groups": list(spec.get("groups") or [])}
            users[str(email).lower()] = entry
            for alias in spec.get("aliases") or []:
                users[str(alias).lower()] = entry
        self.groups: dict[str, dict] = raw.get("groups") or {}
        self.users = users
        self._stamp = stamp

    def resolve(self, platform: str, user_id: str, email: str | None = None) -> Principal:
        self._load()
        entry = self.users.get((email or "").lower()) or self.users.get(user_id.lower())
        if entry is None:
            raise Refused("I don't know you yet, so I can't run queries for you. Ask your data team "
                          "to add you to the bot's identity file.")
        roles = [self.groups.get(g, {}).get("role_arn") for g in entry["groups"]]
        tables: set[str] = set()
        everything = False
        for group in entry["groups"]:
            for table in self.groups.get(group, {}).get("tables") or []:
                if table == "*":
                    everything = True
                tables.add(str(table).lower())
        return Principal(user_id=f"{platform}:{user_id}", email=entry["email"],
                         groups=tuple(entry["groups"]), role_arn=next((r for r in roles if r), None),
                         allowed_tables=None if everything else frozenset(tables))
