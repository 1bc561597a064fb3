"""The commands, through typer's runner, with a private store and a pinned clock."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import typer

from loopcloser import __version__
from loopcloser.cli.main import app
from loopcloser.core.model import Flag, from_document, replay
from loopcloser.render.tables import STYLES, print_list
from loopcloser.services import loops as actions
from loopcloser.storage.store import Store
from tests.conftest import Run

LOOP_FIELDS = {
    "id", "uid", "customer", "contact", "prefers", "via", "promise", "owner", "created", "due",
    "state", "tags", "ref", "update_every", "waiting_on", "remind", "overdue", "due_today",
    "untold", "silent", "outcome", "last_contact", "expected_due", "untold_reschedule",
    "stale_wait", "snoozed_until",
}  # fmt: skip

Add = Callable[..., int]
ROME = ZoneInfo("Europe/Rome")


def test_version(run: Run) -> None:
    result = run("--version")
    assert result.code == 0
    assert result.out == f"loopcloser {__version__}\n"


def test_add_prints_the_new_id_for_scripts(run: Run) -> None:
    first = run("add", "Maria Rossi", "call back about the refund", "--due", "fri 12:00")
    second = run("add", "ACME", "send the invoice", "--due", "tomorrow")
    assert (first.code, first.out) == (0, "1\n")
    assert (second.code, second.out) == (0, "2\n")


def test_add_json_prints_the_whole_loop(run: Run) -> None:
    result = run(
        "add", "Maria Rossi", "call back", "--due", "fri 12:00", "--via", "email",
        "--contact", "maria@example.com", "--prefers", "phone", "--every", "2d",
        "--tag", "billing", "--tag", "vip", "--ref", "CRM-1", "--owner", "luca",
        "--remind", "thu 9:00", "--json",
    )  # fmt: skip
    assert result.code == 0, result.err
    loop = result.json()
    assert set(loop) == LOOP_FIELDS
    assert loop["id"] == 1
    assert loop["due"] == "2026-11-27T11:00:00Z"  # Friday 12:00 in Rome
    assert loop["created"] == "2026-11-25T09:00:00Z"
    assert loop["remind"] == ["2026-11-26T08:00:00Z"]
    assert loop["state"] == "open"
    assert loop["via"] == "email" and loop["prefers"] == "phone"
    assert loop["update_every"] == 2 * 86400
    assert loop["tags"] == ["billing", "vip"]
    assert loop["owner"] == "luca"
    assert (loop["overdue"], loop["untold"], loop["silent"], loop["outcome"]) == (
        False, False, False, None,
    )  # fmt: skip


def test_owner_defaults_to_the_configured_agent(run: Run, add: Add) -> None:
    add()
    assert run("show", "1", "--json").json()["owner"] == "anna"


def test_a_due_date_in_the_past_is_refused_unless_allowed(run: Run) -> None:
    refused = run("add", "Maria", "call back", "--due", "today 9:00")
    assert refused.code == 2
    assert "has passed" in refused.err and "--allow-past" in refused.err
    allowed = run("add", "Maria", "call back", "--due", "2026-11-24 9:00", "--allow-past")
    assert allowed.code == 0
    assert run("list", "--json").json()[0]["overdue"] is True


def test_an_unreadable_due_date_lists_the_accepted_forms(run: Run) -> None:
    result = run("add", "Maria", "call back", "--due", "call back in 3 days")
    assert result.code == 2
    assert result.out == ""
    assert result.err.count("\n") == 1, "one line"
    assert "tomorrow 9am" in result.err and "2bd" in result.err


def test_list_puts_overdue_then_untold_then_soonest_due(run: Run, add: Add) -> None:
    later = add("Later Ltd", "send quote", "--due", "2026-12-10")
    soon = add("Soon Spa", "confirm delivery", "--due", "tomorrow")
    untold = add("Told Not", "fix account", "--due", "2026-12-05")
    overdue = add("Late Inc", "call back", "--due", "today 11:00")
    assert run("done", str(untold)).code == 0
    listed = run("list", "--json", now="2026-11-25T12:00:00Z").json()
    assert [loop["id"] for loop in listed] == [overdue, untold, soon, later]
    assert [loop["overdue"] for loop in listed] == [True, False, False, False]


def test_done_loop_stays_in_list_as_untold_until_closed(run: Run, add: Add) -> None:
    loop_id = add()
    done = run("done", str(loop_id), "refund issued")
    assert done.code == 0
    assert "has not been told" in done.out
    listed = run("list", "--json").json()
    assert [(loop["id"], loop["state"], loop["untold"]) for loop in listed] == [
        (loop_id, "done", True)
    ]
    assert run("close", str(loop_id), "called her", "--via", "phone").code == 0
    assert run("list", "--json").json() == []


def test_closing_by_the_due_is_kept_and_after_it_late(run: Run, add: Add) -> None:
    kept = add("A", "call back", "--due", "tomorrow 12:00")
    late = add("B", "call back", "--due", "tomorrow 12:00")
    assert run("close", str(kept), "--via", "phone", now="2026-11-26T10:59:00Z").code == 0
    closing = run("close", str(late), "--via", "email", now="2026-11-26T11:01:00Z")
    assert "(late)" in closing.out
    outcomes = {loop["id"]: loop["outcome"] for loop in run("list", "--all", "--json").json()}
    assert outcomes == {kept: "kept", late: "late"}


def test_closing_a_cancelled_loop_is_refused_with_what_to_do(run: Run, add: Add) -> None:
    loop_id = add()
    assert run("cancel", str(loop_id), "--reason", "customer withdrew").code == 0
    refused = run("close", str(loop_id))
    assert refused.code == 4
    assert f"reopen {loop_id}" in refused.err
    assert run("reopen", str(loop_id), "--reason", "customer asked again").code == 0
    assert run("close", str(loop_id)).code == 0


def test_marking_done_twice_is_refused(run: Run, add: Add) -> None:
    loop_id = add()
    assert run("done", str(loop_id)).code == 0
    refused = run("done", str(loop_id), "--json")
    assert refused.code == 4
    error = json.loads(refused.err)
    assert error["hint"] == f"tell the customer, then: loopcloser close {loop_id} --via CHANNEL"


def test_cancel_and_reopen_need_a_reason(run: Run, add: Add) -> None:
    loop_id = add()
    assert run("cancel", str(loop_id)).code == 2
    assert run("cancel", str(loop_id), "--reason", "  ").code == 2
    assert run("show", str(loop_id), "--json").json()["state"] == "open"


@pytest.mark.parametrize("command", ["show", "done", "close", "note", "contact"])
def test_an_unknown_id_is_not_found(run: Run, add: Add, command: str) -> None:
    add()
    args = [command, "42"] + (["text"] if command in ("note", "contact") else [])
    result = run(*args)
    assert result.code == 3
    assert "no loop #42" in result.err


@pytest.mark.parametrize("bad_id", ["abc", "0", "-1", "4.5"])
def test_a_malformed_id_is_bad_input(run: Run, bad_id: str) -> None:
    result = run("show", "--", bad_id)
    assert result.code == 2
    assert "not a loop id" in result.err


def test_ids_can_be_typed_with_a_hash(run: Run, add: Add) -> None:
    loop_id = add()
    assert run("show", f"#{loop_id}", "--json").json()["id"] == loop_id


def test_show_has_every_field_and_the_timeline(run: Run, add: Add) -> None:
    loop_id = add("Maria Rossi", "call back", "--contact", "maria@example.com", "--ref", "CRM-9")
    run("note", str(loop_id), "Finance ticket FIN-332 opened")
    run("contact", str(loop_id), "told her Finance is on it", "--via", "email")
    shown = run("show", str(loop_id))
    assert shown.code == 0
    for text in (
        "Maria Rossi",
        "maria@example.com",
        "CRM-9",
        "Finance ticket FIN-332",
        "via email",
    ):
        assert text in shown.out
    data = run("show", str(loop_id), "--json").json()
    assert set(data) == LOOP_FIELDS | {"events"}
    assert [event["kind"] for event in data["events"]] == ["created", "note", "contact"]
    assert data["events"][2]["via"] == "email"


def test_contact_resets_the_silence_clock(run: Run, add: Add) -> None:
    loop_id = add("Maria", "call back", "--due", "2026-12-20", "--every", "1d")
    later = "2026-11-27T09:00:00Z"
    assert run("show", str(loop_id), "--json", now=later).json()["silent"] is True
    run("contact", str(loop_id), "still on it", "--via", "phone", now=later)
    flags = run("show", str(loop_id), "--json", now="2026-11-27T10:00:00Z").json()
    assert flags["silent"] is False
    assert flags["last_contact"] == later


def test_list_filters(run: Run, add: Add) -> None:
    maria = add("Maria Rossi", "refund", "--contact", "maria@example.com", "--tag", "billing")
    acme = add("ACME", "invoice", "--owner", "luca", "--due", "tomorrow")
    closed = add("Zeta", "call", "--due", "tomorrow")
    run("close", str(closed))

    def ids(*args: str) -> list[int]:
        result = run("list", "--json", *args)
        assert result.code == 0, result.err
        return [loop["id"] for loop in result.json()]

    assert ids() == [acme, maria]
    assert ids("--customer", "MARIA") == [maria]
    assert ids("--customer", "example.com") == [maria]
    assert ids("--tag", "billing") == [maria]
    assert ids("--owner", "luca") == [acme]
    assert ids("--due-before", "thu 23:00") == [acme]
    assert ids("--overdue") == []
    assert ids("--all") == [acme, maria, closed]
    assert ids("--state", "closed") == [closed]
    assert run("list", "--state", "nope").code == 2


def test_edit_changes_details_and_keeps_them_in_history(run: Run, add: Add) -> None:
    loop_id = add("Maria", "call back", "--tag", "billing")
    result = run(
        "edit", str(loop_id), "--promise", "call back today", "--contact", "+39 055 1",
        "--tag", "vip", "--untag", "billing", "--every", "36h", "--json",
    )  # fmt: skip
    assert result.code == 0, result.err
    loop = result.json()
    assert (loop["promise"], loop["contact"], loop["tags"]) == (
        "call back today",
        "+39 055 1",
        ["vip"],
    )
    assert loop["update_every"] == 36 * 3600
    assert run("edit", str(loop_id)).code == 2
    assert run("edit", str(loop_id), "--every", "off", "--json").json()["update_every"] is None
    kinds = [event["kind"] for event in run("show", str(loop_id), "--json").json()["events"]]
    assert kinds == ["created", "edited", "edited"]


def test_errors_under_json_are_one_json_line_on_stderr(run: Run) -> None:
    result = run("show", "7", "--json")
    assert result.code == 3
    assert result.out == ""
    assert result.err.count("\n") == 1
    error = json.loads(result.err)
    assert error["error"] == "not_found" and error["exit_code"] == 3
    assert error["hint"]


def test_usage_errors_are_one_line_with_exit_2(run: Run) -> None:
    result = run("add", "Maria", "call back")
    assert result.code == 2
    assert result.err.count("\n") == 1
    assert "--due" in result.err and "loopcloser add --help" in result.err


def test_a_malformed_pinned_now_is_bad_input(run: Run) -> None:
    result = run("list", now="next tuesday-ish")
    assert result.code == 2
    assert "LOOPCLOSER_NOW" in result.err


def test_a_corrupt_store_is_reported_and_left_untouched(run: Run, home: Path) -> None:
    store = home / "loops.json"
    store.write_bytes(b'{"loops": {"1": {"customer": "Mar')
    before = store.read_bytes()
    for args in (["list"], ["add", "X", "Y", "--due", "tomorrow"], ["close", "1"]):
        result = run(*args)
        assert result.code == 5, result.err
        assert "Traceback" not in result.err
    assert store.read_bytes() == before


def test_plain_list_output_when_not_a_terminal(run: Run, add: Add) -> None:
    add("Maria Rossi", "call back about the refund", "--due", "today 11:00")
    add("ACME Logistics", "send the corrected invoice", "--due", "tomorrow")
    run("done", "2")
    result = run("list", now="2026-11-25T12:00:00Z")
    assert result.out == (
        "ID  DUE      CUSTOMER        PROMISE                     STATE  FLAGS\n"
        "1   2h late  Maria Rossi     call back about the refund  open   overdue, due today\n"
        "2   in 1d    ACME Logistics  send the corrected invoice  done   untold\n"
    )
    assert "\x1b[" not in result.out


def test_an_empty_list_says_so_on_stderr_and_json_is_an_empty_array(run: Run) -> None:
    empty = run("list")
    assert (empty.code, empty.out) == (0, "")
    assert "No open loops" in empty.err
    assert run("list", "--json").out == "[]\n"


def test_config_set_get_and_list(run: Run, home: Path) -> None:
    assert run("config", "set", "work_end", "18:00").code == 0
    assert run("config", "get", "work_end").out == "18:00\n"
    assert run("config", "list", "--json").json()["timezone"] == "Europe/Rome"
    assert "agent" in run("config", "list").out
    assert run("add", "M", "p", "--due", "eod", "--json").json()["due"] == "2026-11-25T17:00:00Z"


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("timezone", "Mars/Olympus"),
        ("work_end", "25:00"),
        ("work_days", "funday"),
        ("colour", "red"),
    ],
)
def test_config_refuses_bad_values(run: Run, key: str, value: str) -> None:
    result = run("config", "set", key, value)
    assert result.code == 2
    assert result.err.startswith("loopcloser: ")


def test_a_config_file_that_is_not_toml_is_reported(run: Run, home: Path) -> None:
    (home / "config.toml").write_text("agent = \n", encoding="utf-8")
    result = run("list")
    assert result.code == 2
    assert "not valid TOML" in result.err


def test_day_first_setting_decides_how_dates_read(run: Run) -> None:
    assert run("add", "M", "p", "--due", "3/12", "--json").json()["due"].startswith("2026-12-03")
    run("config", "set", "date_order", "month-first")
    assert run("add", "M", "p", "--due", "3/12", "--json").json()["due"].startswith("2027-03-12")


def test_demo_builds_a_store_and_shows_today(run: Run, home: Path) -> None:
    target = home / "demo.json"
    result = run("demo", "--store", str(target))
    assert result.code == 0, result.err
    assert "Maria Rossi" in result.out and "untold" in result.out and "overdue" in result.out
    assert str(target) in result.err
    states = {
        loop["state"] for loop in run("list", "--all", "--json", "--store", str(target)).json()
    }
    assert states == {"open", "waiting", "done", "closed", "cancelled"}
    again = run("demo", "--store", str(target))
    assert again.code == 2, "never pours the demo into a store that holds loops"


def test_bare_command_shows_help(run: Run) -> None:
    result = run()
    assert result.code == 0
    assert "add" in result.out and "list" in result.out


def all_commands() -> list[tuple[str, ...]]:
    group = typer.main.get_command(app)
    names: list[tuple[str, ...]] = []
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        if hasattr(command, "commands"):
            names.extend((name, sub) for sub in command.commands)
        else:
            names.append((name,))
    return names


@pytest.mark.parametrize("command", all_commands())
def test_every_command_has_help_with_an_example(run: Run, command: tuple[str, ...]) -> None:
    result = run(*command, "--help")
    assert result.code == 0
    assert "Example:" in result.out


def test_config_json_for_scripts(run: Run) -> None:
    assert run("config", "get", "timezone", "--json").json() == {"timezone": "Europe/Rome"}
    assert run("config", "set", "agent", "luca", "--json").json() == {"agent": "luca"}
    assert run("config", "get", "nope").code == 2


def test_demo_json_is_the_list_of_open_loops(run: Run, home: Path) -> None:
    loops = run("demo", "--store", str(home / "demo.json"), "--json").json()
    assert loops and all(loop["state"] in ("open", "waiting", "done") for loop in loops)


def test_a_loop_edited_out_of_shape_is_refused_alone_and_named_in_lists(
    run: Run, add: Add, home: Path
) -> None:
    add()
    store = home / "loops.json"
    data = json.loads(store.read_text(encoding="utf-8"))
    data["loops"]["1"]["due"] = "next week sometime"
    store.write_text(json.dumps(data), encoding="utf-8")
    before = store.read_bytes()
    for args in (["show", "1"], ["close", "1"]):
        result = run(*args)
        assert result.code == 5, (args, result.err)
        assert "loop #1 in the store is malformed" in result.err
    listed = run("list")
    assert listed.code == 0 and "loop #1 is malformed" in listed.err and "left out" in listed.err
    assert store.read_bytes() == before


def test_a_store_that_is_a_directory_is_a_store_error(run: Run, home: Path) -> None:
    (home / "loops.json").mkdir()
    for args in (["list"], ["add", "M", "p", "--due", "tomorrow"]):
        result = run(*args)
        assert result.code == 5, result.err
        assert str(home / "loops.json") in result.err


def test_show_reads_as_a_whole(run: Run, add: Add) -> None:
    add("Maria Rossi", "call back about the refund", "--contact", "+39 055 1", "--every", "2d")
    run("note", "1", "Finance ticket FIN-332", now="2026-11-25T10:00:00Z")
    run("done", "1", "refund issued", now="2026-11-26T08:30:00Z")
    shown = run("show", "1", now="2026-11-26T09:00:00Z").out
    uid = run("show", "1", "--json").json()["uid"]
    assert shown == (
        "#1  Maria Rossi: call back about the refund\n"
        "\n"
        "state          done (untold)\n"
        "due            Fri 27 Nov 12:00 (in 1d)\n"
        "owner          anna\n"
        "contact        +39 055 1\n"
        "promised via   phone\n"
        "updates every  2d\n"
        "last contact   Wed 25 Nov 10:00\n"
        "created        Wed 25 Nov 10:00\n"
        f"uid            {uid}\n"
        "\n"
        "History\n"
        "  Wed 25 Nov 10:00  promised via phone by anna\n"
        "  Wed 25 Nov 11:00  note by anna: Finance ticket FIN-332\n"
        "  Thu 26 Nov 09:30  done by anna: refund issued\n"
    )


@pytest.mark.parametrize("bad_id", ["²", "٣", "9" * 5000, "99999999999999999999"])
def test_odd_ids_are_bad_input_not_a_crash(run: Run, add: Add, bad_id: str) -> None:
    add()
    result = run("show", bad_id)
    assert result.code == 2, result.err
    assert "not a loop id" in result.err


def test_a_due_date_a_century_away_is_refused(run: Run) -> None:
    result = run("add", "M", "p", "--due", "9999-12-31T23:00Z")
    assert result.code == 2
    assert "100 years" in result.err
    assert run("list", "--json").json() == []


def test_text_with_line_breaks_still_gives_a_one_line_error(run: Run) -> None:
    for args in (["show", "1\n2"], ["config", "set", "work_end", "17\n30"]):
        result = run(*args)
        assert result.code == 2
        assert result.err.count("\n") == 1, result.err
        assert "\\n" in result.err


@pytest.mark.parametrize(
    ("field", "value"),
    [("state", ["open"]), ("tags", 5), ("customer", None), ("update_every", 1e300)],
)
def test_a_field_of_the_wrong_type_is_named_and_never_rewritten(
    run: Run, add: Add, home: Path, field: str, value: object
) -> None:
    add("Maria", "call back", "--tag", "x")
    store = home / "loops.json"
    data = json.loads(store.read_text(encoding="utf-8"))
    data["loops"]["1"][field] = value
    store.write_text(json.dumps(data), encoding="utf-8")
    before = store.read_bytes()
    for args in (["list"], ["list", "--tag", "x"]):
        result = run(*args)
        assert result.code == 0 and "loop #1 is malformed" in result.err, (args, result.err)
    for args in (["show", "1"], ["close", "1"]):
        result = run(*args)
        assert result.code == 5, (args, result.err)
    assert store.read_bytes() == before


def test_the_promise_is_recorded_by_the_agent_who_logged_it(run: Run, add: Add) -> None:
    add("Maria", "call back", "--owner", "luca")
    loop = run("show", "1", "--json").json()
    assert loop["owner"] == "luca"
    assert loop["events"][0]["by"] == "anna"


@pytest.mark.parametrize("args", [["note", "1", ""], ["contact", "1", "   "]])
def test_empty_notes_and_messages_are_refused(run: Run, add: Add, args: list[str]) -> None:
    add()
    result = run(*args)
    assert result.code == 2
    assert "cannot be empty" in result.err


def test_an_edit_that_changes_nothing_is_refused(run: Run, add: Add) -> None:
    add("Maria", "call back", "--tag", "vip")
    assert run("edit", "1", "--promise", "call back").code == 2
    assert run("edit", "1", "--untag", "unknown").code == 2
    assert run("edit", "1", "--tag", "").code == 2
    events = run("show", "1", "--json").json()["events"]
    assert [event["kind"] for event in events] == ["created"]


def test_an_empty_tag_is_refused_on_add(run: Run) -> None:
    assert run("add", "M", "p", "--due", "tomorrow", "--tag", " ").code == 2


def test_finished_loops_show_their_due_date_not_how_late(run: Run, add: Add) -> None:
    add("Maria", "call back", "--due", "tomorrow")
    run("close", "1")
    row = run("list", "--all", now="2026-12-05T09:00:00Z").out.splitlines()[1]
    assert "26 Nov 2026" in row and "late" not in row


def test_control_characters_in_customer_text_are_shown_not_obeyed(run: Run) -> None:
    run("add", "Evil\x1b[31mRed\x1b]0;pwned\x07", "call\nback", "--due", "tomorrow")
    for args in (["list"], ["show", "1"]):
        shown = run(*args).out
        assert "\x1b" not in shown and "\x07" not in shown
        assert "Evil\\x1b[31mRed" in shown


def test_an_empty_filter_is_still_a_filter(run: Run, add: Add) -> None:
    add()
    result = run("list", "--owner", "")
    assert result.out == ""
    assert "No loops match" in result.err


def test_json_after_a_double_dash_is_text(run: Run) -> None:
    result = run("note", "9", "--", "--json")
    assert result.code == 3
    assert result.err.startswith("loopcloser: no loop #9")


def test_a_read_only_store_is_never_replaced(run: Run, add: Add, home: Path) -> None:
    add()
    store = home / "loops.json"
    store.chmod(0o400)
    before = store.read_bytes()
    result = run("close", "1")
    assert result.code == 5
    assert "read-only" in result.err
    assert store.read_bytes() == before
    assert run("list", "--json").json()[0]["state"] == "open", "reading still works"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("agent = 42\n", "agent must be text in quotes"),
        ('timezone = "Mars/Olympus"\n', "is not a time zone"),
        ('work_start = "18:00"\nwork_end = "09:00"\n', "starts (18:00)"),
    ],
)
def test_a_bad_config_file_is_named_in_the_error(
    run: Run, home: Path, content: str, message: str
) -> None:
    config = home / "config.toml"
    config.write_text(content, encoding="utf-8")
    result = run("list")
    assert result.code == 2
    assert message in result.err and str(config) in result.err


def test_working_days_may_wrap_past_sunday(run: Run) -> None:
    assert run("config", "set", "work_days", "sun-thu").out == "work_days = mon,tue,wed,thu,sun\n"
    # Wednesday 10:00: the Sunday-to-Thursday week ends on Thursday.
    due = run("add", "M", "p", "--due", "eow", "--json").json()["due"]
    assert due == "2026-11-26T16:30:00Z"


def test_colour_only_on_a_terminal(run: Run, add: Add, home: Path) -> None:
    add("Maria", "[bold]call back[/bold]", "--due", "today 11:00")
    now = datetime(2026, 11, 25, 12, tzinfo=UTC)
    rows = actions.select(Store(home / "loops.json"), actions.Query(), now, ROME)
    terminal, pipe = io.StringIO(), io.StringIO()
    print_list(rows, now, ROME, terminal, terminal=True)
    print_list(rows, now, ROME, pipe, terminal=False)
    assert "\x1b[1;31m" in terminal.getvalue(), "overdue is bold red"
    assert "[bold]call back[/bold]" in terminal.getvalue(), "customer text is not markup"
    assert "\x1b[" not in pipe.getvalue()


def test_every_flag_has_a_list_style_and_due_today_alone_leaves_a_row_plain() -> None:
    assert set(STYLES) == set(Flag)
    assert STYLES[Flag.DUE_TODAY] is None
    assert next(iter(STYLES)) is Flag.OVERDUE, "a late promise outshouts every other flag"


def test_replaying_every_loop_of_a_used_store_gives_back_its_fields(run: Run, home: Path) -> None:
    target = home / "demo.json"
    run("demo", "--store", str(target))
    run("edit", "1", "--tag", "escalated", "--store", str(target))
    run("contact", "1", "called, still with Finance", "--store", str(target))
    documents = Store(target).documents()
    assert len(documents) == 9
    for loop_id, document in documents.items():
        stored = from_document(loop_id, document)
        assert replay(loop_id, stored.events) == stored


def test_a_hand_edit_that_keeps_the_generation_is_still_seen(
    run: Run, add: Add, home: Path
) -> None:
    add("Maria", "send invoice")
    assert run("list", "--json").json()[0]["promise"] == "send invoice"
    store = home / "loops.json"
    store.write_bytes(store.read_bytes().replace(b"send invoice", b"HAND EDITED!"))
    assert run("list", "--json").json()[0]["promise"] == "HAND EDITED!"
    assert run("show", "1", "--json").json()["promise"] == "HAND EDITED!"


def test_a_loop_closed_by_hand_without_its_event_is_no_crash(
    run: Run, add: Add, home: Path
) -> None:
    add("Maria", "call back")
    store = home / "loops.json"
    data = json.loads(store.read_text(encoding="utf-8"))
    data["loops"]["1"]["state"] = "closed"
    store.write_text(json.dumps(data), encoding="utf-8")
    result = run("list", "--all", "--json")
    assert result.code == 0, result.err
    assert result.json()[0]["state"] == "closed"


def test_forget_drops_the_index_even_when_nothing_changed(run: Run, add: Add, home: Path) -> None:
    add("Maria Rossi", "refund")
    run("list")
    index = home / ".loops.json.open"
    saved = index.read_bytes()
    run("undo")
    index.write_bytes(saved)  # as if a crash had left the old index behind
    assert b"Maria" in index.read_bytes()
    run("forget", "Maria Rossi", "--yes")
    assert not index.exists() or b"Maria" not in index.read_bytes()


def test_two_settings_saved_at_once_both_stay(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading
    import time

    from loopcloser.storage import config_file as config

    path = tmp_path / "config.toml"
    path.write_text('agent = "anna"\n', encoding="utf-8")
    real_read = config.read_file
    first_has_read = threading.Event()

    def slow_read(target: Path) -> dict[str, str]:
        values = real_read(target)
        if threading.current_thread().name == "first":
            first_has_read.set()
            time.sleep(0.3)  # the other save comes in while this one is between read and write
        return values

    monkeypatch.setattr(config, "read_file", slow_read)
    first = threading.Thread(target=config.save, args=("work_start", "08:00", path), name="first")
    first.start()
    first_has_read.wait(5)
    config.save("default_channel", "email", path)
    first.join(5)

    saved = real_read(path)
    assert saved == {"agent": "anna", "work_start": "08:00", "default_channel": "email"}


def test_control_characters_typed_in_a_name_are_echoed_escaped(run: Run) -> None:
    added = run("add", "--due", "tomorrow", "--", "Maria\x1b[2J\x1b]0;pwned\x07", "call back")
    assert added.code == 0, added.err
    closed = run("close", "1", "--via", "phone")
    assert "\x1b" not in closed.out and "Maria\\x1b[2J" in closed.out
    forgot = run("forget", "Maria\x1b[2J\x1b]0;pwned\x07", "--yes")
    assert "\x1b" not in forgot.out and "\x07" not in forgot.out


@pytest.mark.parametrize(
    ("args", "limit"),
    [
        (["--every", "10m"], "between 15 minutes and a year"),
        (["--every", "53w"], "between 15 minutes and a year"),
        (["--due", "2037-01-01"], "more than 10 years away"),
        (["--remind", "2040-06-01 09:00"], "more than 10 years away"),
    ],
)
def test_limits_are_named_in_the_error(run: Run, args: list[str], limit: str) -> None:
    wanted = ["--due", "tomorrow", *args] if "--due" not in args else args
    refused = run("add", "Maria", "call back", *wanted)
    assert refused.code == 2 and limit in refused.err


def test_a_cadence_at_the_limits_is_kept(run: Run) -> None:
    for every in ("15m", "52w"):
        assert run("add", "Maria", "call back", "--due", "tomorrow", "--every", every).code == 0
    assert run("edit", "1", "--every", "5m").code == 2
    assert run("reschedule", "1", "2040-01-01", "--not-told").code == 2


@pytest.mark.parametrize("name", ["anna\u2028luca", "an\u2029na", "a" * 101, "an\x85na"])
def test_an_agent_name_that_breaks_a_line_is_refused_naming_the_limit(run: Run, name: str) -> None:
    refused = run("config", "set", "agent", name)
    assert refused.code == 2
    assert "1 to 100 characters" in refused.err and "line and paragraph separators" in refused.err
    handed = run("handoff", "1", "--to", name, "--note", "over to you")
    assert handed.code in (2, 3)


# --- due words people say, and --since words (now: Wednesday 25 November, 10:00 in Rome) ------


@pytest.mark.parametrize(
    ("words", "due"),
    [
        ("next week", "2026-12-04T16:30:00Z"),  # Friday 4 December, end of the working day
        ("settimana prossima", "2026-12-04T16:30:00Z"),
        ("in a week", "2026-12-02T09:00:00Z"),
        ("tra una settimana", "2026-12-02T09:00:00Z"),
        ("noon", "2026-11-25T11:00:00Z"),
        ("mezzogiorno", "2026-11-25T11:00:00Z"),
        ("tomorrow morning", "2026-11-26T11:00:00Z"),
        ("domani mattina", "2026-11-26T11:00:00Z"),
        ("tomorrow afternoon", "2026-11-26T16:30:00Z"),
        ("domani pomeriggio", "2026-11-26T16:30:00Z"),
        ("tomorrow evening", "2026-11-26T19:00:00Z"),
        ("domani sera", "2026-11-26T19:00:00Z"),
        ("thursday afternoon", "2026-11-26T16:30:00Z"),
        ("giovedì pomeriggio", "2026-11-26T16:30:00Z"),
        ("3d", "2026-11-30T09:00:00Z"),  # Saturday is a day off: Monday, same time
        ("tra 3 giorni", "2026-11-30T09:00:00Z"),
    ],
)
def test_add_reads_the_due_words_people_say(run: Run, words: str, due: str) -> None:
    added = run("add", "Maria Rossi", "call back", "--due", words, "--json")
    assert added.code == 0, added.err
    assert added.json()["due"] == due


@pytest.mark.parametrize("words", ["7 days ago", "7 giorni fa", "last monday", "lunedì scorso"])
def test_a_due_in_past_words_is_refused_as_passed(run: Run, words: str) -> None:
    refused = run("add", "Maria Rossi", "call back", "--due", words)
    assert refused.code == 2
    assert refused.err.count("\n") == 1 and "has passed" in refused.err
    assert run("add", "Maria Rossi", "call back", "--due", words, "--allow-past").code == 0


@pytest.mark.parametrize(
    ("words", "since"),
    [
        ("7 days ago", "2026-11-17T23:00:00Z"),  # the start of Wednesday 18 November in Rome
        ("7 giorni fa", "2026-11-17T23:00:00Z"),
        ("3 weeks ago", "2026-11-03T23:00:00Z"),
        ("yesterday", "2026-11-23T23:00:00Z"),
        ("ieri", "2026-11-23T23:00:00Z"),
        ("last monday", "2026-11-22T23:00:00Z"),
        ("lunedì scorso", "2026-11-22T23:00:00Z"),
        ("today", "2026-11-24T23:00:00Z"),
        ("2026-11-20", "2026-11-19T23:00:00Z"),
    ],
)
def test_report_since_reads_past_words(run: Run, add: Add, words: str, since: str) -> None:
    add()
    result = run("report", "--since", words, "--json")
    assert result.code == 0, result.err
    assert result.json()["since"] == since


@pytest.mark.parametrize("words", ["tomorrow", "domani", "next week", "in 3 days"])
def test_report_since_a_day_to_come_is_refused_in_one_line(run: Run, words: str) -> None:
    refused = run("report", "--since", words)
    assert (refused.code, refused.out) == (2, "")
    assert refused.err.count("\n") == 1
    assert "still to come" in refused.err and "7 days ago" in refused.err


def test_report_since_unreadable_words_name_the_past_forms(run: Run) -> None:
    refused = run("report", "--since", "a while back", "--json")
    assert refused.code == 2
    error = json.loads(refused.err)
    assert error["error"] == "bad_input" and "last monday" in error["hint"]
