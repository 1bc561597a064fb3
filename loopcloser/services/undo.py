"""Undo: revert the most recent journalled change, one step back at a time.

Every change made through :mod:`loopcloser.services.loops` journals the loops as they
were before it. Undo puts them back and drops the entry, without journalling
itself, so a second undo steps further back. It reads no clock and prints nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from loopcloser.core.documents import load
from loopcloser.core.errors import BadInput, InvalidTransition, StoreError
from loopcloser.core.model import from_utc_text
from loopcloser.core.replica import SENT

if TYPE_CHECKING:
    from loopcloser.storage.store import Store


@dataclass(frozen=True)
class Reverted:
    """A change that undo has just reverted."""

    what: str
    at: datetime
    by: str
    loop_ids: tuple[int, ...]


@dataclass(frozen=True)
class Pending:
    """A journalled change, as ``undo --list`` shows it; ``blocked`` says why undo refuses it."""

    what: str
    at: datetime
    by: str
    loop_ids: tuple[int, ...]
    blocked: str | None = None


def undo(store: Store) -> Reverted:
    """Revert the most recent journalled change in one transaction; it is not journalled."""
    with store.transaction() as transaction:
        journal = transaction.journal()
        if not journal:
            raise BadInput(
                "nothing to undo",
                hint="undo reverts the changes made since the store was created or last erased",
            )
        entry_id, entry = journal[0]
        change = _pending(entry)
        if change.blocked is not None:
            raise InvalidTransition(
                f"cannot undo '{change.what}': {change.blocked}",
                hint="undo stops here; make the change you want with a new command instead",
            )
        before = _before(entry)
        # Check every loop before changing any, so a refusal names the first problem
        # found rather than whatever a half-done revert tripped on.
        for loop_id, document in before.items():
            _check_revertible(loop_id, document, transaction.get(loop_id), change.what)
        # In two passes over the store, not one per loop: an import may have added thousands.
        transaction.remove_many(
            [loop_id for loop_id, document in before.items() if document is None]
        )
        transaction.put_many(
            {
                loop_id: keep_reminders(keep_stamps(document, current), current)
                for loop_id, document in before.items()
                if document is not None
                for current in [transaction.get(loop_id)]
            }
        )
        transaction.forget_entries([entry_id])
    return Reverted(what=change.what, at=change.at, by=change.by, loop_ids=change.loop_ids)


STAMPS = ("uid", "by")
"""What a sync writes on events about to be sent: their uid, and their author."""


def keep_stamps(before: dict[str, Any], current: Mapping[str, Any] | None) -> dict[str, Any]:
    """The loop as it was, its events keeping what a sync stamped on them since, so a
    re-send of one the hub may already hold is known as one."""
    now = list(current.get("events", [])) if current is not None else []
    events = [
        {**event, **{key: now[index][key] for key in STAMPS if key in now[index]}}
        if index < len(now) and isinstance(now[index], dict)
        else event
        for index, event in enumerate(before.get("events", []))
    ]
    return {**before, "events": events}


def unstamped(events: Any) -> Any:
    """Events as they were made, without what a sync stamps on them."""
    if not isinstance(events, list):
        return events
    return [
        {key: value for key, value in event.items() if key not in STAMPS}
        if isinstance(event, dict)
        else event
        for event in events
    ]


def keep_reminders(before: dict[str, Any], current: Mapping[str, Any] | None) -> dict[str, Any]:
    """The loop as it was, plus the reminders fired since: undo must not make them fire again.

    A reminded event changes no field, so appending it keeps replay exact.
    """
    known = len(before.get("events", []))
    later = list(current.get("events", []))[known:] if current is not None else []
    fired = [event for event in later if event.get("kind") == "reminded"]
    return {**before, "events": [*before.get("events", []), *fired]} if fired else before


def pending(store: Store, limit: int = 10) -> list[Pending]:
    """What undo would revert, newest first, at most ``limit`` changes."""
    if limit < 1:
        raise BadInput(f"the limit must be at least 1, not {limit}", hint="for example --limit 10")
    return [_pending(entry) for _, entry in store.journal()[:limit]]


def _pending(entry: Mapping[str, Any]) -> Pending:
    """A journal entry read back, or StoreError if it was edited out of shape."""
    what, at, by, blocked = (entry.get(key) for key in ("what", "at", "by", "blocked"))
    if not (isinstance(what, str) and isinstance(at, str) and isinstance(by, str)):
        raise _malformed_entry("it lacks what, at or by")
    if blocked is not None and not isinstance(blocked, str):
        raise _malformed_entry("its 'blocked' reason is not text")
    try:
        moment = from_utc_text(at)
    except ValueError:
        raise _malformed_entry(f"its time '{at}' is not ISO-8601") from None
    loop_ids = tuple(sorted(_before(entry)))
    return Pending(what=what, at=moment, by=by, loop_ids=loop_ids, blocked=blocked)


def _before(entry: Mapping[str, Any]) -> dict[int, dict[str, Any] | None]:
    """The loops as they were before the change, by id (None: the change created it)."""
    before = entry.get("before")
    if not isinstance(before, dict) or not before:
        raise _malformed_entry("it names no loops")
    loops: dict[int, dict[str, Any] | None] = {}
    for key, document in before.items():
        if not (key.isascii() and key.isdigit() and key[0] != "0"):
            raise _malformed_entry(f"'{key}' is not a loop id")
        if document is not None and not isinstance(document, dict):
            raise _malformed_entry(f"its copy of loop #{key} is not a document")
        loops[int(key)] = document
    return dict(sorted(loops.items()))


def _check_revertible(
    loop_id: int, before: dict[str, Any] | None, current: dict[str, Any] | None, what: str
) -> None:
    """Refuse a revert that the store as it stands shows to be wrong."""
    if current is None:
        # The change left this loop in the store; only a hand edit can have removed it,
        # and putting it back would resurrect what someone chose to delete.
        raise StoreError(
            f"cannot undo '{what}': loop #{loop_id} is no longer in the store",
            hint="it was removed outside loopcloser; restore the store from a backup "
            "if you want it back",
        )
    if (before or {}).get(SENT) != current.get(SENT):
        raise InvalidTransition(
            f"cannot undo '{what}': loop #{loop_id} was synced with the team hub since",
            hint="the team has it now; make the change you want with a new command instead",
        )
    if before is None:
        return
    load(loop_id, before)  # a journal copy edited out of shape must not be restored
    # Every change appends to a loop's history; a history that no longer extends the
    # journalled one was rewritten outside loopcloser, and reverting would discard that.
    old_events, new_events = unstamped(before.get("events", [])), unstamped(current.get("events"))
    if not isinstance(new_events, list) or new_events[: len(old_events)] != old_events:
        raise StoreError(
            f"cannot undo '{what}': loop #{loop_id}'s history was changed outside loopcloser",
            hint=f"see it with: loopcloser show {loop_id}; fix it by hand or restore a backup",
        )


def _malformed_entry(why: str) -> StoreError:
    return StoreError(
        f"an undo journal entry is malformed: {why}",
        hint="the store was left untouched; restore it from a backup or fix the entry by hand",
    )
