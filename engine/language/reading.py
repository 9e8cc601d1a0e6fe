"""The interpretation of one question as it is built: which element read which words.

Every grammar parser and the vocabulary scan *claim* the stretches of the question they read
(the claimed characters are blanked in ``Reading.text``, so later parsers never read a word twice).
What no parser claims is filler in its context or is reported: a word never vanishes. The
reading also collects what the summary must say: corrections ("read 'reveune' as revenue") and
assumptions ("by customer region").
"""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.language.vocabulary import tokenize


@dataclass(frozen=True)
class Claim:
    start: int  # character span in ``Reading.source``
    end: int
    role: str  # "time", "condition", "ranking", "metric", "value", "filler", ...
    detail: str = ""


@dataclass(frozen=True)
class Correction:
    """A word the speller or the abbreviation rules read as another word."""

    original: str
    word: str
    start: int  # span of ``word`` in ``Reading.source``
    end: int
    kind: str = "spelling"  # "spelling" | "abbreviation"


@dataclass
class Reading:
    """The normalised question, what has read it so far, and what the summary must say."""

    source: str
    text: str = ""
    claims: list[Claim] = field(default_factory=list)
    corrections: list[Correction] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.text:
            self.text = self.source

    def take(self, role: str, new_text: str, detail: str = "") -> None:
        """Record what a parser read: the stretches ``new_text`` blanks out of ``text``."""
        assert len(new_text) == len(self.text), "parsers blank, they never shorten"
        start = None
        for i, (old, new) in enumerate(zip(self.text + " ", new_text + " ")):
            if old != " " and new == " ":
                if start is None:
                    start = i
            elif start is not None:
                self.claims.append(Claim(start, i, role, detail))
                start = None
        self.text = new_text

    def claim(self, start: int, end: int, role: str, detail: str = "") -> None:
        """Claim ``source[start:end]`` for ``role`` (and blank it in ``text``)."""
        self.take(role, self.text[:start] + " " * (end - start) + self.text[end:], detail)

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def role_at(self, position: int) -> str | None:
        for claim in self.claims:
            if claim.start <= position < claim.end:
                return claim.role
        return None

    def words(self) -> list[tuple[str, str]]:
        """Each word of the question with the element that read it ("unknown" if none did)."""
        return [(self.source[start:end], self.role_at(start) or "unknown")
                for _, start, end in tokenize(self.source)]

    def unaccounted(self) -> list[str]:
        return [word for word, role in self.words() if role == "unknown"]

    def correction_in(self, start: int, end: int) -> Correction | None:
        return next((c for c in self.corrections if c.start < end and start < c.end), None)
