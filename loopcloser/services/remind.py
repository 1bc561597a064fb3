"""Reminding the agent: which reminders are due, and delivering each at least once.

The rules of when a reminder is due are ``core.reminders``; this use case reads
the open loops, hands each reminder to the delivery the agent chose and records
it in its loop's history.

At least once. The outbox is the loops' own history: a reminder that the rules
call due and that no ``reminded`` event records is waiting to go out, and every
run sends what is waiting. So a reminder is recorded only after its delivery
returned, in a short write of its own (together with the older reminders of its
loop and kind that it supersedes, recorded unsaid). A run killed at any moment
(the OOM killer, a power cut, a laptop lid) has recorded exactly what it
delivered, but for the one delivery in flight: that one is still waiting, and
the next run sends it again (or, once its moment has passed, the newer reminder
of its kind that says the same). A kill may repeat one reminder; it never drops
one. No list of reminders under way is kept apart: it would be a second account
of what the history already says, one that could disagree with it (a loop closed
or snoozed meanwhile), and one more file of customer details for ``forget`` to
find.

Right before each delivery the loop is read afresh (from the open-loop index,
without the store's lock): a loop closed, handed off, snoozed or changed so that
the reminder is no longer due reminds nobody. The store's lock is held only for
those short writes, never across a delivery, so the agent's commands never wait
on a slow one; a lock beside the store keeps two runs apart.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from loopcloser.core.documents import BadRecords, load, loader
from loopcloser.core.model import ACTIVE, Loop, apply, to_document
from loopcloser.core.replica import carried
from loopcloser.services.loops import open_documents
from loopcloser.storage.store import Busy

if TYPE_CHECKING:
    from loopcloser.core.reminders import Reminder, Rules
    from loopcloser.core.when import Calendar
    from loopcloser.services.context import Context
    from loopcloser.storage.store import Store

Deliver = Callable[[list["Reminder"]], object]
"""Hands reminders to a way out and returns once they are out, or raises."""


class AnotherRun(Busy):
    """Another remind holds this store's side lock; it fires what is due."""


@dataclass(frozen=True)
class Queued:
    """A reminder to say, and the reminders its delivery settles."""

    said: Reminder
    settles: list[Reminder]
    """Itself and those of its loop and kind it supersedes: recorded with it, unsaid."""


def fire_reminders(
    store: Store,
    now: datetime,
    rules: Rules,
    calendar: Calendar,
    by: str,
    deliver: Deliver,
    together: bool = False,
    bad: BadRecords | None = None,
) -> list[Reminder]:
    """Deliver the reminders due now, most urgent first; record each once it is out.

    One reminder at a time (a notification, a command, a mail, a post), or all of
    them in one hand-over when ``together`` (the run's JSON on standard output).
    A delivery that raises leaves that reminder, and those after it, due for the
    next run; those delivered before it stay recorded. AnotherRun if a run is on.
    A malformed loop is noted in ``bad`` and the others still fire.
    """
    with one_run_at_a_time(store):
        queued = queue(due_reminders(store, now, rules, calendar, bad=bad))
        delivered: list[Reminder] = []
        for batch in [queued] if together else [[entry] for entry in queued]:
            ready = still_due(store, batch, now, rules, calendar)
            if not ready:
                continue
            said = [entry.said for entry in ready]
            deliver(said)
            # Only now that they are out: killed before this write, they are still
            # due, and the next run sends them again.
            record_fired(store, [each for entry in ready for each in entry.settles], now, by)
            delivered.extend(said)
    return delivered


@contextmanager
def one_run_at_a_time(store: Store) -> Iterator[None]:
    """Hold the lock beside the store that keeps remind runs apart; AnotherRun if taken.

    It never waits: a run started by the timer while another still delivers steps
    aside, and the one delivering sends what is due.
    """
    with ExitStack() as held:
        try:
            held.enter_context(store.side_lock("remind"))
        except Busy as busy:
            # Only this lock's: a store lock held too long is a store problem to report.
            raise AnotherRun(busy.message, busy.hint) from None
        yield


def queue(due: list[Reminder]) -> list[Queued]:
    """The reminders to say, most urgent first, each with those it supersedes."""
    kinds: dict[tuple[int, str], list[Reminder]] = {}
    for reminder in due:
        kinds.setdefault((reminder.loop_id, reminder.kind), []).append(reminder)
    return [
        Queued(reminder, kinds[reminder.loop_id, reminder.kind])
        for reminder in due
        if reminder.shown
    ]


def still_due(
    store: Store, batch: list[Queued], now: datetime, rules: Rules, calendar: Calendar
) -> list[Queued]:
    """Those of ``batch`` still due as their loops stand now, read afresh."""
    loop_ids = {entry.said.loop_id for entry in batch}
    fresh = due_reminders(store.reopened(), now, rules, calendar, loop_ids, BadRecords())
    due = {(reminder.loop_id, reminder.key) for reminder in fresh}
    return [entry for entry in batch if (entry.said.loop_id, entry.said.key) in due]


def record_fired(store: Store, reminders: list[Reminder], now: datetime, by: str) -> list[Reminder]:
    """Add a reminded event for each reminder to its loop, in one write; returns those."""
    from loopcloser.core.reminders import fired_keys, reminded

    recorded = []
    with store.transaction() as transaction:
        loops: dict[int, Loop] = {}
        documents: dict[int, dict[str, Any]] = {}
        for reminder in reminders:
            if reminder.loop_id not in loops:
                document = transaction.get(reminder.loop_id)
                if document is None:
                    continue  # removed meanwhile (handed off): nothing to remind of here
                documents[reminder.loop_id] = document
                loops[reminder.loop_id] = load(reminder.loop_id, document)
            loop = loops[reminder.loop_id]
            if loop.state not in ACTIVE or reminder.key in fired_keys(loop):
                continue  # closed meanwhile, or fired by a run that read a newer store
            loops[reminder.loop_id] = apply(loop, reminded(reminder, now, by))
            recorded.append(reminder)
        # Only the loops that changed: a delivery whose loop was closed meanwhile writes nothing.
        changed = {reminder.loop_id for reminder in recorded}
        transaction.put_many(
            {
                loop_id: carried(documents[loop_id], to_document(loops[loop_id]))
                for loop_id in changed
            }
        )
    return recorded


def due_reminders(
    store: Store,
    now: datetime,
    rules: Rules,
    calendar: Calendar,
    loop_ids: Collection[int] | None = None,
    bad: BadRecords | None = None,
) -> list[Reminder]:
    """The reminders that would fire now (of those loops only, if given), without firing them.

    A malformed loop is noted in ``bad`` and left out; without ``bad``, it is an error.
    """
    from loopcloser.core.reminders import pending

    documents = open_documents(store)
    wanted = documents.keys() if loop_ids is None else documents.keys() & set(loop_ids)
    read = loader(bad)
    loops = [loop for loop_id in wanted if (loop := read(loop_id, documents[loop_id])) is not None]
    return pending(loops, now, rules, calendar)


def delivery(ctx: Context) -> Deliver:
    """What hands reminders, one by one, to the way out the ``delivery`` setting names."""
    from loopcloser.delivery.ways_out import reminder_sender

    send = reminder_sender(ctx.settings)

    def deliver(reminders: list[Reminder]) -> None:
        for reminder in reminders:
            send(reminder)

    return deliver
