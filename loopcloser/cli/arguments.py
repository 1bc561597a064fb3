"""Reading what the user typed: a loop id, a due in words, a cadence, a channel, a text."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from loopcloser.core.errors import BadInput
from loopcloser.core.words import N_, _

if TYPE_CHECKING:
    from loopcloser.core.settings import Settings


def parse_id(text: str) -> int:
    """A loop id as typed: ``42`` or ``#42``."""
    digits = text.strip().removeprefix("#")
    # ASCII digits only: str.isdigit() also takes "²" and "٣", which int() refuses or reads.
    if not (digits.isascii() and digits.isdigit() and len(digits) <= 18 and int(digits) > 0):
        raise BadInput(
            _("'{text}' is not a loop id").format(text=text),
            hint=_("ids are whole numbers, e.g. 42 (see loopcloser list)"),
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
        if allow_past is None:
            hint = _("give a later time (with the year, for a date next year)")
        else:
            hint = _(
                "give a later time (with the year, for a date next year),"
                " or add --allow-past to log a promise already late"
            )
        shown = local_time(due, conf.tz, now)
        raise BadInput(
            _("'{text}' means {moment}, which has passed").format(text=text, moment=shown), hint
        )
    return due


SINCE_FORMS = N_(
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
        if error.hint not in (ACCEPTED_FORMS, _(ACCEPTED_FORMS)):
            raise
        raise BadInput(error.message, hint=_(SINCE_FORMS)) from None
    if start.astimezone(conf.tz).date() > now.astimezone(conf.tz).date():
        shown = local_time(start, conf.tz, now)
        message = _("'{text}' means {moment}, which is still to come")
        raise BadInput(message.format(text=text, moment=shown), hint=_(SINCE_FORMS))
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
        raise BadInput(
            _("{what} cannot be empty").format(what=what),
            hint=_("say it in a few words: {what} TEXT").format(what=what),
        )
    return text


# A range wider than this is a typo (``1-9999``), not a day's work.
MOST_IDS = 500


def parse_targets(words: list[str], text: str | None, verb: str) -> tuple[list[int], str | None]:
    """The loops a verb acts on and its text: ``close 2 3 5-7 "told them"``.

    Ids and ranges come first; one word after them is the text (today's
    ``close ID TEXT``). ``--text`` gives the text where it could pass for an id.
    """
    ids: list[int] = []
    rest = list(words)
    while rest and looks_like_ids(rest[0]):
        ids.extend(parse_ids(rest.pop(0)))
    if not ids:
        parse_id(rest[0] if rest else "")
    if len(rest) > 1:
        raise BadInput(
            _("'{word}' comes after the text '{text}'").format(word=rest[1], text=rest[0]),
            hint=_('put the text in quotes: loopcloser {verb} {first} "..."').format(
                verb=verb, first=words[0]
            ),
        )
    if rest and text is not None:
        raise BadInput(
            _("two texts given: '{first}' and --text '{text}'").format(first=rest[0], text=text),
            hint=_("give one: loopcloser {verb} ID --text TEXT").format(verb=verb),
        )
    return list(dict.fromkeys(ids)), rest[0] if rest else text


def looks_like_ids(word: str) -> bool:
    """Whether a word is an id (``42``, ``#42``) or a range of them (``5-7``)."""
    parts = [part.strip().removeprefix("#") for part in word.strip().split("-")]
    return len(parts) <= 2 and all(part.isascii() and part.isdigit() for part in parts)


def parse_ids(word: str) -> list[int]:
    """The ids one word names: ``42``, ``#42`` or the range ``5-7``."""
    first, _dash, last = word.partition("-")
    if not last:
        return [parse_id(first)]
    start, end = parse_id(first), parse_id(last)
    if end < start or end - start >= MOST_IDS:
        raise BadInput(
            _("'{word}' is not a range of loop ids").format(word=word),
            hint=_("write the smaller id first, at most {most} ids: e.g. 5-7").format(
                most=MOST_IDS
            ),
        )
    return list(range(start, end + 1))


def lone_id_text(verb: str, ids: list[int], what: str) -> BadInput:
    """The error when a verb that needs words got only ids: the last may have been the text."""
    if len(ids) > 1:
        return BadInput(
            _("{what} is missing, and '{last}' looks like a loop id").format(
                what=what, last=ids[-1]
            ),
            hint=_(
                "to act on #{first} with the text '{last}': loopcloser {verb} {first} --text {last}"
            ).format(first=ids[0], last=ids[-1], verb=verb),
        )
    return BadInput(
        _("{what} is missing").format(what=what),
        hint=_('say it in a few words: loopcloser {verb} {id} "TEXT"').format(verb=verb, id=ids[0]),
    )
