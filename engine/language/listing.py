"""Listings: rows of an entity ("the 5 most recent orders", "stores in EMEA", "products that cost
more than $500") and the values of a dimension ("list our brands")."""

from __future__ import annotations

from typing import Literal, cast

from engine.errors import NeedsClarification
from engine.language.grammar import Parsed
from engine.language.mentions import Mention
from engine.language.resolve import BY_WORDS, Resolver, nearest
from engine.semantic_model import SemanticModel
from engine.semantic_query import Condition, SemanticQuery


def listing_entity(model: SemanticModel, resolver: Resolver, parsed: Parsed) -> str | None:
    """The entity whose rows are asked for ("the 5 most recent orders"), or None."""
    if not model.entities or parsed.derived.times:
        return None  # "customers who ordered 3+ times": a count of their orders, not a row's number
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
    filters = resolver.filters([m for m in mentions if "value" in m.kinds()], tables,
                               [entity.from_table], "list", f"{entity.label}s", parsed.mentions)
    named: list[tuple[Mention, str]] = [(m, s.name) for m in mentions for s in m.senses
                                        if s.kind == "measure" and s.value == name]
    time = parsed.time
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
    return SemanticQuery(metrics=[], filters=filters, time_range=time.range,
                         order=cast(Literal["asc", "desc"] | None, order), limit=limit,
                         conditions=conditions, entity=name, sort=sort, count=parsed.counting)


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
