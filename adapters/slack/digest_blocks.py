"""Block Kit for digests: the schedule form (a modal), the digest list (messages and App Home), and
the buttons digest messages carry. Every user text is escaped; button labels are plain text."""

from __future__ import annotations

from typing import Any

from adapters.slack.blocks import clip, escape
from engine.digests.model import Digest
from engine.digests.schedule import DAY_NAMES, PRESETS, Schedule, ScheduleError, parse_hhmm
from engine.digests.service import status_line

SCHEDULE = "digest_schedule"  # on an answer: open the form
FORM = "digest_form"  # on "I couldn't read that schedule": open the form prefilled
PAUSE, RESUME, DELETE, EDIT = "digest_pause", "digest_resume", "digest_delete", "digest_edit"
CREATE_VIEW, EDIT_VIEW = "digest_create", "digest_edit_time"
RECIPIENTS_NOTE = ("It runs with your data access: everyone who sees the post sees what you may see, "
                   "so pick a channel whose members may see this data.")


def _option(text: str, value: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": text[:75]}, "value": value}


_PRESET_NAMES = {"hourly": "Every hour", "daily": "Every day", "weekdays": "Weekdays (Mon-Fri)",
                 "weekly": "Weekly, on a day", "monthly": "Monthly, on a day"}
_CONDITIONS = {"always": "Always post", "not_empty": "Only if there are results",
               "changed": "Only if it changed since the last post"}


def _select(block_id: str, label: str, options: list[dict[str, Any]], initial: str | None,
            optional: bool = False) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "static_select", "action_id": block_id, "options": options}
    chosen = next((o for o in options if o["value"] == initial), None)
    if chosen:
        element["initial_option"] = chosen
    return {"type": "input", "block_id": block_id, "label": {"type": "plain_text", "text": label},
            "element": element, "optional": optional}


def form_view(question: str, channel: str | None, timezone: str, partial: dict[str, Any], metadata: str,
              callback: str) -> dict[str, Any]:
    """The schedule form: presets, day, time, time zone, channel (create only), condition."""
    blocks: list[dict[str, Any]] = []
    if question:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": clip(f"*{escape(question)}*", 2900)}})
    else:
        blocks.append({"type": "input", "block_id": "question", "label": {"type": "plain_text", "text": "Question"},
                       "element": {"type": "plain_text_input", "action_id": "question"}})
    blocks += [
        _select("frequency", "How often", [_option(_PRESET_NAMES[p], p) for p in PRESETS],
                str(partial.get("preset") or "weekly")),
        _select("weekday", "Day of the week (weekly)", [_option(d, str(i)) for i, d in enumerate(DAY_NAMES)],
                str(partial.get("weekday", 0)), optional=True),
        _select("month_day", "Day of the month (monthly)", [_option(str(d), str(d)) for d in range(1, 29)],
                str(partial.get("month_day", 1)), optional=True),
        {"type": "input", "block_id": "time", "label": {"type": "plain_text", "text": "Time"},
         "element": {"type": "timepicker", "action_id": "time",
                     "initial_time": f"{int(partial.get('hour', 9)):02d}:{int(partial.get('minute', 0)):02d}"}},
        {"type": "input", "block_id": "timezone", "label": {"type": "plain_text", "text": "Time zone (IANA)"},
         "element": {"type": "plain_text_input", "action_id": "timezone",
                     "initial_value": str(partial.get("timezone") or timezone)}},
    ]
    if callback == CREATE_VIEW:
        select: dict[str, Any] = {"type": "conversations_select", "action_id": "channel",
                                  "filter": {"include": ["public", "private", "im"], "exclude_bot_users": True}}
        if channel:
            select["initial_conversation"] = channel
        else:
            select["default_to_current_conversation"] = True
        blocks += [{"type": "input", "block_id": "channel", "label": {"type": "plain_text", "text": "Post in"},
                    "element": select},
                   _select("condition", "Post", [_option(v, k) for k, v in _CONDITIONS.items()],
                           str((partial.get("condition") or {}).get("kind") or "always")),
                   {"type": "context", "elements": [{"type": "mrkdwn", "text": RECIPIENTS_NOTE}]}]
    return {"type": "modal", "callback_id": callback, "private_metadata": metadata,
            "title": {"type": "plain_text", "text": "Schedule" if callback == CREATE_VIEW else "Edit time"},
            "submit": {"type": "plain_text", "text": "Save"}, "close": {"type": "plain_text", "text": "Cancel"},
            "blocks": blocks}


def field_value(values: dict[str, Any], block: str) -> str | None:
    entry = (values.get(block) or {}).get(block) or {}
    if entry.get("selected_option"):
        return str(entry["selected_option"]["value"])
    for key in ("selected_time", "selected_conversation", "selected_channel", "value"):
        if entry.get(key):
            return str(entry[key])
    return None


def schedule_from(values: dict[str, Any]) -> Schedule:
    hour, minute = parse_hhmm(field_value(values, "time") or "09:00")
    return Schedule(field_value(values, "frequency") or "weekly", (field_value(values, "timezone") or "UTC").strip(),
                    hour, minute, int(field_value(values, "weekday") or 0), int(field_value(values, "month_day") or 1))


def error_field(err: ScheduleError) -> str:
    text = str(err).lower()
    return "timezone" if "time zone" in text else "time" if "time" in text else "month_day" if "month" in text \
        else "frequency"


def button(text: str, action: str, value: str, style: str | None = None, confirm: bool = False) -> dict[str, Any]:
    button: dict[str, Any] = {"type": "button", "action_id": action, "value": value,
                              "text": {"type": "plain_text", "text": text}}
    if style:
        button["style"] = style
    if confirm:
        button["confirm"] = {"title": {"type": "plain_text", "text": "Delete this digest?"},
                             "text": {"type": "plain_text", "text": "It stops posting for everyone."},
                             "confirm": {"type": "plain_text", "text": "Delete"},
                             "deny": {"type": "plain_text", "text": "Keep it"}, "style": "danger"}
    return button


def digest_blocks(digest: Digest) -> list[dict[str, Any]]:
    """One digest in a list: what, where, when, status; Pause or Resume, Edit time, Delete."""
    text = f"*{escape(digest.question)}* → {escape(digest.where())}\n{escape(status_line(digest))}"
    toggle = button("Resume", RESUME, digest.digest_id, "primary") if digest.state == "paused" \
        else button("Pause", PAUSE, digest.digest_id)
    return [{"type": "section", "text": {"type": "mrkdwn", "text": clip(text)}},
            {"type": "actions", "block_id": f"digest_{digest.digest_id}", "elements": [
                toggle, button("Edit time", EDIT, digest.digest_id),
                button("Delete", DELETE, digest.digest_id, "danger", confirm=True)]}]


def list_blocks(digests: list[Digest]) -> list[dict[str, Any]]:
    if not digests:
        return [{"type": "section", "text": {"type": "mrkdwn", "text":
                 "You have no digests. Press *Schedule* under an answer, or say e.g. \"every Monday at 9 "
                 "post revenue by category last week here\"."}}]
    blocks: list[dict[str, Any]] = [{"type": "header", "text": {"type": "plain_text", "text": "Your digests"}}]
    for digest in digests[:23]:  # Slack's 50 blocks per message
        blocks += digest_blocks(digest)
    if len(digests) > 23:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"and {len(digests) - 23} more"}]})
    return blocks


def home_blocks(digests: list[Digest]) -> list[dict[str, Any]]:
    """The App Home tab's digests section."""
    return [{"type": "section", "text": {"type": "mrkdwn", "text":
             "Ask me about the data in any channel I'm in, or here in Messages."}},
            {"type": "divider"}, *list_blocks(digests)][:100]
