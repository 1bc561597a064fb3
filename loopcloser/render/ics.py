"""Loops as an iCalendar (RFC 5545) file, so a promise sits in the agent's own calendar.

One VEVENT per loop, placed at the due the customer was told (not our own
plans), with a display alarm at each reminder and one at the due itself.
Pure: the caller chooses the loops (usually the open ones) and passes ``now``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from icalendar import Alarm, Event
from icalendar import Calendar as ICalendar

from loopcloser.core.model import Loop, derive
from loopcloser.core.reminders import Rules
from loopcloser.core.when import Calendar, working_time_before
from loopcloser.core.words import _

DURATION = timedelta(minutes=15)
"""How long the calendar entry lasts: long enough to make the call."""


def to_ics(
    loops: Iterable[Loop],
    now: datetime,
    rules: Rules | None = None,
    cal: Calendar | None = None,
    product: str = "-//loopcloser//EN",
) -> bytes:
    """An iCalendar file with one event per loop, each with its reminders as alarms.

    With ``rules`` (and the working ``cal`` they count in) the team's default
    reminders become alarms too: before the due, and at the due when it is on.
    """
    calendar = ICalendar()
    calendar.add("prodid", product)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    for loop in loops:
        calendar.add_component(loop_event(loop, now, rules, cal))
    data: bytes = calendar.to_ical()  # icalendar annotates to_ical loosely
    return data


def loop_event(
    loop: Loop, now: datetime, rules: Rules | None = None, cal: Calendar | None = None
) -> Event:
    """The VEVENT for one loop, at the due the customer expects."""
    # expected_due does not depend on the time zone; UTC is only a placeholder.
    expected_due = derive(loop, now, UTC).expected_due.astimezone(UTC)
    summary = plain(f"{loop.customer}: {loop.promise}")
    event = Event()
    event.add("uid", f"{loop.uid}@loopcloser")
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", expected_due)
    event.add("duration", DURATION)
    event.add("summary", summary)
    event.add("description", plain(description(loop)))
    if loop.tags:
        event.add("categories", [plain(tag) for tag in loop.tags])
    for moment in loop.remind:
        # Without VALUE=DATE-TIME a TRIGGER is read as a duration (RFC 5545 3.8.6.3).
        event.add_component(
            alarm(
                _("Reminder: {summary}").format(summary=summary),
                moment.astimezone(UTC),
                {"VALUE": "DATE-TIME"},
            )
        )
    if rules is not None and cal is not None:
        for offset in rules.before_due:
            moment = working_time_before(expected_due, offset, cal)
            soon = _("Due soon: {summary}").format(summary=summary)
            event.add_component(alarm(soon, moment, {"VALUE": "DATE-TIME"}))
    if rules is None or rules.at_due:
        due_now = _("Due now: {summary}").format(summary=summary)
        event.add_component(alarm(due_now, timedelta(0), {"RELATED": "START"}))
    return event


# RFC 5545 text allows no control characters but tab and line breaks (which it escapes).
CONTROLS = {code: None for code in [*range(9), *range(11, 32), *range(127, 160)]}


def plain(text: str) -> str:
    """Text a calendar may carry: control characters dropped."""
    return text.translate(CONTROLS)


def alarm(text: str, trigger: datetime | timedelta, parameters: dict[str, str]) -> Alarm:
    """A DISPLAY alarm showing ``text`` at ``trigger`` (a moment, or an offset from the start)."""
    reminder = Alarm()
    reminder.add("action", "DISPLAY")
    reminder.add("description", text)
    reminder.add("trigger", trigger, parameters=parameters)
    return reminder


def description(loop: Loop) -> str:
    """The event's notes: how to reach the customer and how to find the loop again."""
    lines = [
        _("Promise: {promise}").format(promise=loop.promise),
        _("Owner: {owner}").format(owner=loop.owner),
    ]
    if loop.contact:
        lines.append(_("Contact: {contact}").format(contact=loop.contact))
    if loop.prefers:
        lines.append(_("Prefers: {channel}").format(channel=loop.prefers))
    if loop.ref:
        lines.append(_("Ref: {ref}").format(ref=loop.ref))
    lines.append(_("Loop #{id}: loopcloser show {id}").format(id=loop.id))
    return "\n".join(lines)
