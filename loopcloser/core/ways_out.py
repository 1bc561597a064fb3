"""The ways out: every way a message can leave loopcloser, and what each can carry.

One list, read wherever a way is named: the ``delivery`` setting accepts the ways
that carry reminders, ``--send`` those that carry pages, and completion and doctor
offer and check the same. What sends by each way is ``delivery.ways_out``.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import NamedTuple

from loopcloser.core.errors import BadInput
from loopcloser.core.words import N_, _


class Cargo(StrEnum):
    """What a way out can carry."""

    REMINDERS = "reminders"
    PAGES = "pages"

    @property
    def words(self) -> str:
        """The cargo as a person would name it in a sentence."""
        return _("pages (the digest, the report)") if self is Cargo.PAGES else _("reminders")


class WayOut(NamedTuple):
    """One way out: its name, what it carries, and one line on what it is and needs
    (marked for the catalog: looked up with ``_`` where shown)."""

    name: str
    carries: frozenset[Cargo]
    description: str


REMINDERS_ONLY = frozenset({Cargo.REMINDERS})
EVERYTHING = frozenset(Cargo)

# The order is the order every list shows: the default first, then from the nearest
# (this machine) to the farthest (someone else's server).
WAYS_OUT: tuple[WayOut, ...] = (
    WayOut("terminal", REMINDERS_ONLY, N_("one line each on standard output")),
    WayOut("desktop", REMINDERS_ONLY, N_("a desktop notification through notify-send")),
    WayOut("command", REMINDERS_ONLY, N_("your delivery_command, given each reminder as JSON")),
    WayOut("email", EVERYTHING, N_("mail through the smtp_* and mail_* settings")),
    WayOut("webhook", EVERYTHING, N_("a Slack or Teams webhook: the webhook_url secret")),
)


def carrying(cargo: Cargo) -> tuple[WayOut, ...]:
    """The ways out that can carry ``cargo``, in the registry's order."""
    return tuple(way for way in WAYS_OUT if cargo in way.carries)


def names(cargo: Cargo) -> tuple[str, ...]:
    """The names of the ways out that can carry ``cargo``."""
    return tuple(way.name for way in carrying(cargo))


def check_way(value: str, cargo: Cargo) -> str:
    """``value`` as the name of a way out that can carry ``cargo``, else BadInput listing them."""
    name = value.strip().lower()
    able = names(cargo)
    if name not in able:
        raise BadInput(
            _("'{value}' is not a way to send {cargo}").format(value=value, cargo=cargo.words),
            hint=_("use one of: {names}").format(names=", ".join(able)),
        )
    return name


def in_words(items: Iterable[str]) -> str:
    """Items as a sentence lists them: "a, b or c"."""
    *rest, last = items
    return _("{items} or {last}").format(items=", ".join(rest), last=last) if rest else last
