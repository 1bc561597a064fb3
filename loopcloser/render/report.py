"""How the team report reads: a terminal page with a chart, JSON, CSV, Markdown, HTML."""

from __future__ import annotations

import csv
import io
from html import escape
from typing import TYPE_CHECKING, Any

from loopcloser.core.metrics import STAT_NAMES
from loopcloser.core.model import in_words
from loopcloser.core.text import inert_cell, one_line, printable
from loopcloser.render.tables import plain_table

if TYPE_CHECKING:
    from loopcloser.core.metrics import AgentStats, Report

BARS = " ▁▂▃▄▅▆▇█"


def rate(value: float | None) -> str:
    """A kept-on-time rate as a percentage, or a dash when nothing closed."""
    return "-" if value is None else f"{value:.0%}"


def days(value: float | None) -> str:
    """Median days late, or a dash."""
    return "-" if value is None else f"{value:.1f}"


def stats_row(stats: AgentStats) -> list[str]:
    """One agent's numbers as table cells."""
    values = [getattr(stats, name) for name in STAT_NAMES[1:10]]
    return [one_line(stats.agent, 24), *map(str, values), rate(stats.kept_rate),
            days(stats.median_days_late)]  # fmt: skip


def sparkline(values: list[int]) -> str:
    """A row of block characters, one per day, scaled to the largest value."""
    top = max(values, default=0) or 1
    return "".join(BARS[round(value / top * (len(BARS) - 1))] for value in values)


def report_text(report: Report, title: str) -> str:
    """The report as plain text: per agent, ageing, waiting longest, and the trend."""
    header = ["AGENT", "OPEN", "OVERDUE", "UNTOLD", "SILENT", "WAITING", "CLOSED", "KEPT",
              "RENEG.", "LATE", "KEPT %", "MEDIAN LATE"]  # fmt: skip
    rows = [stats_row(stats) for stats in report.agents] + [stats_row(report.total)]
    lines = [printable(title), "", plain_table([header, *rows]).rstrip("\n"), "", "Overdue by age"]
    lines += [f"  {bucket:<12}{count}" for bucket, count in report.ageing.items()]
    if report.longest_waiting:
        lines += ["", "Customers waiting longest"]
        lines += [
            f"  {days(waited):>6}d  {printable(agent)} #{loop.id}  {one_line(loop.customer, 40)}"
            for agent, loop, waited in report.longest_waiting
        ]
    if report.trend:
        first, last = report.trend[0][0], report.trend[-1][0]
        lines += ["", f"Last {len(report.trend)} days ({first:%d %b} to {last:%d %b})"]
        lines.append(f"  open     {sparkline([open_ for _, open_, _ in report.trend])}")
        lines.append(f"  overdue  {sparkline([overdue for _, _, overdue in report.trend])}")
    return "\n".join(lines) + "\n"


def stats_json(stats: AgentStats) -> dict[str, Any]:
    """One agent's numbers for scripts."""
    return {name: getattr(stats, name) for name in STAT_NAMES}


def report_json(report: Report, since: str) -> dict[str, Any]:
    """The report for scripts and dashboards."""
    return {
        "since": since,
        "agents": [stats_json(stats) for stats in report.agents],
        "total": stats_json(report.total),
        "ageing": dict(report.ageing),
        "longest_waiting": [
            {
                "agent": agent,
                "id": loop.id,
                "uid": loop.uid,
                "customer": loop.customer,
                "days": round(waited, 1),
            }
            for agent, loop, waited in report.longest_waiting
        ],
        "trend": [
            {"day": day.isoformat(), "open": open_, "overdue": overdue}
            for day, open_, overdue in report.trend
        ],
    }


def report_csv(report: Report) -> str:
    """One row per agent and a total row, with a header a spreadsheet reads."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(STAT_NAMES)
    for stats in [*report.agents, report.total]:
        writer.writerow(
            [inert_cell(stats.agent), *(getattr(stats, name) for name in STAT_NAMES[1:10]),
             "" if stats.kept_rate is None else f"{stats.kept_rate:.4f}",
             "" if stats.median_days_late is None else f"{stats.median_days_late:.1f}"]
        )  # fmt: skip
    return buffer.getvalue()


def report_markdown(report: Report, title: str) -> str:
    """The report as Markdown tables."""
    names = [*STAT_NAMES[:10], "kept %", "median days late"]
    header = "| " + " | ".join(in_words(name) for name in names) + " |"
    lines = [f"# {printable(title)}", "", header, "|" + "---|" * len(names)]
    for stats in [*report.agents, report.total]:
        cells = stats_row(stats)
        cells[0] = cells[0].replace("|", "\\|")
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "## Overdue by age", ""]
    lines += [f"- {bucket}: {count}" for bucket, count in report.ageing.items()]
    return "\n".join(lines) + "\n"


def trend_svg(report: Report, width: int = 560, height: int = 140) -> str:
    """The 14-day trend as an inline SVG: open loops and overdue ones, one point a day."""
    points = report.trend
    if not points:
        return ""
    top = max(max(open_ for _, open_, _ in points), 1)
    step = width / max(len(points) - 1, 1)

    def line(values: list[int], colour: str) -> str:
        path = " ".join(
            f"{index * step:.1f},{height - 10 - value / top * (height - 20):.1f}"
            for index, value in enumerate(values)
        )
        return f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{path}"/>'

    label = 'font-family="Helvetica,Arial,sans-serif" font-size="11" fill="#475467"'
    first, last = points[0][0], points[-1][0]
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height + 16}" '
        f'viewBox="0 0 {width} {height + 16}" role="img" aria-label="open and overdue loops">'
        + line([open_ for _, open_, _ in points], "#175cd3")
        + line([overdue for _, _, overdue in points], "#b42318")
        + f'<text x="0" y="{height + 12}" {label}>{first:%d %b}</text>'
        + f'<text x="{width}" y="{height + 12}" text-anchor="end" {label}>{last:%d %b}</text>'
        + f'<text x="0" y="10" {label}>{top} open at most</text>'
        + "</svg>"
    )


def report_html(report: Report, title: str) -> str:
    """The report as one self-contained page: tables and the trend as inline SVG."""
    cell = 'style="padding:4px 8px;border-bottom:1px solid #eaecf0;"'
    header = "".join(f"<th {cell}>{escape(in_words(name))}</th>" for name in STAT_NAMES)
    rows = "".join(
        "<tr>"
        + "".join(f"<td {cell}>{escape(printable(value))}</td>" for value in stats_row(stats))
        + "</tr>"
        for stats in [*report.agents, report.total]
    )
    ageing = "".join(
        f"<li>{escape(bucket)}: {count}</li>" for bucket, count in report.ageing.items()
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(printable(title))}</title></head>\n"
        '<body style="font-family:Helvetica,Arial,sans-serif;color:#101828;margin:24px;">\n'
        f'<h1 style="font-size:20px;">{escape(printable(title))}</h1>\n'
        f'<table style="border-collapse:collapse;font-size:14px;"><tr>{header}</tr>{rows}</table>\n'
        f'<h2 style="font-size:16px;">Overdue by age</h2><ul>{ageing}</ul>\n'
        '<h2 style="font-size:16px;">Open (blue) and overdue (red), last days</h2>\n'
        f"{trend_svg(report)}\n</body></html>\n"
    )
