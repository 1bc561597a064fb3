"""What an agent does to a store: add a loop, change one, look loops up.

These functions tie the pure model to the store; they read no clock and
print nothing, so any front end can call them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any, NamedTuple

from loopcloser.core.documents import (
    MALFORMED,
    BadRecords,
    change_words,
    finished_before,
    is_open,
    journal_entry,
    kept_facts,
    load,
    loader,
    sweep_terms,
)
from loopcloser.core.errors import NotFound
from loopcloser.core.model import (
    ACTIVE,
    Event,
    Flags,
    Loop,
    State,
    apply,
    derive,
    flags_at,
    from_document,
    to_document,
    to_utc_text,
    urgency,
)
from loopcloser.core.replica import carried
from loopcloser.core.text import folded
from loopcloser.core.words import _

if TYPE_CHECKING:
    from loopcloser.services.context import Context
    from loopcloser.storage.store import Store


def open_documents(store: Store) -> dict[int, dict[str, Any]]:
    """The documents of the loops still ours to close, from the store's index if it has one."""
    try:
        return store.hot_documents()
    except ValueError:  # a Store opened without the index
        return {key: doc for key, doc in store.documents().items() if is_open(doc)}


def documents_since(store: Store, since: datetime) -> dict[int, dict[str, Any]]:
    """The loops still open or finished since ``since``, for pages about a period.

    Of the archive, only the months from ``since`` on are read.
    """
    finished = finished_before(since)
    documents = {**store.archived_since(to_utc_text(since)), **store.documents()}
    return {key: doc for key, doc in documents.items() if not finished(doc)}


def add(store: Store, created: Event) -> Loop:
    """Store a new loop from its creation event; returns it with its id."""
    loop = apply(None, created)
    with store.transaction() as transaction:
        loop_id = transaction.insert(to_document(loop))
        transaction.log(journal_entry(created, f"added #{loop_id}", {loop_id: None}))
    return loop._replace(id=loop_id)


def change(store: Store, loop_id: int, event: Event | Callable[[Loop], Event]) -> Loop:
    """Apply an event to loop ``loop_id`` under the store's lock; returns the result.

    ``event`` may be a function of the loop as it stands under the lock, for changes
    that depend on it (adding a tag to the tags another process just saved).
    """
    return change_all(store, [loop_id], event)[0]


def change_all(
    store: Store, loop_ids: Sequence[int], event: Event | Callable[[Loop], Event]
) -> list[Loop]:
    """Apply an event to each of ``loop_ids`` in one write: all of them change, or none.

    One journal entry holds them all, so one ``undo`` reverts the lot.
    """
    loops: list[Loop] = []
    before: dict[int, dict[str, Any] | None] = {}
    with store.transaction() as transaction:
        for loop_id in loop_ids:
            # A loop finished long ago is in the archive: changing it brings it back.
            document = transaction.get(loop_id) or transaction.bring_back(loop_id)
            if document is None:
                raise not_found(loop_id)
            loop = load(loop_id, document)
            applied = event(loop) if callable(event) else event
            words = change_words(loop, applied)
            loop = apply(loop, applied)
            transaction.put(loop_id, carried(document, to_document(loop)))
            loops.append(loop)
            before[loop_id] = document
        named = ", ".join(f"#{loop_id}" for loop_id in loop_ids)
        transaction.log(journal_entry(applied, f"{words} {named}", before))
    return loops


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


def not_found(loop_id: int) -> NotFound:
    """The error for an id the store does not hold."""
    return NotFound(
        _("no loop #{id} in this store").format(id=loop_id),
        hint=_("see the ids with: loopcloser list --all"),
    )


class Query(NamedTuple):
    """Which loops ``list`` shows; the default is every loop still ours to close."""

    states: frozenset[State] = ACTIVE
    customer: str | None = None
    tags: tuple[str, ...] = ()
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
            or (self.grep is not None and not mentions(loop, folded(self.grep)))
        )


def mentions(loop: Loop, needle: str) -> bool:
    """Whether the customer, the promise or any note or message contains ``needle``."""
    texts = [loop.customer, loop.promise, *(event.text for event in loop.events if event.text)]
    return any(needle in folded(text) for text in texts)


def select(
    store: Store,
    query: Query,
    now: datetime,
    tz: tzinfo,
    cadence: timedelta | None = None,
    bad: BadRecords | None = None,
) -> list[tuple[Loop, Flags]]:
    """The loops matching ``query`` with their flags, most urgent first.

    A malformed loop is noted in ``bad`` and left out; without ``bad``, it is an error.
    """
    if query.states <= ACTIVE:
        documents, known = open_documents(store), store.indexed_facts()
    else:
        documents, known = store.all_documents(), {}
    rows = matching(documents, query, now, tz, cadence, loader(bad), known)
    return most_urgent_first(rows)


def matching(
    documents: dict[int, dict[str, Any]],
    query: Query,
    now: datetime,
    tz: tzinfo,
    cadence: timedelta | None,
    read: Callable[[int, dict[str, Any]], Loop | None],
    known: Mapping[str, Any] | None = None,
) -> list[tuple[Loop, Flags]]:
    """The loops among ``documents`` that ``query`` wants, with their flags, unsorted.

    ``known`` are the facts the index keeps of them, by id as text: what their flags
    need, without a walk through each history.
    """
    wanted_states = {str(state) for state in query.states}
    customer = folded(query.customer) if query.customer is not None else None
    rows = []
    for loop_id, document in documents.items():
        # Cheap checks on the raw document first: most loops in a long-used
        # store are closed, and building them is the expensive part.
        # A field of the wrong type is left for load() to report, never skipped silently.
        state, tags = document.get("state"), document.get("tags", [])
        if isinstance(state, str) and state not in wanted_states:
            continue
        if query.owner is not None and document.get("owner") != query.owner:
            continue
        # Every tag asked for, not any: --tag billing --tag vip narrows the list.
        if isinstance(tags, list) and not all(tag in tags for tag in query.tags):
            continue
        if customer is not None and not matches_customer(document, customer):
            continue
        row = with_flags(loop_id, document, now, tz, cadence, read, known)
        if row is not None and query.wants(*row):
            rows.append(row)
    return rows


def with_flags(
    loop_id: int,
    document: dict[str, Any],
    now: datetime,
    tz: tzinfo,
    cadence: timedelta | None,
    read: Callable[[int, dict[str, Any]], Loop | None],
    known: Mapping[str, Any] | None,
) -> tuple[Loop, Flags] | None:
    """The loop and its flags at ``now``; None for a loop ``read`` passes over.

    A loop whose facts the index keeps was read whole when they were worked out: its
    flags come from them, and its history is read only if something looks at it.
    """
    facts = kept_facts(known.get(str(loop_id))) if known else None
    if facts is not None:
        with suppress(*MALFORMED):  # a hand-edited index: the document says it all
            loop = from_document(loop_id, document, read_before=True)
            return loop, flags_at(facts, now, tz, cadence)
    found = read(loop_id, document)
    return None if found is None else (found, derive(found, now, tz, cadence))


def status_counts(ctx: Context) -> dict[str, int]:
    """The loops still open and the count of each flag of the status line, now: as the
    prompt's status file counts them, from what the index keeps of each loop's history.

    A malformed loop is noted in ``ctx.bad`` and left out.
    """
    from loopcloser.core.status import standing

    known = ctx.store().open_facts(loader(ctx.bad))
    return standing(known, ctx.now, ctx.tz, ctx.cadence).counts


def most_urgent_first(rows: list[tuple[Loop, Flags]]) -> list[tuple[Loop, Flags]]:
    """Rows in the order a list shows them: overdue, untold, then by the due it shows."""
    return sorted(rows, key=lambda row: (*urgency(*row), row[0].owner, row[0].id))


def matches_customer(document: dict[str, object], needle: str) -> bool:
    """A match on the customer's name or contact details, in any case, accents or not."""
    return any(
        isinstance(value, str) and needle in folded(value)
        for value in (document.get("customer"), document.get("contact"))
    )


def archive(ctx: Context, after: timedelta) -> tuple[int, int]:
    """Move the loops finished over ``after`` ago to the archive: (moved, kept)."""
    synced = ctx.settings.hub is not None
    return ctx.store().sweep(sweep_terms(ctx.now, after, ctx.tz, synced))
