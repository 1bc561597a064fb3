"""Team metrics: per-agent counts and outcomes, lateness, ageing, waits and the trend."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from loopcloser.core.metrics import (
    STAT_NAMES,
    AgentStats,
    Part,
    Report,
    Unreadable,
    Why,
    bucket,
    build_report,
)
from loopcloser.core.model import Kind, Loop, to_utc_text
from tests.factories import made_loop, step

ROME = ZoneInfo("Europe/Rome")
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=ROME)  # Wednesday
SINCE = datetime(2026, 11, 16, 0, 0, tzinfo=ROME)  # the Monday before last
DAY = timedelta(days=1)


def rome(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=ROME)


def new(loop_id: int, created: datetime, due: datetime, every: timedelta | None = None) -> Loop:
    return made_loop(loop_id, due, created, every)


def moved(loop: Loop, at: datetime, due: datetime, told: bool) -> Loop:
    return step(loop, Kind.RESCHEDULED, at, told=told, changes={"due": to_utc_text(due)})


def closed(loop: Loop, at: datetime) -> Loop:
    return step(loop, Kind.CLOSED, at, via="phone")


def team() -> list[tuple[str, Loop]]:
    overdue = new(1, rome(20, 9), rome(24, 17))  # 16 hours late
    kept = closed(new(2, rome(16, 10), rome(20, 17)), rome(19, 12))
    renegotiated = moved(new(3, rome(16, 10), rome(18, 17)), rome(18, 10), rome(21, 17), True)
    renegotiated = closed(renegotiated, rome(21, 12))
    late = closed(new(4, rome(16, 10), rome(18, 17)), rome(20, 5))  # 1.5 days late
    untold = step(new(5, rome(21, 9), rome(30, 17)), Kind.DONE, rome(24, 10))
    cancelled = step(new(6, rome(16, 10), rome(17, 17)), Kind.CANCELLED, rome(17, 9), text="dup")
    before = closed(new(7, rome(9, 10), rome(12, 17)), rome(10, 12))  # before the period
    wait = {"waiting_on": {"party": "Finance", "until": to_utc_text(rome(30, 17))}}
    waiting = new(11, rome(10, 9), datetime(2026, 12, 1, 17, tzinfo=ROME), every=2 * DAY)
    waiting = step(waiting, Kind.WAITING, rome(11, 9), changes=wait)
    # Told of the new due only after the old one had passed: still late, by 2.8 days.
    told_late = moved(new(12, rome(16, 10), rome(17, 17)), rome(18, 9), rome(20, 17), True)
    told_late = closed(told_late, rome(20, 12))
    very_late = closed(new(13, rome(16, 10), rome(18, 17)), rome(22, 17))  # 4.0 days late
    ten_days = new(21, rome(1, 9), rome(15, 9))
    ten_days = step(ten_days, Kind.CONTACT, rome(19, 21), via="email")
    anna = [overdue, kept, renegotiated, late, untold, cancelled, before]
    return [
        *(("anna", loop) for loop in anna),
        *(("bruno", loop) for loop in (waiting, told_late, very_late)),
        ("carla", ten_days),
    ]


def report(**options: object) -> Report:
    return build_report(team(), NOW, ROME, SINCE, **options)  # type: ignore[arg-type]


def test_counts_outcomes_and_rates_per_agent() -> None:
    anna, bruno, carla = report().agents
    assert anna == AgentStats("anna", 2, 1, 1, 0, 0, 3, 1, 1, 1, 2 / 3, 1.5)
    assert bruno == AgentStats("bruno", 1, 0, 0, 1, 1, 2, 0, 0, 2, 0.0, 3.4)
    assert carla == AgentStats("carla", 1, 1, 0, 0, 0, 0, 0, 0, 0, None, None)


def test_total_is_the_whole_team_and_cancelled_counts_nowhere() -> None:
    total = report().total
    assert total == AgentStats("all", 4, 2, 1, 1, 1, 5, 1, 1, 3, 0.4, 2.8)


def test_team_cadence_makes_quiet_loops_silent() -> None:
    assert report(cadence=3 * DAY).total.silent == 4  # 15, 5.5, 5 and 4 days quiet


def test_period_bounds_which_closures_count() -> None:
    later = build_report(team(), NOW, ROME, rome(20, 12))  # #12 closed at exactly 20 Nov 12:00
    total = later.total
    assert (total.closed, total.kept, total.renegotiated, total.late) == (3, 0, 1, 2)
    assert total.median_days_late == 3.4


def test_ageing_buckets_and_their_boundaries() -> None:
    assert report().ageing == {"1 day": 1, "2-3 days": 0, "4-7 days": 0, "over 7 days": 1}
    minute = timedelta(minutes=1)
    lates = [DAY, DAY + minute, 3 * DAY, 3 * DAY + minute, 7 * DAY, 7 * DAY + minute]
    assert [bucket(late) for late in lates] == [
        "1 day", "2-3 days", "2-3 days", "4-7 days", "4-7 days", "over 7 days",
    ]  # fmt: skip
    loops = [("anna", new(i, rome(1, 9), NOW - late)) for i, late in enumerate(lates)]
    ageing = build_report(loops, NOW, ROME, SINCE).ageing
    assert ageing == {"1 day": 1, "2-3 days": 2, "4-7 days": 2, "over 7 days": 1}


def waits(result: Report) -> list[tuple[str, int, Why, float | None, float]]:
    return [
        (wait.agent, wait.loop.id, wait.why, wait.days_late, wait.days_silent)
        for wait in result.longest_waiting
    ]


def test_longest_waiting_is_overdue_loops_by_lateness_then_silent_ones_by_silence() -> None:
    # Bruno's customer has gone longest without a word, but overdue promises come first.
    assert waits(report()) == [
        ("carla", 21, Why.OVERDUE, 10.0, 5.5),
        ("anna", 1, Why.OVERDUE, 0.7, 5.0),
        ("bruno", 11, Why.SILENT, None, 15.0),
    ]


def test_a_loop_both_overdue_and_silent_is_one_row_among_the_overdue() -> None:
    # With a 3-day cadence #21 and #1 are silent too; #5 joins as silent, 4 days.
    assert waits(report(cadence=3 * DAY)) == [
        ("carla", 21, Why.OVERDUE, 10.0, 5.5),
        ("anna", 1, Why.OVERDUE, 0.7, 5.0),
        ("bruno", 11, Why.SILENT, None, 15.0),
        ("anna", 5, Why.SILENT, None, 4.0),
    ]


def test_a_row_shows_the_due_the_customer_holds() -> None:
    # Moved without telling the customer: they still wait for the old due, now passed.
    loop = moved(new(1, rome(20, 9), rome(24, 17)), rome(24, 9), rome(27, 17), False)
    (wait,) = build_report([("anna", loop)], NOW, ROME, SINCE).longest_waiting
    assert (wait.why, wait.due, wait.days_late) == (Why.OVERDUE, rome(24, 17), 0.7)


def test_a_loop_neither_overdue_nor_silent_is_not_waiting_however_old() -> None:
    loop = new(1, rome(1, 9), rome(30, 17))
    assert build_report([("anna", loop)], NOW, ROME, SINCE).longest_waiting == ()


def test_a_loop_read_from_two_stores_is_one_row() -> None:
    loop = new(1, rome(20, 9), rome(24, 17))
    result = build_report([("bruno", loop), ("anna", loop)], NOW, ROME, SINCE)
    assert [(wait.agent, wait.loop.uid) for wait in result.longest_waiting] == [("anna", loop.uid)]


def test_longest_waiting_keeps_the_ten_latest() -> None:
    loops = [("anna", new(i, rome(1, 9), rome(1 + i, 9))) for i in range(12, 0, -1)]
    result = build_report(loops, NOW, ROME, SINCE).longest_waiting
    assert [wait.loop.id for wait in result] == list(range(1, 11))


def test_the_sections_every_format_shows_in_order() -> None:
    assert [section.key for section in report().sections] == [
        Part.AGENTS, Part.AGEING, Part.LONGEST_WAITING, Part.TREND
    ]  # fmt: skip
    assert [section.title for section in report().sections] == [
        "By agent", "Overdue by age", "Customers waiting longest", "Last 14 days"
    ]  # fmt: skip


def test_an_unreadable_store_is_the_first_section_and_the_report_incomplete() -> None:
    broken = [Unreadable("zeno", "not JSON"), Unreadable("bob", "no permission")]
    result = build_report(team(), NOW, ROME, SINCE, unreadable=broken)
    assert result.sections[0].key is Part.UNREADABLE
    assert [item.agent for item in result.unreadable] == ["bob", "zeno"]
    assert not result.complete and report().complete


def test_trend_replays_each_day_of_a_loop_closed_two_days_ago() -> None:
    loop = closed(new(1, rome(20, 10), rome(21, 17)), rome(23, 12))
    due_tonight = new(2, rome(24, 10), rome(25, 17))  # today counts up to now: not yet late
    trend = build_report([("anna", loop), ("bruno", due_tonight)], NOW, ROME, SINCE).trend
    assert len(trend) == 14
    assert trend[0] == (date(2026, 11, 12), 0, 0)
    assert all(point[1:] == (0, 0) for point in trend[:8])  # 12-19 Nov: not yet created
    assert [point for point in trend if point[0] >= date(2026, 11, 20)] == [
        (date(2026, 11, 20), 1, 0),
        (date(2026, 11, 21), 1, 1),
        (date(2026, 11, 22), 1, 1),
        (date(2026, 11, 23), 0, 0),
        (date(2026, 11, 24), 1, 0),
        (date(2026, 11, 25), 1, 0),
    ]


def test_trend_follows_a_told_reschedule_and_a_shorter_window() -> None:
    loop = moved(new(1, rome(20, 10), rome(21, 17)), rome(21, 9), rome(23, 17), True)
    trend = build_report([("anna", loop)], NOW, ROME, SINCE, days=5).trend
    assert trend == (
        (date(2026, 11, 21), 1, 0),
        (date(2026, 11, 22), 1, 0),
        (date(2026, 11, 23), 1, 1),
        (date(2026, 11, 24), 1, 1),
        (date(2026, 11, 25), 1, 1),
    )


@pytest.mark.parametrize(
    "agents", [[], [("anna", closed(new(1, rome(1, 9), rome(2, 9)), rome(2, 8)))]]
)
def test_nothing_open_reports_zeros(agents: list[tuple[str, Loop]]) -> None:
    result = build_report(agents, NOW, ROME, SINCE)
    assert result.total.open == 0 and result.total.kept_rate is None
    assert result.longest_waiting == () and set(result.ageing.values()) == {0}
    assert [section.key for section in result.sections][-1] is Part.TREND


def test_a_loop_reopened_and_closed_again_counts_when_it_was_last_closed() -> None:
    loop = closed(new(1, rome(20, 9), rome(23, 12)), rome(23, 11))
    loop = closed(step(loop, Kind.REOPENED, rome(24, 9), text="again"), rome(25, 9))
    line = build_report([("anna", loop)], NOW, ROME, since=rome(25, 0)).total
    assert (line.closed, line.late) == (1, 1)
    assert line.median_days_late == 1.9


def test_the_report_columns_are_every_number_of_an_agent_named_first() -> None:
    line = report().total
    assert STAT_NAMES[0] == "agent"
    assert sorted(STAT_NAMES) == sorted(vars(line))
