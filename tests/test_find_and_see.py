"""Finding a customer however their name is typed, and seeing in ``list`` what is so:
the date it shows, a deadline moved untold, a snooze; and the lead's ``list --team``."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from loopcloser.core.text import folded
from tests.conftest import HubTeam, Run, agent_env
from tests.test_e2e import env, loopcloser
from tests.test_sync import as_, ok, synced

__all__ = ["env"]  # the fixture, shared

Add = Callable[..., int]


def customers(run: Run, *args: str) -> list[str]:
    return [loop["customer"] for loop in json.loads(run("list", *args, "--json").out)]


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("niccolo", "Niccolò"),
        ("zoe", "Zoë"),
        ("ZOË", "Zoë"),
        ("francois", "FRANÇOIS"),
        ("strasse", "Straße"),
    ],
)
def test_a_search_ignores_case_and_accents(typed: str, name: str) -> None:
    assert folded(typed) in folded(f"Mr {name} Jr")


def test_list_and_customer_find_names_typed_without_accents(run: Run, add: Add) -> None:
    add("Niccolò Ammaniti", "call back")
    add("Zoë Berg", "send the invoice")
    add("Zoltan Kiss", "ship the router")
    assert customers(run, "--customer", "niccolo") == ["Niccolò Ammaniti"]
    assert customers(run, "--customer", "ZOE") == ["Zoë Berg"]
    assert customers(run, "--grep", "zoe b") == ["Zoë Berg"]
    found = json.loads(run("customer", "zoe", "--json").out)
    assert [loop["customer"] for loop in found["loops"]] == ["Zoë Berg"]


def test_list_sorts_by_the_due_it_shows_and_shows_the_agents_own(run: Run, add: Add) -> None:
    # Now is Wed 25 Nov. #1 was promised for next Monday and moved to Thursday without
    # telling the customer: they expect Monday, which is what the list shows and sorts by.
    moved = add("Maria Rossi", "call back", "--due", "mon 12:00")
    ok(run("reschedule", str(moved), "thu 12:00", "--not-told"))
    friday = add("ACME", "send the invoice", "--due", "fri 12:00")
    rows = run("list").out.splitlines()[1:]
    assert [row.split()[0] for row in rows] == [str(friday), str(moved)]
    assert "in 5d (yours in 1d)" in rows[1], rows[1]


def test_a_snoozed_loop_is_marked_in_the_list_until_the_snooze_ends(run: Run, add: Add) -> None:
    loop = add()
    ok(run("snooze", str(loop), "2h"))
    assert run("list").out.splitlines()[1].endswith("snoozed")
    assert "snoozed" not in run("list", now="2026-11-25T12:00:00Z").out


def test_undo_list_tells_a_snooze_a_new_snooze_and_a_lift_apart(run: Run, add: Add) -> None:
    loop = str(add())
    for until in ("2h", "4h", "off", "1h"):
        ok(run("snooze", loop, until))
    changes = [change["what"] for change in json.loads(run("undo", "--list", "--json").out)]
    assert changes[:4] == ["snoozed #1", "lifted the snooze of #1", "re-snoozed #1", "snoozed #1"]


def test_a_digest_of_an_unknown_agent_is_an_error_not_an_empty_page(
    run: Run, add: Add, team: Path
) -> None:
    add()
    unknown = run("digest", "--agent", "anan")
    assert unknown.code == 2
    assert unknown.err.strip() == (
        f"loopcloser: anan has no store in team folder {team}; check the name;"
        " agents in the team: anna"
    )
    assert run("digest", "--agent", "anna").code == 0


def test_a_digest_of_an_agent_with_no_loop_in_this_store_is_an_error(run: Run, add: Add) -> None:
    add()
    unknown = run("digest", "--agent", "bob")
    assert (unknown.code, "owners here: anna" in unknown.err) == (2, True)


def test_an_untold_loop_done_a_moment_ago_is_done_just_now(run: Run, add: Add) -> None:
    loop = add()
    ok(run("done", str(loop)))
    assert "done just now" in run("digest").out
    assert "done 2h ago" in run("digest", now="2026-11-25T11:00:00Z").out


def test_a_misspelt_command_suggests_one_without_a_stray_semicolon(run: Run) -> None:
    result = run("lsit")
    assert result.code == 2
    assert result.err.strip() == (
        "loopcloser: No such command 'lsit'. Did you mean 'list'? See: loopcloser --help"
    )


def long_lines(text: str, width: int = 80) -> list[str]:
    return [line for line in text.splitlines() if len(line) > width]


def test_customer_and_doctor_fit_80_columns_without_breaking_a_word(run: Run, add: Add) -> None:
    promise = "check the warranty status with the supplier, report back"
    loop = add("Northwind Traders International Holdings", promise, "--tag", "billing")
    note = "the supplier says the serial number is not in their system; they will call back"
    ok(run("note", str(loop), note))
    narrow = {"COLUMNS": "80"}
    page = run("customer", "northwind", env=narrow).out
    assert not long_lines(page), page
    header = ["AGENT", "ID", "DUE", "CUSTOMER", "PROMISE", "STATE", "FLAGS"]
    assert page.splitlines()[0].split() == header, "wrapping the promise was enough"
    narrower = run("customer", "northwind", env={"COLUMNS": "44"}).out
    assert not long_lines(narrower, 44), narrower
    assert narrower.splitlines()[0].split() == ["AGENT", "ID", "DUE", "CUSTOMER", "PROMISE"], (
        "flags, then state go when wrapping is not enough; no header is cut"
    )
    words = set(f"{promise} {note} Northwind Traders International Holdings".split())
    assert words <= set(page.split()), "every word is whole"
    doctor = run("doctor", env=narrow).out
    assert not long_lines(doctor), doctor
    assert run("customer", "northwind").out.splitlines()[1].count(promise) == 1, (
        "a pipe without COLUMNS gets whole lines"
    )


def test_the_timeline_after_a_handoff_names_the_loop_by_the_receivers_id(
    run: Run, add: Add, team: Path, home: Path
) -> None:
    luca = agent_env(home, "luca")
    run("add", "ACME", "send the invoice", "--due", "fri 12:00", env=luca)
    run("add", "Li Wei", "warranty", "--due", "fri 12:00", env=luca)
    loop = add()
    ok(run("note", str(loop), "Finance has the receipt"))
    moved = ok(run("handoff", str(loop), "--to", "luca", "--note", "off tomorrow"))
    assert "it is #3 in their store" in moved.out
    timeline = json.loads(run("customer", "Maria", "--json").out)["timeline"]
    assert {(row["agent"], row["loop_id"]) for row in timeline} == {("luca", 3)}
    assert "  luca #3  " in run("customer", "Maria").out


def test_list_team_shows_every_agents_loops_with_the_usual_filters(
    run: Run, add: Add, team: Path, home: Path
) -> None:
    luca = agent_env(home, "luca")
    run("add", "Zoë Berg", "send the invoice", "--due", "fri 12:00", env=luca)
    run("add", "ACME", "credit note", "--due", "2026-11-24 12:00", "--allow-past", env=luca)
    add("Maria Rossi", "call back", "--tag", "vip")
    listed = json.loads(run("list", "--team", "--json").out)
    assert [(loop["owner"], loop["customer"]) for loop in listed] == [
        ("luca", "ACME"), ("anna", "Maria Rossi"), ("luca", "Zoë Berg")
    ]  # fmt: skip
    assert customers(run, "--team", "--owner", "luca", "--overdue") == ["ACME"]
    assert customers(run, "--team", "--customer", "zoe") == ["Zoë Berg"]
    table = run("list", "--team").out.splitlines()
    assert table[0].split() == ["ID", "OWNER", "DUE", "CUSTOMER", "PROMISE", "STATE", "FLAGS"]
    assert table[1].split()[:2] == ["2", "luca"]


def test_list_team_without_a_team_says_how_to_set_one(run: Run) -> None:
    result = run("list", "--team")
    assert result.code == 2
    assert "config set team FOLDER" in result.err


def test_list_team_reads_the_hub_without_a_sync(run: Run, hub_team: HubTeam) -> None:
    ok(as_(run, hub_team, "anna", "add", "Maria Rossi", "call back", "--due", "fri 12:00"))
    ok(as_(run, hub_team, "luca", "add", "ACME", "invoice", "--due", "2026-11-24 12:00",
           "--allow-past"))  # fmt: skip
    ok(as_(run, hub_team, "luca", "add", "Li Wei", "warranty", "--due", "mon 12:00"))
    for who in ("anna", "luca"):
        synced(run, hub_team, who)
    luca = hub_team.names["luca"]
    listed = ok(as_(run, hub_team, "bruno", "list", "--team", "--json")).json()
    assert [(loop["owner"], loop["id"], loop["customer"]) for loop in listed] == [
        (luca, 1, "ACME"), (hub_team.names["anna"], 1, "Maria Rossi"), (luca, 2, "Li Wei")
    ]  # fmt: skip
    late = ok(as_(run, hub_team, "bruno", "list", "--team", "--overdue", "--json")).json()
    assert [loop["customer"] for loop in late] == ["ACME"]
    down = as_(run, hub_team, "bruno", "list", "--team",
               LOOPCLOSER_HUB="postgresql://nobody@127.0.0.1:9/none?connect_timeout=2")  # fmt: skip
    assert down.code == 7


def test_a_lead_lists_the_team_with_the_installed_program(
    env: dict[str, str], tmp_path: Path
) -> None:
    folder = tmp_path / "team"
    folder.mkdir()
    for agent, customer in (("anna", "Niccolò Rossi"), ("luca", "ACME")):
        store = {"LOOPCLOSER_STORE": str(folder / f"{agent}.json")}
        added = loopcloser(env, "add", customer, "call back", "--due", "fri 12:00", **store)
        assert added.returncode == 0, added.stderr
    lead = {**env, "LOOPCLOSER_TEAM": str(folder)}
    del lead["LOOPCLOSER_STORE"]
    listed = loopcloser(lead, "list", "--team", "--customer", "niccolo")
    assert listed.returncode == 0, listed.stderr
    assert [line.split()[:2] for line in listed.stdout.splitlines()] == [
        ["ID", "OWNER"], ["1", "anna"]
    ]  # fmt: skip


def test_list_team_names_a_store_it_cannot_read_and_lists_the_rest(
    run: Run, add: Add, team: Path
) -> None:
    add()
    (team / "luca.json").write_text("{not json", encoding="utf-8")
    result = run("list", "--team", "--json")
    assert result.code == 0
    assert [loop["owner"] for loop in json.loads(result.out)] == ["anna"]
    (warning,) = [json.loads(line) for line in result.err.splitlines()]
    assert warning["kind"] == "unreadable_file"
    assert "luca's loops are left out" in warning["warning"]
    assert (team / "luca.json").read_text(encoding="utf-8") == "{not json", "left as it was"


def test_a_narrow_terminal_gets_whole_words_from_the_installed_program(
    env: dict[str, str], tmp_path: Path
) -> None:
    customer, promise = "Northwind Traders International", "get the outage credit approved"
    long_note = "Finance asked for the contract number and the dates of every outage in November"
    for args in (
        ("add", customer, promise, "--due", "2026-11-24 12:00", "--allow-past", "--every", "1d"),
        ("note", "1", long_note),
        ("snooze", "1", "2h"),
    ):
        assert loopcloser(env, *args).returncode == 0
    narrow = {**env, "COLUMNS": "80"}
    pages = {
        args: loopcloser(narrow, *args)
        for args in (("customer", "northwind"), ("doctor",), ("report",), ("digest",), ("list",))
    }
    for args, page in pages.items():
        assert page.returncode == 0, (args, page.stderr)
        assert not long_lines(page.stdout), page.stdout
    assert set(long_note.split()) <= set(pages["customer", "northwind"].stdout.split())
    assert "snoozed" in pages["list",].stdout
    waiting = pages["report",].stdout.split("Customers waiting longest")[1]
    assert "Northwind Traders" in waiting and "22h late" in waiting, "as list says it"
    typo = loopcloser(env, "lsit")
    assert (
        typo.stderr
        == "loopcloser: No such command 'lsit'. Did you mean 'list'? See: loopcloser --help\n"
    )
