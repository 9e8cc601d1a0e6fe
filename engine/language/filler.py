"""Words that carry no meaning of their own in a question about data, by grammatical class.

A word is filler only in its context: event verbs ("sold", "placed", "opened") only next to a
measure or an entity they describe, "us" only as the object of a verb ("show us"), "new" only
before a count of things dated by their own creation. Everything else the grammar and the
vocabulary did not read is reported to the user, never dropped.
"""

from __future__ import annotations

from collections.abc import Callable

FUNCTION_WORDS = frozenset("""
a an the this that these those all any each every some both either such
i me my mine we us our ours you your yours it its they them their theirs he she his her one there here
people folks everyone anyone someone anybody somebody everybody much many like
who whom whose which what when where why how
am is are was were be been being do does did done has have had having can could will would
shall should may might must let get got
and or nor but so then than also too as if whether
of in on at to for from by with within into onto about across among amongst around under
through throughout during per via out up off upon over
s t d ll ve re m
""".split())
REQUEST_WORDS = frozenset("""
show tell give list display return find fetch pull see look looking need want know bring
enumerate please thanks thank hi hey hello okay ok sql query queries report run check
""".split())
# nouns and adjectives that only say "a number about ...": the measure named next to them says which
MEASURE_WORDS = frozenset("""
number numbers count counts amount amounts sum sums total totals overall value values figure
figures data stat stats statistic statistics volume volumes breakdown performance result
results metric metrics kpi kpis info information detail details overview summary level levels
unique distinct different individual separate actual combined altogether together respectively
currently ever really actually just only exactly approximately roughly about right moment
$ & usd dollar dollars money cash
""".split())
# verbs of the events a measure counts: filler when a measure or an entity is named
EVENT_VERBS = frozenset("""
sold sell sells selling bought buy buys buying purchased purchase purchasing placed place
made make makes making generated generate generating earned earn earning brought came come
coming went go goes gone happened happen happening opened created received raised submitted
filed logged signed joined registered enrolled onboarded hired paid pay paying spent spend
spending used use uses using serve serves served offer offers offered carry carries carried
stock stocks stocked exist exists existed available perform performs performed performing
doing took take takes taking involve involving contain containing recorded booked accept
accepts accepted support supports supported own owns owned collect collected collecting
contact contacts contacted contacting reach reached reaching visit visits visited visiting
work works worked working employ employs employed based located situated headquartered
""".split())
FOLLOW_UP_WORDS = frozenset("instead now again also too then same well additionally plus".split())
_PRONOUN_AFTER = frozenset("show give tell let get send bring find help".split())


def filler_role(words: list[str], i: int, context: "FillerContext") -> str | None:
    """Why word ``i`` of ``words`` is filler here, or None when it is not."""
    word = words[i]
    before = words[i - 1] if i > 0 else ""
    after = words[i + 1] if i + 1 < len(words) else ""
    if word == "us":  # "show us", "for us" (a pronoun) unless it names the country ("in the US")
        return "pronoun" if before not in ("the", "in") else None
    if word in FUNCTION_WORDS:
        return "function word"
    if word in REQUEST_WORDS:
        return "request"
    if word in MEASURE_WORDS:
        return "measure word"
    if word in FOLLOW_UP_WORDS:
        return "follow-up word"
    if word == "long" and before == "how":
        return "duration" if context.named_duration else None
    if word == "new":
        return "event" if context.counts_own_creation(after) else None
    if word in EVENT_VERBS or context.inflected(word):
        return "event verb" if context.named_anything else None
    return None


class FillerContext:
    """What a filler decision needs to know about the rest of the question."""

    def __init__(self, named_anything: bool, named_duration: bool,
                 counts_own_creation: Callable[[str], bool], inflected: Callable[[str], bool]) -> None:
        self.named_anything = named_anything
        self.named_duration = named_duration
        self.counts_own_creation = counts_own_creation
        self.inflected = inflected
