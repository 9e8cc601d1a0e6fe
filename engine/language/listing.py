"""Listings: rows of an entity ("the 5 most recent orders", "stores in EMEA", "products that cost
more than $500") and the values of a dimension ("list our brands")."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Literal, cast

from engine.errors import NeedsClarification
from engine.language.filler import EVENT_VERBS
from engine.language.grammar import Parsed
from engine.language.mentions import Mention
from engine.language.resolve import BY_WORDS, Resolver, nearest
from engine.semantic_model import SemanticModel
from engine.semantic_query import Condition, SemanticQuery, ValueFilter


# "customers who signed up this year", "stores that opened in 2023": a relative clause on the noun
_RELATIVE = re.compile(r"^\W*(?:\S+\s+){0,6}?(?:who|that|which)\s+(?!is\b|are\b|was\b|were\b)\w")
# "stores opened since 2024": a participle with an open-ended start, the things new since then
_SINCE = re.compile(r"\b(\w+)(?:\s+up)?\s+(?:since|after)\b")
# "customers in Singapore", "stores located in France": a place phrase before a value
_PLACE = {"in", "from"}


def _qualified(model: SemanticModel, parsed: Parsed, candidate: Mention, entity: str) -> bool:
    """The entity noun is qualified by a clause or a phrase of its own rows, with no measure word:
    the rows themselves are asked for ("customers in Singapore who signed up this year")."""
    after = parsed.source[candidate.chars[1]:]
    if _RELATIVE.search(after):
        return True
    since = _SINCE.search(after)
    if since and (since[1] in EVENT_VERBS or since[1].endswith("ed")):
        return True
    table = model.entities[entity].table
    return any("value" in m.kinds() and m.chars[0] > candidate.chars[1] and set(m.prefix) & _PLACE
               and any(s.kind == "value" and model.dimensions[s.name].column.table == table
                       for s in m.senses) for m in parsed.mentions)


def listing_entity(model: SemanticModel, resolver: Resolver, parsed: Parsed) -> str | None:
    """The entity whose rows are asked for ("the 5 most recent orders"), or None."""
    if not model.entities or parsed.derived.times:
        return None  # "customers who ordered 3+ times": a count of their orders, not a row's number
    if parsed.absence is not None:  # "customers with no orders": the rows themselves
        nouns = [m for m in parsed.mentions if "entity" in m.kinds()]
        if len(nouns) > 1:
            nouns = [m for m in nouns if not resolver.noun_after_value(m, parsed.mentions)]
        named = {s.name for m in nouns for s in m.senses if s.kind == "entity"}
        return next(iter(named)) if len(named) == 1 else None
    # "the latest 10 orders from consumer customers": the noun after a value only says whose
    entity_mentions = [m for m in parsed.mentions if "entity" in m.kinds()]
    if len(entity_mentions) > 1:  # "orders with more than 5 items": the items of an order, a measure
        entities = {s.name for m in entity_mentions for s in m.senses if s.kind == "entity"}
        for m in entity_mentions:
            own = [s for s in m.senses if s.kind == "measure" and s.value in entities]
            if own and any(s.name == own[0].value for o in entity_mentions if o is not m for s in o.senses):
                m.senses = own
        entity_mentions = [m for m in entity_mentions if "entity" in m.kinds()]
    if len(entity_mentions) > 1:
        entity_mentions = [m for m in entity_mentions if not resolver.noun_after_value(m, parsed.mentions)]
    if len(entity_mentions) != 1:
        return None
    candidate = entity_mentions[0]
    entity = next(s.name for s in candidate.senses if s.kind == "entity")
    for m in parsed.mentions:
        if m is candidate or (resolver.noun_after_value(m, parsed.mentions) and "entity" in m.kinds()):
            continue
        own_measure = any(s.kind == "measure" and s.value == entity for s in m.senses)
        if "metric" in m.kinds() and not own_measure:
            return None  # "customers by revenue": an aggregate
        if "dimension" in m.kinds() and (set(m.prefix) & BY_WORDS or "value" not in m.kinds()) \
                and not resolver.noun_after_value(m, parsed.mentions):
            return None  # "orders by channel", "countries with fewer than 100 orders"
    if parsed.time.grain:
        return None
    measure_named = any(s.kind == "measure" and s.value == entity
                        for m in parsed.mentions for s in m.senses)
    is_metric = any(s.kind == "metric" for s in candidate.senses)
    if parsed.counting:
        return entity if parsed.conditions or not is_metric else None
    if parsed.recency or parsed.conditions or (parsed.ranking.ranked and measure_named):
        return entity
    if parsed.listing_verb and not parsed.ranking.ranked:
        return entity
    if not parsed.ranking.ranked and _qualified(model, parsed, candidate, entity):
        return entity
    return None


def listing(model: SemanticModel, resolver: Resolver, name: str, parsed: Parsed,
            previous: SemanticQuery | None = None) -> SemanticQuery:
    """The listing of entity ``name`` the question asks for."""
    entity = model.entities[name]
    label = entity.label.lower()
    mentions = [m for m in parsed.mentions if "entity" not in m.kinds() or
                not any(s.kind == "entity" and s.name == name for s in m.senses)]
    for m in mentions:
        if "value" in m.kinds():
            m.senses = [s for s in m.senses if s.kind == "value"]
    tables = {c.table for c in entity.show} | {entity.table}
    values = [m for m in mentions if "value" in m.kinds()]
    absent = _absent(model, resolver, name, parsed, values, tables) if parsed.absence else None
    if absent is not None:
        values = [m for m in values if m not in absent[2]]
    filters = resolver.filters(values, tables, [entity.from_table], "list", f"{entity.label}s", parsed.mentions)
    named: list[tuple[Mention, str]] = [(m, s.name) for m in mentions for s in m.senses
                                        if s.kind == "measure" and s.value == name]
    time = parsed.time
    absent_range = None
    if absent is not None and not _own_time(parsed):
        absent_range, time = time.range, replace(time, range=None)
    if (time.range or time.compare) and entity.time is None:
        raise NeedsClarification(f"{entity.label}s have no date to filter on; ask without a time "
                                 "period, or for a measure over time.")
    conditions: list[Condition] = []
    for cond in parsed.conditions:
        target = nearest(cond, named) or entity.default_measure
        if cond.money and target is not None and entity.measures[target].format != "currency":
            # "appointments over $300": an amount of money, so the entity's money measure
            money = [m.name for m in entity.measures.values() if m.format == "currency"]
            target = money[0] if len(money) == 1 else None
        if target is None:
            raise NeedsClarification(f"Which number about {label}s should be "
                                     f"{cond.op} {cond.value:g}?",
                                     [m.label for m in entity.measures.values()])
        conditions.append(Condition(target, cond.op, cond.value, cond.high))
    sort: str | None = None
    order = None
    limit = None
    if parsed.recency:
        order, limit = parsed.recency
        sort = "time" if entity.time else None
    ranking = parsed.ranking
    if ranking.ranked and not named and previous is not None and previous.entity == name \
            and previous.sort:
        sort, order, limit = previous.sort, previous.order, ranking.limit  # "top 2 instead"
    elif ranking.ranked:
        measure = named[0][1] if named else entity.default_measure
        if measure is None:
            raise NeedsClarification(f"Rank {label}s by what?",
                                     [d.label for d in model.dimensions.values()][:5])
        sort, order, limit = measure, ranking.order, ranking.limit or limit
    if sort is None and entity.time is not None and not parsed.counting:
        sort, order = "time", "desc"
    query = SemanticQuery(metrics=[], filters=filters, time_range=time.range,
                          order=cast(Literal["asc", "desc"] | None, order), limit=limit,
                          conditions=conditions, entity=name, sort=sort, count=parsed.counting)
    if absent is not None:
        query = replace(query, absent=absent[0], absent_range=absent_range, absent_filters=absent[1])
        _note_absence(model, parsed, query)
    return query


# the entity's own dated event ("customers who signed up this year with no orders")
_OWN_DATE_VERBS = {"signed", "joined", "opened", "created", "registered", "hired", "started", "onboarded"}


def _own_time(parsed: Parsed) -> bool:
    """The period is the entity's own date when it follows the entity's own verb before the
    anti-join ("customers who signed up in 2025 and never ordered"); else it is the event's."""
    absence = parsed.absence
    starts = [c.start for c in parsed.reading.claims if c.role == "time"]
    if absence is None or not starts or starts[0] > absence.start:
        return False
    before = parsed.reading.source[:starts[0]].split()
    return bool(set(before) & _OWN_DATE_VERBS)


def _absent(model: SemanticModel, resolver: Resolver, name: str, parsed: Parsed, values: list[Mention],
            tables: set[str]) -> tuple[str, list[ValueFilter], list[Mention]]:
    """The anti-join's metric, the filters on its rows (values of its tables, not the entity's:
    "no online orders"), and the value mentions they came from."""
    assert parsed.absence is not None
    entity = model.entities[name]
    metric = model.metrics[parsed.absence.metric]
    roots = [r for r in metric.roots if model.join_path(r, entity.table) is not None
             and model.reachable(r, set(metric.tables))]
    if not roots:
        raise NeedsClarification(f"I can't tell which {entity.label.lower()}s have no "
                                 f"{metric.label.lower()}: {metric.label.lower()} are not linked to "
                                 f"{entity.label.lower()}s in this data.")
    inner = [m for m in values if not any(
        s.kind == "value" and model.dimensions[s.name].column.table in tables for s in m.senses)
        and any(s.kind == "value" and model.join_path(roots[0], model.dimensions[s.name].column.table)
                is not None for s in m.senses)]
    filters = resolver.filters(inner, set(metric.tables), roots[:1], "list", metric.label) if inner else []
    return metric.name, filters, inner


def _note_absence(model: SemanticModel, parsed: Parsed, query: SemanticQuery) -> None:
    """Say how the anti-join was read: which rows count as the event, over which period."""
    assert parsed.absence is not None and query.absent is not None
    metric = model.metrics[query.absent]
    what = metric.label.lower() + (f" ({metric.filter_label})" if metric.filter_label else "")
    when = (f" from {query.absent_range.start:%-d %b %Y} to {query.absent_range.end:%-d %b %Y}"
            if query.absent_range else " at any time")
    note = f"read \"{parsed.absence.words}\" as no {what}{when}"
    if re.search(r"\bsince\b", parsed.source) and query.absent_range is not None:
        note += ", including those with none before either"
    parsed.reading.note(note)


def values_listing(model: SemanticModel, resolver: Resolver, mentions: list[Mention]) -> SemanticQuery | None:
    """"list our brands", "what categories do we have": the values of a dimension."""
    dims = [m for m in mentions if "dimension" in m.kinds() and "value" not in m.kinds()]
    if len(dims) != 1:
        return None
    names = [s.name for s in dims[0].senses if s.kind == "dimension"]
    if len(names) > 1:
        options = [model.dimensions[d].label for d in names]
        raise NeedsClarification(f"Do you mean {' or '.join(options)}?", options)
    table = model.dimensions[names[0]].column.table
    # "which products do we carry in each category": "products" names rows, it is no filter value
    filters = resolver.filters([m for m in mentions if m.kinds() == {"value"}], {table}, [table],
                               "list", model.dimensions[names[0]].label)
    return SemanticQuery(metrics=[], dimensions=names, filters=filters)
