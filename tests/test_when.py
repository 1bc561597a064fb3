"""Reading due dates and intervals the way agents type them, against a pinned clock."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loopcloser.core.errors import BadInput
from loopcloser.core.settings import interval
from loopcloser.core.when import (
    ACCEPTED_FORMS,
    AGO_WORDS,
    ANCHORS,
    DAY_WORDS,
    LAST_WORDS,
    MONTHS,
    ONE_WORDS,
    PARTS,
    UNITS,
    WEEKDAYS,
    Calendar,
    describe_due,
    format_duration,
    parse_duration,
    parse_when,
    working_time_before,
)

ROME = ZoneInfo("Europe/Rome")
CAL = Calendar(tz=ROME)
MONTH_FIRST = Calendar(tz=ROME, day_first=False)
EVERY_DAY = Calendar(tz=ROME, work_days=frozenset(range(7)))
SUNDAY_TO_THURSDAY = Calendar(tz=ROME, work_days=frozenset({6, 0, 1, 2, 3}))
# Wednesday 25 November 2026, mid-morning in Rome.
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=ROME)


def rome(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    """A Rome wall-clock moment, as the UTC datetime parse_when returns."""
    return datetime(year, month, day, hour, minute, tzinfo=ROME).astimezone(UTC)


WEDNESDAY_10 = NOW
WEDNESDAY_7 = datetime(2026, 11, 25, 7, 0, tzinfo=ROME)
WEDNESDAY_18 = datetime(2026, 11, 25, 18, 0, tzinfo=ROME)
WEDNESDAY_22_30 = datetime(2026, 11, 25, 22, 30, tzinfo=ROME)
FRIDAY_15 = datetime(2026, 11, 27, 15, 0, tzinfo=ROME)
FRIDAY_18 = datetime(2026, 11, 27, 18, 0, tzinfo=ROME)
SATURDAY_10 = datetime(2026, 11, 28, 10, 0, tzinfo=ROME)
LAST_MONDAY_18 = datetime(2026, 11, 30, 18, 0, tzinfo=ROME)
MID_JANUARY = datetime(2027, 1, 10, 10, 0, tzinfo=ROME)
# The clocks go back in Rome on Sunday 25 October 2026.
BEFORE_DST_END = datetime(2026, 10, 24, 10, 0, tzinfo=ROME)
DECEMBER = datetime(2026, 12, 20, 10, 0, tzinfo=ROME)

GRAMMAR = [
    # day words, English and Italian, any case, accents optional
    ("today", NOW, CAL, rome(2026, 11, 25, 17, 30)),
    ("oggi", NOW, CAL, rome(2026, 11, 25, 17, 30)),
    ("tonight", NOW, CAL, rome(2026, 11, 25, 20, 0)),
    ("stasera", NOW, CAL, rome(2026, 11, 25, 20, 0)),
    ("tomorrow", NOW, CAL, rome(2026, 11, 26, 17, 30)),
    ("Domani", NOW, CAL, rome(2026, 11, 26, 17, 30)),
    ("dopodomani", NOW, CAL, rome(2026, 11, 27, 17, 30)),
    ("yesterday 9am", NOW, CAL, rome(2026, 11, 24, 9, 0)),
    ("ieri", NOW, CAL, rome(2026, 11, 24, 17, 30)),
    ("  next   friday ", NOW, CAL, rome(2026, 11, 27, 17, 30)),
    # end of day, week, month
    ("eod", WEDNESDAY_10, CAL, rome(2026, 11, 25, 17, 30)),
    ("fine giornata", WEDNESDAY_10, CAL, rome(2026, 11, 25, 17, 30)),
    ("end of day", WEDNESDAY_18, CAL, rome(2026, 11, 26, 17, 30)),
    ("eod", FRIDAY_18, CAL, rome(2026, 11, 30, 17, 30)),
    ("eod", SATURDAY_10, CAL, rome(2026, 11, 30, 17, 30)),
    ("eow", WEDNESDAY_10, CAL, rome(2026, 11, 27, 17, 30)),
    ("fine settimana", FRIDAY_15, CAL, rome(2026, 11, 27, 17, 30)),
    ("eow", FRIDAY_18, CAL, rome(2026, 12, 4, 17, 30)),
    ("eow", SATURDAY_10, CAL, rome(2026, 12, 4, 17, 30)),
    ("eom", WEDNESDAY_10, CAL, rome(2026, 11, 30, 17, 30)),
    ("fine mese", LAST_MONDAY_18, CAL, rome(2026, 12, 31, 17, 30)),
    ("eom", MID_JANUARY, CAL, rome(2027, 1, 29, 17, 30)),  # 31 January 2027 is a Sunday
    # weekdays: the first such day strictly after today
    ("fri", NOW, CAL, rome(2026, 11, 27, 17, 30)),
    ("friday", NOW, CAL, rome(2026, 11, 27, 17, 30)),
    ("venerdì", NOW, CAL, rome(2026, 11, 27, 17, 30)),
    ("venerdi", NOW, CAL, rome(2026, 11, 27, 17, 30)),
    ("prossimo venerdì", NOW, CAL, rome(2026, 11, 27, 17, 30)),
    ("venerdì prossimo", NOW, CAL, rome(2026, 11, 27, 17, 30)),
    ("by friday", NOW, CAL, rome(2026, 11, 27, 17, 30)),
    ("entro lunedì", NOW, CAL, rome(2026, 11, 30, 17, 30)),
    ("wed", NOW, CAL, rome(2026, 12, 2, 17, 30)),
    ("next wednesday", NOW, CAL, rome(2026, 12, 2, 17, 30)),
    # a day followed by a time, and bare times
    ("fri 17:00", NOW, CAL, rome(2026, 11, 27, 17, 0)),
    ("fri 17", NOW, CAL, rome(2026, 11, 27, 17, 0)),
    ("venerdì 17", NOW, CAL, rome(2026, 11, 27, 17, 0)),
    ("domani alle 9", NOW, CAL, rome(2026, 11, 26, 9, 0)),
    ("alle 17", NOW, CAL, rome(2026, 11, 25, 17, 0)),
    ("entro venerdì alle 12", NOW, CAL, rome(2026, 11, 27, 12, 0)),
    ("friday 5pm", NOW, CAL, rome(2026, 11, 27, 17, 0)),
    ("venerdì alle 17.00", NOW, CAL, rome(2026, 11, 27, 17, 0)),
    ("tomorrow 9am", NOW, CAL, rome(2026, 11, 26, 9, 0)),
    ("tomorrow at 9 am", NOW, CAL, rome(2026, 11, 26, 9, 0)),
    ("domani 9:00", NOW, CAL, rome(2026, 11, 26, 9, 0)),
    ("domani alle ore 9:00", NOW, CAL, rome(2026, 11, 26, 9, 0)),
    ("tomorrow 9:30pm", NOW, CAL, rome(2026, 11, 26, 21, 30)),
    ("tomorrow 12am", NOW, CAL, rome(2026, 11, 26, 0, 0)),
    ("tomorrow 12pm", NOW, CAL, rome(2026, 11, 26, 12, 0)),
    ("today 15:30", NOW, CAL, rome(2026, 11, 25, 15, 30)),
    ("17:00", NOW, CAL, rome(2026, 11, 25, 17, 0)),
    ("3pm", NOW, CAL, rome(2026, 11, 25, 15, 0)),
    ("alle 15.30", NOW, CAL, rome(2026, 11, 25, 15, 30)),
    # days ahead keep the clock time inside working hours on a working day
    ("in 2 days", NOW, CAL, rome(2026, 11, 27, 10, 0)),
    ("tra 2 giorni", NOW, CAL, rome(2026, 11, 27, 10, 0)),
    ("+2d", NOW, CAL, rome(2026, 11, 27, 10, 0)),
    ("2d", NOW, CAL, rome(2026, 11, 27, 10, 0)),
    # ... a day off moves to the next working day: Saturday becomes Monday
    ("in 3 days", NOW, CAL, rome(2026, 11, 30, 10, 0)),
    ("tra 3 giorni", NOW, CAL, rome(2026, 11, 30, 10, 0)),
    ("3d", NOW, CAL, rome(2026, 11, 30, 10, 0)),
    ("3d", NOW, Calendar(tz=ROME, work_days=frozenset(range(6))), rome(2026, 11, 28, 10, 0)),
    # ... and a time outside working hours is the end of that working day
    ("1d", WEDNESDAY_22_30, CAL, rome(2026, 11, 26, 17, 30)),
    ("tra 1 giorno", WEDNESDAY_7, CAL, rome(2026, 11, 26, 17, 30)),
    ("3d", WEDNESDAY_22_30, CAL, rome(2026, 11, 30, 17, 30)),
    ("2bd", WEDNESDAY_22_30, CAL, rome(2026, 11, 27, 17, 30)),
    ("in a week", NOW, CAL, rome(2026, 12, 2, 10, 0)),
    ("tra una settimana", NOW, CAL, rome(2026, 12, 2, 10, 0)),
    ("fra una settimana", NOW, CAL, rome(2026, 12, 2, 10, 0)),
    ("in one week", WEDNESDAY_22_30, CAL, rome(2026, 12, 2, 17, 30)),
    # hours and minutes are exact, even after hours
    ("in 2 hours", WEDNESDAY_22_30, CAL, rome(2026, 11, 26, 0, 30)),
    ("in an hour", NOW, CAL, rome(2026, 11, 25, 11, 0)),
    ("tra un'ora", NOW, CAL, rome(2026, 11, 25, 11, 0)),
    ("tra un\u2019ora", NOW, CAL, rome(2026, 11, 25, 11, 0)),
    ("in 2 hours", NOW, CAL, rome(2026, 11, 25, 12, 0)),
    ("fra 2 ore", NOW, CAL, rome(2026, 11, 25, 12, 0)),
    ("+2h", NOW, CAL, rome(2026, 11, 25, 12, 0)),
    ("in 30 minutes", NOW, CAL, rome(2026, 11, 25, 10, 30)),
    ("90m", NOW, CAL, rome(2026, 11, 25, 11, 30)),
    ("in 1 week", NOW, CAL, rome(2026, 12, 2, 10, 0)),
    ("tra 1 settimana", NOW, CAL, rome(2026, 12, 2, 10, 0)),
    # days keep the wall-clock hour across the October change; hours do not
    ("in 1 day", BEFORE_DST_END, EVERY_DAY, rome(2026, 10, 25, 10, 0)),
    ("in 24 hours", BEFORE_DST_END, CAL, rome(2026, 10, 25, 9, 0)),
    # a wall time the spring change skips is moved forward by the gap: 02:30 becomes 03:30
    ("2027-03-28T02:30", NOW, CAL, datetime(2027, 3, 28, 1, 30, tzinfo=UTC)),
    # business days
    ("2bd", NOW, CAL, rome(2026, 11, 27, 10, 0)),
    ("+2bd", FRIDAY_15, CAL, rome(2026, 12, 1, 15, 0)),
    ("in 2 business days", FRIDAY_15, CAL, rome(2026, 12, 1, 15, 0)),
    ("in 2 working days", FRIDAY_15, CAL, rome(2026, 12, 1, 15, 0)),
    ("tra 2 giorni lavorativi", FRIDAY_15, CAL, rome(2026, 12, 1, 15, 0)),
    ("1bd", SATURDAY_10, CAL, rome(2026, 11, 30, 10, 0)),
    ("5bd", NOW, CAL, rome(2026, 12, 2, 10, 0)),
    ("7bd", NOW, CAL, rome(2026, 12, 4, 10, 0)),
    ("10bd", NOW, CAL, rome(2026, 12, 9, 10, 0)),
    # ISO, with and without an offset
    ("2026-11-30", NOW, CAL, rome(2026, 11, 30, 17, 30)),
    ("2026-11-30T17:00", NOW, CAL, rome(2026, 11, 30, 17, 0)),
    ("2026-11-30 17:00", NOW, CAL, rome(2026, 11, 30, 17, 0)),
    ("2026-11-30T17:00Z", NOW, CAL, datetime(2026, 11, 30, 17, 0, tzinfo=UTC)),
    ("2026-11-30T17:00+05:00", NOW, CAL, datetime(2026, 11, 30, 12, 0, tzinfo=UTC)),
    # dates in the user's order
    ("30/11", NOW, CAL, rome(2026, 11, 30, 17, 30)),
    ("30/11 17:00", NOW, CAL, rome(2026, 11, 30, 17, 0)),
    ("30/11 alle 17:00", NOW, CAL, rome(2026, 11, 30, 17, 0)),
    ("30/11/2026", NOW, CAL, rome(2026, 11, 30, 17, 30)),
    ("30/11/26", NOW, CAL, rome(2026, 11, 30, 17, 30)),
    ("30.11.2026", NOW, CAL, rome(2026, 11, 30, 17, 30)),
    ("30.11", NOW, CAL, rome(2026, 11, 30, 17, 30)),
    ("12.11", NOW, CAL, rome(2026, 11, 12, 17, 30)),  # a bare dotted pair is a date, not 12:11
    ("30.11.2026 17.00", NOW, CAL, rome(2026, 11, 30, 17, 0)),
    ("1/12", NOW, CAL, rome(2026, 12, 1, 17, 30)),
    ("1/12", NOW, MONTH_FIRST, rome(2027, 1, 12, 17, 30)),
    ("11/30", NOW, MONTH_FIRST, rome(2026, 11, 30, 17, 30)),
    ("3 dec", NOW, CAL, rome(2026, 12, 3, 17, 30)),
    ("dec 3 17:00", NOW, CAL, rome(2026, 12, 3, 17, 0)),
    ("3rd of december", NOW, CAL, rome(2026, 12, 3, 17, 30)),
    ("3 dicembre", NOW, CAL, rome(2026, 12, 3, 17, 30)),
    ("3 dic alle 17:00", NOW, CAL, rome(2026, 12, 3, 17, 0)),
    ("3 mar", NOW, CAL, rome(2027, 3, 3, 17, 30)),
    # a yearless date is its nearest occurrence, even in the past (the caller refuses that)
    ("15/1", DECEMBER, CAL, rome(2027, 1, 15, 17, 30)),
    ("24/11", NOW, CAL, rome(2026, 11, 24, 17, 30)),
    # parts of the day mean when they end: noon, the working day's end, 20:00
    ("noon", NOW, CAL, rome(2026, 11, 25, 12, 0)),
    ("mezzogiorno", NOW, CAL, rome(2026, 11, 25, 12, 0)),
    ("midday", NOW, CAL, rome(2026, 11, 25, 12, 0)),
    ("tomorrow at noon", NOW, CAL, rome(2026, 11, 26, 12, 0)),
    ("domani a mezzogiorno", NOW, CAL, rome(2026, 11, 26, 12, 0)),
    ("tomorrow morning", NOW, CAL, rome(2026, 11, 26, 12, 0)),
    ("domani mattina", NOW, CAL, rome(2026, 11, 26, 12, 0)),
    ("tomorrow in the morning", NOW, CAL, rome(2026, 11, 26, 12, 0)),
    ("domani in mattinata", NOW, CAL, rome(2026, 11, 26, 12, 0)),
    ("this morning", NOW, CAL, rome(2026, 11, 25, 12, 0)),
    ("stamattina", NOW, CAL, rome(2026, 11, 25, 12, 0)),
    ("tomorrow afternoon", NOW, CAL, rome(2026, 11, 26, 17, 30)),
    ("domani pomeriggio", NOW, CAL, rome(2026, 11, 26, 17, 30)),
    ("domani nel pomeriggio", NOW, CAL, rome(2026, 11, 26, 17, 30)),
    ("this afternoon", NOW, CAL, rome(2026, 11, 25, 17, 30)),
    ("oggi pomeriggio", NOW, CAL, rome(2026, 11, 25, 17, 30)),
    ("tomorrow evening", NOW, CAL, rome(2026, 11, 26, 20, 0)),
    ("tomorrow night", NOW, CAL, rome(2026, 11, 26, 20, 0)),
    ("domani sera", NOW, CAL, rome(2026, 11, 26, 20, 0)),
    ("this evening", NOW, CAL, rome(2026, 11, 25, 20, 0)),
    ("questa sera", NOW, CAL, rome(2026, 11, 25, 20, 0)),
    ("thursday afternoon", NOW, CAL, rome(2026, 11, 26, 17, 30)),
    ("giovedì pomeriggio", NOW, CAL, rome(2026, 11, 26, 17, 30)),
    ("Giovedi Pomeriggio", NOW, CAL, rome(2026, 11, 26, 17, 30)),
    ("friday morning", NOW, CAL, rome(2026, 11, 27, 12, 0)),
    ("venerdì mattina", NOW, CAL, rome(2026, 11, 27, 12, 0)),
    ("next friday evening", NOW, CAL, rome(2026, 11, 27, 20, 0)),
    ("venerdì prossimo sera", NOW, CAL, rome(2026, 11, 27, 20, 0)),
    ("by thursday afternoon", NOW, CAL, rome(2026, 11, 26, 17, 30)),
    ("entro giovedì pomeriggio", NOW, CAL, rome(2026, 11, 26, 17, 30)),
    # next week: the end of the next working week; on a day off, the coming one
    ("next week", NOW, CAL, rome(2026, 12, 4, 17, 30)),
    ("settimana prossima", NOW, CAL, rome(2026, 12, 4, 17, 30)),
    ("la settimana prossima", NOW, CAL, rome(2026, 12, 4, 17, 30)),
    ("prossima settimana", NOW, CAL, rome(2026, 12, 4, 17, 30)),
    ("by next week", NOW, CAL, rome(2026, 12, 4, 17, 30)),
    ("entro la settimana prossima", NOW, CAL, rome(2026, 12, 4, 17, 30)),
    ("end of next week", NOW, CAL, rome(2026, 12, 4, 17, 30)),
    ("next week", FRIDAY_18, CAL, rome(2026, 12, 4, 17, 30)),
    ("next week", SATURDAY_10, CAL, rome(2026, 12, 4, 17, 30)),
    ("next week", NOW, SUNDAY_TO_THURSDAY, rome(2026, 12, 3, 17, 30)),
    ("next week", FRIDAY_15, SUNDAY_TO_THURSDAY, rome(2026, 12, 3, 17, 30)),
    ("next week", NOW, EVERY_DAY, rome(2026, 12, 6, 17, 30)),
    # the past, for --since (a due there is refused by the caller)
    ("7 days ago", NOW, CAL, rome(2026, 11, 18, 10, 0)),
    ("7 giorni fa", NOW, CAL, rome(2026, 11, 18, 10, 0)),
    ("3 weeks ago", NOW, CAL, rome(2026, 11, 4, 10, 0)),
    ("3 settimane fa", NOW, CAL, rome(2026, 11, 4, 10, 0)),
    ("a week ago", NOW, CAL, rome(2026, 11, 18, 10, 0)),
    ("una settimana fa", NOW, CAL, rome(2026, 11, 18, 10, 0)),
    ("3d ago", WEDNESDAY_22_30, CAL, rome(2026, 11, 22, 22, 30)),  # exact: not a promise
    ("2 hours ago", NOW, CAL, rome(2026, 11, 25, 8, 0)),
    ("2 ore fa", NOW, CAL, rome(2026, 11, 25, 8, 0)),
    ("2bd ago", NOW, CAL, rome(2026, 11, 23, 10, 0)),
    ("2 giorni lavorativi fa", NOW, CAL, rome(2026, 11, 23, 10, 0)),
    ("1bd ago", datetime(2026, 11, 30, 10, 0, tzinfo=ROME), CAL, rome(2026, 11, 27, 10, 0)),
    ("yesterday", NOW, CAL, rome(2026, 11, 24, 17, 30)),
    ("day before yesterday", NOW, CAL, rome(2026, 11, 23, 17, 30)),
    ("l'altro ieri", NOW, CAL, rome(2026, 11, 23, 17, 30)),
    ("last monday", NOW, CAL, rome(2026, 11, 23, 17, 30)),
    ("lunedì scorso", NOW, CAL, rome(2026, 11, 23, 17, 30)),
    ("last wednesday", NOW, CAL, rome(2026, 11, 18, 17, 30)),  # said on a Wednesday
    ("mercoledì scorso", NOW, CAL, rome(2026, 11, 18, 17, 30)),
    ("domenica scorsa", NOW, CAL, rome(2026, 11, 22, 17, 30)),
    ("last mon 9:00", NOW, CAL, rome(2026, 11, 23, 9, 0)),
    ("last week", NOW, CAL, rome(2026, 11, 16, 9, 0)),
    ("settimana scorsa", NOW, CAL, rome(2026, 11, 16, 9, 0)),
    ("la settimana scorsa", NOW, CAL, rome(2026, 11, 16, 9, 0)),
    ("last week", SATURDAY_10, CAL, rome(2026, 11, 16, 9, 0)),
    ("last week", NOW, SUNDAY_TO_THURSDAY, rome(2026, 11, 15, 9, 0)),
]


@pytest.mark.parametrize(("text", "now", "cal", "expected"), GRAMMAR)
def test_due_date_grammar(text: str, now: datetime, cal: Calendar, expected: datetime) -> None:
    assert parse_when(text, now, cal) == expected


def test_result_is_utc() -> None:
    assert parse_when("tomorrow", NOW, CAL).tzinfo is UTC


def test_two_business_days_from_friday_skip_the_weekend() -> None:
    assert parse_when("2bd", FRIDAY_15, CAL) == rome(2026, 12, 1, 15, 0)


def test_business_days_follow_the_calendar_working_days() -> None:
    six_day_week = Calendar(tz=ROME, work_days=frozenset({0, 1, 2, 3, 4, 5}))
    assert parse_when("1bd", FRIDAY_15, six_day_week) == rome(2026, 11, 28, 15, 0)


def test_end_of_day_follows_the_calendar_working_hours() -> None:
    late_shift = Calendar(tz=ROME, work_end=time(22, 0))
    assert parse_when("eod", WEDNESDAY_18, late_shift) == rome(2026, 11, 25, 22, 0)


def test_weekday_named_on_that_weekday_means_next_week() -> None:
    assert parse_when("mercoledì", NOW, CAL) == rome(2026, 12, 2, 17, 30)


def test_an_hour_that_could_be_morning_or_evening_asks_which() -> None:
    with pytest.raises(BadInput) as raised:
        parse_when("fri 9", NOW, CAL)
    assert raised.value.hint == "write 9:00, 9am or 9pm"


def test_a_sunday_to_thursday_desk_ends_its_week_on_thursday() -> None:
    sunday_to_thursday = Calendar(tz=ROME, work_days=frozenset({6, 0, 1, 2, 3}))
    assert parse_when("eow", NOW, sunday_to_thursday) == rome(2026, 11, 26, 17, 30)
    assert parse_when("eow", FRIDAY_15, sunday_to_thursday) == rome(2026, 12, 3, 17, 30)


def test_a_seven_day_desk_ends_its_week_on_sunday() -> None:
    every_day = Calendar(tz=ROME, work_days=frozenset(range(7)))
    assert parse_when("eow", NOW, every_day) == rome(2026, 11, 29, 17, 30)


@pytest.mark.parametrize("text", ["in 0 days", "+0h", "0bd"])
def test_a_zero_offset_is_refused(text: str) -> None:
    with pytest.raises(BadInput, match="zero"):
        parse_when(text, NOW, CAL)


@pytest.mark.parametrize("text", ["9999-12-31T23:00Z", "30/11/2202", "0001-01-01"])
def test_dates_a_century_away_are_typos(text: str) -> None:
    with pytest.raises(BadInput, match="100 years"):
        parse_when(text, NOW, CAL)


ERRORS = [
    "blah",
    "call back in 3 days",
    "3",
    "2026",
    "31/02",
    "29/02/2026",
    "in 3 parsecs",
    "",
    "   ",
    "+",
    "tomorrow 25:00",
    "tomorrow 13pm",
    "30/11 17",
    "next",
    "a week",
    "in 3 days ago",
    "+2h ago",
    "tomorrow lunch",
    "scorso",
    "dec",
    "11/2026",
    "1 2",
    "in 999999 weeks",
]


@pytest.mark.parametrize("text", ERRORS)
def test_unreadable_due_date_is_bad_input_listing_accepted_forms(text: str) -> None:
    with pytest.raises(BadInput) as raised:
        parse_when(text, NOW, CAL)
    assert raised.value.hint == ACCEPTED_FORMS


def test_accepted_forms_is_one_line_naming_the_forms() -> None:
    assert "\n" not in ACCEPTED_FORMS
    for form in ("2026-11-30", "30/11", "tomorrow 9am", "eod", "next fri", "+2h", "2bd", "domani"):
        assert form in ACCEPTED_FORMS


def test_unreadable_due_date_message_quotes_the_text() -> None:
    with pytest.raises(BadInput, match="cannot read 'blah' as a date"):
        parse_when("  blah ", NOW, CAL)


def test_unknown_unit_is_named() -> None:
    with pytest.raises(BadInput, match="unknown unit 'parsecs'"):
        parse_when("in 3 parsecs", NOW, CAL)


def test_naive_now_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="aware"):
        parse_when("tomorrow", datetime(2026, 11, 25, 10, 0), CAL)


def test_calendar_without_working_days_is_refused() -> None:
    with pytest.raises(BadInput):
        Calendar(tz=ROME, work_days=frozenset())


def test_importing_when_does_not_import_dateutil() -> None:
    # dateutil costs ~45 ms at startup; only the fallback date reader may load it.
    code = "import sys, loopcloser.core.when; print('dateutil' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


DURATIONS = [
    ("2d", timedelta(days=2)),
    ("36h", timedelta(hours=36)),
    ("1w", timedelta(weeks=1)),
    ("90m", timedelta(minutes=90)),
    ("2 days", timedelta(days=2)),
    ("3 hours", timedelta(hours=3)),
    ("1 week", timedelta(weeks=1)),
    ("2 giorni", timedelta(days=2)),
    ("3 ore", timedelta(hours=3)),
    ("1 settimana", timedelta(weeks=1)),
    ("  2 D ", timedelta(days=2)),
]


@pytest.mark.parametrize(("text", "expected"), DURATIONS)
def test_interval_grammar(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["0d", "-2d", "soon", "", "2", "d", "2bd", "1.5h", "in 2d"])
def test_unreadable_or_empty_interval_is_bad_input(text: str) -> None:
    with pytest.raises(BadInput) as raised:
        parse_duration(text)
    assert raised.value.hint is not None and "2d" in raised.value.hint


@pytest.mark.parametrize(
    ("delta", "shown"),
    [
        (timedelta(weeks=1), "1w"),
        (timedelta(weeks=2), "2w"),
        (timedelta(days=2), "2d"),
        (timedelta(hours=36), "36h"),
        (timedelta(hours=48), "2d"),
        (timedelta(minutes=90), "90m"),
        (timedelta(days=1, minutes=1), "1441m"),
    ],
)
def test_interval_shows_in_its_largest_whole_unit(delta: timedelta, shown: str) -> None:
    assert format_duration(delta) == shown


@pytest.mark.parametrize(
    ("offset", "shown"),
    [
        (timedelta(minutes=45), "in 45m"),
        (timedelta(hours=3, minutes=59), "in 3h"),
        (timedelta(days=2, hours=5), "in 2d"),
        (timedelta(seconds=30), "now"),
        (timedelta(seconds=-30), "now"),
        (timedelta(minutes=-20), "20m late"),
        (timedelta(hours=-5, minutes=-30), "5h late"),
        (timedelta(days=-2), "2d late"),
    ],
)
def test_due_is_described_relative_to_now(offset: timedelta, shown: str) -> None:
    assert describe_due(NOW + offset, NOW) == shown


def test_describe_due_compares_moments_not_zones() -> None:
    assert describe_due(NOW.astimezone(UTC) + timedelta(hours=1), NOW) == "in 1h"


# Text built from the grammar's own pieces reaches the deep branches that random text misses.
VOCABULARY = [
    *DAY_WORDS, *WEEKDAYS, *UNITS, *MONTHS, *PARTS, *ANCHORS, *AGO_WORDS, *LAST_WORDS,
    *ONE_WORDS, "in", "tra", "+", "at", "alle", "next", "this", "a",
]  # fmt: skip
PIECES = st.one_of(
    st.sampled_from(VOCABULARY),
    st.integers(0, 10**7).map(str),
    st.text(alphabet="0123456789/.:-+, apmZT", max_size=12),
)
GRAMMARISH = st.lists(PIECES, max_size=5).map(" ".join)


@given(st.one_of(st.text(), GRAMMARISH))
def test_any_text_is_a_due_date_or_bad_input(text: str) -> None:
    try:
        due = parse_when(text, NOW, CAL)
    except BadInput:
        return
    assert due.tzinfo is UTC


@given(st.one_of(st.text(), GRAMMARISH))
def test_any_text_is_an_interval_or_bad_input(text: str) -> None:
    with contextlib.suppress(BadInput):
        assert parse_duration(text) > timedelta(0)


@given(st.integers(1, timedelta.max // timedelta(minutes=1)).map(lambda n: timedelta(minutes=n)))
def test_shown_interval_reads_back_the_same(delta: timedelta) -> None:
    assert parse_duration(format_duration(delta)) == delta


@given(st.one_of(st.text(), GRAMMARISH, st.from_regex(r"[0-9]{1,8}[mhdw]", fullmatch=True)))
def test_an_interval_setting_reads_as_parse_duration_reads_it(text: str) -> None:
    # interval() reads the form settings are saved in itself, sparing core.when's import.
    if text == "off":
        assert interval(text) is None
        return
    try:
        expected: timedelta | None = parse_duration(text)
    except BadInput:
        expected = None
    if expected is None:
        with pytest.raises(BadInput):
            interval(text)
    else:
        assert interval(text) == expected


@given(
    st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(ROME)
    ),
    st.integers(min_value=1, max_value=30),
)
def test_business_days_land_on_a_working_day_in_working_hours(now: datetime, count: int) -> None:
    due = parse_when(f"{count}bd", now, CAL).astimezone(ROME)
    assert due.weekday() in CAL.work_days
    if CAL.work_start <= now.time() <= CAL.work_end:
        assert (due.hour, due.minute) == (now.hour, now.minute)
    else:
        assert due.time() == CAL.work_end


@pytest.mark.parametrize(
    ("end", "span", "expected"),
    [
        # Wednesday 15:00, two working hours earlier: the same day at 13:00.
        (datetime(2026, 11, 25, 15, 0, tzinfo=ROME), timedelta(hours=2), rome(2026, 11, 25, 13, 0)),
        # Monday 10:00: one hour on Monday, the other on Friday before 17:30.
        (
            datetime(2026, 11, 30, 10, 0, tzinfo=ROME),
            timedelta(hours=2),
            rome(2026, 11, 27, 16, 30),
        ),
        # A due in the evening counts back from the end of the working day.
        (
            datetime(2026, 11, 25, 20, 0, tzinfo=ROME),
            timedelta(hours=2),
            rome(2026, 11, 25, 15, 30),
        ),
        # A Sunday due counts back from Friday's end.
        (
            datetime(2026, 11, 29, 12, 0, tzinfo=ROME),
            timedelta(hours=1),
            rome(2026, 11, 27, 16, 30),
        ),
        # A whole working day (8h30) before Wednesday 9:00 is Tuesday 9:00.
        (
            datetime(2026, 11, 25, 9, 0, tzinfo=ROME),
            timedelta(hours=8, minutes=30),
            rome(2026, 11, 24, 9, 0),
        ),
    ],
    ids=["same-day", "over-the-weekend", "evening-due", "sunday-due", "whole-day"],
)
def test_working_time_before_skips_nights_and_days_off(
    end: datetime, span: timedelta, expected: datetime
) -> None:
    assert working_time_before(end, span, CAL) == expected


# --- words people say: both languages, parts of the day, the past ----------------------------

MOMENTS_IN_ROME = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(ROME)
)
SAME_IN_BOTH_LANGUAGES = [
    ("next week", "settimana prossima"),
    ("next week", "prossima settimana"),
    ("in a week", "tra una settimana"),
    ("in a week", "fra una settimana"),
    ("noon", "mezzogiorno"),
    ("tomorrow morning", "domani mattina"),
    ("tomorrow afternoon", "domani pomeriggio"),
    ("tomorrow evening", "domani sera"),
    ("thursday afternoon", "giovedì pomeriggio"),
    ("in 3 days", "tra 3 giorni"),
    ("7 days ago", "7 giorni fa"),
    ("3 weeks ago", "3 settimane fa"),
    ("yesterday", "ieri"),
    ("last monday", "lunedì scorso"),
    ("last week", "settimana scorsa"),
]


@given(st.sampled_from(SAME_IN_BOTH_LANGUAGES), MOMENTS_IN_ROME)
def test_english_and_italian_words_mean_the_same_moment(
    pair: tuple[str, str], now: datetime
) -> None:
    english, italian = pair
    assert parse_when(english, now, CAL) == parse_when(italian, now, CAL)


@given(MOMENTS_IN_ROME, st.integers(min_value=1, max_value=400))
def test_days_ahead_land_in_working_hours_on_the_first_working_day_they_can(
    now: datetime, count: int
) -> None:
    due = parse_when(f"in {count} days", now, CAL).astimezone(ROME)
    said = (now.replace(tzinfo=None) + timedelta(days=count)).date()
    assert due.weekday() in CAL.work_days
    assert CAL.work_start <= due.time() <= CAL.work_end
    assert said <= due.date() <= said + timedelta(days=2)  # at most a weekend later
    if said.weekday() in CAL.work_days and CAL.work_start <= now.time() <= CAL.work_end:
        assert (due.date(), due.hour, due.minute) == (said, now.hour, now.minute)


@given(MOMENTS_IN_ROME, st.integers(min_value=1, max_value=400), st.sampled_from(["d", "w", "h"]))
def test_ago_is_the_exact_moment_before_now(now: datetime, count: int, unit: str) -> None:
    before = parse_when(f"{count}{unit} ago", now, CAL)
    assert before < now
    if unit == "h":
        assert now - before == timedelta(hours=count)
    else:
        days = count * (7 if unit == "w" else 1)
        wall = before.astimezone(ROME)
        assert wall.date() == now.date() - timedelta(days=days)
        if not time(2) <= now.time() < time(3):  # the hour a spring change skips moves on
            assert (wall.hour, wall.minute) == (now.hour, now.minute)


@given(MOMENTS_IN_ROME, st.sampled_from(sorted(WEEKDAYS)))
def test_last_and_next_weekday_are_a_week_apart_around_today(now: datetime, name: str) -> None:
    last = parse_when(f"last {name}", now, CAL).astimezone(ROME).date()
    following = parse_when(f"next {name}", now, CAL).astimezone(ROME).date()
    assert last.weekday() == following.weekday() == WEEKDAYS[name]
    assert 1 <= (now.date() - last).days <= 7
    assert (following - last).days == (14 if WEEKDAYS[name] == now.weekday() else 7)


@given(MOMENTS_IN_ROME)
def test_next_and_last_week_are_the_weeks_around_this_monday_to_sunday(now: datetime) -> None:
    # For a Monday-to-Friday desk the weekend belongs to the week just worked.
    monday = now.date() - timedelta(days=now.weekday())
    next_week = parse_when("next week", now, CAL).astimezone(ROME)
    last_week = parse_when("last week", now, CAL).astimezone(ROME)
    assert (next_week.date(), next_week.time()) == (monday + timedelta(days=11), CAL.work_end)
    assert (last_week.date(), last_week.time()) == (monday - timedelta(days=7), CAL.work_start)


@pytest.mark.parametrize(
    ("work_end", "afternoon"),
    [(time(17, 30), time(17, 30)), (time(16, 0), time(16, 0)), (time(22, 0), time(18, 0))],
    ids=["ends-with-the-day", "short-day", "late-shift-still-by-six"],
)
def test_the_afternoon_ends_with_the_working_day_but_no_later_than_six(
    work_end: time, afternoon: time
) -> None:
    cal = Calendar(tz=ROME, work_end=work_end)
    due = parse_when("domani pomeriggio", NOW, cal).astimezone(ROME)
    assert due.time() == afternoon


def test_morning_noon_and_evening_do_not_move_with_working_hours() -> None:
    late_shift = Calendar(tz=ROME, work_start=time(13, 0), work_end=time(22, 0))
    for text, at in (("tomorrow morning", time(12, 0)), ("noon", time(12, 0)),
                     ("tomorrow evening", time(20, 0))):  # fmt: skip
        assert parse_when(text, NOW, late_shift).astimezone(ROME).time() == at


def test_a_past_word_is_returned_for_the_caller_to_judge() -> None:
    assert parse_when("3 days ago", NOW, CAL) < NOW.astimezone(UTC)
    assert parse_when("noon", datetime(2026, 11, 25, 14, 0, tzinfo=ROME), CAL) == rome(
        2026, 11, 25, 12, 0
    )


def test_accepted_forms_name_the_new_words_in_both_languages() -> None:
    for form in ("next week", "noon", "tomorrow morning", "in a week", "3 days ago",
                 "settimana prossima", "domani pomeriggio", "3 giorni fa"):  # fmt: skip
        assert form in ACCEPTED_FORMS
