"""Undo: revert the most recent journalled change, one step back at a time.

Every change made through :mod:`loopcloser.services.loops` journals the loops as they
were before it. Undo puts them back and drops the entry, without journalling
itself, so a second undo steps further back. It reads no clock and prints nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from loopcloser.core.documents import load
from loopcloser.core.errors import BadInput, InvalidTransition, StoreError
from loopcloser.core.model import from_utc_text
from loopcloser.core.replica import SENT
from loopcloser.core.words import _, n_

if TYPE_CHECKING:
    from loopcloser.storage.store import Store


@dataclass(frozen=True)
class Reverted:
    """A change that undo has just reverted."""

    what: str
    at: datetime
    by: str
    loop_ids: tuple[int, ...]

    @property
    def what_said(self) -> str:
        """``what`` in the language in use, for people; ``what`` stays as the journal keeps it."""
        return in_words(self.what)


@dataclass(frozen=True)
class Pending:
    """A journalled change, as ``undo --list`` shows it; ``blocked`` says why undo refuses it."""

    what: str
    at: datetime
    by: str
    loop_ids: tuple[int, ...]
    blocked: str | None = None

    @property
    def what_said(self) -> str:
        """``what`` in the language in use, for people; ``what`` stays as the journal keeps it."""
        return in_words(self.what)

    @property
    def blocked_said(self) -> str | None:
        """``blocked`` in the language in use, for people; None when undo would revert it."""
        return None if self.blocked is None else in_words(self.blocked)


def undo(store: Store) -> Reverted:
    """Revert the most recent journalled change in one transaction; it is not journalled."""
    with store.transaction() as transaction:
        journal = transaction.journal()
        if not journal:
            raise BadInput(
                _("nothing to undo"),
                hint=_("undo reverts the changes made since the store was created or last erased"),
            )
        entry_id, entry = journal[0]
        change = _pending(entry)
        if change.blocked is not None:
            raise InvalidTransition(
                _("cannot undo '{what}': {reason}").format(
                    what=change.what_said, reason=change.blocked_said
                ),
                hint=_("undo stops here; make the change you want with a new command instead"),
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
        raise BadInput(
            _("the limit must be at least 1, not {limit}").format(limit=limit),
            hint=_("for example --limit 10"),
        )
    return [_pending(entry) for _entry_id, entry in store.journal()[:limit]]


def _pending(entry: Mapping[str, Any]) -> Pending:
    """A journal entry read back, or StoreError if it was edited out of shape."""
    what, at, by, blocked = (entry.get(key) for key in ("what", "at", "by", "blocked"))
    if not (isinstance(what, str) and isinstance(at, str) and isinstance(by, str)):
        raise _malformed_entry(_("it lacks what, at or by"))
    if blocked is not None and not isinstance(blocked, str):
        raise _malformed_entry(_("its 'blocked' reason is not text"))
    try:
        moment = from_utc_text(at)
    except ValueError:
        raise _malformed_entry(_("its time '{at}' is not ISO-8601").format(at=at)) from None
    loop_ids = tuple(sorted(_before(entry)))
    return Pending(what=what, at=moment, by=by, loop_ids=loop_ids, blocked=blocked)


def _before(entry: Mapping[str, Any]) -> dict[int, dict[str, Any] | None]:
    """The loops as they were before the change, by id (None: the change created it)."""
    before = entry.get("before")
    if not isinstance(before, dict) or not before:
        raise _malformed_entry(_("it names no loops"))
    loops: dict[int, dict[str, Any] | None] = {}
    for key, document in before.items():
        if not (key.isascii() and key.isdigit() and key[0] != "0"):
            raise _malformed_entry(_("'{key}' is not a loop id").format(key=key))
        if document is not None and not isinstance(document, dict):
            raise _malformed_entry(_("its copy of loop #{id} is not a document").format(id=key))
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
            _("cannot undo '{what}': loop #{id} is no longer in the store").format(
                what=in_words(what), id=loop_id
            ),
            hint=_(
                "it was removed outside loopcloser; restore the store from a backup "
                "if you want it back"
            ),
        )
    if (before or {}).get(SENT) != current.get(SENT):
        raise InvalidTransition(
            _("cannot undo '{what}': loop #{id} was synced with the team hub since").format(
                what=in_words(what), id=loop_id
            ),
            hint=_("the team has it now; make the change you want with a new command instead"),
        )
    if before is None:
        return
    load(loop_id, before)  # a journal copy edited out of shape must not be restored
    # Every change appends to a loop's history; a history that no longer extends the
    # journalled one was rewritten outside loopcloser, and reverting would discard that.
    old_events, new_events = unstamped(before.get("events", [])), unstamped(current.get("events"))
    if not isinstance(new_events, list) or new_events[: len(old_events)] != old_events:
        raise StoreError(
            _("cannot undo '{what}': loop #{id}'s history was changed outside loopcloser").format(
                what=in_words(what), id=loop_id
            ),
            hint=_("see it with: loopcloser show {id}; fix it by hand or restore a backup").format(
                id=loop_id
            ),
        )


def _malformed_entry(why: str) -> StoreError:
    return StoreError(
        _("an undo journal entry is malformed: {reason}").format(reason=why),
        hint=_("the store was left untouched; restore it from a backup or fix the entry by hand"),
    )


# --- the journal's words, as people read them ---------------------------------------

LOOP_IDS = r"(?P<loops>#\d+(?:, #\d+)*)"
CHANGED = re.compile(rf"(?P<words>[a-z -]+?) {LOOP_IDS}")
ARRIVED = re.compile(r"#(?P<id>\d+) arrived from (?P<agent>.+)", re.DOTALL)
HANDED_OFF = re.compile(r"handed off #(?P<id>\d+) to (?P<agent>.+)", re.DOTALL)
IMPORTED = re.compile(
    r"import from (?P<source>.*): (?P<added>[\d,]+) added, (?P<updated>[\d,]+) updated", re.DOTALL
)
HANDED_OVER_BY = re.compile(
    r"loop #(?P<id>\d+) was handed over by (?P<agent>.+); hand it back instead of undoing",
    re.DOTALL,
)
HANDED_OFF_TO = re.compile(
    r"loop #(?P<id>\d+) was handed off to (?P<agent>.+); ask them to hand it back", re.DOTALL
)


def in_words(kept: str) -> str:
    """A journal entry's ``what`` or ``blocked`` in the language in use.

    The journal keeps the English words loopcloser wrote them in (``--json`` shows them
    so); each is put in the language in use when shown. Words of another hand (an older
    loopcloser, a hand edit) are shown as they are. The patterns follow what the writers
    keep: services.loops (with core.documents.change_words), storage.team, services.importing.
    """
    changed = CHANGED.fullmatch(kept)
    if changed is not None:
        count = changed["loops"].count("#")
        said = _change_words(changed["words"], count)
        return kept if said is None else said.format(loops=changed["loops"])
    for pattern, words in (
        (ARRIVED, _("#{id} arrived from {agent}")),
        (HANDED_OFF, _("handed off #{id} to {agent}")),
        (IMPORTED, _("import from {source}: {added} added, {updated} updated")),
        (
            HANDED_OVER_BY,
            _("loop #{id} was handed over by {agent}; hand it back instead of undoing"),
        ),
        (HANDED_OFF_TO, _("loop #{id} was handed off to {agent}; ask them to hand it back")),
    ):
        found = pattern.fullmatch(kept)
        if found is not None:
            return words.format(**found.groupdict())
    return kept


def _change_words(words: str, count: int) -> str | None:
    """What a change of ``count`` loops did, by the words the journal keeps for it."""
    said = {
        "added": n_("added {loops}", "added {loops}", count),
        "created": n_("created {loops}", "created {loops}", count),
        "edited": n_("edited {loops}", "edited {loops}", count),
        "note": n_("note {loops}", "note {loops}", count),
        "contact": n_("contact {loops}", "contact {loops}", count),
        "waiting": n_("waiting {loops}", "waiting {loops}", count),
        "resumed": n_("resumed {loops}", "resumed {loops}", count),
        "handoff": n_("handoff {loops}", "handoff {loops}", count),
        "reassigned": n_("reassigned {loops}", "reassigned {loops}", count),
        "rescheduled": n_("rescheduled {loops}", "rescheduled {loops}", count),
        "done": n_("done {loops}", "done {loops}", count),
        "closed": n_("closed {loops}", "closed {loops}", count),
        "cancelled": n_("cancelled {loops}", "cancelled {loops}", count),
        "reopened": n_("reopened {loops}", "reopened {loops}", count),
        "reminded": n_("reminded {loops}", "reminded {loops}", count),
        "snoozed": n_("snoozed {loops}", "snoozed {loops}", count),
        "re-snoozed": n_("re-snoozed {loops}", "re-snoozed {loops}", count),
        "lifted the snooze of": n_(
            "lifted the snooze of {loops}", "lifted the snooze of {loops}", count
        ),
    }
    return said.get(words)
