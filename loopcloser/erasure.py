"""The customer's right to erasure: forget a customer's name, contact and words.

:func:`scrub` and :func:`matches` are pure; :func:`forget` applies them to stores.
A scrubbed loop keeps its dates, states and history's shape, so reports and
outcomes still count it, and replaying its events still rebuilds its fields.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from loopcloser.errors import BadInput, LoopcloserError
from loopcloser.model import Kind

if TYPE_CHECKING:
    from loopcloser.store import Store

FORGOTTEN = "(forgotten)"
"""What a forgotten customer's name and promise read as."""

# The customer's personal data and what it becomes; every other field is kept,
# including waiting_on.party, which names a department, not the customer.
SCRUBBED: dict[str, str | None] = {"customer": FORGOTTEN, "contact": None, "promise": FORGOTTEN}

# Event kinds whose ``changes`` set loop fields that may hold personal data.
FIELD_SETTING = (str(Kind.CREATED), str(Kind.EDITED))


def scrub(document: Mapping[str, Any]) -> dict[str, Any]:
    """The loop document without the customer's name, contact or any free text."""
    scrubbed = copy.deepcopy(dict(document))
    scrubbed.update(SCRUBBED)
    events = scrubbed.get("events")
    for event in events if isinstance(events, list) else ():
        if not isinstance(event, dict):
            continue
        # Notes, contact summaries and reasons are free text about the customer.
        event.pop("text", None)
        changes = event.get("changes")
        if event.get("kind") in FIELD_SETTING and isinstance(changes, dict):
            # Scrub the same values where history set them, so replay still agrees.
            for name, value in SCRUBBED.items():
                if name in changes:
                    changes[name] = value
    return scrubbed


def matches(document: Mapping[str, Any], who: str) -> bool:
    """True if ``who`` is the loop's customer or contact, now or earlier in its history."""
    wanted = _normalised(who)
    if not wanted:
        return False  # an empty name must never match everyone
    return any(_normalised(value) == wanted for value in _identities(document))


def forget(stores: list[Store], who: str) -> int:
    """Scrub every loop of customer ``who`` and drop the undo journals that held them.

    Returns how many loops were scrubbed across all stores. Each store is changed
    under its own lock; if one fails, the stores before it stay scrubbed, and
    running forget again finishes the rest.
    """
    if not _normalised(who):
        raise BadInput("give the customer's name or contact to forget", hint='e.g. "Maria Rossi"')
    scrubbed = 0
    for done, store in enumerate(stores):
        try:
            scrubbed += _forget_in(store, who)
        except LoopcloserError as error:
            if not done:
                raise
            raise type(error)(
                f"{error.message} (after erasing in {done} of {len(stores)} stores)",
                hint=f"{error.hint or 'fix that'}; then run forget again to finish",
            ) from error
    return scrubbed


def _forget_in(store: Store, who: str) -> int:
    """Scrub the matching loops of one store in one transaction; how many changed."""
    with store.transaction() as transaction:
        scrubbed = 0
        for loop_id, document in transaction.documents().items():
            if matches(document, who):
                clean = scrub(document)
                if clean != document:
                    transaction.put(loop_id, clean)
                    scrubbed += 1
        # Journal entries hold whole copies of loops as they were, so undo could bring
        # the customer back; one handed off elsewhere may be the only copy left here.
        held = any(
            isinstance(old, Mapping) and matches(old, who)
            for _, entry in transaction.journal()
            for old in _journalled_documents(entry)
        )
        if scrubbed or held:
            transaction.forget_entries()
    return scrubbed


def _journalled_documents(entry: Mapping[str, Any]) -> Iterator[Any]:
    before = entry.get("before")
    if isinstance(before, Mapping):
        yield from before.values()


def _identities(document: Mapping[str, Any]) -> Iterator[Any]:
    """Every name and contact the customer has had on this loop."""
    yield document.get("customer")
    yield document.get("contact")
    events = document.get("events")
    for event in events if isinstance(events, list) else ():
        changes = event.get("changes") if isinstance(event, Mapping) else None
        if isinstance(changes, Mapping) and event.get("kind") in FIELD_SETTING:
            yield changes.get("customer")
            yield changes.get("contact")


def _normalised(value: Any) -> str:
    """Trimmed, inner spaces collapsed, case folded; '' for anything but text."""
    return " ".join(value.split()).casefold() if isinstance(value, str) else ""
