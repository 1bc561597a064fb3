"""Handoffs and customer histories across a team folder, through the commands."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Run, agent_env

WORKER = Path(__file__).with_name("_team_worker.py")


def as_luca(run: Run, home: Path, *args: str) -> dict[str, Any]:
    """Run a command as luca, the colleague, and return its JSON."""
    result = run(*args, "--json", env=agent_env(home, "luca"))
    assert result.code == 0, result.err
    data: dict[str, Any] = result.json()
    return data


def uids_in(path: Path) -> list[str]:
    if not path.exists():
        return []
    data = json.loads(path.read_text(encoding="utf-8"))
    return [document["uid"] for document in data["loops"].values()]


def killed_handoff(run: Run, home: Path, team: Path, after: str) -> None:
    """Luca and anna each have a loop; anna's handoff of #1 to luca dies ``after`` a step."""
    as_luca(run, home, "add", "ACME", "invoice", "--due", "tomorrow")
    run("add", "Maria", "call back", "--due", "tomorrow")
    crashed = subprocess.run(
        [sys.executable, str(WORKER), f"crash-after-{after}", str(team), "anna", "luca", "1"],
        capture_output=True,
        check=False,
    )
    assert crashed.returncode == 9


def handoff_killed_between_the_writes(run: Run, home: Path, team: Path) -> str:
    """Anna hands Maria's loop to luca and dies with it in both stores; returns its uid."""
    killed_handoff(run, home, team, "receiver")
    maria = uids_in(team / "luca.json")[-1]
    assert maria in uids_in(team / "anna.json"), "the crash hit between the two writes"
    return maria


def test_a_handoff_moves_the_loop_and_its_history_to_the_colleague(
    run: Run, home: Path, team: Path
) -> None:
    as_luca(run, home, "add", "ACME", "send the invoice", "--due", "tomorrow")
    run("add", "Maria Rossi", "call back", "--due", "fri 12:00", "--contact", "maria@example.com")
    run("note", "1", "Finance ticket FIN-332")
    refused = run("handoff", "1", "--to", "luca")
    assert refused.code == 2 and "--note" in refused.err, "the context must travel"
    result = run("handoff", "1", "--to", "luca", "--note", "approved; call before noon")
    assert result.code == 0, result.err
    assert "it is #2 in their store" in result.out
    assert run("list", "--json").json() == []
    theirs = as_luca(run, home, "show", "2")
    assert theirs["owner"] == "luca"
    kinds = [event["kind"] for event in theirs["events"]]
    assert kinds == ["created", "note", "handoff"]
    assert uids_in(team / "anna.json") == []
    assert len(uids_in(team / "luca.json")) == 2


def test_a_misspelt_colleague_is_refused(run: Run, team: Path) -> None:
    run("add", "Maria", "call back", "--due", "tomorrow")
    result = run("handoff", "1", "--to", "lucca", "--note", "over to you")
    assert result.code == 2
    assert run("list", "--json").json()[0]["owner"] == "anna"


def test_without_a_team_folder_the_owner_changes_in_place(run: Run) -> None:
    run("add", "Maria", "call back", "--due", "tomorrow")
    moved = run("handoff", "1", "--to", "luca", "--note", "over to you", "--json").json()
    assert (moved["id"], moved["owner"]) == (1, "luca")


def test_customer_finds_a_colleagues_loop_by_email(run: Run, home: Path, team: Path) -> None:
    as_luca(run, home, "add", "Maria Rossi", "send the checklist", "--due", "tomorrow",
            "--contact", "Maria.Rossi@example.com")  # fmt: skip
    run("add", "Maria Rossi", "call back", "--due", "fri 12:00", now="2026-11-25T08:00:00Z")
    run("add", "ACME", "invoice", "--due", "fri 12:00")
    found = run("customer", "maria.rossi@EXAMPLE.com", "--json").json()
    assert [(loop["agent"], loop["promise"]) for loop in found["loops"]] == [
        ("luca", "send the checklist")
    ]
    everyone = run("customer", "maria rossi", "--json").json()
    assert [loop["agent"] for loop in everyone["loops"]] == ["anna", "luca"]
    times = [event["at"] for event in everyone["timeline"]]
    assert times == sorted(times)
    shown = run("customer", "rossi").out
    assert "luca" in shown and "anna" in shown and "Timeline" in shown


def test_a_command_finishes_a_handoff_that_a_crash_interrupted(
    run: Run, home: Path, team: Path
) -> None:
    maria = handoff_killed_between_the_writes(run, home, team)
    assert run("list", "--json").json() == []
    assert maria not in uids_in(team / "anna.json")
    assert uids_in(team / "luca.json").count(maria) == 1
    assert not list(team.glob(".handoff-*"))


def test_forget_in_a_team_scrubs_every_agents_store(run: Run, home: Path, team: Path) -> None:
    as_luca(run, home, "add", "Maria Rossi", "checklist", "--due", "tomorrow")
    run("add", "Maria Rossi", "call back", "--due", "tomorrow")
    assert run("forget", "maria rossi", "--yes", "--json").json()["scrubbed"] == 2
    for store in team.glob("*.json"):
        assert b"Maria" not in store.read_bytes()


def test_a_handoff_with_the_store_named_still_moves_it(run: Run, home: Path, team: Path) -> None:
    as_luca(run, home, "add", "ACME", "invoice", "--due", "tomorrow")
    run("add", "Maria", "call back", "--due", "tomorrow")
    result = run(
        "handoff", "1", "--to", "luca", "--note", "ctx", "--store", str(team / "anna.json")
    )
    assert result.code == 0, result.err
    assert uids_in(team / "anna.json") == []
    assert len(uids_in(team / "luca.json")) == 2
    outside = run("handoff", "1", "--to", "luca", "--note", "ctx", "--store", str(home / "x.json"))
    assert outside.code == 2 and "not a store in the team folder" in outside.err


def test_a_store_of_a_team_opened_by_path_finishes_a_broken_handoff_first(
    run: Run, home: Path, team: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    killed_handoff(run, home, team, "intent")
    monkeypatch.delenv("LOOPCLOSER_TEAM")
    assert run("note", "1", "too late", "--store", str(team / "anna.json")).code == 3
    assert uids_in(team / "anna.json") == []
    assert len(uids_in(team / "luca.json")) == 2


def test_a_misspelt_team_folder_is_an_error_not_a_new_folder(
    run: Run, home: Path, team: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOOPCLOSER_TEAM", str(home / "teem"))
    result = run("add", "Maria", "call back", "--due", "tomorrow")
    assert result.code == 5 and "does not exist" in result.err
    assert not (home / "teem").exists()


def test_customer_finds_a_phone_written_another_way(run: Run, home: Path, team: Path) -> None:
    run("add", "Maria", "call back", "--due", "tomorrow", "--contact", "+39 055 123 4567")
    found = run("customer", "055-123-4567", "--json").json()
    assert [loop["customer"] for loop in found["loops"]] == ["Maria"]


@pytest.mark.parametrize("named", [False, True], ids=["team-folder", "stores-named"])
def test_a_report_after_a_killed_handoff_counts_the_loop_once(
    run: Run, home: Path, team: Path, named: bool
) -> None:
    handoff_killed_between_the_writes(run, home, team)

    stores = ["--store", str(team / "anna.json"), "--store", str(team / "luca.json")]
    result = run("report", "--json", *(stores if named else ["--team", str(team)]))

    assert result.code == 0, result.err
    report = result.json()
    agents = {row["agent"]: row for row in report["agents"]}
    assert report["total"]["open"] == 2
    assert agents["luca"]["open"] == 2
    assert agents.get("anna", {"open": 0})["open"] == 0
    assert not list(team.glob(".handoff-*"))


def test_reports_taken_during_handoffs_count_every_loop_once(
    run: Run, home: Path, team: Path
) -> None:
    as_luca(run, home, "add", "ACME", "invoice", "--due", "tomorrow")
    count = 25
    for number in range(count):
        run("add", f"Customer {number}", "call back", "--due", "tomorrow")
    mover = subprocess.Popen(
        [sys.executable, str(WORKER), "slow-move", str(team), "anna", "luca",
         ",".join(str(number) for number in range(1, count + 1))],
        stdin=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert mover.stdin is not None
    mover.stdin.write(b"go\n")
    mover.stdin.close()
    totals = []
    while mover.poll() is None:
        report = run("report", "--team", str(team), "--json")
        assert report.code == 0, report.err
        totals.append(report.json()["total"]["open"])
    assert mover.wait() == 0, mover.stderr.read() if mover.stderr else ""
    assert len(totals) >= 3, "the reports ran while the handoffs did"
    assert set(totals) == {count + 1}
    assert len(uids_in(team / "luca.json")) == count + 1


def test_a_malformed_handoff_file_blocks_no_agent_and_is_named(
    run: Run, home: Path, team: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    as_luca(run, home, "add", "ACME", "invoice", "--due", "tomorrow")
    run("add", "Maria", "call back", "--due", "tomorrow")
    broken = team / ".handoff-0000.json"
    broken.write_text('{"uid": "0000"}', encoding="utf-8")

    listed = run("list", "--json")
    assert listed.code == 0 and [loop["customer"] for loop in listed.json()] == ["Maria"]
    assert ".handoff-0000.json" in listed.err and "move the file aside" in listed.err
    assert run("add", "Li Wei", "warranty", "--due", "fri").code == 0
    assert run("handoff", "1", "--to", "luca", "--note", "over to you").code == 0
    monkeypatch.delenv("LOOPCLOSER_TEAM")
    alone = run("list", "--store", str(team / "luca.json"))
    assert alone.code == 0 and "Maria" in alone.out
    assert broken.exists(), "left for a person to look at"
