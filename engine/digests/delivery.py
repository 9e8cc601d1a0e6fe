"""What a poster raises when a digest cannot be delivered: light enough for the chat adapters
(the Slack receiver imports them) without the runner and the query engine behind it."""

from __future__ import annotations


class OwnerUnreachable(Exception):
    """A platform could not deliver a direct message to a digest's owner (they left)."""


class Undeliverable(Exception):
    """A platform refused a digest's post for good (the channel archived or gone, the bot removed)."""
