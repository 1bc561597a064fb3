"""What an agent does to a store: add a loop, change one, look loops up.

These functions tie the pure model to the store; they read no clock and
print nothing, so any front end can call them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

from loopcloser.core.errors import NotFound, StoreError
from loopcloser.core.model import (
    ACTIVE,
    Event,
    Flags,
    Loop,
    State,
    apply,
    derive,
    from_document,
    to_document,
    to_utc_text,
    urgency,
)

if TYPE_CHECKING:
    from loopcloser.core.reminders import Reminder, Rules
    from loopcloser.core.when import Calendar
    from loopcloser.storage.store import Store, Sweep

ACTIVE_NAMES = frozenset(str(state) for state in ACTIVE)
FINISHED_NAMES = frozenset(str(state) for state in State) - ACTIVE_NAMES


def is_open(document: dict[str, Any]) -> bool:
    """Whether a stored loop is still ours to close: the store indexes these for speed.

    A state of the wrong type counts as open, so that load() reports it rather than
    the loop vanishing from every list.
    """
    state = document.get("state")
    return not isinstance(state, str) or state in ACTIVE_NAMES


def open_documents(store: Store) -> dict[int, dict[str, Any]]:
    """The documents of the loops still ours to close, from the store's index if it has one."""
    try:
        return store.hot_documents()
    except ValueError:  # a Store opened without the index
        return {key: doc for key, doc in store.documents().items() if is_open(doc)}


def finished_before(cutoff: datetime) -> Callable[[dict[str, Any]], bool]:
    """Whether a stored loop was closed or cancelled before ``cutoff``: it may be archived.

    Its last event tells when; a document edited out of shape stays where it is.
    """
    limit = to_utc_text(cutoff)[:19]

    def finished(document: dict[str, Any]) -> bool:
        if document.get("state") not in FINISHED_NAMES:
            return False
        events = document.get("events")
        if not isinstance(events, list) or not events:
            return False
        moments = [event.get("at") if isinstance(event, dict) else None for event in events]
        # Written by to_utc_text: "YYYY-MM-DDTHH:MM:SS..." in UTC sorts as text.
        texts = [at[:19] for at in moments if isinstance(at, str) and at.endswith("Z")]
        return len(texts) == len(moments) and max(texts) < limit

    return finished


def documents_since(store: Store, since: datetime) -> dict[int, dict[str, Any]]:
    """The loops still open or finished since ``since``, for pages about a period.

    The archive is read only when it may hold some: when it was swept after ``since``.
    """
    finished = finished_before(since)
    documents = store.documents()
    cutoff = store.archive_cutoff()
    if cutoff is not None and to_utc_text(since)[:19] < cutoff[:19]:
        documents = {**store.archived(), **documents}
    return {key: doc for key, doc in documents.items() if not finished(doc)}


def sweep_terms(now: datetime, after: timedelta, tz: tzinfo) -> Sweep:
    """What the daily sweep moves to the archive: loops finished over ``after`` ago."""
    from loopcloser.storage.store import Sweep

    cutoff = now - after
    return Sweep(
        retire=finished_before(cutoff),
        cutoff=to_utc_text(cutoff),
        mark=now.astimezone(tz).date().isoformat(),
    )


def add(store: Store, created: Event) -> Loop:
    """Store a new loop from its creation event; returns it with its id."""
    loop = apply(None, created)
    with store.transaction() as transaction:
        loop_id = transaction.insert(to_document(loop))
        transaction.log(journal_entry(created, f"added #{loop_id}", {loop_id: None}))
    return replace(loop, id=loop_id)


def journal_entry(
    event: Event, what: str, before: dict[int, dict[str, Any] | None]
) -> dict[str, Any]:
    """What ``undo`` needs to revert a change: the loops as they were before it."""
    return {
        "at": to_utc_text(event.at),
        "by": event.by,
        "what": what,
        "before": {str(loop_id): document for loop_id, document in before.items()},
    }


def change(store: Store, loop_id: int, event: Event | Callable[[Loop], Event]) -> Loop:
    """Apply an event to loop ``loop_id`` under the store's lock; returns the result.

    ``event`` may be a function of the loop as it stands under the lock, for changes
    that depend on it (adding a tag to the tags another process just saved).
    """
    with store.transaction() as transaction:
        # A loop finished long ago is in the archive: changing it brings it back.
        document = transaction.get(loop_id) or transaction.bring_back(loop_id)
        if document is None:
            raise not_found(loop_id)
        loop = load(loop_id, document)
        applied = event(loop) if callable(event) else event
        loop = apply(loop, applied)
        transaction.put(loop_id, to_document(loop))
        transaction.log(journal_entry(applied, f"{applied.kind} #{loop_id}", {loop_id: document}))
    return loop


def fetch(store: Store, loop_id: int) -> Loop:
    """The loop with this id, or NotFound; an open one comes from the store's index.

    One finished long ago comes from the archive.
    """
    document = (
        open_documents(store).get(loop_id) or store.get(loop_id) or store.archived_one(loop_id)
    )
    if document is None:
        raise not_found(loop_id)
    return load(loop_id, document)


def load(loop_id: int, document: dict[str, Any]) -> Loop:
    """A loop from its stored document; a document edited out of shape is a store error."""
    try:
        return from_document(loop_id, document)
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as error:
        raise StoreError(
            f"loop #{loop_id} in the store is malformed ({type(error).__name__}: {error})",
            hint="the file was left untouched; restore it from a backup or fix that loop by hand",
        ) from None


def not_found(loop_id: int) -> NotFound:
    """The error for an id the store does not hold."""
    return NotFound(
        f"no loop #{loop_id} in this store", hint="see the ids with: loopcloser list --all"
    )


@dataclass(frozen=True)
class Query:
    """Which loops ``list`` shows; the default is every loop still ours to close."""

    states: frozenset[State] = ACTIVE
    customer: str | None = None
    tag: str | None = None
    owner: str | None = None
    overdue: bool = False
    due_before: datetime | None = None
    waiting_on: str | None = None
    untold: bool = False
    silent: bool = False
    stale: bool = False
    grep: str | None = None
    untold_reschedule: bool = False

    def wants(self, loop: Loop, flags: Flags) -> bool:
        """Whether a loop, already past the cheap checks, matches the rest of the query."""
        waiting = loop.waiting_on.party.casefold() if loop.waiting_on else None
        return not (
            (self.due_before is not None and flags.expected_due >= self.due_before)
            or (self.untold_reschedule and not flags.untold_reschedule)
            or (self.overdue and not flags.overdue)
            or (self.untold and not flags.untold)
            or (self.silent and not flags.silent)
            or (self.stale and not flags.stale_wait)
            or (self.waiting_on is not None and waiting != self.waiting_on.strip().casefold())
            or (self.grep is not None and not mentions(loop, self.grep.casefold()))
        )


def mentions(loop: Loop, needle: str) -> bool:
    """Whether the customer, the promise or any note or message contains ``needle``."""
    texts = [loop.customer, loop.promise, *(event.text for event in loop.events if event.text)]
    return any(needle in text.casefold() for text in texts)


def select(
    store: Store, query: Query, now: datetime, tz: tzinfo, cadence: timedelta | None = None
) -> list[tuple[Loop, Flags]]:
    """The loops matching ``query`` with their flags, most urgent first."""
    wanted_states = {str(state) for state in query.states}
    customer = query.customer.casefold() if query.customer is not None else None
    rows = []
    documents = open_documents(store) if query.states <= ACTIVE else store.all_documents()
    for loop_id, document in documents.items():
        # Cheap checks on the raw document first: most loops in a long-used
        # store are closed, and building them is the expensive part.
        # A field of the wrong type is left for load() to report, never skipped silently.
        state, tags = document.get("state"), document.get("tags", [])
        if isinstance(state, str) and state not in wanted_states:
            continue
        if query.owner is not None and document.get("owner") != query.owner:
            continue
        if query.tag is not None and isinstance(tags, list) and query.tag not in tags:
            continue
        if customer is not None and not matches_customer(document, customer):
            continue
        loop = load(loop_id, document)
        flags = derive(loop, now, tz, cadence)
        if query.wants(loop, flags):
            rows.append((loop, flags))
    rows.sort(key=lambda row: (*urgency(*row), row[0].id))
    return rows


def matches_customer(document: dict[str, object], needle: str) -> bool:
    """Case-insensitive match on the customer's name or contact details."""
    return any(
        isinstance(value, str) and needle in value.casefold()
        for value in (document.get("customer"), document.get("contact"))
    )


def fire_reminders(
    store: Store,
    now: datetime,
    rules: Rules,
    calendar: Calendar,
    by: str,
    deliver: Callable[[Reminder], object],
) -> list[Reminder]:
    """Deliver the reminders due now, most urgent first, each once ever.

    A lock beside the store keeps two runs apart (the second raises Busy at once),
    while the store's own lock is held only for two short writes, so the agent's
    commands never wait on a slow delivery. Each reminder is recorded as fired
    before it is delivered; if delivery fails or is interrupted, those not yet
    delivered are unrecorded and fire on the next run.
    """
    with store.side_lock("remind"):
        due = due_reminders(store, now, rules, calendar)
        if not due:
            return []
        # Only what could be recorded is delivered: a loop closed or handed off
        # since it was read reminds nobody.
        due = record_fired(store, due, now, by)
        delivered: list[Reminder] = []
        try:
            for reminder in due:
                if reminder.shown:
                    deliver(reminder)
                delivered.append(reminder)
        except BaseException:
            unrecord_fired(store, [reminder for reminder in due if reminder not in delivered])
            raise
    return [reminder for reminder in delivered if reminder.shown]


def record_fired(store: Store, reminders: list[Reminder], now: datetime, by: str) -> list[Reminder]:
    """Add a reminded event for each reminder to its loop, in one write; returns those."""
    from loopcloser.core.reminders import fired_keys, reminded

    recorded = []
    with store.transaction() as transaction:
        loops: dict[int, Loop] = {}
        for reminder in reminders:
            if reminder.loop_id not in loops:
                document = transaction.get(reminder.loop_id)
                if document is None:
                    continue  # removed meanwhile (handed off): nothing to remind of here
                loops[reminder.loop_id] = load(reminder.loop_id, document)
            loop = loops[reminder.loop_id]
            if loop.state not in ACTIVE or reminder.key in fired_keys(loop):
                continue  # closed meanwhile, or fired by a run that read a newer store
            loops[reminder.loop_id] = apply(loop, reminded(reminder, now, by))
            recorded.append(reminder)
        for loop_id, loop in loops.items():
            transaction.put(loop_id, to_document(loop))
    return recorded


def unrecord_fired(store: Store, reminders: list[Reminder]) -> None:
    """Take back the reminded events of reminders that were never delivered."""
    keys = {(reminder.loop_id, reminder.key) for reminder in reminders}
    if not keys:
        return
    with store.transaction() as transaction:
        for loop_id in {loop_id for loop_id, _ in keys}:
            document = transaction.get(loop_id)
            if document is None:
                continue
            # A reminded event changes no field, so dropping it keeps replay exact.
            events = [
                event
                for event in document.get("events", [])
                if not (event.get("kind") == "reminded" and (loop_id, event.get("key")) in keys)
            ]
            transaction.put(loop_id, {**document, "events": events})


def due_reminders(store: Store, now: datetime, rules: Rules, calendar: Calendar) -> list[Reminder]:
    """The reminders that would fire now, without firing them."""
    from loopcloser.core.reminders import pending

    loops = [load(loop_id, document) for loop_id, document in open_documents(store).items()]
    return pending(loops, now, rules, calendar)


def shown(reminders: list[Reminder]) -> list[Reminder]:
    """The reminders to say out loud (a superseded one is recorded, not said)."""
    return [reminder for reminder in reminders if reminder.shown]
