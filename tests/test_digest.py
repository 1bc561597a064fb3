"""The morning digest: sections, their order, details and the summary line."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from loopcloser.core.digest import Digest, Section, build
from loopcloser.core.model import Flag, Kind, Loop, State, to_utc_text
from loopcloser.core.when import Calendar
from tests.factories import made_loop, step

ROME = ZoneInfo("Europe/Rome")
CAL = Calendar(tz=ROME)
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=ROME)  # Wednesday
DAY = timedelta(days=1)
LATER = datetime(2026, 12, 10, 17, 30, tzinfo=ROME)  # in no due section
CREATED = datetime(2026, 11, 20, 9, 0, tzinfo=ROME)  # the Friday before


def rome(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=ROME)


def new_loop(
    loop_id: int,
    due: datetime,
    created: datetime = CREATED,
    every: timedelta | None = None,
    prefers: str | None = None,
) -> Loop:
    return made_loop(loop_id, due, created, every, prefers)


def waiting(loop_id: int, party: str, until: datetime) -> Loop:
    wait = {"waiting_on": {"party": party, "until": to_utc_text(until)}}
    return step(new_loop(loop_id, LATER), Kind.WAITING, rome(23, 10), changes=wait)


def closed(loop_id: int, due: datetime, at: datetime) -> Loop:
    return step(new_loop(loop_id, due), Kind.CLOSED, at, via="phone")


def ids(digest: Digest, key: str) -> list[int]:
    return [item.loop.id for item in section(digest, key).items]


def details(digest: Digest, key: str) -> list[str]:
    return [item.detail for item in section(digest, key).items]


def section(digest: Digest, key: str) -> Section:
    return next(s for s in digest.sections if s.key == key)


def busy() -> list[Loop]:
    return [
        new_loop(1, rome(24, 17, 30)),
        new_loop(2, rome(23, 9), every=2 * DAY, prefers="phone"),  # overdue and silent
        new_loop(3, rome(25, 8), created=rome(24, 8)),  # late by an hour, also "today"
        new_loop(4, rome(25, 15)),
        new_loop(5, rome(25, 11)),
        new_loop(6, rome(27, 12)),
        new_loop(7, rome(26, 17, 30)),
        new_loop(8, rome(30, 17, 30)),  # third working day: not soon
        step(new_loop(9, LATER), Kind.DONE, rome(25, 4)),
        step(new_loop(10, LATER), Kind.DONE, rome(24, 9)),
        waiting(11, "warehouse", rome(27, 12)),
        waiting(12, "Finance", rome(24, 12)),  # stale
        waiting(13, "manager", rome(26, 10)),
        closed(14, rome(24, 17, 30), rome(24, 10)),
        closed(15, rome(23, 17, 30), rome(24, 23, 30)),
        closed(16, rome(23, 17, 30), rome(23, 16)),  # two days ago
        step(new_loop(17, rome(24, 12)), Kind.CANCELLED, rome(24, 11), text="withdrawn"),
    ]


def test_every_section_comes_in_order() -> None:
    digest = build(busy(), NOW, CAL)
    assert digest.day == NOW.date()
    assert [s.key for s in digest.sections] == [
        "overdue",
        "due_today",
        "due_soon",
        "untold",
        "silent",
        "waiting",
        "closed_yesterday",
    ]
    assert section(digest, "due_soon").title == "Due in the next 2 working days"


def test_empty_sections_are_left_out() -> None:
    loops = [new_loop(4, rome(25, 15)), waiting(12, "Finance", rome(24, 12))]
    digest = build(loops, NOW, CAL)
    assert [s.key for s in digest.sections] == ["due_today", "waiting"]
    assert digest.summary == "1 due today · 1 waiting"


def test_overdue_most_late_first_with_how_late() -> None:
    digest = build(busy(), NOW, CAL)
    assert ids(digest, "overdue") == [2, 1, 3]
    assert details(digest, "overdue") == ["2d late", "15h late", "1h late"]


def test_due_today_excludes_overdue_and_shows_local_time() -> None:
    digest = build(busy(), NOW, CAL)
    assert ids(digest, "due_today") == [5, 4]
    assert details(digest, "due_today") == ["11:00", "15:00"]


def test_due_soon_covers_the_next_two_working_days() -> None:
    digest = build(busy(), NOW, CAL)
    assert ids(digest, "due_soon") == [7, 6]
    assert details(digest, "due_soon") == ["Thu 26 Nov 17:30", "Fri 27 Nov 12:00"]


def test_due_soon_skips_the_weekend() -> None:
    friday = rome(27, 9)
    loops = [new_loop(1, rome(28, 12)), new_loop(2, rome(30, 12))]
    loops.append(new_loop(3, datetime(2026, 12, 1, 12, tzinfo=ROME)))
    loops.append(new_loop(4, datetime(2026, 12, 2, 12, tzinfo=ROME)))
    digest = build(loops, friday, CAL)
    assert ids(digest, "due_soon") == [2, 3]
    assert details(digest, "due_soon") == ["Mon 30 Nov 12:00", "Tue 1 Dec 12:00"]


def test_untold_oldest_done_first() -> None:
    digest = build(busy(), NOW, CAL)
    assert ids(digest, "untold") == [10, 9]
    assert details(digest, "untold") == ["done 1d ago", "done 5h ago"]


def test_waiting_stale_first_then_by_until() -> None:
    digest = build(busy(), NOW, CAL)
    assert ids(digest, "waiting") == [12, 13, 11]
    assert details(digest, "waiting") == [
        "Finance until Tue 24 Nov 12:00 (stale)",
        "manager until Thu 26 Nov 10:00",
        "warehouse until Fri 27 Nov 12:00",
    ]


def test_closed_yesterday_with_outcomes_and_not_two_days_ago() -> None:
    digest = build(busy(), NOW, CAL)
    assert ids(digest, "closed_yesterday") == [14, 15]
    assert details(digest, "closed_yesterday") == ["kept", "late"]


def test_closed_and_cancelled_loops_appear_in_no_other_section() -> None:
    digest = build(busy(), NOW, CAL, cadence=DAY)
    elsewhere = {i.loop.id for s in digest.sections if s.key != "closed_yesterday" for i in s.items}
    assert elsewhere.isdisjoint({14, 15, 16, 17})


def test_a_loop_overdue_and_silent_is_in_both() -> None:
    digest = build(busy(), NOW, CAL)
    assert 2 in ids(digest, "overdue")
    assert ids(digest, "silent") == [2]
    assert details(digest, "silent") == ["no word for 5d; prefers phone"]


def test_team_cadence_makes_loops_silent_longest_silence_first() -> None:
    loops = [new_loop(1, LATER, created=rome(23, 9)), new_loop(2, LATER, created=rome(22, 9))]
    digest = build(loops, NOW, CAL, cadence=DAY)
    assert ids(digest, "silent") == [2, 1]
    assert details(digest, "silent") == ["no word for 3d", "no word for 2d"]


def test_untold_reschedule_is_overdue_by_the_due_the_customer_was_told() -> None:
    moved = {"due": to_utc_text(rome(27, 17, 30))}
    loop = step(new_loop(1, rome(24, 9)), Kind.RESCHEDULED, rome(23, 12), changes=moved, told=False)
    digest = build([loop], NOW, CAL)
    assert ids(digest, "overdue") == [1]
    assert details(digest, "overdue") == ["1d late; new due not told"]
    assert [s.key for s in digest.sections] == ["overdue"]


def test_summary_for_a_busy_day() -> None:
    digest = build(busy(), NOW, CAL)
    assert digest.summary == (
        "3 overdue · 2 due today · 2 due soon · 2 untold · 1 silent · 3 waiting;"
        " 2 closed yesterday (1 kept, 1 late)"
    )


def test_summary_for_an_empty_store() -> None:
    digest = build([], NOW, CAL)
    assert digest.sections == ()
    assert digest.summary == "Nothing open: every promise is closed."


def test_summary_when_open_loops_need_nothing_today() -> None:
    digest = build([new_loop(1, LATER)], NOW, CAL)
    assert digest.sections == ()
    assert digest.summary == "Nothing urgent: nothing due in the next 2 working days."


def test_untold_dates_from_the_last_done_after_a_reopen() -> None:
    first = step(new_loop(1, LATER), Kind.DONE, rome(23, 9))
    again = step(step(first, Kind.REOPENED, rome(23, 10)), Kind.DONE, rome(25, 7))
    digest = build([again], NOW, CAL)
    assert details(digest, "untold") == ["done 2h ago"]


def test_a_loop_stored_as_done_without_its_event_is_untold_since_its_last_event() -> None:
    noted = step(new_loop(1, LATER), Kind.NOTE, rome(24, 9), text="refund issued")
    digest = build([noted._replace(state=State.DONE)], NOW, CAL)
    assert details(digest, "untold") == ["done 1d ago"]


def test_sections_about_a_flag_are_keyed_by_its_name_in_plain_text() -> None:
    digest = build(busy(), NOW, CAL)
    flagged = [s.key for s in digest.sections if s.key in set(Flag)]
    assert flagged == ["overdue", "due_today", "untold", "silent"]
    assert all(type(s.key) is str for s in digest.sections)
