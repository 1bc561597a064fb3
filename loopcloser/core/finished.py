"""A finished loop read straight from its stored document, for reads of a whole store.

A long-used store is mostly closed and cancelled loops. Building each as a Loop
and deriving its flags takes some 40 µs, which is most of an export of 100,000
loops. A finished loop's flags do not depend on the moment, and a document in the
exact form the store writes holds its fields and events in their JSON form
already: its JSON can be taken from the document in a few µs (its dozen moments
checked together, see ``moments``). Every other document (a loop still open, one
an older loopcloser wrote with fractions of seconds, one edited by hand) gets None,
and the caller builds the loop, which also says what is wrong with it if anything
is. The tests hold both ways to one result.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from operator import itemgetter
from typing import Any

from loopcloser.core.model import KINDS, STORED_FIELDS, Flag

FINISHED = frozenset({"closed", "cancelled"})
LONGEST = 10**13
"""Seconds of an update cadence beyond which its stored form is left to the model."""
UNFLAGGED = {str(flag): False for flag in Flag}
"""The flags of a finished loop: each is about a loop still ours to close."""
JUST_STORED = len(STORED_FIELDS) + 1
"""How many keys a document has with its fields and events, and nothing else."""
SHAPE = "--T::Z"
"""Every third character of ``2026-11-25T09:00:00Z`` from the fifth: a moment's form."""
DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
SAMPLE = b"0000-00-00T00:00:00Z"
"""A moment as ``to_utc_text`` writes it, each digit read as 0 (see ``moments``)."""
EVENT_KEYS = ("kind", "at", "by", "text", "via", "told", "key", "uid", "void", "changes")
TEXT_KEYS = frozenset({"key", "uid", "void"})
stored_fields = itemgetter(*STORED_FIELDS)
at_of = itemgetter("at")
fromisoformat = datetime.fromisoformat
NOT_THE_FORM = (KeyError, TypeError, ValueError, AttributeError)
"""What reading a document out of the store's form raises here: then the model reads it."""


def moment(value: Any) -> bool:
    """Whether ``value`` is a moment as ``to_utc_text`` writes it, and a real one."""
    if type(value) is not str or len(value) != 20 or value[4::3] != SHAPE:
        return False
    try:
        fromisoformat(value)  # the digits, and a real day and time (not 2026-02-30)
    except ValueError:
        return False
    return True


def moments(values: list[Any]) -> bool:
    """Whether each of ``values`` is a moment as ``to_utc_text`` writes it, and a real one.

    All at once, so a document's dozen moments cost little more than one: their text,
    joined by ``|`` and each digit read as 0, is as many SAMPLEs joined so. A ``|`` or a
    character of several bytes in a value would shift what follows.
    """
    try:
        joined = "|".join(values).encode()
    except (TypeError, UnicodeEncodeError):  # one is not text, or holds a lone surrogate
        return False
    count = len(values)
    if joined.translate(DIGITS_AS_ZERO) != (TOGETHER.get(count) or together(count)):
        return False
    try:
        for _ in map(fromisoformat, values):  # a real day and time (not 2026-02-30)
            pass
    except ValueError:
        return False
    return True


TOGETHER: dict[int, bytes] = {}


def together(count: int) -> bytes:
    """``count`` SAMPLEs joined by ``|``, remembered for the next document of as many."""
    joined = b"|".join([SAMPLE] * count)
    if count < 100:  # a bound on what is remembered
        TOGETHER[count] = joined
    return joined


def finished_json(loop_id: int, document: Mapping[str, Any]) -> dict[str, Any] | None:
    """The JSON of a closed or cancelled loop (fields, flags and history), as
    ``render.tables.loop_json`` gives it for the loop the document makes; None when
    the loop is not finished or its document is not in the store's exact form."""
    try:
        return read(loop_id, document)
    except NOT_THE_FORM:
        return None


def read(loop_id: int, document: Mapping[str, Any]) -> dict[str, Any] | None:
    """finished_json, which may raise any of NOT_THE_FORM for a document out of form."""
    fields = stored_fields(document)
    (uid, customer, contact, prefers, via, promise, owner, created, due, state, remind,
     every, waiting, tags, ref, snoozed) = fields  # fmt: skip
    if state not in FINISHED or waiting is not None:  # a wait ends when its loop does
        return None
    events = document.get("events", [])
    if not (
        type(uid) is str
        and type(customer) is str
        and type(promise) is str
        and type(owner) is str
        and (contact is None or type(contact) is str)
        and (prefers is None or type(prefers) is str)
        and (via is None or type(via) is str)
        and (ref is None or type(ref) is str)
        and type(remind) is list
        and type(tags) is list
        and type(events) is list
        and (every is None or (type(every) is int and -LONGEST < every < LONGEST))
    ):
        return None
    for tag in tags:
        if type(tag) is not str:
            return None
    # Every moment of the document, its events' too, checked at once, after the walk
    # of its history (which adds the dues its events set, and may read a moment that
    # is none: then it stops, or its answer is dropped here).
    when = [created, due, *remind, *map(at_of, events)]
    if snoozed is not None:
        when.append(snoozed)
    facts = history_facts(events, due, when)
    if facts is None or not moments(when):
        return None
    first, last_contact, closed_at, expected, agreed = facts
    outcome = None
    if state == "closed":
        # Told when the last closing event says (a hand edit may have left none).
        told = closed_at or (events[-1]["at"] if events else created)
        outcome = "kept" if told <= first else "renegotiated" if told <= agreed else "late"
    if len(document) == JUST_STORED and "events" in document:
        data = dict(document)  # its fields and events (each as stored: as the JSON has it)
    else:  # a key of another program's (a hub's), which the JSON leaves out
        data = dict(zip(STORED_FIELDS, fields, strict=True))
        data["events"] = events
    data["id"] = loop_id
    data.update(UNFLAGGED)
    data["outcome"] = outcome
    data["last_contact"] = last_contact or created
    data["expected_due"] = expected
    return data


History = tuple[str, str | None, str | None, str, str]
CREATION, CONTACT, CLOSING, MOVE = 1, 2, 3, 4
ROLES = {kind: 0 for kind in KINDS} | {
    "created": CREATION, "contact": CONTACT, "closed": CLOSING, "rescheduled": MOVE
}  # fmt: skip
"""What each kind of event tells of a finished loop's flags (0: nothing); no other kind is."""


def history_facts(events: list[Any], due: str, when: list[Any]) -> History | None:
    """What the flags of a finished loop need from its history, if every event is stored
    exactly as ``event_to_document`` writes it (else None): the due first promised, the
    last contact, the last closing, and the dues expected and agreed (``model.terms``).

    The caller checks each event's moment, and those added to ``when``: the dues its
    events set (a value that is no moment makes no other answer than None, or an error).
    """
    original: str | None = None
    last_contact = closed_at = None
    moved = False  # a reschedule: the customer's terms need a walk of their own
    shapes, roles = SHAPES, ROLES
    for event in events:
        keys = tuple(event)
        known, optional, texts, changed = shapes.get(keys) or learn(keys)
        role = roles.get(event["kind"])
        if role is None or not known:
            return None
        for name in optional:
            if event[name] is None:
                return None
        for name in texts:
            if type(event[name]) is not str:
                return None
        if changed:
            changes = event["changes"]
            if type(changes) is not dict or not changes:
                return None  # no changes are written as no key, never as {}
            if role == CREATION and original is None and "due" in changes:
                original = changes["due"]
                when.append(original)
        if role == CONTACT:
            last_contact = event["at"]
        elif role == CLOSING:
            last_contact = closed_at = event["at"]
        elif role == MOVE:
            moved = True
    first = original or due
    if not moved:
        return first, last_contact, closed_at, first, first
    expected, agreed = agreed_terms(events, first, when)
    return first, last_contact, closed_at, expected, agreed


Shape = tuple[bool, tuple[str, ...], tuple[str, ...], bool]
"""Of an order of an event's keys: whether it is one the store writes, the optional keys
(never null), those of them that must be text, and whether "changes" is one."""
SHAPES: dict[tuple[str, ...], Shape] = {}
"""Each order of keys an event was seen with, and its Shape. A store holds a few dozen."""


def learn(keys: tuple[str, ...]) -> Shape:
    """The Shape of an event with ``keys``, remembered (see SHAPES)."""
    known = set(keys) <= set(EVENT_KEYS) and {"kind", "at", "by"} <= set(keys)
    optional = tuple(key for key in keys if key not in ("kind", "at", "by"))
    shape = known, optional, tuple(key for key in optional if key in TEXT_KEYS), "changes" in keys
    if len(SHAPES) < 1000:  # hand-made histories: a bound on what is remembered
        SHAPES[keys] = shape
    return shape


def agreed_terms(events: list[dict[str, Any]], original: str, when: list[Any]) -> tuple[str, str]:
    """The due the customer expects and the one agreed in time (see ``model.terms``); each
    new due a reschedule sets goes to ``when``, for the caller to check it is a moment."""
    expected = agreed = original
    pending: str | None = None
    for event in events:
        kind = event["kind"]
        if "void" in event or kind not in ("rescheduled", "contact"):
            continue
        news: str | None = None
        if kind == "rescheduled":
            new_due = event.get("changes", {}).get("due")
            when.append(new_due)
            news, pending = (new_due, None) if event.get("told") else (None, new_due)
        elif pending is not None:
            news, pending = pending, None
        if news is not None:
            if event["at"] <= agreed:
                agreed = news
            expected = news
    return expected, agreed
