"""A loop's stored document straight from the history an import row carries.

An import of a backup replays each row's history through the model (``apply``), an
event at a time: some 100 µs a loop, most of an import of 100,000 loops. A history
in the exact form the store keeps (each event with the keys ``event_to_document``
writes, in any order; each moment as ``to_utc_text`` writes it; each value of a
change in its stored form) can be folded on its stored values instead: each event's
changes set the fields they name, and its kind moves the state as ``apply`` would.
That gives the document the model would store, in a few µs. Any other row (an event
the model would refuse or read otherwise, a value out of its stored form, a field
that disagrees with the history) gets None, and the caller replays it through the
model, which also says what is wrong with it if anything is. The tests hold both
ways to one result.
"""

from __future__ import annotations

from collections.abc import Mapping
from operator import itemgetter
from typing import Any

from loopcloser.core.finished import LONGEST, moments
from loopcloser.core.model import ALLOWED_FROM, EDITABLE, STORED_FIELDS, TARGET, Kind, State

EVENT_ORDER = ("kind", "at", "by", "text", "via", "told", "key", "uid", "void", "changes")
"""An event's keys in the order ``event_to_document`` writes them."""
EVENT_TYPES = {name: str for name in EVENT_ORDER} | {"told": bool, "changes": dict}
CREATED_WITH = frozenset({"uid", "customer", "promise", "owner", "due"})
"""What a creation must set: the fields of a Loop without a default (besides when)."""
stored_fields = itemgetter(*STORED_FIELDS)
NOT_THE_FORM = (KeyError, TypeError, ValueError, AttributeError)
"""What folding a history out of the store's form raises here: then the model replays it."""

Rule = tuple[frozenset[str] | None, str | None]
RULES: dict[str, Rule] = {
    str(kind): (
        None if kind not in ALLOWED_FROM else frozenset(map(str, ALLOWED_FROM[kind])),
        None if kind not in TARGET else str(TARGET[kind]),
    )
    for kind in Kind
}
"""Of each kind of event, as ``apply`` has it: the states it may happen in (None: any),
and the state it leads to (None: the loop's own)."""
CREATED, EDITED, OPEN, WAITING = str(Kind.CREATED), str(Kind.EDITED), str(State.OPEN), "waiting"


def rebuilt(row: Mapping[str, Any]) -> dict[str, Any] | None:
    """The document the model stores for the loop a row's history makes (``to_document``
    of the loop ``importing.replayed`` makes); None when the history is not in the
    store's exact form, or would be refused, or the row says other than its history.

    The row's keys are a loop's, and its events a list (``importing.replayed`` checks).
    """
    document = folded(row["events"])
    return document if document is not None and agrees(row, document) else None


def folded(history: list[Any]) -> dict[str, Any] | None:
    """The document the model stores for the loop ``history`` (events as stored) makes,
    as ``replay`` then ``to_document`` make it; None when the history is out of that form,
    or the model would refuse it."""
    try:
        return fold(history)
    except NOT_THE_FORM:
        return None


def fold(history: list[Any]) -> dict[str, Any] | None:
    """folded, which may raise any of NOT_THE_FORM for a history out of form."""
    fields: dict[str, Any] = {}
    state: str | None = None
    events: list[dict[str, Any]] = []
    when: list[Any] = []  # every moment the history holds, checked at once
    orders, rules = ORDERS, RULES
    for event in history:
        keys = tuple(event)
        blank, types, changed, void = orders.get(keys) or learn(keys)
        if blank is None:
            return None
        stored = blank.copy()  # the event as stored: its keys in the store's order
        stored.update(event)
        if tuple(map(type, stored.values())) != types:
            return None  # a null, or a value of another type than the model reads
        kind = stored["kind"]
        allowed, target = rules[kind]  # KeyError for a kind that is none
        when.append(stored["at"])
        events.append(stored)
        changes = stored["changes"] if changed else None
        if changes is not None and not changes:
            return None  # no changes are written as no key
        if void and state is not None:
            continue  # kept in the history, changing nothing
        if kind == CREATED:
            if state is not None or changes is None or not changes.keys() >= CREATED_WITH:
                return None
            # Every field, in the store's order: a change keeps a field's place.
            fields = {
                "uid": None, "customer": None, "contact": None, "prefers": None, "via": None,
                "promise": None, "owner": None, "created": stored["at"], "due": None,
                "state": None, "remind": [], "update_every": None, "waiting_on": None,
                "tags": [], "ref": None, "snoozed_until": None,
            }  # fmt: skip
        elif (
            state is None
            or (allowed is not None and state not in allowed)
            or (kind == EDITED and changes is not None and not changes.keys() <= EDITABLE)
        ):
            return None  # apply refuses it
        if changes is not None:
            settled = settle(changes, when)
            if settled is None:
                return None
            fields.update(settled)
        if target is not None:
            if target != WAITING:
                fields["waiting_on"] = None  # a wait ends when the loop leaves waiting
            state = target
    if state is None or not moments(when):
        return None
    fields["state"] = state
    fields["events"] = events
    return fields if fields["uid"].strip() else None


def agrees(row: Mapping[str, Any], document: Mapping[str, Any]) -> bool:
    """Whether each stored field the row gives is the one its history makes, as it is
    written (``importing.check_agreement`` decodes the others, and may accept them)."""
    try:
        return bool(stored_fields(row) == stored_fields(document))  # a row with every field
    except KeyError:
        return all(row[name] == document[name] for name in STORED_FIELDS if name in row)


Order = tuple[dict[str, Any] | None, tuple[type, ...], bool, bool]
ORDERS: dict[tuple[str, ...], Order] = {}
"""Each order of keys an event was seen with: the same keys in the store's order, as a
dict to copy and fill (None for keys no stored event has), the types of their values,
and whether the event has changes and is void. A file holds a few dozen such orders."""


def learn(keys: tuple[str, ...]) -> Order:
    """The Order of an event with ``keys``, remembered (see ORDERS)."""
    learnt: Order = (None, (), False, False)
    if set(keys) <= set(EVENT_ORDER) and {"kind", "at", "by"} <= set(keys):
        order = [name for name in EVENT_ORDER if name in keys]
        types = tuple(EVENT_TYPES[name] for name in order)
        learnt = dict.fromkeys(order), types, "changes" in keys, "void" in keys
    if len(ORDERS) < 1000:  # hand-made histories: a bound on what is remembered
        ORDERS[keys] = learnt
    return learnt


# --- the values of a change -----------------------------------------------------------

# How each field's stored form is checked (see settle).
TEXT, MAYBE_TEXT, MOMENT, MAYBE_MOMENT, MOMENTS, TAGS, CADENCE, WAITING_ON = range(8)
FIELD_FORMS = {
    "uid": TEXT, "customer": TEXT, "promise": TEXT, "owner": TEXT,
    "contact": MAYBE_TEXT, "prefers": MAYBE_TEXT, "via": MAYBE_TEXT, "ref": MAYBE_TEXT,
    "created": MOMENT, "due": MOMENT, "snoozed_until": MAYBE_MOMENT,
    "remind": MOMENTS, "tags": TAGS, "update_every": CADENCE, "waiting_on": WAITING_ON,
}  # fmt: skip
"""What a change may set (not the state, which only an event's kind moves), and how."""
NONE = type(None)
FORM_TYPES: dict[int, tuple[type, ...]] = {
    TEXT: (str,), MAYBE_TEXT: (str, NONE), MOMENT: (str,), MAYBE_MOMENT: (str, NONE),
    MOMENTS: (list,), TAGS: (list,), CADENCE: (int, NONE), WAITING_ON: (dict, NONE),
}  # fmt: skip
"""The types of each form's stored value (none at all: the model reads no tags or
reminders as empty ones)."""

Settling = tuple[tuple[str, ...], tuple[tuple[str, int], ...]] | None
SETTLINGS: dict[tuple[tuple[str, ...], tuple[type, ...]], Settling] = {}
"""Of each order of names a change was seen with, and the types of their values: the
names of its moments, and those of its values that need a look of their own (None when
it is not in the store's form). A creation sets a dozen fields: one look-up for them."""


def settle(changes: dict[str, Any], when: list[Any]) -> dict[str, Any] | None:
    """The fields an event's changes set, as the model stores them, if each is in its
    stored form already (its moments go to ``when``, checked later); else None."""
    shape = (tuple(changes), tuple(map(type, changes.values())))
    settling = SETTLINGS[shape] if shape in SETTLINGS else learn_settling(shape)
    if settling is None:
        return None
    moment_names, looked_at = settling
    for name in moment_names:
        when.append(changes[name])
    fields = changes  # shared with the event: nothing changes either, once made
    for name, form in looked_at:
        value = changes[name]
        if form == CADENCE:
            if not -LONGEST < value < LONGEST:
                return None
        elif form == MOMENTS:
            when.extend(value)
        elif form == TAGS:
            "".join(value)  # TypeError for a tag that is not text
        else:  # a wait, as encode_waiting writes it: its keys in that order
            if len(value) != 2 or type(value["party"]) is not str:
                return None
            until = value["until"]
            if until is not None:
                when.append(until)
            if fields is changes:
                fields = dict(changes)  # the event keeps its changes as they came
            fields[name] = {"party": value["party"], "until": until}
    return fields


def learn_settling(shape: tuple[tuple[str, ...], tuple[type, ...]]) -> Settling:
    """The Settling of a change of this shape, remembered (see SETTLINGS)."""
    moment_names: list[str] = []
    looked_at: list[tuple[str, int]] = []
    settling: Settling = None
    for name, kind in zip(*shape, strict=True):
        form = FIELD_FORMS.get(name)
        if form is None or kind not in FORM_TYPES[form]:
            break
        if kind is NONE:
            continue
        if form in (MOMENT, MAYBE_MOMENT):
            moment_names.append(name)
        elif form in (MOMENTS, TAGS, WAITING_ON, CADENCE):
            looked_at.append((name, form))
    else:
        settling = tuple(moment_names), tuple(looked_at)
    if len(SETTLINGS) < 1000:
        SETTLINGS[shape] = settling
    return settling
