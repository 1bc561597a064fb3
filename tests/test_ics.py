"""The iCalendar export: one event per loop, at the due the customer expects, with alarms."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from icalendar import Calendar

from loopcloser.core.model import Event, Kind, Loop, apply, creation, to_utc_text
from loopcloser.render.ics import to_ics

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
DUE = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
HARD_NAME = 'Zoë Müller, Ltd; "ACME"\nAccounts 📞 — שלום עולם'


def make_loop(
    loop_id: int = 1,
    *,
    customer: str = "Maria Rossi",
    promise: str = "call back about the refund",
    remind: Iterable[datetime] = (),
    tags: Iterable[str] = (),
    **extra: Any,
) -> Loop:
    event = creation(
        uid=f"7f1c2a1e-0000-4000-8000-{loop_id:012d}",
        customer=customer,
        promise=promise,
        owner="anna",
        due=DUE,
        at=NOW - 2 * HOUR,
        remind=remind,
        tags=tags,
        **extra,
    )
    return apply(None, event, loop_id=loop_id)


def events_of(data: bytes) -> list[Any]:
    return list(Calendar.from_ical(data).walk("VEVENT"))


def triggers(event: Any) -> list[datetime | timedelta]:
    return [alarm["TRIGGER"].dt for alarm in event.walk("VALARM")]


def test_output_is_a_calendar_in_bytes_with_crlf_lines() -> None:
    data = to_ics([make_loop()], NOW)
    assert isinstance(data, bytes)
    assert data.startswith(b"BEGIN:VCALENDAR\r\n")
    assert data.endswith(b"END:VCALENDAR\r\n")
    assert b"\n" not in data.replace(b"\r\n", b"")
    calendar = Calendar.from_ical(data)
    assert str(calendar["PRODID"]) == "-//loopcloser//EN"
    assert str(calendar["VERSION"]) == "2.0"


def test_one_event_per_loop_passed_in() -> None:
    loops = [make_loop(1), make_loop(2), make_loop(3)]
    uids = [str(event["UID"]) for event in events_of(to_ics(loops, NOW))]
    assert uids == [f"{loop.uid}@loopcloser" for loop in loops]


def test_no_loops_gives_an_empty_calendar() -> None:
    data = to_ics([], NOW)
    assert events_of(data) == []
    assert Calendar.from_ical(data).name == "VCALENDAR"


def test_event_sits_at_the_due_for_fifteen_minutes_stamped_now() -> None:
    (event,) = events_of(to_ics([make_loop()], NOW))
    assert event["DTSTART"].dt == DUE
    assert event["DTSTART"].dt.utcoffset() == timedelta(0)
    assert event["DURATION"].dt == timedelta(minutes=15)
    assert event["DTSTAMP"].dt == NOW


def test_event_sits_at_the_due_the_customer_was_told_not_an_untold_reschedule() -> None:
    loop = make_loop()
    moved = apply(
        loop,
        Event(
            kind=Kind.RESCHEDULED,
            at=NOW,
            by="anna",
            told=False,
            changes={"due": to_utc_text(DUE + 24 * HOUR)},
        ),
    )
    assert moved.due == DUE + 24 * HOUR
    (event,) = events_of(to_ics([moved], NOW))
    assert event["DTSTART"].dt == DUE


def test_summary_puts_the_customer_first_and_survives_hard_text() -> None:
    promise = "refund, part 2; see note\nthen call ☎️ back"
    (event,) = events_of(to_ics([make_loop(customer=HARD_NAME, promise=promise)], NOW))
    assert str(event["SUMMARY"]) == f"{HARD_NAME}: {promise}"


def test_text_is_escaped_on_the_wire() -> None:
    data = to_ics([make_loop(customer="A, B; C\nD")], NOW)
    assert b"SUMMARY:A\\, B\\; C\\nD: call back" in data


def test_description_says_how_to_reach_the_customer_and_find_the_loop() -> None:
    loop = make_loop(7, contact="+39 06 1234, ext; 5", prefers="phone", ref="CRM-991")
    (event,) = events_of(to_ics([loop], NOW))
    text = str(event["DESCRIPTION"])
    assert "Contact: +39 06 1234, ext; 5" in text.splitlines()
    assert "Prefers: phone" in text.splitlines()
    assert "Ref: CRM-991" in text.splitlines()
    assert "loopcloser show 7" in text


def test_tags_become_categories_even_with_commas() -> None:
    (event,) = events_of(to_ics([make_loop(tags=["billing", "vip, gold", "ünïcode 🙂"])], NOW))
    assert [str(tag) for tag in event["CATEGORIES"].cats] == ["billing", "vip, gold", "ünïcode 🙂"]


def test_loop_without_tags_has_no_categories() -> None:
    (event,) = events_of(to_ics([make_loop()], NOW))
    assert "CATEGORIES" not in event


def test_one_alarm_per_reminder_plus_one_at_the_due() -> None:
    reminders = [DUE - 24 * HOUR, DUE - HOUR]
    (event,) = events_of(to_ics([make_loop(remind=reminders)], NOW))
    assert triggers(event) == [*reminders, timedelta(0)]
    for alarm in event.walk("VALARM"):
        assert str(alarm["ACTION"]) == "DISPLAY"
        assert "Maria Rossi: call back about the refund" in str(alarm["DESCRIPTION"])


def test_reminder_triggers_are_marked_absolute_and_the_due_one_relative() -> None:
    data = to_ics([make_loop(remind=[DUE - HOUR])], NOW)
    lines = [line for line in data.split(b"\r\n") if line.startswith(b"TRIGGER")]
    assert lines[0] == b"TRIGGER;VALUE=DATE-TIME:20261127T150000Z"
    assert b"VALUE=DATE-TIME" not in lines[1]
    assert lines[1].split(b":")[1] in (b"PT0S", b"-PT0S", b"P0D")


def test_loop_without_reminders_still_alarms_at_the_due() -> None:
    (event,) = events_of(to_ics([make_loop()], NOW))
    assert triggers(event) == [timedelta(0)]


def test_long_lines_are_folded_at_75_octets_and_unfold_intact() -> None:
    promise = "vérifier le remboursement 💶 avec la comptabilité, puis rappeler; " * 6
    loop = make_loop(customer=HARD_NAME, promise=promise, contact="é" * 200)
    data = to_ics([loop], NOW)
    assert all(len(line) <= 75 for line in data.split(b"\r\n"))
    data.decode("utf-8")  # folding never splits a multi-byte character
    (event,) = events_of(data)
    assert str(event["SUMMARY"]) == f"{HARD_NAME}: {promise}"
    assert f"Contact: {'é' * 200}" in str(event["DESCRIPTION"])
