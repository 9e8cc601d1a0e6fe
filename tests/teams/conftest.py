"""The Teams endpoint served on 127.0.0.1 with the local worker, activities pointing at a fake
connector: the same wiring `athena-bot serve teams` runs."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.settings import Settings
from bot.teams import LocalTeamsStack, TeamsSettings, build_local_teams
from tests.teams.fake_connector import FakeConnector

ANA = {"id": "29:ana", "name": "Ana", "aadObjectId": "aad-ana", "email": "ana@example.com",
       "userPrincipalName": "ana@example.com"}
BOB = {"id": "29:bob", "name": "Bob", "aadObjectId": "aad-bob", "userPrincipalName": "bob@example.com"}


@dataclass
class TeamsRig:
    connector: FakeConnector
    stack: LocalTeamsStack

    @property
    def url(self) -> str:
        return self.stack.server.base_url + "/api/messages"

    def post(self, activity: dict[str, Any], headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        request = urllib.request.Request(self.url, data=json.dumps(activity).encode(), method="POST",
                                         headers={"Content-Type": "application/json", **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as err:
            return err.code, err.read()

    def activity(self, text: str, conversation: str = "19:general@thread.tacv2;messageid=1001",
                 kind: str = "channel", user: dict[str, Any] = ANA, activity_id: str = "1001",
                 value: dict[str, Any] | None = None) -> dict[str, Any]:
        activity: dict[str, Any] = {
            "type": "message", "id": activity_id, "channelId": "msteams", "serviceUrl": self.connector.url,
            "from": {"id": user["id"], "name": user["name"], "aadObjectId": user["aadObjectId"]},
            "recipient": {"id": "28:athena", "name": "Athena"},
            "conversation": {"id": conversation, "conversationType": kind, "tenantId": "t1"},
            "text": text, "textFormat": "plain", "locale": "en-US",
            "channelData": {"tenant": {"id": "t1"}},
        }
        if "<at>" in text:
            activity["entities"] = [{"type": "mention", "text": "<at>Athena</at>",
                                     "mentioned": {"id": "28:athena", "name": "Athena"}}]
        if value is not None:
            activity["value"] = value
        return activity


@pytest.fixture
def teams_rig(lake: Path, tmp_path: Path) -> Iterator[TeamsRig]:
    identity = tmp_path / "identity.yaml"
    identity.write_text("groups:\n  analysts: {tables: ['*']}\n"
                        "users:\n  ana@example.com: {groups: [analysts]}\n")
    connector = FakeConnector({"29:ana": ANA, "29:bob": BOB}).start()
    settings = Settings.from_env({"ATHENA_BOT_HOME": str(tmp_path), "ATHENA_BOT_LAKE": str(lake),
                                  "ATHENA_BOT_AS_OF": "2025-06-15", "ATHENA_BOT_IDENTITY_FILE": str(identity)})
    stack = build_local_teams(settings, TeamsSettings(), port=0)
    stop = threading.Event()
    worker = stack.run_worker(stop)
    yield TeamsRig(connector, stack)
    stop.set()
    worker.join(timeout=10)
    stack.server.stop()
    connector.stop()
