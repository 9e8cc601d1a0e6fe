"""Local identities: open by default, restricted by a YAML file."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.local.identity import FileIdentity, OpenLocalIdentity
from engine.errors import Refused


def test_open_identity_lets_everyone_read_everything() -> None:
    principal = OpenLocalIdentity().resolve("slack", "U1", "ana@example.com")
    assert principal.email == "ana@example.com" and principal.allowed_tables is None
    assert principal.may_read("sales.orders")


def test_file_identity(tmp_path: Path) -> None:
    path = tmp_path / "identities.yaml"
    path.write_text("""
groups:
  analysts: {role_arn: "arn:aws:iam::123456789012:role/athena-bot-analyst", tables: ["*"]}
  support: {tables: [support.tickets, Sales.Customers]}
users:
  ana@example.com: {groups: [analysts], aliases: [U012ABC]}
  sam@example.com: {groups: [support]}
""")
    identity = FileIdentity(path)
    ana = identity.resolve("slack", "U012ABC")  # found by chat user id alone
    assert ana.email == "ana@example.com" and ana.role_arn.endswith("athena-bot-analyst")
    assert ana.allowed_tables is None
    sam = identity.resolve("teams", "x", "SAM@example.com")
    assert sam.allowed_tables == frozenset({"support.tickets", "sales.customers"})
    assert sam.may_read("sales.customers") and not sam.may_read("sales.orders")
    with pytest.raises(Refused, match="don't know you"):
        identity.resolve("slack", "U999", "eve@example.com")
