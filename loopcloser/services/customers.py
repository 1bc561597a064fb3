"""Finding a customer's loops across stores, and merging their histories."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from loopcloser.core.documents import BadRecords, load
from loopcloser.core.errors import BadInput
from loopcloser.core.model import Event, Loop
from loopcloser.core.text import folded
from loopcloser.core.words import _

if TYPE_CHECKING:
    from loopcloser.services.context import Context
    from loopcloser.storage.store import Store

# Text that is all digits, spaces and phone punctuation is a phone number.
PHONE = re.compile(r"\+?[\d\s().\-/]*\d[\d\s().\-/]*")


def sources(ctx: Context) -> list[tuple[str, Store]]:
    """The stores a customer is looked up in: the team hub's copies of every agent's
    loops, else every agent's store in a team folder, else the agent's own.

    A store given for this run (``--store``) is read alone in a team folder.
    """
    team = ctx.settings.team
    if ctx.settings.hub is not None and team is None:
        from loopcloser.core.errors import HubError
        from loopcloser.services.team_hub import team_copies

        try:
            return team_copies(ctx)  # type: ignore[return-value]
        except HubError as error:
            ctx.offline = _("the hub was not reached ({reason}): only this store was read").format(
                reason=error.message
            )
    if team is not None and ctx.store_path is None:
        from loopcloser.storage.location import open_team

        members = open_team(team)
        ctx.reading([store for _agent, store in members])
        return members
    return [(ctx.agent, ctx.store())]


def customer_loops(
    sources: list[tuple[str, Store]], needle: str, bad: BadRecords | None = None
) -> list[tuple[str, Loop]]:
    """Every loop, in any state, whose customer or contact mentions ``needle``, oldest first.

    A loop met twice (read in two stores while a handoff moved it) is listed once; a
    malformed one is noted in ``bad`` and left out.
    """

    wanted = _compact(needle)
    if not wanted:
        raise BadInput(
            _("say which customer to look for"), hint=_("give part of a name, email or phone")
        )
    digits = _digits(needle) if PHONE.fullmatch(needle.strip()) else None
    found: dict[str, tuple[str, Loop]] = {}
    for label, store in sources:
        for loop_id, document in store.all_documents().items():
            if _mentions(document, wanted, digits):
                loop = (
                    load(loop_id, document)
                    if bad is None
                    else bad.load(loop_id, document, str(store.path))
                )
                if loop is not None:
                    found.setdefault(loop.uid, (label, loop))
    return sorted(found.values(), key=lambda pair: (pair[1].created, pair[0], pair[1].id))


def timeline(found: list[tuple[str, Loop]]) -> list[tuple[str, Loop, Event]]:
    """All events of the loops found, merged oldest first (ties keep their order)."""
    rows = [(label, loop, event) for label, loop in found for event in loop.events]
    rows.sort(key=lambda row: row[2].at)
    return rows


def _compact(text: str) -> str:
    # "Anna@Example.com " is written many ways; spaces never matter, but a dot does
    # (anna.b@ and annab@ are two people).
    return "".join(folded(text).split())


def _digits(text: str) -> str:
    # "055-123-4567" and "+39 055 123 4567" are the same phone to a person.
    return "".join(character for character in text if character.isdigit())


def _mentions(document: dict[str, Any], wanted: str, digits: str | None) -> bool:
    for value in (document.get("customer"), document.get("contact")):
        if not isinstance(value, str):
            continue
        if wanted in _compact(value) or (digits and digits in _digits(value)):
            return True
    return False
