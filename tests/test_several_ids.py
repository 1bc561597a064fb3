"""Several loops in one command (``close 2 3``, ``done 5-7``), and nothing typed misread."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from loopcloser.cli.arguments import parse_targets
from loopcloser.core.errors import BadInput
from tests.conftest import Run
from tests.test_e2e import as_json, env, loopcloser
from tests.test_schemas import valid

Add = Callable[..., int]
__all__ = ["env"]  # the fixture, shared


def states(run: Run) -> dict[int, str]:
    listed = json.loads(run("list", "--all", "--json").out)
    return {loop["id"]: loop["state"] for loop in listed}


def history(run: Run, loop_id: int) -> list[dict[str, object]]:
    events: list[dict[str, object]] = json.loads(run("show", str(loop_id), "--json").out)["events"]
    return events


@pytest.mark.parametrize(
    ("words", "text", "expected"),
    [
        (["2"], None, ([2], None)),
        (["2", "told her"], None, ([2], "told her")),
        (["2", "3"], None, ([2, 3], None)),
        (["#2", "5-7", "3 days late"], None, ([2, 5, 6, 7], "3 days late")),
        (["2", "2", "3"], None, ([2, 3], None)),
        (["4"], "3", ([4], "3")),
    ],
)
def test_ids_come_first_and_one_text_may_follow(
    words: list[str], text: str | None, expected: tuple[list[int], str | None]
) -> None:
    assert parse_targets(words, text, "close") == expected


@pytest.mark.parametrize(
    ("words", "text", "said"),
    [
        (["2", "told", "her"], None, "put the text in quotes"),
        (["2", "told her"], "again", "two texts given"),
        (["7-5"], None, "not a range"),
        (["1-100000"], None, "at most 500"),
        (["told her"], None, "not a loop id"),
    ],
)
def test_what_cannot_be_read_one_way_is_refused(
    words: list[str], text: str | None, said: str
) -> None:
    with pytest.raises(BadInput) as refused:
        parse_targets(words, text, "close")
    assert said in f"{refused.value.message}; {refused.value.hint}"


def test_close_with_two_ids_closes_both_and_notes_nothing(run: Run, add: Add) -> None:
    first, second, third = add(), add("ACME"), add("Jonas Berg")
    result = run("close", str(first), str(second), "--via", "phone")
    assert result.code == 0, result.err
    assert result.out.splitlines() == [
        "#1 closed: Maria Rossi has been told (kept).",
        "#2 closed: ACME has been told (kept).",
    ]
    assert states(run) == {first: "closed", second: "closed", third: "open"}
    assert "text" not in history(run, first)[-1], "the second id is no note on the first"


def test_done_takes_a_range(run: Run, add: Add) -> None:
    for customer in ("A", "B", "C", "D"):
        add(customer)
    assert run("done", "2-3").code == 0
    assert states(run) == {1: "open", 2: "done", 3: "done", 4: "open"}


def test_the_one_id_and_text_form_scripts_use_keeps_working(run: Run, add: Add) -> None:
    loop = add()
    assert run("close", str(loop), "told her the refund is on its way").code == 0
    closed = history(run, loop)[-1]
    assert (closed["kind"], closed["text"]) == ("closed", "told her the refund is on its way")


def test_a_note_of_only_ids_is_refused_with_the_way_to_write_it(run: Run, add: Add) -> None:
    first, _ = add(), add("ACME")
    result = run("note", str(first), "2")
    assert result.code == 2
    assert result.err.strip() == (
        "loopcloser: the note is missing, and '2' looks like a loop id;"
        " to act on #1 with the text '2': loopcloser note 1 --text 2"
    )
    assert len(history(run, first)) == 1, "nothing was written"
    assert run("note", str(first), "--text", "2").code == 0
    assert history(run, first)[-1]["text"] == "2"


def test_one_unknown_id_changes_none_of_them(run: Run, add: Add) -> None:
    loop = add()
    result = run("close", str(loop), "9", "--via", "phone")
    assert result.code == 3
    assert "no loop #9" in result.err
    assert states(run) == {loop: "open"}


def test_one_undo_reverts_a_change_to_several_loops(run: Run, add: Add) -> None:
    add(), add("ACME")
    run("done", "1", "2")
    listed = json.loads(run("undo", "--list", "--json").out)
    assert (listed[0]["what"], listed[0]["loop_ids"]) == ("done #1, #2", [1, 2])
    assert run("undo").code == 0
    assert states(run) == {1: "open", 2: "open"}


def test_json_gives_an_object_for_one_id_and_an_array_for_several(run: Run, add: Add) -> None:
    add(), add("ACME"), add("Li Wei")
    one = json.loads(run("done", "1", "--json").out)
    several = json.loads(run("done", "2", "3", "--json").out)
    assert one["id"] == 1
    assert [loop["id"] for loop in several] == [2, 3]
    valid("loop", one)
    valid("list", several)


def test_a_reason_typed_as_an_argument_is_pointed_to_its_option(run: Run, add: Add) -> None:
    loop = add()
    result = run("cancel", str(loop), "withdrew", "--reason", "x")
    assert result.code == 2
    assert "the reason goes in --reason" in result.err
    assert states(run) == {loop: "open"}


def test_close_without_via_takes_the_channel_the_customer_prefers(run: Run, add: Add) -> None:
    prefers_email = add("Maria Rossi", "call back", "--via", "phone", "--prefers", "email")
    by_chat = add("ACME", "send the invoice", "--via", "chat")
    run("close", str(prefers_email), str(by_chat))
    assert history(run, prefers_email)[-1]["via"] == "email"
    assert history(run, by_chat)[-1]["via"] == "chat", "else the promise's own channel"
    other = add("Li Wei", "warranty", "--via", "chat", "--prefers", "email")
    run("close", str(other), "--via", "phone")
    assert history(run, other)[-1]["via"] == "phone", "a channel given wins"


def test_edit_due_points_to_reschedule(run: Run, add: Add) -> None:
    loop = add()
    result = run("edit", str(loop), "--due", "mon 12:00")
    assert result.code == 2
    assert 'reschedule 1 "mon 12:00" --told' in result.err
    assert "--due" not in run("edit", "--help").out, "the option only exists to point the way"


def test_repeated_tags_narrow_the_list_to_loops_with_all_of_them(run: Run, add: Add) -> None:
    add("A", "a", "--tag", "billing", "--tag", "vip")
    add("B", "b", "--tag", "billing")
    add("C", "c", "--tag", "vip")
    listed = json.loads(run("list", "--tag", "billing", "--tag", "vip", "--json").out)
    assert [loop["customer"] for loop in listed] == ["A"]
    one = json.loads(run("list", "--tag", "billing", "--json").out)
    assert [loop["customer"] for loop in one] == ["A", "B"]


def test_a_script_closes_several_loops_with_the_installed_program(env: dict[str, str]) -> None:
    for customer in ("Maria Rossi", "ACME", "Li Wei"):
        assert loopcloser(env, "add", customer, "call back", "--due", "fri 12:00").returncode == 0
    closed = loopcloser(env, "close", "1", "3", "--via", "phone", "--json")
    assert [loop["state"] for loop in as_json(closed)] == ["closed", "closed"]
    misread = loopcloser(env, "contact", "2", "3")
    assert misread.returncode == 2
    assert "--text 3" in misread.stderr
    remaining = as_json(loopcloser(env, "list", "--json"))
    assert [loop["id"] for loop in remaining] == [2]
    assert as_json(loopcloser(env, "show", "2", "--json"))["events"][-1]["kind"] == "created"
