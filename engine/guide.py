"""What the bot can answer, from the semantic model: for the surfaces that tell people (Slack's
App Home and suggested prompts, Teams' prompt starters).

Example questions are written from the model's own words (a total by a breakdown, a ranking, a
trend compared with last year, an average over time), so a new model gets its own examples; only
candidates the rules understand as they stand are kept, and the tests ask every example of the
shipped and of a drafted model and expect an answer. Verified questions, when they exist, come
first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from engine.errors import BotError
from engine.language.understanding import Understanding
from engine.semantic_model import SemanticModel

MAX_EXAMPLES = 4


@dataclass(frozen=True)
class Guide:
    """Metrics (label, what they count), breakdowns, and example questions."""

    name: str
    metrics: tuple[tuple[str, str], ...]
    dimensions: tuple[str, ...]
    examples: tuple[str, ...]


def _word(label: str) -> str:
    """A label as it reads inside a question: "Customer region" -> "customer region", "CSAT" kept."""
    return label if label.isupper() else label[:1].lower() + label[1:]


def example_questions(model: SemanticModel, verified: Iterable[str] = (), limit: int = MAX_EXAMPLES) -> list[str]:
    """Questions that show what the model answers: verified ones first, then written from the model."""
    found = list(dict.fromkeys(q.strip() for q in verified if q.strip()))
    understanding = Understanding(model, {})

    def understood(question: str) -> bool:
        try:
            understanding.understand(question, dt.date.today())
        except BotError:
            return False
        return True

    candidates = _candidates(model)
    found += [q for q in candidates if q not in found and understood(q)]
    return found[:limit]


def _candidates(model: SemanticModel) -> list[str]:
    """Questions written from the model: a total by a breakdown, a ranking, this year against the
    last, an average (or a second total) by month; each with the alternatives tried when the
    first reading of a word is not the intended one."""
    found: list[str] = []
    metrics = list(model.metrics.values())
    timed = [m for m in metrics if m.time is not None]
    totals = [m for m in timed if m.additive] or timed
    averages = [m for m in timed if not m.additive]
    if not metrics:
        return found
    main = totals[0] if totals else metrics[0]
    reachable = [d for d in model.dimensions.values() if d.column.table in _tables(model, main)]
    dims = [d for d in reachable if d.values] or reachable
    metric = _word(main.label)
    for dim in dims[:3]:
        found.append(f"{metric} by {_word(dim.label)} last quarter")
    for dim in dims[1:4]:
        found.append(f"top 5 {_plural(_word(dim.label))} by {metric} this year")
        found.append(f"which {_word(dim.label)} has the highest {metric} this year")
    if main.time is not None:
        found.append(f"monthly {metric} this year vs last year")
    for other in [*averages, *totals[1:]][:3]:
        found.append(f"{_word(other.label)} by month this year")
    return _one_per_kind(found)


KINDS = ("A measure by a breakdown", "A ranking", "This year against last year", "A trend by month")


def _kind(question: str) -> int:
    if question.startswith(("top 5", "which")):
        return 1
    if "vs last year" in question:
        return 2
    if question.endswith("by month this year"):
        return 3
    return 0


def _one_per_kind(candidates: list[str]) -> list[str]:
    """Candidates in the order of their kind (breakdown, ranking, comparison, trend), alternatives
    of a kind kept behind the first of every kind."""
    firsts: dict[int, str] = {}
    for question in candidates:
        firsts.setdefault(_kind(question), question)
    return list(dict.fromkeys([firsts[k] for k in sorted(firsts)] + candidates))


def _plural(words: str) -> str:
    if words.endswith("y") and not words.endswith(("ay", "ey", "oy", "uy")):
        return words[:-1] + "ies"
    return words + ("es" if words.endswith(("s", "x", "ch", "sh")) else "s")


SHORTER = ((" this year vs last year", " vs last year"), (" last quarter", ""), (" this year", ""))


def prompt_starters(model: SemanticModel, verified: Iterable[str] = (), title_chars: int = 32) -> list[dict[str, str]]:
    """Teams' prompt starters (the bot's command list): the example questions that fit a title of
    ``title_chars``, shortened by their time words when needed, each with what it shows."""
    verified = list(verified)
    starters = []
    for question in example_questions(model, verified, limit=6):
        title = question
        for words, shorter in SHORTER:
            if len(title) > title_chars and title.endswith(words):
                title = title[: -len(words)] + shorter
        if len(title) <= title_chars:
            kind = "A verified question" if question in verified else KINDS[_kind(question)]
            starters.append({"title": title, "description": f"{kind}: {question}"[:128]})
    return starters


def _tables(model: SemanticModel, metric) -> set[str]:  # noqa: ANN001 - a Metric
    """Tables a metric's rows can be broken down by: its roots and everything they join to."""
    reached = set(metric.roots)
    changed = True
    while changed:
        changed = False
        for join in model.joins:
            if join.left in reached and join.right not in reached:
                reached.add(join.right)
                changed = True
    return reached


def build_guide(model: SemanticModel, verified: Iterable[str] = ()) -> Guide:
    metrics = tuple((m.label, m.filter_label) for m in model.metrics.values())
    dimensions = tuple(d.label for d in model.dimensions.values())
    return Guide(model.name, metrics, dimensions, tuple(example_questions(model, verified)))
