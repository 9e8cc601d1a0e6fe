"""Typed errors. Each carries a message written for the person who asked the question."""

from __future__ import annotations


class BotError(Exception):
    """Base class: ``str(error)`` is a message a user can act on."""

    status = "error"


class Refused(BotError):
    """The request is not allowed: it would change data, or reads what the user may not read."""

    status = "refused"


class NeedsClarification(BotError):
    """The question is ambiguous or partly not understood; the message asks one specific question."""

    status = "clarify"

    def __init__(self, message: str, options: list[str] | None = None,
                 rewrites: dict[str, str] | None = None, uncertain: bool = False) -> None:
        super().__init__(message)
        self.options = options or []
        # True when the rules could not read the question (unknown words, no measure), as
        # opposed to a question they read as ambiguous: only then may an LLM planner try
        self.uncertain = uncertain
        # option -> the question rewritten with that option chosen, so a reply can continue it
        self.rewrites = rewrites or {}


class GuardRejected(Refused):
    """A SQL statement failed the guard (not one read-only SELECT over known tables and columns)."""


class ExecutionFailed(BotError):
    """The query engine could not run the statement."""


class ModelError(Exception):
    """The semantic model file is invalid; raised at start-up, for the data team, not for users."""


class QueryTimedOut(ExecutionFailed):
    """The query ran past the time limit (``ATHENA_BOT_QUERY_TIMEOUT_SECONDS``) and was stopped."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"This question took longer than {seconds:g} s to run, so I stopped it. "
                         "Try a shorter time range or fewer breakdowns.")
        self.seconds = seconds
