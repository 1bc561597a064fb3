"""A finished loop read straight from its stored document, for reads of a whole store.

A long-used store is mostly closed and cancelled loops. Building each as a Loop
and deriving its flags takes some 40 µs, which is most of an export of 100,000
loops. A finished loop's flags do not depend on the moment, and a document in the
exact form the store writes holds its fields and events in their JSON form
already: its JSON can be taken from the document in a few µs. Every other
document (a loop still open, one an older loopcloser wrote with fractions of
seconds, one edited by hand) gets None, and the caller builds the loop, which also
says what is wrong with it if anything is. The tests hold both ways to one result.
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
SHAPE = "--T::Z"
"""Every third character of ``2026-11-25T09:00:00Z`` from the fifth: a moment's form."""
EVENT_KEYS = ("kind", "at", "by", "text", "via", "told", "key", "uid", "void", "changes")
TEXT_KEYS = frozenset({"key", "uid", "void"})
stored_fields = itemgetter(*STORED_FIELDS)
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
    (uid, customer, contact, prefers, via, promise, owner, created, due, state, remind,
     every, waiting, tags, ref, snoozed) = stored_fields(document)  # fmt: skip
    if state not in FINISHED or waiting is not None:  # a wait ends when its loop does
        return None
    if not (
        type(uid) is str
        and type(customer) is str
        and type(promise) is str
        and type(owner) is str
        and (contact is None or type(contact) is str)
        and (prefers is None or type(prefers) is str)
        and (via is None or type(via) is str)
        and (ref is None or type(ref) is str)
        and moment(created)
        and moment(due)
        and (snoozed is None or moment(snoozed))
        and type(remind) is list
        and type(tags) is list
        and (every is None or (type(every) is int and -LONGEST < every < LONGEST))
    ):
        return None
    for at in remind:
        if not moment(at):
            return None
    for tag in tags:
        if type(tag) is not str:
            return None
    events = document.get("events", [])
    if type(events) is not list:
        return None
    facts = history_facts(events, due)
    if facts is None:
        return None
    first, last_contact, closed_at, expected, agreed = facts
    outcome = None
    if state == "closed":
        # Told when the last closing event says (a hand edit may have left none).
        told = closed_at or (events[-1]["at"] if events else created)
        outcome = "kept" if told <= first else "renegotiated" if told <= agreed else "late"
    return {
        "id": loop_id,
        "uid": uid,
        "customer": customer,
        "contact": contact,
        "prefers": prefers,
        "via": via,
        "promise": promise,
        "owner": owner,
        "created": created,
        "due": due,
        "state": state,
        "remind": remind,
        "update_every": every,
        "waiting_on": None,
        "tags": tags,
        "ref": ref,
        "snoozed_until": snoozed,
        **UNFLAGGED,
        "outcome": outcome,
        "last_contact": last_contact or created,
        "expected_due": expected,
        "events": events,  # each as stored: the form the JSON gives it
    }


History = tuple[str, str | None, str | None, str, str]


def history_facts(events: list[Any], due: str) -> History | None:
    """What the flags of a finished loop need from its history, if every event is stored
    exactly as ``event_to_document`` writes it (else None): the due first promised, the
    last contact, the last closing, and the dues expected and agreed (``model.terms``)."""
    original: str | None = None
    last_contact = closed_at = None
    moved = False  # a reschedule: the customer's terms need a walk of their own
    shapes = SHAPES
    for event in events:
        kind, at = event["kind"], event["at"]  # and "by", as the shape says
        optional = shapes.get(tuple(event)) or learn(tuple(event))
        if optional is NO_SHAPE or kind not in KINDS:
            return None
        for name in optional:
            value = event[name]
            if value is None or (name in TEXT_KEYS and type(value) is not str):
                return None
        if len(at) != 20 or at[4::3] != SHAPE:
            return None
        fromisoformat(at)
        if "changes" in event:
            changes = event["changes"]
            if type(changes) is not dict or not changes:
                return None  # no changes are written as no key, never as {}
            if kind == "created" and original is None and "due" in changes:
                original = changes["due"]
                if not moment(original):
                    return None
        if kind == "contact":
            last_contact = at
        elif kind == "closed":
            last_contact = closed_at = at
        elif kind == "rescheduled":
            moved = True
    first = original or due
    if not moved:
        return first, last_contact, closed_at, first, first
    terms = agreed_terms(events, first)
    if terms is None:
        return None
    return first, last_contact, closed_at, *terms


NO_SHAPE: tuple[str, ...] = ("",)
SHAPES: dict[tuple[str, ...], tuple[str, ...]] = {}
"""Each order of keys an event was seen with: its optional keys, or NO_SHAPE when it has
an unknown one or lacks one it must have. A store holds a few dozen such orders."""


def learn(keys: tuple[str, ...]) -> tuple[str, ...]:
    """The optional keys of an event with ``keys``, remembered (see SHAPES)."""
    known = set(keys) <= set(EVENT_KEYS) and {"kind", "at", "by"} <= set(keys)
    optional = tuple(key for key in keys if key not in ("kind", "at", "by")) if known else NO_SHAPE
    if len(SHAPES) < 1000:  # hand-made histories: a bound on what is remembered
        SHAPES[keys] = optional
    return optional


def agreed_terms(events: list[dict[str, Any]], original: str) -> tuple[str, str] | None:
    """The due the customer expects and the one agreed in time (see ``model.terms``);
    None for a reschedule whose new due is not in the store's form."""
    expected = agreed = original
    pending: str | None = None
    for event in events:
        kind = event["kind"]
        if "void" in event or kind not in ("rescheduled", "contact"):
            continue
        news: str | None = None
        if kind == "rescheduled":
            new_due = event.get("changes", {}).get("due")
            if not moment(new_due):
                return None
            news, pending = (new_due, None) if event.get("told") else (None, new_due)
        elif pending is not None:
            news, pending = pending, None
        if news is not None:
            if event["at"] <= agreed:
                agreed = news
            expected = news
    return expected, agreed
