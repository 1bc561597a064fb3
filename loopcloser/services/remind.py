"""Reminding the agent: which reminders are due, and delivering each at least once.

The rules of when a reminder is due are ``core.reminders``; this use case reads
the open loops, records what fired in the loops' histories and hands each
reminder to the delivery the agent chose.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from loopcloser.core.documents import load
from loopcloser.core.model import ACTIVE, Loop, apply, to_document
from loopcloser.services.loops import open_documents

if TYPE_CHECKING:
    from loopcloser.core.reminders import Reminder, Rules
    from loopcloser.core.when import Calendar
    from loopcloser.services.context import Context
    from loopcloser.storage.store import Store


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


def delivery(ctx: Context) -> Callable[[Reminder], None]:
    """What hands each reminder to the way out the ``delivery`` setting names.

    Under --json the terminal's lines give way to the JSON of what fired; every
    other way (a notification, a mail, a webhook) still delivers.
    """
    if ctx.as_json and ctx.settings["delivery"] == "terminal":
        return lambda reminder: None
    from loopcloser.delivery.ways_out import reminder_sender

    return reminder_sender(ctx.settings)
