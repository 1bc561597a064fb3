"""The pure core: transitions, replay, derived flags and outcomes."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loopcloser.core.errors import BadInput, InvalidTransition, NextStep
from loopcloser.core.model import (
    ALLOWED_FROM,
    DERIVED_FIELDS,
    FLAG_ORDER,
    STATUS_ORDER,
    Event,
    Flag,
    Flags,
    Kind,
    Loop,
    Outcome,
    State,
    apply,
    closed_at,
    creation,
    derive,
    done_at,
    facts,
    facts_from_json,
    facts_to_json,
    flags_at,
    flags_to_document,
    from_document,
    from_utc_text,
    in_words,
    recorded_at,
    replay,
    to_document,
    to_utc_text,
    update_cadence,
    urgency,
    wait_until,
)

ROME = ZoneInfo("Europe/Rome")
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # Monday
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def new_loop(due: datetime = T0 + 2 * DAY, every: timedelta | None = None) -> Loop:
    event = creation(
        uid="7f1c2a1e-0000-4000-8000-000000000001",
        customer="Maria Rossi",
        promise="call back about the refund",
        owner="anna",
        due=due,
        at=T0,
        via="phone",
        update_every=every,
        tags=["billing", "billing", "vip"],
    )
    return apply(None, event, loop_id=1)


def step(loop: Loop, kind: Kind, at: datetime, **fields: object) -> Loop:
    return apply(loop, Event(kind=kind, at=at, by="anna", **fields))  # type: ignore[arg-type]


def test_new_loop_is_open_with_its_promise_and_history() -> None:
    loop = new_loop()
    assert loop.state is State.OPEN
    assert loop.customer == "Maria Rossi"
    assert loop.tags == ("billing", "vip")
    assert loop.created == T0
    assert [event.kind for event in loop.events] == [Kind.CREATED]


def test_done_loop_stays_open_until_told() -> None:
    loop = step(new_loop(), Kind.DONE, T0 + HOUR, text="refund issued")
    flags = derive(loop, T0 + 2 * HOUR, ROME)
    assert loop.state is State.DONE
    assert flags.untold
    assert flags.outcome is None
    closed = step(loop, Kind.CLOSED, T0 + 3 * HOUR, via="phone")
    assert closed.state is State.CLOSED
    assert not derive(closed, T0 + 4 * HOUR, ROME).untold


EVERY_STATE_PATH = {
    State.OPEN: [],
    State.WAITING: [
        (Kind.WAITING, {"changes": {"waiting_on": {"party": "Finance", "until": None}}})
    ],
    State.DONE: [(Kind.DONE, {})],
    State.CLOSED: [(Kind.CLOSED, {"via": "phone"})],
    State.CANCELLED: [(Kind.CANCELLED, {"text": "withdrawn"})],
}


def loop_in(state: State) -> Loop:
    loop = new_loop()
    for kind, fields in EVERY_STATE_PATH[state]:
        loop = step(loop, kind, T0 + HOUR, **fields)
    assert loop.state is state
    return loop


@pytest.mark.parametrize("state", list(State))
@pytest.mark.parametrize("kind", [kind for kind in ALLOWED_FROM if kind is not Kind.CREATED])
def test_every_transition_is_allowed_or_refused_by_the_table(state: State, kind: Kind) -> None:
    loop = loop_in(state)
    fields: dict[str, object] = {}
    if kind is Kind.WAITING:
        fields = {"changes": {"waiting_on": {"party": "Finance", "until": None}}}
    if kind is Kind.RESCHEDULED:
        fields = {"changes": {"due": "2026-12-01T16:00:00Z"}, "told": True}
    if state in ALLOWED_FROM[kind]:
        after = step(loop, kind, T0 + 2 * HOUR, **fields)
        assert after.events[-1].kind is kind
    else:
        with pytest.raises(InvalidTransition) as refused:
            step(loop, kind, T0 + 2 * HOUR, **fields)
        assert f"#{loop.id} is {state}" in refused.value.message
        assert refused.value.hint


def test_closing_a_cancelled_loop_says_to_reopen_it_first() -> None:
    with pytest.raises(InvalidTransition) as refused:
        step(loop_in(State.CANCELLED), Kind.CLOSED, T0 + 2 * HOUR)
    assert "reopen" in (refused.value.hint or "")


@pytest.mark.parametrize(
    ("state", "kind", "verb"),
    [
        (State.CLOSED, Kind.DONE, "reopen"),
        (State.DONE, Kind.DONE, "close"),
        (State.OPEN, Kind.RESUMED, "show"),
    ],
)
def test_a_refusal_names_the_next_step_without_command_line_words(
    state: State, kind: Kind, verb: str
) -> None:
    loop = loop_in(state)
    with pytest.raises(InvalidTransition) as refused:
        step(loop, kind, T0 + 2 * HOUR)
    assert refused.value.next_step == NextStep(verb, loop.id)
    words = f"{refused.value.message} {refused.value.hint}"
    assert "loopcloser" not in words and "--" not in words


@pytest.mark.parametrize("state", list(State))
def test_notes_contacts_and_edits_are_allowed_in_every_state(state: State) -> None:
    loop = loop_in(state)
    loop = step(loop, Kind.NOTE, T0 + 2 * HOUR, text="internal")
    loop = step(loop, Kind.CONTACT, T0 + 2 * HOUR, text="called", via="phone")
    loop = step(loop, Kind.EDITED, T0 + 2 * HOUR, changes={"promise": "call back today"})
    assert loop.state is state
    assert loop.promise == "call back today"


def test_editing_an_uneditable_field_is_refused() -> None:
    with pytest.raises(BadInput):
        step(new_loop(), Kind.EDITED, T0 + HOUR, changes={"state": "closed"})


def test_resume_clears_the_party_waited_on() -> None:
    waiting = loop_in(State.WAITING)
    assert waiting.waiting_on is not None and waiting.waiting_on.party == "Finance"
    resumed = step(waiting, Kind.RESUMED, T0 + 2 * HOUR)
    assert resumed.state is State.OPEN
    assert resumed.waiting_on is None


def test_closed_by_the_original_due_is_kept() -> None:
    closed = step(new_loop(due=T0 + DAY), Kind.CLOSED, T0 + DAY - HOUR, via="phone")
    assert derive(closed, T0 + 3 * DAY, ROME).outcome is Outcome.KEPT


def test_closed_after_the_due_is_late() -> None:
    closed = step(new_loop(due=T0 + DAY), Kind.CLOSED, T0 + DAY + HOUR, via="phone")
    assert derive(closed, T0 + 3 * DAY, ROME).outcome is Outcome.LATE


def test_closed_by_a_due_the_customer_was_told_in_time_is_renegotiated() -> None:
    loop = step(
        new_loop(due=T0 + DAY),
        Kind.RESCHEDULED,
        T0 + HOUR,
        changes={"due": "2026-11-26T09:00:00Z"},
        told=True,
        via="phone",
    )
    closed = step(loop, Kind.CLOSED, T0 + 2 * DAY, via="phone")
    assert derive(closed, T0 + 4 * DAY, ROME).outcome is Outcome.RENEGOTIATED


def test_a_reschedule_the_customer_never_heard_of_does_not_save_the_promise() -> None:
    loop = step(
        new_loop(due=T0 + DAY),
        Kind.RESCHEDULED,
        T0 + HOUR,
        changes={"due": "2026-11-26T09:00:00Z"},
        told=False,
    )
    closed = step(loop, Kind.CLOSED, T0 + 2 * DAY, via="phone")
    assert derive(closed, T0 + 4 * DAY, ROME).outcome is Outcome.LATE


def test_overdue_only_while_still_ours_to_close() -> None:
    loop = new_loop(due=T0 + DAY)
    assert not derive(loop, T0 + DAY, ROME).overdue
    assert derive(loop, T0 + DAY + timedelta(seconds=1), ROME).overdue
    untold = step(loop, Kind.DONE, T0 + HOUR)
    assert derive(untold, T0 + 2 * DAY, ROME).overdue, "the customer still waits"
    closed = step(untold, Kind.CLOSED, T0 + 2 * DAY)
    assert not derive(closed, T0 + 3 * DAY, ROME).overdue


def test_due_today_follows_the_agents_time_zone() -> None:
    # 23:30 UTC on the 24th is already the 25th in Rome.
    loop = new_loop(due=datetime(2026, 11, 24, 23, 30, tzinfo=UTC))
    now = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
    assert derive(loop, now, ROME).due_today
    assert not derive(loop, now, UTC).due_today


def test_silent_after_the_update_cadence_without_contact() -> None:
    loop = new_loop(due=T0 + 10 * DAY, every=2 * DAY)
    assert not derive(loop, T0 + 2 * DAY, ROME).silent
    assert derive(loop, T0 + 2 * DAY + HOUR, ROME).silent
    contacted = step(loop, Kind.CONTACT, T0 + 2 * DAY + 2 * HOUR, text="still on it", via="email")
    flags = derive(contacted, T0 + 3 * DAY, ROME)
    assert not flags.silent
    assert flags.last_contact == T0 + 2 * DAY + 2 * HOUR


def test_a_note_does_not_reset_the_silence_clock() -> None:
    loop = step(new_loop(due=T0 + 10 * DAY, every=DAY), Kind.NOTE, T0 + DAY, text="internal")
    assert derive(loop, T0 + DAY + HOUR, ROME).silent


def test_urgency_puts_overdue_then_untold_then_soonest_due() -> None:
    now = T0 + 3 * DAY
    overdue = new_loop(due=T0 + 2 * DAY)
    untold = step(new_loop(due=T0 + 9 * DAY), Kind.DONE, T0 + HOUR)
    soon = new_loop(due=T0 + 4 * DAY)
    later = new_loop(due=T0 + 5 * DAY)
    ordered = sorted(
        [later, soon, untold, overdue], key=lambda loop: urgency(loop, derive(loop, now, ROME))
    )
    assert ordered == [overdue, untold, soon, later]


def test_done_at_is_the_last_done_event_even_after_a_reopen() -> None:
    first = step(new_loop(), Kind.DONE, T0 + HOUR)
    again = step(step(first, Kind.REOPENED, T0 + 2 * HOUR), Kind.DONE, T0 + 3 * HOUR)
    later = step(again, Kind.NOTE, T0 + 4 * HOUR, text="internal")
    assert done_at(first) == T0 + HOUR
    assert done_at(later) == T0 + 3 * HOUR


def test_closed_at_is_when_the_customer_was_last_told() -> None:
    closed = step(new_loop(), Kind.CLOSED, T0 + HOUR, via="phone")
    reclosed = step(step(closed, Kind.REOPENED, T0 + 2 * HOUR), Kind.CLOSED, T0 + 5 * HOUR)
    assert closed_at(closed) == T0 + HOUR
    assert closed_at(reclosed) == T0 + 5 * HOUR


def test_a_hand_edited_state_without_its_event_dates_from_the_last_event() -> None:
    edited = step(new_loop(), Kind.NOTE, T0 + 2 * HOUR, text="x")._replace(state=State.CLOSED)
    assert recorded_at(edited, Kind.CLOSED) is None
    assert closed_at(edited) == T0 + 2 * HOUR
    assert done_at(edited._replace(events=())) == edited.created


def test_recorded_at_says_when_the_history_last_holds_that_kind() -> None:
    loop = step(step(new_loop(), Kind.DONE, T0 + HOUR), Kind.REOPENED, T0 + 2 * HOUR)
    assert recorded_at(loop, Kind.DONE) == T0 + HOUR
    assert recorded_at(loop, Kind.CLOSED) is None


def test_wait_until_is_the_answer_date_of_the_party_waited_on() -> None:
    until = "2026-11-30T16:00:00Z"
    waiting = step(
        new_loop(), Kind.WAITING, T0 + HOUR, changes={"waiting_on": {"party": "IT", "until": until}}
    )
    open_ended = step(
        new_loop(), Kind.WAITING, T0 + HOUR, changes={"waiting_on": {"party": "IT", "until": None}}
    )
    assert wait_until(waiting) == datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
    assert wait_until(open_ended) is None
    assert wait_until(new_loop()) is None


def test_a_loops_own_update_cadence_wins_over_the_teams() -> None:
    assert update_cadence(new_loop(every=DAY), 3 * DAY) == DAY
    assert update_cadence(new_loop(), 3 * DAY) == 3 * DAY
    assert update_cadence(new_loop(), None) is None


def test_every_flag_is_a_yes_or_no_field_of_flags() -> None:
    flags = derive(new_loop(), T0, ROME)
    assert {str(flag) for flag in Flag} <= set(DERIVED_FIELDS)
    assert all(isinstance(getattr(flags, flag), bool) for flag in Flag)


def test_the_list_and_the_status_line_each_name_every_flag_once() -> None:
    for order in (FLAG_ORDER, STATUS_ORDER):
        assert sorted(order) == sorted(Flag)
        assert len(set(order)) == len(order)
    assert FLAG_ORDER != STATUS_ORDER, "one order would do: drop the other"


def test_raised_flags_follow_the_order_asked_for() -> None:
    flags = Flags(
        overdue=False, due_today=True, untold=True, silent=True, outcome=None,
        last_contact=T0, expected_due=T0, untold_reschedule=False, stale_wait=False,
    )  # fmt: skip
    assert flags.raised() == [Flag.DUE_TODAY, Flag.UNTOLD, Flag.SILENT]
    assert flags.raised(STATUS_ORDER) == [Flag.UNTOLD, Flag.DUE_TODAY, Flag.SILENT]
    assert flags.is_set(Flag.SILENT) and not flags.is_set(Flag.OVERDUE)


def test_flags_in_json_hold_every_derived_field_as_scripts_read_it() -> None:
    closed = step(new_loop(due=T0 + DAY), Kind.CLOSED, T0 + HOUR, via="phone")
    document = flags_to_document(derive(closed, T0 + 2 * HOUR, ROME))
    assert sorted(document) == sorted(DERIVED_FIELDS)
    assert all(type(key) is str for key in document)
    assert document["outcome"] == "kept"
    assert document["last_contact"] == "2026-11-23T10:00:00Z"
    assert document["expected_due"] == "2026-11-24T09:00:00Z"
    assert document["due_today"] is False


def test_a_flag_reads_in_words_without_underscores() -> None:
    assert in_words(Flag.DUE_TODAY) == "due today"
    assert in_words(Flag.UNTOLD_RESCHEDULE) == "untold reschedule"
    assert in_words("kept_rate") == "kept rate"


def test_empty_customer_is_refused() -> None:
    with pytest.raises(BadInput):
        creation(uid="u", customer="  ", promise="p", owner="anna", due=T0, at=T0)


def a_history() -> st.SearchStrategy[list[tuple[Kind, dict[str, object]]]]:
    steps = st.sampled_from(
        [
            (Kind.NOTE, {"text": "note"}),
            (Kind.CONTACT, {"text": "called", "via": "phone"}),
            (Kind.EDITED, {"changes": {"promise": "new words", "tags": ["x"]}}),
            (
                Kind.WAITING,
                {"changes": {"waiting_on": {"party": "Finance", "until": "2026-11-30T16:00:00Z"}}},
            ),
            (Kind.RESUMED, {}),
            (Kind.RESCHEDULED, {"changes": {"due": "2026-12-02T16:00:00Z"}, "told": True}),
            (Kind.HANDOFF, {"changes": {"owner": "luca"}, "text": "context"}),
            (Kind.DONE, {"text": "done"}),
            (Kind.CLOSED, {"via": "email"}),
            (Kind.CANCELLED, {"text": "withdrawn"}),
            (Kind.REOPENED, {"text": "again"}),
        ]
    )
    return st.lists(steps, max_size=25)


@given(a_history())
def test_replaying_the_events_rebuilds_the_stored_loop(
    history: list[tuple[Kind, dict[str, object]]],
) -> None:
    loop = new_loop()
    for minutes, (kind, fields) in enumerate(history, start=1):
        try:
            loop = step(loop, kind, T0 + timedelta(minutes=minutes), **fields)
        except InvalidTransition:
            continue
    document = to_document(loop)
    stored = from_document(loop.id, document)
    assert stored == loop
    assert replay(loop.id, stored.events) == stored
    # A document read before gives the same loop, its history read when looked at.
    again = from_document(loop.id, document, read_before=True)
    assert again == loop and loop == again
    assert len(again.events) == len(loop.events)
    assert list(reversed(again.events)) == list(reversed(loop.events))
    assert again.events[-1:] == loop.events[-1:] and again.events[0] == loop.events[0]
    assert replay(loop.id, again.events) == loop
    # from_document makes them without their constructor: each field in its place.
    for made in (stored, *stored.events):
        assert type(made)(**made._asdict()) == made


@given(a_history(), st.sampled_from([None, 3600, 2 * 86400]))
def test_the_facts_the_index_keeps_read_back_as_the_flags_of_the_whole_history(
    history: list[tuple[Kind, dict[str, object]]], seconds: int | None
) -> None:
    every = None if seconds is None else timedelta(seconds=seconds)
    loop = new_loop(every=every)
    for minutes, (kind, fields) in enumerate(history, start=1):
        try:
            loop = step(loop, kind, T0 + timedelta(minutes=minutes), **fields)
        except InvalidTransition:
            continue
    kept = json.loads(json.dumps(facts_to_json(facts(loop))))  # as the index file holds them
    for now in (T0, T0 + 2 * DAY + HOUR, T0 + 9 * DAY):
        assert flags_at(facts_from_json(kept), now, ROME, DAY) == derive(loop, now, ROME, DAY)


@pytest.mark.parametrize(
    "kept",
    [
        ["open", "2026-11-23T09:00:00Z"],  # too short
        ["lost", *["2026-11-23T09:00:00Z"] * 3, False, None, None, None],  # no such state
        ["open", *["2026-11-23T09:00:00Z"] * 3, "no", None, None, None],  # not a yes or no
        ["open", *["2026-11-23T09:00:00Z"] * 3, False, "1d", None, None],  # not seconds
        {"state": "open"},
    ],
)
def test_facts_out_of_shape_are_refused_rather_than_misread(kept: object) -> None:
    with pytest.raises((ValueError, TypeError)):
        facts_from_json(kept)


def test_moments_are_written_to_the_whole_second() -> None:
    moment = datetime(2026, 12, 8, 20, 59, 2, 654321, tzinfo=ROME)
    assert to_utc_text(moment) == "2026-12-08T19:59:02Z"


def test_a_fraction_of_a_second_from_an_older_store_still_reads_and_is_dropped() -> None:
    assert from_utc_text("2026-12-08T19:59:02.654321Z") == datetime(
        2026, 12, 8, 19, 59, 2, tzinfo=UTC
    )


def test_a_loop_stored_with_fractions_of_a_second_replays_to_its_fields() -> None:
    document = to_document(new_loop())
    older = "2026-11-25T09:00:00.654321Z"
    document["due"] = document["events"][0]["changes"]["due"] = older
    document["events"][0]["at"] = document["created"] = "2026-11-23T09:00:00.123456Z"
    stored = from_document(1, document)
    assert stored.due == datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    assert replay(1, stored.events) == stored
    rewritten = to_document(stored)
    assert (rewritten["due"], rewritten["created"]) == (
        "2026-11-25T09:00:00Z",
        "2026-11-23T09:00:00Z",
    )
    assert from_document(1, rewritten) == stored
