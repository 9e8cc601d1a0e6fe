"""A ReplyPoster that routes each answer to the poster of its target's platform."""

from __future__ import annotations

from engine.domain import Answer, ReplyTarget
from engine.ports import ReplyPoster, chart_later


class UnknownPlatform(LookupError):
    """No poster is configured for a reply target's platform."""


class RoutingPoster:
    def __init__(self, posters: dict[str, ReplyPoster] | None = None,
                 default: ReplyPoster | None = None) -> None:
        self.posters = dict(posters or {})
        self.default = default

    def register(self, platform: str, poster: ReplyPoster) -> None:
        self.posters[platform] = poster

    def _poster(self, target: ReplyTarget) -> ReplyPoster:
        poster = self.posters.get(target.platform, self.default)
        if poster is None:
            raise UnknownPlatform(f"no poster for platform {target.platform!r}")
        return poster

    def post(self, target: ReplyTarget, answer: Answer) -> None:
        self._poster(target).post(target, answer)

    def chart_later(self, target: ReplyTarget) -> bool:
        """Whether the target's platform poster adds charts to answers already posted."""
        return chart_later(self._poster(target), target)

    def post_chart(self, target: ReplyTarget, answer: Answer) -> None:
        self._poster(target).post_chart(target, answer)  # type: ignore[attr-defined]
