"""The team report through the command, over a team folder with one broken store."""

from __future__ import annotations

import csv
import html.parser
import io
from pathlib import Path

from tests.conftest import Run, agent_env


def test_the_report_covers_every_agent_and_names_a_broken_store(
    run: Run, home: Path, team: Path
) -> None:
    run("add", "Maria", "call back", "--due", "today 11:00")
    run("add", "ACME", "invoice", "--due", "today 10:00", now="2026-11-24T08:00:00Z")
    run("close", "2", "--via", "phone", now="2026-11-24T08:30:00Z")
    run("add", "Li Wei", "warranty", "--due", "tomorrow", env=agent_env(home, "luca"))
    (team / "bob.json").write_text("garbage", encoding="utf-8")
    result = run("report", "--json", now="2026-11-25T12:00:00Z")
    assert result.code == 0, result.err
    assert "bob.json" in result.err
    data = result.json()
    agents = {row["agent"]: row for row in data["agents"]}
    assert set(agents) == {"anna", "luca"}
    assert (agents["anna"]["open"], agents["anna"]["overdue"], agents["anna"]["kept"]) == (1, 1, 1)
    assert data["total"]["open"] == 2
    assert len(data["trend"]) == 14
    rows = list(csv.DictReader(io.StringIO(run("report", "--csv").out)))
    assert [row["agent"] for row in rows] == ["anna", "luca", "all"]
    page = run("report", "--html").out
    assert "<svg" in page and page.startswith("<!DOCTYPE html>")
    html.parser.HTMLParser().feed(page)
    assert "# Open loops since" in run("report", "--markdown").out


def test_a_report_with_no_readable_store_fails(run: Run, team: Path) -> None:
    (team / "bob.json").write_text("garbage", encoding="utf-8")
    result = run("report")
    assert result.code == 5
    assert "no store could be read" in result.err


def test_a_mistyped_store_path_is_not_an_empty_report(run: Run, home: Path) -> None:
    result = run("report", "--store", str(home / "typo.json"))
    assert result.code == 5
    assert "no store at" in result.err


def test_a_shared_store_counts_each_loop_for_its_owner(run: Run, home: Path) -> None:
    run("add", "Maria", "call back", "--due", "tomorrow")
    run("add", "ACME", "invoice", "--due", "tomorrow", "--owner", "luca")
    data = run("report", "--store", str(home / "loops.json"), "--json").json()
    assert [row["agent"] for row in data["agents"]] == ["anna", "luca"]


def test_a_port_written_as_a_number_is_accepted(run: Run, home: Path) -> None:
    config = home / "config.toml"
    config.write_text(config.read_text(encoding="utf-8") + "smtp_port = 465\n", encoding="utf-8")
    assert run("config", "get", "smtp_port").out == "465\n"
