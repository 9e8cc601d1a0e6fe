"""What the sidebar says you can ask about: the model's measures and breakdowns, and examples.

Example questions are made from the model (a measure by a breakdown, a monthly trend) and kept
only when the engine understands them, so every example a person clicks gets an answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from engine.semantic_model import SemanticModel

MAX_EXAMPLES = 6
MAX_VALUES_SHOWN = 5
MAX_SYNONYMS_SHOWN = 3


@dataclass(frozen=True)
class Topic:
    label: str
    detail: str = ""  # synonyms of a measure, example values of a breakdown


@dataclass(frozen=True)
class ModelGuide:
    description: str
    measures: list[Topic] = field(default_factory=list)
    breakdowns: list[Topic] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)


def model_guide(model: SemanticModel, values: dict[str, list[str]], understands: Callable[[str], bool],
                max_examples: int = MAX_EXAMPLES) -> ModelGuide:
    """The guide for ``model``; ``understands(question)`` says whether the engine can answer it."""
    measures = [Topic(m.label, ", ".join(s for s in m.synonyms[:MAX_SYNONYMS_SHOWN]))
                for m in model.metrics.values()]
    breakdowns = []
    for dim in model.dimensions.values():
        shown = sorted(values.get(dim.name) or [])[:MAX_VALUES_SHOWN]
        more = len(values.get(dim.name) or []) - len(shown)
        breakdowns.append(Topic(dim.label, ", ".join(shown) + (f", ... ({more} more)" if more > 0 else "")))
    return ModelGuide(model.description, measures, breakdowns,
                      _examples(model, values, understands, max_examples))


def _examples(model: SemanticModel, values: dict[str, list[str]], understands: Callable[[str], bool],
              limit: int) -> list[str]:
    examples: list[str] = []
    used_dimensions: set[str] = set()
    # breakdowns with a few known values make short tables; customers or products by name do not
    dimensions = [d for d in model.dimensions.values() if 0 < len(values.get(d.name) or []) <= 50] \
        or list(model.dimensions.values())
    for metric in model.metrics.values():
        if len(examples) >= limit:
            break
        label = metric.label[0].lower() + metric.label[1:]
        if len(examples) % 3 == 2 and metric.time is not None and understands(q := f"Monthly {label} this year"):
            examples.append(q)
            continue
        for dim in sorted(dimensions, key=lambda d: d.name in used_dimensions):
            dim_label = dim.label[0].lower() + dim.label[1:]
            question = f"{metric.label} by {dim_label} last year"
            if understands(question):
                examples.append(question)
                used_dimensions.add(dim.name)
                break
    return examples
