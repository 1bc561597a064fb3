"""Loops as the store keeps them: JSON documents, open or finished, swept, journalled.

Pure rules on plain dicts, shared by the storage layer (which indexes the open
ones and sweeps the finished ones to the archive) and the use cases (which turn
documents back into loops and journal what they change for ``undo``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime, timedelta, tzinfo
from typing import Any, NamedTuple

from loopcloser.core.errors import StoreError
from loopcloser.core.model import (
    ACTIVE,
    Event,
    Facts,
    Kind,
    Loop,
    State,
    facts,
    facts_from_json,
    facts_to_json,
    from_document,
    to_utc_text,
)
from loopcloser.core.words import _

ACTIVE_NAMES = frozenset(str(state) for state in ACTIVE)


FINISHED_NAMES = frozenset(str(state) for state in State) - ACTIVE_NAMES


def is_open(document: dict[str, Any]) -> bool:
    """Whether a stored loop is still ours to close: the store indexes these for speed.

    A state of the wrong type counts as open, so that load() reports it rather than
    the loop vanishing from every list.
    """
    state = document.get("state")
    return not isinstance(state, str) or state in ACTIVE_NAMES


def finished_at(document: dict[str, Any]) -> str | None:
    """When a stored loop was closed or cancelled, as UTC text to the second; None while
    it is open, or when its events are edited out of shape (such a loop stays put)."""
    if document.get("state") not in FINISHED_NAMES:
        return None
    events = document.get("events")
    if not isinstance(events, list) or not events:
        return None
    moments = [event.get("at") if isinstance(event, dict) else None for event in events]
    # Written by to_utc_text: "YYYY-MM-DDTHH:MM:SS..." in UTC sorts as text.
    texts = [at[:19] for at in moments if isinstance(at, str) and at.endswith("Z")]
    return max(texts) if len(texts) == len(moments) else None


def archive_month(document: dict[str, Any]) -> str:
    """Which file of the archive keeps a finished loop: the UTC month it was finished in
    ("2026-11"), so a page about a period reads only the months it covers; "" (the
    archive's first file) for a document that does not tell when it was finished."""
    finished = finished_at(document)
    return "" if finished is None else finished[:7]


def finished_before(cutoff: datetime) -> Callable[[dict[str, Any]], bool]:
    """Whether a stored loop was closed or cancelled before ``cutoff``: it may be archived."""
    limit = to_utc_text(cutoff)[:19]

    def finished(document: dict[str, Any]) -> bool:
        moment = finished_at(document)
        return moment is not None and moment < limit

    return finished


def sweep_terms(now: datetime, after: timedelta, tz: tzinfo, synced: bool = False) -> Sweep:
    """What the daily sweep moves to the archive: loops finished over ``after`` ago.

    With a team hub (``synced``), a loop stays until the hub holds all of its events:
    a sync reads the store, not its archive.
    """
    cutoff = now - after
    finished = finished_before(cutoff)

    def retire(document: dict[str, Any]) -> bool:
        if not finished(document):
            return False
        if not synced:
            return True
        sent, events = document.get("sent"), document.get("events")
        return isinstance(events, list) and sent == len(events)

    return Sweep(
        retire=retire,
        cutoff=to_utc_text(cutoff),
        mark=now.astimezone(tz).date().isoformat(),
    )


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


def change_words(before: Loop, event: Event) -> str:
    """What a change did, as ``undo --list`` names it: a snooze set, moved or lifted apart."""
    if event.kind is not Kind.SNOOZED:
        return str(event.kind)
    if event.changes.get("snoozed_until") is None:
        return "lifted the snooze of"
    still = before.snoozed_until is not None and before.snoozed_until > event.at
    return "re-snoozed" if still else "snoozed"


MALFORMED = (KeyError, TypeError, ValueError, AttributeError, OverflowError)
"""What reading a document edited out of shape raises."""


def load(loop_id: int, document: dict[str, Any]) -> Loop:
    """A loop from its stored document; a document edited out of shape is a store error."""
    try:
        return from_document(loop_id, document)
    except MALFORMED as error:
        raise StoreError(
            _("loop #{id} in the store is malformed ({kind}: {error})").format(
                id=loop_id, kind=type(error).__name__, error=error
            ),
            hint=_(
                "the file was left untouched; restore it from a backup or fix that loop by hand"
            ),
        ) from None


class BadRecords:
    """The loops a read passed over because their documents are out of shape.

    One malformed loop (a hand edit, a newer loopcloser) must not hide every other:
    a read that collects them here shows the rest, and the front end names these.
    """

    def __init__(self) -> None:
        self.found: dict[str, str] = {}  # which loop -> what is wrong

    def load(self, loop_id: int, document: dict[str, Any], where: str = "") -> Loop | None:
        """The loop, or None when its document is malformed (then noted here).

        ``where`` names the store when a read covers several.
        """
        try:
            return from_document(loop_id, document)
        except MALFORMED as error:
            kind = type(error).__name__
            self.found[f"{where}#{loop_id}"] = (
                _("loop #{id} of {store} is malformed ({kind}: {error})").format(
                    id=loop_id, store=where, kind=kind, error=error
                )
                if where
                else _("loop #{id} is malformed ({kind}: {error})").format(
                    id=loop_id, kind=kind, error=error
                )
            )
            return None


def load_or_none(loop_id: int, document: dict[str, Any]) -> Loop | None:
    """The loop, or None when its document is out of shape: for counts nobody reads a
    warning with (the prompt's status file); a command names such a loop."""
    try:
        return from_document(loop_id, document)
    except MALFORMED:
        return None


def loader(bad: BadRecords | None) -> Callable[[int, dict[str, Any]], Loop | None]:
    """How a read turns documents into loops: passing over bad ones, or refusing them."""
    return load if bad is None else bad.load


FACTS_FORM = 2
"""The form of the facts the index keeps: by id as text, ``[mark, facts]``, the facts as
facts_to_json gives them (None for a loop out of shape). An index whose facts have
another form, from another version, has its facts worked out again."""


def facts_kept(
    documents: Mapping[str, dict[str, Any]],
    marks: Mapping[str, int],
    earlier: Mapping[str, Any],
) -> dict[str, list[Any]]:
    """The facts, in the index's form, of each of ``documents`` (the open loops, by id
    as text), each with the ``mark`` of the stored form it was worked out from: taken
    from the ``earlier`` index's where the mark is the same, worked out from the history
    for the rest. A write changes a loop or two: the others' histories need no second walk.
    """
    kept: dict[str, list[Any]] = {}
    for key, document in documents.items():
        mark = marks[key]
        before = earlier.get(key)
        if type(before) is list and len(before) == 2 and before[0] == mark:
            kept[key] = before
            continue
        try:
            kept[key] = [mark, facts_to_json(facts(from_document(int(key), document)))]
        except MALFORMED:
            kept[key] = [mark, None]  # out of shape: a reader loads it, and says what is wrong
    return kept


def kept_facts(entry: Any) -> Facts | None:
    """The facts of one entry of the index (``[mark, facts]``); None when it keeps none
    in shape (a loop out of shape, an index from another version, a hand edit)."""
    if type(entry) is not list or len(entry) != 2 or entry[1] is None:
        return None
    try:
        return facts_from_json(entry[1])
    except MALFORMED:
        return None


def open_facts(
    documents: Iterable[tuple[int, dict[str, Any]]],
    indexed: Mapping[str, Any],
    read: Callable[[int, dict[str, Any]], Loop | None],
) -> Iterator[Facts]:
    """The facts of the open loops among ``documents`` (id and document): the ``indexed``
    ones (by id as text, in the index's form) as kept, the others read with ``read``."""
    for loop_id, document in documents:
        if not is_open(document):
            continue
        known = kept_facts(indexed.get(str(loop_id)))
        if known is not None:
            yield known
            continue
        loop = read(loop_id, document)
        if loop is not None:
            yield facts(loop)


Hot = Callable[[dict[str, Any]], bool]
"""Which documents the fast index beside the store holds (the open loops)."""


class Sweep(NamedTuple):
    """Which documents leave the store for its archive, and when that is looked at.

    ``retire`` picks the documents (loops closed long enough ago); ``cutoff`` is the
    moment they were finished before, as UTC text, kept in the archive so a reader
    knows which periods it covers; the sweep runs at the first write whose ``mark``
    (the local date) differs from the one the store last swept on, so one write a
    day pays for it.
    """

    retire: Callable[[dict[str, Any]], bool]
    cutoff: str
    mark: str
