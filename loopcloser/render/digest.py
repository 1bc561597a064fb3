"""How the morning digest reads: plain text for a terminal or a pipe, JSON, Markdown."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TextIO

from loopcloser.core.model import Flag
from loopcloser.core.text import one_line, printable
from loopcloser.core.words import dated, language
from loopcloser.render.tables import loop_json

if TYPE_CHECKING:
    from datetime import date

    from loopcloser.core.digest import Digest, Section


def long_date(day: date) -> str:
    """A day in whole words, ``Thursday 27 November 2025``, in the language in use."""
    return dated(day, "%A %d %B %Y")


def heading(digest: Digest, agent: str) -> str:
    """The digest's title: the day it is for, and whose it is."""
    return f"{long_date(digest.day)}, {agent}"


def digest_text(digest: Digest, agent: str, width: int | None = None) -> str:
    """The digest as plain text: title, summary, then a small table per section.

    Within ``width`` (a mail's 80 columns), customers, promises and details wrap.
    """
    lines = [printable(heading(digest, agent)), printable(digest.summary)]
    for section in digest.sections:
        lines += ["", section.title, section_table(section, width)]
    return "\n".join(lines) + "\n"


def section_table(section: Section, width: int | None = None) -> str:
    """A section's loops as plain columns: id, customer, promise, detail."""
    from loopcloser.render.columns import Column, fitted_table, flat

    def cell(text: str, longest: int) -> str:
        # Cells that may wrap are whole; on one line they are cut to keep the table narrow.
        return one_line(text, longest) if width is None else flat(text)

    items = section.items
    columns = [
        Column("", [f"#{item.loop.id}" for item in items]),
        Column("", [cell(item.loop.customer, 30) for item in items], wraps=True),
        Column("", [cell(item.loop.promise, 50) for item in items], wraps=True),
        Column("", [cell(item.detail, 40) for item in items], wraps=True),
    ]
    lines, _ = fitted_table(columns, width)
    return "\n".join(lines[1:])  # no header: the section's title says what the rows are


def print_digest(digest: Digest, agent: str, out: TextIO, width: int | None = None) -> None:
    """The digest on a terminal: the same page as digest_text, with coloured titles."""
    from rich.console import Console
    from rich.text import Text

    console = Console(file=out, highlight=False, force_terminal=True)
    console.print(Text(heading(digest, agent), style="bold"))
    console.print(Text(digest.summary))
    for section in digest.sections:
        console.print()
        console.print(Text(section.title, style=f"bold {TERMINAL_COLOURS.get(section.key, '')}"))
        console.print(Text(section_table(section, width)))


# Keyed by section; a section about a flag is keyed by the flag's name.
TERMINAL_COLOURS: dict[str, str] = {
    Flag.OVERDUE: "red",
    Flag.DUE_TODAY: "yellow",
    Flag.UNTOLD: "yellow",
    Flag.SILENT: "magenta",
}


def digest_json(digest: Digest, agent: str) -> dict[str, Any]:
    """The digest for scripts: each section's loops as the loop contract, plus ``detail``."""
    return {
        "day": digest.day.isoformat(),
        "agent": agent,
        "summary": digest.summary,
        "sections": [
            {
                "key": section.key,
                "title": section.title,
                "loops": [
                    {**loop_json(item.loop, item.flags), "detail": item.detail}
                    for item in section.items
                ],
            }
            for section in digest.sections
        ],
    }


def markdown_text(text: str) -> str:
    """Text safe inside Markdown: control characters escaped, markup characters quoted."""
    escaped = printable(" ".join(text.split()))
    for character in "\\`*_[]<>#|":
        escaped = escaped.replace(character, "\\" + character)
    return escaped


def digest_markdown(digest: Digest, agent: str) -> str:
    """The digest as Markdown, for a chat message or a mail."""
    lines = [f"# {markdown_text(heading(digest, agent))}", "", markdown_text(digest.summary)]
    for section in digest.sections:
        lines += ["", f"## {section.title}", ""]
        lines += [
            f"- **#{item.loop.id} {markdown_text(item.loop.customer)}**: "
            f"{markdown_text(item.loop.promise)} ({markdown_text(item.detail)})"
            for item in section.items
        ]
    return "\n".join(lines) + "\n"


SECTION_COLOURS: dict[str, str] = {
    Flag.OVERDUE: "#b42318",
    Flag.DUE_TODAY: "#b54708",
    Flag.UNTOLD: "#b54708",
    Flag.SILENT: "#6941c6",
    "waiting": "#475467",
}


def digest_html(digest: Digest, agent: str) -> str:
    """The digest as one self-contained page: inline styles only, as mail clients need."""
    from html import escape

    def cell(text: str, style: str = "") -> str:
        return f'<td style="padding:4px 10px;{style}">{escape(printable(text))}</td>'

    title = escape(printable(heading(digest, agent)))
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{language()}"><head><meta charset="utf-8">',
        f"<title>{title}</title></head>",
        '<body style="font-family:Helvetica,Arial,sans-serif;color:#101828;margin:24px;">',
        f'<h1 style="font-size:20px;margin:0 0 4px;">{title}</h1>',
        f'<p style="margin:0 0 16px;color:#475467;">{escape(printable(digest.summary))}</p>',
    ]
    for section in digest.sections:
        colour = SECTION_COLOURS.get(section.key, "#101828")
        parts.append(
            f'<h2 style="font-size:16px;margin:18px 0 6px;color:{colour};">'
            f"{escape(section.title)}</h2>"
        )
        parts.append('<table style="border-collapse:collapse;font-size:14px;">')
        for item in section.items:
            parts.append(
                "<tr>"
                + cell(f"#{item.loop.id}", "color:#475467;")
                + cell(item.loop.customer, "font-weight:bold;")
                + cell(item.loop.promise)
                + cell(item.detail, f"color:{colour};white-space:nowrap;")
                + "</tr>"
            )
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
