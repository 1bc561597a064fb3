"""Reading what the user typed: a loop id, a due in words, a cadence, a channel, a text."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from loopcloser.core.errors import BadInput

if TYPE_CHECKING:
    from loopcloser.core.settings import Settings


def parse_id(text: str) -> int:
    """A loop id as typed: ``42`` or ``#42``."""
    digits = text.strip().removeprefix("#")
    # ASCII digits only: str.isdigit() also takes "²" and "٣", which int() refuses or reads.
    if not (digits.isascii() and digits.isdigit() and len(digits) <= 18 and int(digits) > 0):
        raise BadInput(
            f"'{text}' is not a loop id",
            hint="ids are whole numbers, e.g. 42 (see loopcloser list)",
        )
    return int(digits)


def parse_due(
    text: str, now: datetime, conf: Settings, allow_past: bool | None = False
) -> datetime:
    """A due date as agents write it; refused if already past unless allowed.

    ``allow_past`` None means the command has no --allow-past to suggest.
    """
    from loopcloser.core.model import check_ahead
    from loopcloser.core.when import parse_when
    from loopcloser.render.tables import local_time

    due = check_ahead(parse_when(text, now, conf.calendar()), now, f"'{text}'")
    if due < now and not allow_past:
        hint = "give a later time (with the year, for a date next year)"
        if allow_past is not None:
            hint += ", or add --allow-past to log a promise already late"
        raise BadInput(f"'{text}' means {local_time(due, conf.tz, now)}, which has passed", hint)
    return due


SINCE_FORMS = (
    "give a day gone by: 7 days ago, 3 weeks ago, yesterday, last monday, last week, 20/11, "
    "2026-11-20 (Italian too: 7 giorni fa, ieri, lunedì scorso, settimana scorsa)"
)


def parse_since(text: str, now: datetime, conf: Settings) -> datetime:
    """The start of a period in words ("7 days ago", "last monday", "ieri"); never to come.

    A period starts at the beginning of a day, so any moment of today is accepted.
    """
    from loopcloser.core.when import ACCEPTED_FORMS, parse_when
    from loopcloser.render.tables import local_time

    try:
        start = parse_when(text, now, conf.calendar())
    except BadInput as error:
        if error.hint != ACCEPTED_FORMS:
            raise
        raise BadInput(error.message, hint=SINCE_FORMS) from None
    if start.astimezone(conf.tz).date() > now.astimezone(conf.tz).date():
        shown = local_time(start, conf.tz, now)
        raise BadInput(f"'{text}' means {shown}, which is still to come", hint=SINCE_FORMS)
    return start


def parse_every(text: str | None) -> timedelta | None:
    """An update cadence such as 2d or 36h."""
    from loopcloser.core.when import parse_duration

    return None if text is None else parse_duration(text)


def channel(text: str | None, conf: Settings) -> str:
    """A channel name, the configured default when none is given."""
    from loopcloser.core.settings import check_channel

    return conf["default_channel"] if text is None else check_channel(text)


def require_text(text: str, what: str) -> str:
    """Refuse empty text where the history needs words (a reason, a note)."""
    if not text.strip():
        raise BadInput(f"{what} cannot be empty", hint=f"say it in a few words: {what} TEXT")
    return text
