"""Due dates in the words agents type, read against a working calendar.

Pure: the caller passes `now`; nothing here reads the clock or does I/O.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Literal, NamedTuple

from loopcloser.core.errors import BadInput
from loopcloser.core.text import folded
from loopcloser.core.words import N_, _, n_, p_

# The example words stay as a user types them; a catalog words the sentence around them.
ACCEPTED_FORMS = N_(
    "accepted: 2026-11-30, 2026-11-30T17:00, 30/11, 30/11/2026 17:00, 3 dec, today, tonight, "
    "tomorrow, yesterday, eod, eow, eom, next week, fri, next fri, fri 17:00, tomorrow 9am, "
    "noon, tomorrow morning, thu afternoon, in 3 days, in a week, +2h, 3d, 2bd, 3 days ago "
    "(Italian too: oggi, domani, venerdì, fine mese, settimana prossima, domani pomeriggio, "
    "tra 3 giorni, 2 giorni lavorativi, 3 giorni fa)"
)
DURATION_FORMS = N_(
    "accepted: 90m, 36h, 2d, 1w, 3 hours, 2 days, 1 week, 3 ore, 2 giorni, 1 settimana"
)

# Vocabulary, kept as tables so a language is data, not code. Keys are lower case without
# accents: input is folded the same way, so "venerdì" and "venerdi" both find "venerdi".
# fmt: off
DAY_WORDS = {
    "day before yesterday": -2, "altro ieri": -2, "l'altro ieri": -2, "altroieri": -2,
    "yesterday": -1, "ieri": -1, "today": 0, "oggi": 0, "tonight": 0, "stasera": 0,
    "tomorrow": 1, "domani": 1, "day after tomorrow": 2, "dopodomani": 2,
}
EVENING_WORDS = frozenset({"tonight", "stasera"})
# A part of the day means the moment it ends, as a day word means the end of the working
# day: a customer promised "tomorrow morning" is still waiting happily at 11:30, and a call
# then must count as kept. Afternoon ends with the working day, evening at 20:00 as tonight.
NOON = time(12, 0)
AFTERNOON_END = time(18, 0)
EVENING = time(20, 0)
Part = Literal["morning", "noon", "afternoon", "evening"]
PARTS: dict[str, Part] = {
    "morning": "morning", "mattina": "morning", "mattino": "morning", "mattinata": "morning",
    "noon": "noon", "midday": "noon", "mezzogiorno": "noon", "mezzodi": "noon",
    "afternoon": "afternoon", "pomeriggio": "afternoon",
    "evening": "evening", "night": "evening", "sera": "evening", "serata": "evening",
}
# Words that join a day to its part: "tomorrow at noon", "domani nel pomeriggio".
PART_GLUE = ("in the", "nella", "nel", "at", "in", "di", "a")
THIS_WORDS = frozenset({"this", "questa", "questo"})
THIS_MORNING_WORDS = frozenset({"stamattina", "stamani", "stamane"})
WEEKDAYS = {
    "mon": 0, "monday": 0, "lun": 0, "lunedi": 0,
    "tue": 1, "tues": 1, "tuesday": 1, "mar": 1, "martedi": 1,
    "wed": 2, "wednesday": 2, "mer": 2, "mercoledi": 2,
    "thu": 3, "thur": 3, "thurs": 3, "thursday": 3, "gio": 3, "giovedi": 3,
    "fri": 4, "friday": 4, "ven": 4, "venerdi": 4,
    "sat": 5, "saturday": 5, "sab": 5, "sabato": 5,
    "sun": 6, "sunday": 6, "dom": 6, "domenica": 6,
}
NEXT_WORDS = frozenset({"next", "prossimo", "prossima"})
LAST_WORDS = frozenset({"last", "scorso", "scorsa"})
IN_WORDS = frozenset({"in", "tra", "fra"})
AGO_WORDS = frozenset({"ago", "fa"})
# "in a week", "tra un'ora": the count may be a word for one.
ONE_WORDS = frozenset({"a", "an", "one", "un", "uno", "una", "un'"})
AT_WORDS = frozenset({"at", "alle", "ore", "alle ore", "@"})
# "by friday" / "entro venerdì" promise the same moment as "friday".
LEADING_FILLER = frozenset({"by", "entro"})
Anchor = Literal["day", "week", "next week", "last week", "month"]
ANCHORS: dict[str, Anchor] = {
    "eod": "day", "end of day": "day", "end of the day": "day",
    "fine giornata": "day", "fine della giornata": "day",
    "eow": "week", "end of week": "week", "end of the week": "week",
    "fine settimana": "week", "fine della settimana": "week",
    "next week": "next week", "end of next week": "next week",
    "settimana prossima": "next week", "la settimana prossima": "next week",
    "prossima settimana": "next week", "la prossima settimana": "next week",
    "fine della settimana prossima": "next week", "fine settimana prossima": "next week",
    "last week": "last week", "settimana scorsa": "last week",
    "la settimana scorsa": "last week", "scorsa settimana": "last week",
    "la scorsa settimana": "last week",
    "eom": "month", "end of month": "month", "end of the month": "month",
    "fine mese": "month", "fine del mese": "month",
}
Unit = Literal["minutes", "hours", "days", "weeks", "business_days"]
UNITS: dict[str, Unit] = {
    "m": "minutes", "min": "minutes", "mins": "minutes", "minute": "minutes",
    "minutes": "minutes", "minuto": "minutes", "minuti": "minutes",
    "h": "hours", "hr": "hours", "hrs": "hours", "hour": "hours", "hours": "hours",
    "ora": "hours", "ore": "hours",
    "d": "days", "day": "days", "days": "days", "giorno": "days", "giorni": "days",
    "w": "weeks", "wk": "weeks", "week": "weeks", "weeks": "weeks",
    "settimana": "weeks", "settimane": "weeks",
    "bd": "business_days", "business day": "business_days", "business days": "business_days",
    "working day": "business_days", "working days": "business_days",
    "giorno lavorativo": "business_days", "giorni lavorativi": "business_days",
}
UNIT_SIZES = {
    "minutes": timedelta(minutes=1), "hours": timedelta(hours=1),
    "days": timedelta(days=1), "weeks": timedelta(weeks=1),
}
# Month names for the dateutil fallback, which only knows English: Italian ones are translated.
MONTHS = {
    "jan": "jan", "january": "jan", "gen": "jan", "gennaio": "jan",
    "feb": "feb", "february": "feb", "febbraio": "feb",
    "mar": "mar", "march": "mar", "marzo": "mar",
    "apr": "apr", "april": "apr", "aprile": "apr",
    "may": "may", "mag": "may", "maggio": "may",
    "jun": "jun", "june": "jun", "giu": "jun", "giugno": "jun",
    "jul": "jul", "july": "jul", "lug": "jul", "luglio": "jul",
    "aug": "aug", "august": "aug", "ago": "aug", "agosto": "aug",
    "sep": "sep", "sept": "sep", "september": "sep", "set": "sep", "settembre": "sep",
    "oct": "oct", "october": "oct", "ott": "oct", "ottobre": "oct",
    "nov": "nov", "november": "nov", "novembre": "nov",
    "dec": "dec", "december": "dec", "dic": "dec", "dicembre": "dec",
}
# The only other words the fallback lets through: "3rd of dec at 5pm", "3 dic alle 17:00".
FALLBACK_GLUE = {
    "am": "am", "pm": "pm", "st": "st", "nd": "nd", "rd": "rd", "th": "th", "of": "of",
    "at": "at", "alle": "at", "ore": "at",
}
# fmt: on
FALLBACK_WORDS = MONTHS | FALLBACK_GLUE

HORIZON = timedelta(days=36525)
# Patterns stay source text, compiled (and cached by re) on first use: most commands
# never read a date, and compiling them all at import costs every command ~5 ms.
# Long input is never a date, and capping it keeps int() and dateutil away from huge numbers.
MAX_LENGTH = 80
_TIME = r"(?P<hour>[0-9]{1,2})(?:(?P<sep>[:.])(?P<minute>[0-9]{2}))?\s*(?P<ampm>am|pm)?"
_AT = "|".join(re.escape(word) for word in sorted(AT_WORDS, key=len, reverse=True))
# The day is optional and tried last, so "alle 15.30" reads "alle" as "at", not as a day.
DAY_AND_TIME_RE = rf"(?:(?P<day>.+?)\s+)??(?:(?P<at>{_AT})\s*)?{_TIME}"
_IN = "|".join(sorted(IN_WORDS))
# A word for one needs a space before the unit ("a week"), unless elided ("un'ora").
_ONE = "|".join(
    re.escape(word) + (r"\s*" if word.endswith("'") else r"\s+")
    for word in sorted(ONE_WORDS, key=len, reverse=True)
)
_AGO = "|".join(sorted(AGO_WORDS))
# The unit is lazy so that "7 days ago" leaves "ago" to its own group.
OFFSET_RE = (
    rf"(?:(?P<prefix>{_IN})\s+|(?P<plus>\+)\s*)?(?P<count>[0-9]{{1,6}}\s*|{_ONE})"
    rf"(?P<unit>[a-z][a-z ]*?)(?:\s+(?P<ago>{_AGO}))?"
)
# Up to 13 digits, so every interval format_duration can show reads back.
DURATION_RE = r"(?P<count>[0-9]{1,13})\s*(?P<unit>[a-z][a-z ]*)"
ISO_DATE_RE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?=$|[Tt ])"
FALLBACK_CHARS_RE = r"[a-z0-9/.:, -]+"


class WorkingTime(NamedTuple):
    """The fields of a :class:`Calendar`, which gives their defaults and checks them."""

    tz: tzinfo
    day_first: bool
    work_start: time
    work_end: time
    work_days: frozenset[int]


class Calendar(WorkingTime):
    """The agent's working time: time zone, hours, days and date order.

    A named tuple, not a dataclass: it is made at every start.
    """

    __slots__ = ()

    def __new__(
        cls,
        tz: tzinfo,
        day_first: bool = True,
        work_start: time = time(9, 0),
        work_end: time = time(17, 30),
        work_days: frozenset[int] = frozenset({0, 1, 2, 3, 4}),
    ) -> Calendar:
        # Without a working day, eod/eow/2bd would search for ever.
        if not work_days or not work_days <= set(range(7)):
            raise BadInput(
                _("working days must be one or more of 0 (Monday) to 6 (Sunday)"),
                hint=_("for example Monday to Friday: 0, 1, 2, 3, 4"),
            )
        return super().__new__(cls, tz, day_first, work_start, work_end, work_days)


def parse_when(text: str, now: datetime, cal: Calendar) -> datetime:
    """Read a due date typed by an agent; return it as an aware UTC datetime.

    A word means the last moment the promise still holds, so a call then counts as kept:
    a day means the end of its working day; "next week" the end of next working week;
    a morning ends at noon, an afternoon with the working day (by 18:00), an evening at
    20:00 ("tomorrow evening" is tomorrow's "tonight"). Weekday names mean the first such
    day strictly after today, so on a Friday "fri" and "next fri" both mean a week later.
    Days from now ("3d", "in a week", "2bd") keep the clock time when it falls in working
    hours on a working day; otherwise they mean the end of that working day, and a day
    off moves to the next working day. Hours and minutes are exact.

    Past words ("3 days ago", "last monday", "ieri") read too, for the caller that wants
    a moment gone by; past results are returned, and a caller that needs a due refuses them.
    """
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    shown = " ".join(text.split())
    words = _fold(text)
    if words.split(" ", 1)[0] in LEADING_FILLER:
        words = words.partition(" ")[2]
    if not words:
        raise BadInput(_("no due date given"), hint=_(ACCEPTED_FORMS))
    if len(words) > MAX_LENGTH:
        raise BadInput(_("too long to be a due date"), hint=_(ACCEPTED_FORMS))
    local = now.astimezone(cal.tz)
    try:
        due = (
            _iso(shown, cal)
            or _words(words, local, cal)
            or _offset(words, now, local, cal)
            or _absolute(words, shown, local.date(), cal)
        )
        if due is None:
            raise BadInput(unreadable_date(shown), hint=_(ACCEPTED_FORMS))
        # Nothing an agent promises is a century away; such a date is a typo (and near year
        # 1 or 9999 it could not even be shown in every time zone).
        if abs(due - now) > HORIZON:
            raise BadInput(
                _("'{text}' is more than 100 years away").format(text=shown),
                hint=_("check the year"),
            )
        return due.astimezone(UTC)
    except OverflowError as error:  # beyond year 1-9999, before or after the zone shift
        raise BadInput(
            _("'{text}' is too far away").format(text=shown), hint=_(ACCEPTED_FORMS)
        ) from error


def parse_duration(text: str) -> timedelta:
    """Read a repeat interval such as "2d", "36h", "1 week" or "3 giorni"."""
    words = _fold(text)
    match = re.fullmatch(DURATION_RE, words)
    unit = UNITS.get(match["unit"].strip()) if match else None
    # A business day has no fixed length, so it cannot be a repeat interval.
    if match is None or unit is None or unit == "business_days":
        raise BadInput(
            _("cannot read '{text}' as an interval").format(text=" ".join(text.split())),
            _(DURATION_FORMS),
        )
    try:
        delta = int(match["count"]) * UNIT_SIZES[unit]
    except OverflowError as error:
        raise BadInput(_("that interval is too long"), hint=_(DURATION_FORMS)) from error
    if delta <= timedelta(0):
        raise BadInput(_("an interval must be longer than zero"), hint=_(DURATION_FORMS))
    return delta


def format_duration(delta: timedelta) -> str:
    """Show an interval compactly ("1w", "2d", "36h", "90m"); the inverse of parse_duration."""
    if delta < timedelta(0):
        return "-" + format_duration(-delta)
    minutes = delta // timedelta(minutes=1)  # seconds are below what this tool schedules
    for suffix, size in (("w", 7 * 24 * 60), ("d", 24 * 60), ("h", 60)):
        if minutes and minutes % size == 0:
            return f"{minutes // size}{suffix}"
    return f"{minutes}m"


def describe_due(due: datetime, now: datetime, *, narrow: bool = False) -> str:
    """Say how far a due date is from now: "in 3h", "2d late", or "now" within a minute.

    English is always this short; Italian writes the words out ("tra 3 ore") unless
    ``narrow`` (for a table's column: "tra 3 h").
    """
    gap = abs(due - now)
    if gap < timedelta(minutes=1):
        return p_("due", "now")
    amount = gap_words(gap, narrow=narrow)
    return _("{gap} late").format(gap=amount) if due < now else _("in {gap}").format(gap=amount)


def gap_words(gap: timedelta, *, narrow: bool = False) -> str:
    """A gap of at least a minute in its largest whole unit, rounded down (2h59m is "2h"):
    "3d", "5h", "20m"; in Italian "3 giorni", or "3 g" when ``narrow``."""
    unit = next((unit for unit in ("days", "hours") if gap >= UNIT_SIZES[unit]), "minutes")
    count = max(gap, timedelta(0)) // UNIT_SIZES[unit]
    if unit == "days":
        text = p_("narrow", "{count}d") if narrow else n_("{count}d", "{count}d", count)
    elif unit == "hours":
        text = p_("narrow", "{count}h") if narrow else n_("{count}h", "{count}h", count)
    else:
        text = p_("narrow", "{count}m") if narrow else n_("{count}m", "{count}m", count)
    return text.format(count=count)


def working_time_before(end: datetime, span: timedelta, cal: Calendar) -> datetime:
    """The moment ``span`` of working time before ``end``: nights and days off do not count.

    Two working hours before a Monday 10:00 due is Friday 17:00 with a 9:00-17:30 day.
    """
    remaining = span
    day = end.astimezone(cal.tz).date()
    upper = end
    # Each pass looks at one calendar day; a decade of days bounds any sane span.
    for _day in range(3660):
        if day.weekday() in cal.work_days:
            start = _at(day, cal.work_start, cal)
            available = min(upper, _at(day, cal.work_end, cal)) - start
            if available >= remaining:
                return (min(upper, _at(day, cal.work_end, cal)) - remaining).astimezone(UTC)
            remaining -= max(available, timedelta(0))
        day -= timedelta(days=1)
        upper = _at(day, cal.work_end, cal)
    return (end - span).astimezone(UTC)


def _fold(text: str) -> str:
    """Any case, accents dropped (as a search folds), apostrophes plain, whitespace
    trimmed and collapsed."""
    return " ".join(folded(text.replace("\u2019", "'")).split())


def _at(day: date, at: time, cal: Calendar) -> datetime:
    # zoneinfo reads an ambiguous autumn hour as its first occurrence and moves a missing
    # spring hour forward by the gap, which is what a person expects.
    return datetime.combine(day, at, tzinfo=cal.tz)


def _iso(shown: str, cal: Calendar) -> datetime | None:
    # Only text that starts like an ISO date and a T or space: fromisoformat also takes
    # "20261130" (a bare number must never be a date) and any character as the separator.
    if not re.match(ISO_DATE_RE, shown):
        return None
    try:
        parsed = datetime.fromisoformat(shown)
    except ValueError:
        return None  # e.g. "2026-11-30 5pm": the fallback reads it
    if re.fullmatch(ISO_DATE_RE, shown):
        return _at(parsed.date(), cal.work_end, cal)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=cal.tz)


def _words(words: str, local: datetime, cal: Calendar) -> datetime | None:
    anchor = ANCHORS.get(words)
    if anchor is not None:
        return _anchor(anchor, local, cal)
    part = _part_of_day(words, local.date(), cal)
    if part is not None:
        return part
    match = re.fullmatch(DAY_AND_TIME_RE, words)
    if match is None:
        day = _day(words, local.date())
        if day is None:
            return None
        return _at(day, EVENING if words in EVENING_WORDS else cal.work_end, cal)
    day = local.date() if match["day"] is None else _day(match["day"], local.date())
    if day is None:
        return None
    hour = int(match["hour"])
    if match["minute"] is None and match["ampm"] is None:
        # "alle 17", "at 9" and "venerdì 17" say the hour plainly (24-hour clock); a bare
        # "17" is no date, and "fri 9" could be 9 in the morning or the evening.
        if match["day"] is None and match["at"] is None:
            return None
        if match["at"] is None and hour <= 12:
            raise BadInput(
                _("which {hour} o'clock is '{text}'?").format(
                    hour=hour, text=" ".join(words.split())
                ),
                hint=_("write {hour}:00, {hour}am or {hour}pm").format(hour=hour),
            )
    # A bare "30.11" is a date, not 30:11: "17.00" is a time only after a day or "at"/"alle".
    if match["sep"] == "." and match["day"] is None and match["at"] is None:
        return None
    minute = int(match["minute"] or 0)
    if match["ampm"]:
        if not 1 <= hour <= 12:
            shown = f"{match['hour']}{match['ampm']}"
            raise BadInput(_("no such time: {time}").format(time=shown), _(ACCEPTED_FORMS))
        hour = hour % 12 + (12 if match["ampm"] == "pm" else 0)
    if hour > 23 or minute > 59:
        shown = f"{hour}:{match['minute']}"
        raise BadInput(_("no such time: {time}").format(time=shown), hint=_(ACCEPTED_FORMS))
    return _at(day, time(hour, minute), cal)


def _part_of_day(words: str, today: date, cal: Calendar) -> datetime | None:
    """A day and a part of it: "tomorrow afternoon", "giovedì pomeriggio", "noon"."""
    if words in THIS_MORNING_WORDS:
        return _at(today, _part_time("morning", cal), cal)
    head, _space, last = words.rpartition(" ")
    part = PARTS.get(last)
    if part is None:
        return None
    for glue in PART_GLUE:
        if head == glue or head.endswith(" " + glue):
            head = head.removesuffix(glue).rstrip()
            break
    day = today if not head or head in THIS_WORDS else _day(head, today)
    return None if day is None else _at(day, _part_time(part, cal), cal)


def _part_time(part: Part, cal: Calendar) -> time:
    """When a part of the day ends, for a desk that works ``cal``'s hours."""
    if part in ("morning", "noon"):
        return NOON
    if part == "afternoon":
        # A desk open into the evening still promises the afternoon by 18:00.
        return cal.work_end if NOON < cal.work_end <= AFTERNOON_END else AFTERNOON_END
    return EVENING


def _day(words: str, today: date) -> date | None:
    """The date named by a day word or weekday ("domani", "fri", "venerdi prossimo")."""
    if words in DAY_WORDS:
        return today + timedelta(days=DAY_WORDS[words])
    parts = words.split(" ")
    back = False
    if len(parts) == 2:
        # English says "next fri", "last mon"; Italian "venerdì prossimo", "lunedì scorso".
        qualifier, name = parts if parts[0] in NEXT_WORDS | LAST_WORDS else parts[::-1]
        if qualifier not in NEXT_WORDS | LAST_WORDS:
            return None
        back, parts = qualifier in LAST_WORDS, [name]
    weekday = WEEKDAYS.get(parts[0]) if len(parts) == 1 else None
    if weekday is None:
        return None
    if back:  # the latest such day strictly before today
        return today - timedelta(days=(today.weekday() - weekday - 1) % 7 + 1)
    return today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)


def _anchor(anchor: Anchor, local: datetime, cal: Calendar) -> datetime:
    today = local.date()
    if anchor == "day":
        due = _at(today, cal.work_end, cal)
        if today.weekday() in cal.work_days and due > local:
            return due
        return _at(_next_work_day(today, cal), cal.work_end, cal)
    if anchor == "week":
        # The working week is the run of working days holding today (or the next one), so
        # a Sunday-to-Thursday desk ends its week on Thursday.
        first = today if today.weekday() in cal.work_days else _next_work_day(today, cal)
        due = _at(_end_of_run(first, cal), cal.work_end, cal)
        if due > local:
            return due
        return _at(_end_of_run(_next_work_day(due.date(), cal), cal), cal.work_end, cal)
    # A day off belongs to the working week just ended: on a Saturday, next week is the
    # coming one and last week the one before the week just worked.
    this_week = today if today.weekday() in cal.work_days else _previous_work_day(today, cal)
    if anchor == "next week":
        first = _next_work_day(_end_of_run(this_week, cal), cal)
        return _at(_end_of_run(first, cal), cal.work_end, cal)
    if anchor == "last week":
        last = _previous_work_day(_start_of_run(this_week, cal), cal)
        return _at(_start_of_run(last, cal), cal.work_start, cal)
    due = _at(_last_work_day_of_month(today.year, today.month, cal), cal.work_end, cal)
    if due > local:
        return due
    year, month = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
    return _at(_last_work_day_of_month(year, month, cal), cal.work_end, cal)


def _next_work_day(day: date, cal: Calendar) -> date:
    day += timedelta(days=1)
    while day.weekday() not in cal.work_days:
        day += timedelta(days=1)
    return day


def _previous_work_day(day: date, cal: Calendar) -> date:
    day -= timedelta(days=1)
    while day.weekday() not in cal.work_days:
        day -= timedelta(days=1)
    return day


def _start_of_run(day: date, cal: Calendar) -> date:
    """The first day of the run of consecutive working days that holds ``day``."""
    for _day in range(6):
        previous = day - timedelta(days=1)
        # With every day a working day the run never starts: call Monday the week's start.
        if (
            previous.weekday() not in cal.work_days
            or len(cal.work_days) == 7 == previous.isoweekday()
        ):
            break
        day = previous
    return day


def _end_of_run(day: date, cal: Calendar) -> date:
    """The last day of the run of consecutive working days that holds ``day``."""
    for _day in range(6):
        following = day + timedelta(days=1)
        # With every day a working day the run never ends: call Sunday the week's end.
        if following.weekday() not in cal.work_days or len(cal.work_days) == 7 == day.isoweekday():
            break
        day = following
    return day


def _last_work_day_of_month(year: int, month: int, cal: Calendar) -> date:
    # The day before the 1st of the next month; `calendar` would cost ~9 ms at startup.
    day = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    while day.weekday() not in cal.work_days:
        day -= timedelta(days=1)
    return day


def _offset(words: str, now: datetime, local: datetime, cal: Calendar) -> datetime | None:
    match = re.fullmatch(OFFSET_RE, words)
    if match is None:
        return None
    ahead = bool(match["prefix"] or match["plus"])
    count_word = match["count"].strip()
    # "in 3 days ago" says both ways; "a week" alone says neither.
    if (ahead and match["ago"]) or not (count_word.isdigit() or ahead or match["ago"]):
        return None
    unit = UNITS.get(match["unit"].strip())
    if unit is None:
        # "3 dec" falls through to the date reader; "in 3 parsecs" is plainly an offset.
        if ahead or match["ago"]:
            raise BadInput(
                _("unknown unit '{unit}'").format(unit=match["unit"].strip()),
                hint=_(ACCEPTED_FORMS),
            )
        return None
    count = int(count_word) if count_word.isdigit() else 1
    if count == 0:
        raise BadInput(
            _("an offset of zero is now, not a due date"), hint=_("for example: in 2 hours")
        )
    if match["ago"]:
        return _ago(count, unit, now, local, cal)
    if unit == "business_days":
        day = _work_days_away(local.date(), count, cal)
        return _in_working_hours(datetime.combine(day, local.time()), cal)
    if unit in ("days", "weeks"):
        # Add in wall time so "in 1 day" across a DST change keeps the hour of day.
        return _in_working_hours(local.replace(tzinfo=None) + count * UNIT_SIZES[unit], cal)
    # Aware arithmetic in one zone is wall-clock arithmetic; hours must be real hours.
    return now.astimezone(UTC) + count * UNIT_SIZES[unit]


def _ago(count: int, unit: Unit, now: datetime, local: datetime, cal: Calendar) -> datetime:
    """A moment ``count`` units before now: exact, as a past moment is not a promise."""
    if unit == "business_days":
        return _at(_work_days_away(local.date(), -count, cal), local.time(), cal)
    if unit in ("days", "weeks"):
        return (local.replace(tzinfo=None) - count * UNIT_SIZES[unit]).replace(tzinfo=cal.tz)
    return now.astimezone(UTC) - count * UNIT_SIZES[unit]


def _work_days_away(day: date, count: int, cal: Calendar) -> date:
    """The working day ``count`` working days after ``day``, or before it if negative."""
    # Every run of 7 days holds each working day once, so jump whole weeks, then step.
    weeks, steps = divmod(abs(count), len(cal.work_days))
    if steps == 0 and weeks:
        weeks, steps = weeks - 1, len(cal.work_days)
    day += timedelta(weeks=weeks if count > 0 else -weeks)
    step = _next_work_day if count > 0 else _previous_work_day
    for _step in range(steps):
        day = step(day, cal)
    return day


def _in_working_hours(wall: datetime, cal: Calendar) -> datetime:
    """A naive local moment some days ahead, moved to when the desk works.

    The same clock time inside working hours on a working day; otherwise the end of that
    working day, and a day off moves to the next working day: "3d" said at 22:30 on a
    Wednesday is Saturday, so Monday at the end of the working day.
    """
    day, at = wall.date(), wall.time()
    if day.weekday() not in cal.work_days:
        day = _next_work_day(day, cal)
    if not cal.work_start <= at <= cal.work_end:
        at = cal.work_end
    return _at(day, at, cal)


def _absolute(words: str, shown: str, today: date, cal: Calendar) -> datetime | None:
    """Dates in the user's order ("30/11", "3 dec 17:00"), read strictly by dateutil."""
    if not re.fullmatch(FALLBACK_CHARS_RE, words):
        return None
    names = re.findall(r"[a-z]+", words)
    if any(name not in FALLBACK_WORDS for name in names):
        return None  # dateutil would skip or guess at unknown words; we refuse them
    if not any(name in MONTHS for name in names) and not re.search(r"[0-9][/.-][0-9]", words):
        return None  # bare numbers ("3", "2026", "1 2") are not dates
    first, _space, rest = words.partition(" ")
    # dateutil reads "30.11" as the number 30.11: in the date a dot separates day and month,
    # after it hours and minutes ("30.11.2026 17.00").
    english = " ".join([first.replace(".", "/"), rest.replace(".", ":")]).strip()
    english = re.sub(r"[a-z]+", lambda word: FALLBACK_WORDS[word[0]], english)

    from dateutil import parser  # slow to import (~45 ms): only pay for it here

    # Parse against two defaults that differ in every field: a field the user typed
    # comes out the same both times, one they left out does not.
    try:
        one = parser.parse(english, dayfirst=cal.day_first, default=datetime(2000, 1, 1))
        two = parser.parse(english, dayfirst=cal.day_first, default=datetime(2004, 3, 2, 1, 1))
    except (ValueError, OverflowError) as error:
        raise BadInput(unreadable_date(shown), hint=_(ACCEPTED_FORMS)) from error
    if one.tzinfo is not None or (one.month, one.day) != (two.month, two.day):
        return None
    at = one.time() if one.hour == two.hour else cal.work_end
    if one.year != two.year:
        day = _nearest(one.month, one.day, today)
    elif re.search(r"[0-9]{3}", words):
        day = one.date()
    elif not re.search(r"[0-9][/.-][0-9]{1,2}[/.-][0-9]{1,2}(?![0-9])", words):
        return None  # "30/11 17" is not 2017: a short year must be written into the date
    else:
        # dateutil picks the century of a two-digit year from the real clock; use `today`.
        year = today.year - today.year % 100 + one.year % 100
        year += 100 if year < today.year - 50 else -100 if year >= today.year + 50 else 0
        day = _valid_date(year, one.month, one.day)
    if day is None:
        raise BadInput(_("no such date: '{text}'").format(text=shown), hint=_(ACCEPTED_FORMS))
    return _at(day, at, cal)


def unreadable_date(shown: str) -> str:
    """The message for text that is no date at all."""
    return _("cannot read '{text}' as a date").format(text=shown)


def _nearest(month: int, day: int, today: date) -> date | None:
    """The occurrence of a yearless date closest to today (ties go to the future)."""
    years = (today.year - 1, today.year, today.year + 1)
    found = [d for d in (_valid_date(year, month, day) for year in years) if d is not None]
    return min(found, key=lambda d: (abs((d - today).days), d < today), default=None)


def _valid_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None  # 29 February outside a leap year, or a year beyond 1-9999
