"""A ReplyPoster that routes each answer to the poster of its target's platform."""

from __future__ import annotations

from engine.domain import Answer, ReplyTarget
from engine.ports import ReplyPoster


class UnknownPlatform(LookupError):
    """No poster is configured for a reply target's platform."""


class RoutingPoster:
    def __init__(self, posters: dict[str, ReplyPoster] | None = None,
                 default: ReplyPoster | None = None) -> None:
        self.posters = dict(posters or {})
        self.default = default

    def register(self, platform: str, poster: ReplyPoster) -> None:
        self.posters[platform] = poster

    def post(self, target: ReplyTarget, answer: Answer) -> None:
        poster = self.posters.get(target.platform, self.default)
        if poster is None:
            raise UnknownPlatform(f"no poster for platform {target.platform!r}")
        poster.post(target, answer)
