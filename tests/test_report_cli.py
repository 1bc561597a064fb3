"""The team report: one model shown in every format, and the command over a team folder."""

from __future__ import annotations

import csv
import html.parser
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from loopcloser.core.metrics import Part, Report, Unreadable, build_report
from loopcloser.core.text import cell_width
from loopcloser.render.report import (
    report_html,
    report_json,
    report_markdown,
    report_subject,
    report_text,
)
from tests.conftest import Run, agent_env, ran_without_root_powers
from tests.test_mail import Collector, parsed
from tests.test_metrics import DAY, NOW, ROME, SINCE, rome
from tests.test_metrics import team as a_team

EXECUTABLE = Path(sys.executable).parent / "loopcloser"
LATE = "2026-11-25T12:00:00Z"  # Wednesday 13:00 in Rome


class Page(html.parser.HTMLParser):
    """What a test needs of an HTML page: its headings, rows, chart and widths."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.viewport = ""
        self.headings: list[str] = []
        self.rows: list[tuple[str, str]] = []  # (class, text)
        self.svgs: list[dict[str, str]] = []
        self.svg_words: list[str] = []
        self.strong: list[str] = []
        self.stack: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if tag == "meta" and found.get("name") == "viewport":
            self.viewport = found.get("content", "")
        if tag == "svg":
            self.svgs.append(found)
        if tag == "tr":
            self.rows.append((found.get("class", ""), ""))
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        while self.stack and self.stack.pop() != tag:
            pass

    def handle_data(self, data: str) -> None:
        if "h2" in self.stack:
            self.headings.append(data)
        if "svg" in self.stack and "text" in self.stack:
            self.svg_words.append(data)
        if "strong" in self.stack:
            self.strong.append(data)
        if "tr" in self.stack and self.rows:
            kind, text = self.rows[-1]
            self.rows[-1] = (kind, text + data + " ")


def model() -> Report:
    """A team with every kind of wait, and one store that could not be read."""
    broken = [Unreadable("zeno", "store zeno.json is not valid JSON (line 1, column 2)")]
    return build_report(a_team(), NOW, ROME, SINCE, cadence=3 * DAY, unreadable=broken)


def test_every_section_of_the_model_is_in_every_format() -> None:
    report = model()
    data = report_json(report)
    pages = {
        "text": report_text(report).splitlines(),
        "markdown": [
            line.removeprefix("## ") for line in report_markdown(report).splitlines()
            if line.startswith("## ")
        ],
        "html": Page(report_html(report)).headings,
    }  # fmt: skip
    assert len(report.sections) == len(Part), "the model has every part, zeno included"
    for section in report.sections:
        for form, headings in pages.items():
            assert any(line.startswith(section.title) for line in headings), (section, form)
        assert section.key in data, section
    for form, page in (("text", report_text(report)), ("markdown", report_markdown(report)),
                       ("html", report_html(report)), ("json", json.dumps(data))):  # fmt: skip
        assert "zeno" in page, form
        for wait in report.longest_waiting:
            assert wait.loop.customer in page and wait.loop.promise in page, (form, wait)


def test_the_subject_says_the_numbers_and_a_store_not_read() -> None:
    assert report_subject(model()) == "Open loops: 2 overdue, 1 untold, 4 open (1 store not read)"
    one = build_report([("anna", a_team()[4][1])], NOW, ROME, SINCE)  # done, not yet told
    assert report_subject(one) == "Open loops: 0 overdue, 1 untold, 1 open"
    late = build_report([("anna", a_team()[4][1])], rome(30, 18), ROME, SINCE)
    assert report_subject(late) == "Open loops: 1 overdue, 1 untold, 1 open"


def test_the_report_covers_every_agent_and_names_a_broken_store(
    run: Run, home: Path, team: Path
) -> None:
    run("add", "Maria", "call back", "--due", "today 11:00")
    run("add", "ACME", "invoice", "--due", "today 10:00", now="2026-11-24T08:00:00Z")
    run("close", "2", "--via", "phone", now="2026-11-24T08:30:00Z")
    run("add", "Li Wei", "warranty", "--due", "tomorrow", env=agent_env(home, "luca"))
    (team / "bob.json").write_text("garbage", encoding="utf-8")
    result = run("report", "--json", now="2026-11-25T12:00:00Z")
    assert result.code == 5, "incomplete: " + result.err
    assert "bob.json" in result.err
    data = result.json()
    agents = {row["agent"]: row for row in data["agents"]}
    assert set(agents) == {"anna", "luca"}
    assert (agents["anna"]["open"], agents["anna"]["overdue"], agents["anna"]["kept"]) == (1, 1, 1)
    assert data["total"]["open"] == 2
    assert len(data["trend"]) == 14
    assert [item["agent"] for item in data["unreadable"]] == ["bob"]
    assert "not valid JSON" in data["unreadable"][0]["reason"]
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


LONG_AGENT = "giovanna.della.rovere"
LONG_CUSTOMER = "Fondazione per la Conservazione del Patrimonio Artistico"
LONG_PROMISE = (
    "confirm whether the replacement parts for the industrial dishwasher have shipped from Verona"
)


def busy_team(run: Run, home: Path, team: Path) -> None:
    """Anna with an overdue and a silent loop, a colleague with a long name and long
    words, luca with work done but not told, and zeno's store corrupt."""
    created = "2026-11-20T09:00:00Z"
    for args in (["Maria Rossi", "call back about the refund", "--due", "2026-11-23 12:00"],
                 ["ACME", "send the corrected invoice", "--due", "2026-11-30 17:00",
                  "--every", "1d"]):  # fmt: skip
        assert run("add", *args, now=created).code == 0
    long_env = agent_env(home, LONG_AGENT)
    added = run("add", LONG_CUSTOMER, LONG_PROMISE, "--due", "2026-11-24 10:00", env=long_env,
                now=created)  # fmt: skip
    assert added.code == 0, added.err
    luca = agent_env(home, "luca")
    assert run("add", "Li Wei", "warranty", "--due", "2026-11-26 12:00", env=luca).code == 0
    assert run("done", "1", "replaced", env=luca).code == 0
    (team / "zeno.json").write_text("{not json", encoding="utf-8")


HEADER_WORDS = {
    *("AGENT", "OPEN", "OVERDUE", "UNTOLD", "SILENT", "WAITING", "CLOSED", "KEPT", "RENEG."),
    *("LATE", "%", "MEDIAN", "WHY", "DUE", "CUSTOMER", "PROMISE", "OWNER"),
}


def test_the_report_fits_80_columns_without_splitting_a_header_or_a_word(
    run: Run, home: Path, team: Path
) -> None:
    busy_team(run, home, team)
    result = run("report", now=LATE, env={"COLUMNS": "80"})
    assert result.code == 5, result.err
    lines = result.out.splitlines()
    assert max(map(cell_width, lines)) <= 80, "\n".join(lines)
    headers = [line for line in lines if line.split()[:1] in (["AGENT"], ["WAITING"])]
    assert len(headers) == 3, "zeno's, the agents' and the waits' tables"
    for header in headers:
        assert set(header.split()) <= HEADER_WORDS, header
    assert {"AGENT", "OPEN", "OVERDUE", "UNTOLD"} <= set(headers[1].split())
    assert "Left out at 80 columns: renegotiated" in result.out
    words = set(re.findall(r"\S+", result.out))
    assert set(LONG_PROMISE.split()) <= words, "every word of the promise, whole"
    assert set(LONG_CUSTOMER.split()) <= words
    assert result.out.count("Maria Rossi") == 1, "one row per loop"
    wide = run("report", now=LATE, env={"COLUMNS": "200"}).out
    assert "RENEG." in wide and "Left out" not in wide
    assert f"{LONG_AGENT}  " in wide, "a wide page shows the whole name"


def test_customers_waiting_longest_are_overdue_first_then_silent(
    run: Run, home: Path, team: Path
) -> None:
    busy_team(run, home, team)
    data = run("report", "--json", now=LATE).json()
    rows = [(row["customer"], row["why"], row["days_late"]) for row in data["longest_waiting"]]
    assert rows == [
        ("Maria Rossi", "overdue", 2.0),
        (LONG_CUSTOMER, "overdue", 1.1),
        ("ACME", "silent", None),
    ]
    assert data["longest_waiting"][2]["days"] == 5.1
    assert data["longest_waiting"][1]["agent"] == LONG_AGENT
    assert data["longest_waiting"][0]["due"] == "2026-11-23T11:00:00Z"


def test_the_html_report_fits_a_phone_and_marks_overdue_rows_in_words(
    run: Run, home: Path, team: Path
) -> None:
    busy_team(run, home, team)
    result = run("report", "--html", now=LATE)
    assert result.code == 5, result.err
    page = Page(result.out)
    assert "width=device-width" in page.viewport
    (svg,) = page.svgs
    assert svg.get("viewbox"), "the chart scales to its box"
    width = svg.get("width", "")
    assert width.endswith("%") or int(width.removesuffix("px")) <= 400, width
    assert not re.search(r"width:\s*(\d{4,}|[4-9]\d\d)px", result.out), "no fixed wide box"
    assert {"open", "overdue"} <= {word.split()[0] for word in page.svg_words}, "a legend"
    overdue = [text for kind, text in page.rows if kind == "overdue"]
    assert len(overdue) == 2 and all("overdue by" in text for text in overdue)
    assert any(word.startswith("overdue by") for word in page.strong), "in bold, not colour"
    silent = [text for kind, text in page.rows if kind == "silent"]
    assert len(silent) == 1 and "ACME" in silent[0]
    (unreadable,) = [text for kind, text in page.rows if kind == "unreadable"]
    assert "zeno" in unreadable and "not valid JSON" in unreadable
    for section in ("Stores that could not be read", "By agent", "Overdue by age",
                    "Customers waiting longest", "Last 14 days"):  # fmt: skip
        assert any(heading.startswith(section) for heading in page.headings), section


def test_the_mailed_report_says_its_numbers_in_the_subject_and_fits_80_columns(
    run: Run, home: Path, team: Path, mailbox: Collector
) -> None:
    busy_team(run, home, team)
    result = run("report", "--send", "email", now=LATE, env={"COLUMNS": "200"})
    assert result.code == 5, "sent, but incomplete: " + result.err
    assert "Sent the report" in result.err
    (envelope,) = mailbox.envelopes
    message = parsed(envelope)
    assert message["Subject"] == "Open loops: 2 overdue, 1 untold, 4 open (1 store not read)"
    text = message.get_body(("plain",))
    html_part = message.get_body(("html",))
    assert text is not None and html_part is not None
    lines = text.get_content().splitlines()
    assert max(map(cell_width, lines)) <= 80, "the text part keeps to 80 columns"
    assert "Customers waiting longest" in lines and "Stores that could not be read" in lines
    headings = Page(html_part.get_content()).headings
    assert "Customers waiting longest" in headings and "Stores that could not be read" in headings


def test_a_store_without_read_permission_is_a_row_of_the_report(
    run: Run, home: Path, team: Path, request: pytest.FixtureRequest
) -> None:
    if ran_without_root_powers(request):  # root reads any file
        return
    run("add", "Maria Rossi", "call back", "--due", "tomorrow")
    run("add", "Li Wei", "warranty", "--due", "tomorrow", env=agent_env(home, "luca"))
    (team / "luca.json").chmod(0)
    try:
        result = run("report", "--json")
    finally:
        (team / "luca.json").chmod(0o600)
    assert result.code == 5
    (row,) = result.json()["unreadable"]
    assert row["agent"] == "luca" and "Permission denied" in row["reason"]


def test_an_incomplete_report_through_the_installed_program(tmp_path: Path) -> None:
    folder = tmp_path / "team"
    folder.mkdir()
    config = tmp_path / "config.toml"
    config.write_text('agent = "anna"\ntimezone = "Europe/Rome"\n', encoding="utf-8")
    env = {name: value for name, value in os.environ.items() if not name.startswith("LOOPCLOSER")}
    env |= {"LOOPCLOSER_CONFIG": str(config), "LOOPCLOSER_TEAM": str(folder),
            "LOOPCLOSER_NOW": LATE, "COLUMNS": "80"}  # fmt: skip

    def loopcloser(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(EXECUTABLE), *args], env=env, capture_output=True, text=True,
                              check=False, stdin=subprocess.DEVNULL)  # fmt: skip

    added = loopcloser("add", "Maria", "call back", "--due", "2026-11-24 12:00", "--allow-past")
    assert added.returncode == 0, added.stderr
    (folder / "zeno.json").write_text("{not json", encoding="utf-8")
    result = loopcloser("report", "--json")
    assert result.returncode == 5, result.stderr
    assert "Traceback" not in result.stderr
    error = json.loads(result.stderr.splitlines()[-1])
    assert (error["error"], error["exit_code"]) == ("store", 5)
    assert "zeno" in error["message"]
    data = json.loads(result.stdout)
    assert [row["agent"] for row in data["unreadable"]] == ["zeno"]
    assert data["total"]["overdue"] == 1
    page = tmp_path / "report.html"
    written = loopcloser("report", "--html", "-o", str(page))
    assert written.returncode == 5, written.stderr
    assert len(written.stderr.splitlines()) == 3, "a warning, where it wrote, the one-line error"
    rows = Page(page.read_text(encoding="utf-8")).rows
    assert any(kind == "unreadable" and "zeno" in text for kind, text in rows)
    text = loopcloser("report")
    assert text.returncode == 5 and "Stores that could not be read" in text.stdout
    assert text.stderr.splitlines()[-1].startswith("loopcloser: the report is incomplete")
