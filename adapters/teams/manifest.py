"""The Teams app manifest's prompt starters (the bot's command list), from the semantic model.

`athena-bot teams-manifest` rewrites ``deploy/teams/manifest.json`` with them, so what Teams offers
people to click matches what the model answers; a test keeps the shipped file in step with the
sample model.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from engine.guide import prompt_starters
from engine.semantic_model import SemanticModel

MAX_COMMANDS = 10  # Teams' limit per command list
SCOPES = ["personal", "team", "groupChat"]


def with_prompt_starters(manifest: dict[str, Any], model: SemanticModel) -> dict[str, Any]:
    """``manifest`` with its bot's command list written from ``model``."""
    updated = copy.deepcopy(manifest)
    commands = prompt_starters(model)[:MAX_COMMANDS]
    for bot in updated.get("bots", []):
        bot["commandLists"] = [{"scopes": list(bot.get("scopes") or SCOPES), "commands": commands}]
    return updated


def write_manifest(path: Path, model: SemanticModel, out: Path | None = None) -> Path:
    manifest = json.loads(path.read_text())
    target = out or path
    target.write_text(json.dumps(with_prompt_starters(manifest, model), indent=2, ensure_ascii=False) + "\n")
    return target
