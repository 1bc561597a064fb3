"""A store as a replica of the team hub: what waits to be sent, and loops rebuilt from
the hub's history.

A synced loop's document carries ``sent``: how many of its events, oldest first, the
hub holds in that order. The events after them are the store's outbox: made here and
not yet acknowledged. The hub decides the order of a loop's history; every replica
replays that history with the same pure rules, so all of them agree on its fields.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from loopcloser.core.documents import load
from loopcloser.core.errors import LoopcloserError
from loopcloser.core.model import Event, Loop, apply, event_from_document, to_document

SENT = "sent"
"""A stored loop's count of events the hub holds; absent on a loop never synced."""

CONFLICT = "conflict"


def fields_of(document: Mapping[str, Any]) -> dict[str, Any]:
    """A loop's stored fields, without its history and what the store knows of the hub."""
    return {name: value for name, value in document.items() if name not in ("events", SENT)}


def sent_count(document: Mapping[str, Any]) -> int:
    """How many of the loop's events the hub holds (0 for one never sent)."""
    value = document.get(SENT)
    return value if type(value) is int and value >= 0 else 0


def carried(before: Mapping[str, Any] | None, after: dict[str, Any]) -> dict[str, Any]:
    """``after`` (a loop's new document) keeping what ``before`` said the hub holds."""
    if before is not None and SENT in before:
        after[SENT] = before[SENT]
    return after


def unsent(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The loop's events made here and not yet acknowledged by the hub, oldest first."""
    events = document.get("events")
    return list(events[sent_count(document) :]) if isinstance(events, list) else []


def waiting(documents: Iterable[Mapping[str, Any]]) -> int:
    """How many events wait to be sent, over these documents."""
    return sum(len(unsent(document)) for document in documents)


def carried_on(loop: Loop | None, events: Iterable[Event], loop_id: int) -> Loop:
    """``loop`` after ``events`` in order; one its state refuses is kept, marked a conflict.

    Two machines of one agent may both change a loop offline: the hub orders their
    events, and an event that the other's change made impossible (closing it twice)
    stays in the history, changing nothing, rather than being dropped.
    """
    for event in events:
        try:
            loop = apply(loop, event, loop_id)
        except LoopcloserError:
            if loop is None:
                raise
            loop = apply(loop, _voided(event), loop_id)
    if loop is None:
        raise ValueError("a loop's history must start with its creation")
    return loop


def _voided(event: Event) -> Event:
    return event._replace(void=CONFLICT)


def rebuilt(
    document: Mapping[str, Any], hub_events: list[dict[str, Any]], loop_id: int
) -> tuple[dict[str, Any], dict[str, str]]:
    """The loop after the hub's events past ``sent``, replayed on what the hub held before.

    Returns the document (with its new ``sent``) and the events replay could not apply,
    by uid, for the hub to mark alike.
    """
    known = list(document.get("events", []))[: sent_count(document)]
    history = [event_from_document(event) for event in [*known, *hub_events]]
    loop = carried_on(None, history, loop_id)
    rebuilt_document = to_document(loop)
    rebuilt_document[SENT] = len(history)
    voided = {
        event.uid: CONFLICT
        for event in loop.events[len(known) :]
        if event.void == CONFLICT and event.uid is not None
    }
    return rebuilt_document, voided


def from_hub(
    fields: Mapping[str, Any],
    events: list[dict[str, Any]],
    local: Mapping[str, Any] | None,
    loop_id: int,
) -> dict[str, Any]:
    """The hub's copy of a loop as the store keeps it, with what waits here appended."""
    document = {
        **{name: value for name, value in fields.items() if name != "id"},  # another store's id
        "events": list(events),
        SENT: len(events),
    }
    waiting_here = [] if local is None else unsent(local)
    if not waiting_here:
        return document
    loop = carried_on(
        load(loop_id, document), (event_from_document(event) for event in waiting_here), loop_id
    )
    result = to_document(loop)
    result[SENT] = len(events)
    return result
