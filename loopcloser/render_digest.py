"""How the morning digest reads: plain text for a terminal or a pipe, JSON, Markdown."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from loopcloser.render import loop_json, one_line, plain_table, printable

if TYPE_CHECKING:
    from loopcloser.digest import Digest


def heading(digest: Digest, agent: str) -> str:
    """The digest's title: the day it is for, and whose it is."""
    return f"{digest.day:%A %d %B %Y}, {agent}"


def digest_text(digest: Digest, agent: str) -> str:
    """The digest as plain text: title, summary, then a small table per section."""
    lines = [printable(heading(digest, agent)), printable(digest.summary)]
    for section in digest.sections:
        rows = [
            [f"#{item.loop.id}", one_line(item.loop.customer, 30), one_line(item.loop.promise, 50),
             one_line(item.detail, 40)]
            for item in section.items
        ]  # fmt: skip
        lines += ["", section.title, plain_table(rows).rstrip("\n")]
    return "\n".join(lines) + "\n"


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
