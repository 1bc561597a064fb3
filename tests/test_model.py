"""The pure core: transitions, replay, derived flags and outcomes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loopcloser.core.errors import BadInput, InvalidTransition, NextStep
from loopcloser.core.model import (
    ALLOWED_FROM,
    Event,
    Kind,
    Loop,
    Outcome,
    State,
    apply,
    creation,
    derive,
    from_document,
    replay,
    to_document,
    urgency,
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
