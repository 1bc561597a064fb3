"""The morning digest through the command: text, JSON and Markdown."""

from __future__ import annotations

import html.parser
from collections.abc import Callable
from pathlib import Path

from tests.conftest import Run

Add = Callable[..., int]


def test_the_digest_has_each_section_and_a_summary(run: Run, home: Path) -> None:
    demo = str(home / "demo.json")
    run("demo", "--store", demo)
    text = run("digest", "--store", demo)
    assert text.code == 0, text.err
    lines = text.out.splitlines()
    assert lines[0] == "Wednesday 25 November 2026, anna"
    assert lines[1].startswith("1 overdue · 1 due today")
    for title in ("Overdue", "Due today", "Done but not told", "Silent", "Waiting on others",
                  "Closed yesterday"):  # fmt: skip
        assert title in lines
    data = run("digest", "--store", demo, "--json").json()
    keys = [section["key"] for section in data["sections"]]
    assert keys[0] == "overdue" and keys[-1] == "closed_yesterday"
    where = {
        loop["customer"]: section["key"]
        for section in data["sections"]
        for loop in section["loops"]
    }
    assert where["ACME Logistics"] == "untold", "done work is listed once, as untold"
    first = data["sections"][0]["loops"][0]
    assert (first["customer"], first["overdue"], first["detail"]) == (
        "Maria Rossi",
        True,
        "22h late",
    )
    markdown = run("digest", "--store", demo, "--markdown").out
    assert markdown.startswith("# Wednesday 25 November 2026, anna\n")
    assert "## Overdue" in markdown and "- **#1 Maria Rossi**:" in markdown


def test_an_empty_digest_says_all_is_closed(run: Run) -> None:
    result = run("digest", "--json")
    assert result.json()["sections"] == []
    assert "every promise is closed" in result.json()["summary"]


def test_digest_for_another_day_and_agent(run: Run, add: Add) -> None:
    add("Maria", "call back", "--due", "fri 12:00")
    add("ACME", "invoice", "--due", "fri 12:00", "--owner", "luca")
    friday = run("digest", "--date", "fri", "--agent", "luca", "--json").json()
    assert friday["day"] == "2026-11-27" and friday["agent"] == "luca"
    assert [loop["customer"] for section in friday["sections"] for loop in section["loops"]] == [
        "ACME"
    ]


def test_the_html_digest_is_one_page_with_every_text_escaped(
    run: Run, add: Add, home: Path
) -> None:
    add("<script>alert(1)</script> & Co", "call <b>back</b>", "--due", "today 11:00")
    target = home / "digest.html"
    result = run("digest", "--html", "--output", str(target), now="2026-11-25T12:00:00Z")
    assert result.code == 0, result.err
    page = target.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in page
    assert "<link" not in page and "src=" not in page, "self-contained: nothing to fetch"
    parser = html.parser.HTMLParser()
    parser.feed(page)
    assert run("digest", "--html", "--json").code == 2


def test_the_digest_is_coloured_only_on_a_terminal(run: Run, add: Add, home: Path) -> None:
    import io
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from loopcloser.core.digest import build
    from loopcloser.core.documents import load
    from loopcloser.core.when import Calendar
    from loopcloser.render.digest import print_digest
    from loopcloser.storage.store import Store

    add("Maria Rossi", "call back", "--due", "today 11:00")
    loops = [load(key, doc) for key, doc in Store(home / "loops.json").documents().items()]
    page = build(loops, datetime(2026, 11, 25, 12, tzinfo=UTC), Calendar(ZoneInfo("Europe/Rome")))
    terminal = io.StringIO()
    print_digest(page, "anna", terminal)
    assert "\x1b[1;31mOverdue" in terminal.getvalue()
    assert "\x1b[" not in run("digest", now="2026-11-25T12:00:00Z").out
