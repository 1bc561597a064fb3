"""How the team report reads: terminal text, JSON, Markdown and HTML of one model, and CSV.

Text, Markdown, HTML and JSON each walk the report's sections (``Report.sections``)
and render every one through a table keyed by section: a section the model gains is
a KeyError in each format until that format shows it, never a part silently left
out. CSV is the per-agent table alone, for a spreadsheet.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from html import escape
from typing import TYPE_CHECKING, Any

from loopcloser.core.digest import span
from loopcloser.core.metrics import STAT_NAMES, TOTAL, Part, Why
from loopcloser.core.model import in_words, to_utc_text
from loopcloser.core.text import cell_width, inert_cell, one_line, printable
from loopcloser.core.when import describe_due
from loopcloser.core.words import N_, NP_, _, dated, language, n_, p_
from loopcloser.render.columns import TEXT_WIDTH, Column, fitted_table, flat, wrap
from loopcloser.render.digest import markdown_text
from loopcloser.render.tables import local_time

if TYPE_CHECKING:
    from loopcloser.core.metrics import AgentStats, Report, Section, Waiting

BARS = " ▁▂▃▄▅▆▇█"
# The per-agent table's columns: the statistic, its header, and when it is left out of
# a narrow page (1 first; None: always shown). What a lead acts on today stays longest.
# Headers are looked up (p_, context "per agent") where the table is drawn.
AGENT_COLUMNS: tuple[tuple[str, str, int | None], ...] = (
    ("agent", NP_("per agent", "AGENT"), None),
    ("open", NP_("per agent", "OPEN"), None),
    ("overdue", NP_("per agent", "OVERDUE"), None),
    ("untold", NP_("per agent", "UNTOLD"), None),
    ("silent", NP_("per agent", "SILENT"), 8),
    ("waiting", NP_("per agent", "WAITING"), 7),
    ("closed", NP_("per agent", "CLOSED"), 5),
    ("kept", NP_("per agent", "KEPT"), 2),
    ("renegotiated", NP_("per agent", "RENEG."), 1),
    ("late", NP_("per agent", "LATE"), 4),
    ("kept_rate", NP_("per agent", "KEPT %"), 6),
    ("median_days_late", NP_("per agent", "MEDIAN LATE"), 3),
)
COLUMN_WORDS = {name: in_words(name) for name in STAT_NAMES} | {"kept_rate": "kept %"}
"""What each per-agent column is called in words: Markdown's and HTML's headers."""
# The same words, for the catalog: each is looked up with column_words (context "per agent").
COUNTED_WORDS = (NP_("per agent", "agent"), NP_("per agent", "open"),
                 NP_("per agent", "overdue"), NP_("per agent", "untold"),
                 NP_("per agent", "silent"), NP_("per agent", "waiting"),
                 NP_("per agent", "closed"), NP_("per agent", "kept"),
                 NP_("per agent", "renegotiated"), NP_("per agent", "late"),
                 NP_("per agent", "kept %"), NP_("per agent", "median days late"))  # fmt: skip
NOBODY_WAITING = N_("No customer waits on an overdue or silent loop.")


def rate(value: float | None) -> str:
    """A kept-on-time rate as a percentage, or a dash when nothing closed."""
    return "-" if value is None else f"{value:.0%}"


def days(value: float | None) -> str:
    """Days to one decimal, or a dash."""
    return "-" if value is None else f"{value:.1f}"


def stats_row(stats: AgentStats, total: bool = False) -> list[str]:
    """One agent's numbers as table cells, in the order of STAT_NAMES; the ``total`` line
    is named in words (JSON and CSV keep the name ``all``)."""
    values = [getattr(stats, name) for name in STAT_NAMES[1:10]]
    agent = p_("agent", TOTAL) if total else stats.agent
    return [one_line(agent, 24), *map(str, values), rate(stats.kept_rate),
            days(stats.median_days_late)]  # fmt: skip


def sparkline(values: list[int]) -> str:
    """A row of block characters, one per day, scaled to the largest value."""
    top = max(values, default=0) or 1
    return "".join(BARS[round(value / top * (len(BARS) - 1))] for value in values)


def column_words(name: str) -> str:
    """A per-agent column's name in words, in the language in use: ``kept %``."""
    return p_("per agent", COLUMN_WORDS[name])


def report_title(report: Report) -> str:
    """The report's title: the start of its period, in the lead's time zone."""
    since = local_time(report.since, report.tz, report.now)
    return _("Open loops since {moment}").format(moment=since)


def report_subject(report: Report) -> str:
    """A mail subject that tells the day's numbers, and when a store was left out."""
    total = report.total
    subject = n_(
        "Open loops: {overdue} overdue, {untold} untold, {open} open",
        "Open loops: {overdue} overdue, {untold} untold, {open} open",
        total.open,
    ).format(overdue=total.overdue, untold=total.untold, open=total.open)
    if report.unreadable:
        count = len(report.unreadable)
        subject = n_(
            "{subject} ({count} store not read)", "{subject} ({count} stores not read)", count
        ).format(subject=subject, count=count)
    return subject


def day_month(day: date) -> str:
    """A day of the trend as ``27 Nov``, the month named in the language in use."""
    return dated(datetime.combine(day, time()), "%d %b")


def heading(report: Report, section: Section) -> str:
    """A section's heading: its title, and for the trend the days it spans."""
    if section.key is Part.TREND and report.trend:
        first, last = report.trend[0][0], report.trend[-1][0]
        return _("{title}, {first} to {last}").format(
            title=section.title, first=day_month(first), last=day_month(last)
        )
    return section.title


def waiting_words(wait: Waiting) -> str:
    """Why and how long a customer waits: ``overdue by 2.1 days``."""
    if wait.why is Why.OVERDUE:
        return _("overdue by {days} days").format(days=days(wait.days_late))
    return _("silent for {days} days").format(days=days(wait.days_silent))


def waiting_span(report: Report, wait: Waiting) -> str:
    """The same, short, as ``list`` says it: ``22h late``, ``3d late``, ``silent 4d``."""
    if wait.why is Why.OVERDUE:
        return describe_due(wait.due, report.now, narrow=True)
    return _("silent {span}").format(span=span(timedelta(days=wait.days_silent), narrow=True))


def due_words(report: Report, wait: Waiting, short: bool = False) -> str:
    """The due the customer holds, as the lead reads it; short without the weekday."""
    if short:
        local, now = wait.due.astimezone(report.tz), report.now.astimezone(report.tz)
        return dated(local, "%d %b %H:%M" if local.year == now.year else "%d %b %Y %H:%M")
    return local_time(wait.due, report.tz, report.now)


# --- text: a terminal or a mail, within a width ---------------------------------------


def text_unreadable(report: Report, width: int) -> list[str]:
    """Each store not read: its agent and why, wrapped to the width."""
    reasons = [
        flat(_("not read: {reason}").format(reason=item.reason)) for item in report.unreadable
    ]
    agents = [one_line(item.agent, 24) for item in report.unreadable]
    columns = [
        Column(p_("column", "AGENT"), agents, wraps=True),
        Column(p_("column", "WHY"), reasons, wraps=True),
    ]
    lines, _left_out = fitted_table(columns, width)
    return lines


def text_agents(report: Report, width: int) -> list[str]:
    """The per-agent table, its least needed columns left out (and named) when narrow."""
    rows = [stats_row(stats, stats is report.total) for stats in [*report.agents, report.total]]
    columns = [
        Column(p_("per agent", header), [row[STAT_NAMES.index(name)] for row in rows], drop,
               wraps=name == "agent", name=column_words(name))
        for name, header, drop in AGENT_COLUMNS
    ]  # fmt: skip
    lines, left_out = fitted_table(columns, width)
    if left_out:
        names = ", ".join(column.name for column in left_out)
        note = _("Left out at {width} columns: {names} (--csv or --json has every column).").format(
            width=width, names=names
        )
        lines += wrap(note, width)
    return lines


def text_ageing(report: Report, width: int) -> list[str]:
    """Overdue loops counted by how late they are."""
    labels = [_(bucket) for bucket in report.ageing]
    size = max([11, *map(cell_width, labels)]) + 1  # 12 in English
    return [
        f"  {label}{' ' * (size - cell_width(label))}{count}"
        for label, count in zip(labels, report.ageing.values(), strict=True)
    ]


def text_waiting(report: Report, width: int) -> list[str]:
    """The customers waiting longest: why, due, customer, promise and owner."""
    waits = report.longest_waiting
    if not waits:
        return ["  " + line for line in wrap(_(NOBODY_WAITING), width - 2)]
    columns = [
        Column(p_("column", "WAITING"), [waiting_span(report, wait) for wait in waits]),
        Column(p_("column", "DUE"), [due_words(report, wait, short=True) for wait in waits]),
        Column(p_("column", "CUSTOMER"), [flat(wait.loop.customer) for wait in waits], wraps=True),
        Column(p_("column", "PROMISE"), [flat(wait.loop.promise) for wait in waits], wraps=True),
        Column(p_("column", "OWNER"), [one_line(wait.agent, 24) for wait in waits]),
    ]
    lines, _left_out = fitted_table(columns, width)
    return lines


def text_trend(report: Report, width: int) -> list[str]:
    """The trend as two sparklines, with today's counts."""
    opened = [open_ for _day, open_, _late in report.trend]
    overdue = [late for _day, _open, late in report.trend]
    labels = [p_("trend", "open"), p_("trend", "overdue")]
    size = max(map(cell_width, labels)) + 2  # 9 in English
    return [
        f"  {label}{' ' * (size - cell_width(label))}{sparkline(values)}  "
        + _("{count} now").format(count=values[-1] if values else 0)
        for label, values in zip(labels, (opened, overdue), strict=True)
    ]


TEXT: dict[Part, Callable[[Report, int], list[str]]] = {
    Part.UNREADABLE: text_unreadable,
    Part.AGENTS: text_agents,
    Part.AGEING: text_ageing,
    Part.LONGEST_WAITING: text_waiting,
    Part.TREND: text_trend,
}


def report_text(report: Report, width: int = TEXT_WIDTH) -> str:
    """The report as plain text within ``width`` columns: every section, titled."""
    lines = wrap(printable(report_title(report)), width)
    for section in report.sections:
        lines += ["", *wrap(heading(report, section), width), *TEXT[section.key](report, width)]
    return "\n".join(lines) + "\n"


# --- JSON ------------------------------------------------------------------------------


def stats_json(stats: AgentStats) -> dict[str, Any]:
    """One agent's numbers for scripts."""
    return {name: getattr(stats, name) for name in STAT_NAMES}


def waiting_json(wait: Waiting) -> dict[str, Any]:
    """One customer waiting longest, for scripts."""
    return {
        "agent": wait.agent,
        "id": wait.loop.id,
        "uid": wait.loop.uid,
        "customer": wait.loop.customer,
        "promise": wait.loop.promise,
        "due": to_utc_text(wait.due),
        "why": str(wait.why),
        "days": wait.days_silent,
        "days_late": wait.days_late,
    }


JSON: dict[Part, Callable[[Report], dict[str, Any]]] = {
    Part.UNREADABLE: lambda report: {
        "unreadable": [{"agent": item.agent, "reason": item.reason} for item in report.unreadable]
    },
    Part.AGENTS: lambda report: {
        "agents": [stats_json(stats) for stats in report.agents],
        "total": stats_json(report.total),
    },
    Part.AGEING: lambda report: {"ageing": dict(report.ageing)},
    Part.LONGEST_WAITING: lambda report: {
        "longest_waiting": [waiting_json(wait) for wait in report.longest_waiting]
    },
    Part.TREND: lambda report: {
        "trend": [
            {"day": day.isoformat(), "open": open_, "overdue": overdue}
            for day, open_, overdue in report.trend
        ]
    },
}


def report_json(report: Report) -> dict[str, Any]:
    """The report for scripts and dashboards: every part, an empty one as ``[]``."""
    data: dict[str, Any] = {"since": to_utc_text(report.since)}
    for part in Part:  # every part, shown or not: scripts rely on each field
        data.update(JSON[part](report))
    return data


# --- CSV -------------------------------------------------------------------------------


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


# --- Markdown --------------------------------------------------------------------------


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """A Markdown table; cells must already be Markdown."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def markdown_unreadable(report: Report) -> list[str]:
    """Each store not read, as a Markdown table."""
    rows = [
        [
            f"**{markdown_text(item.agent)}**",
            _("not read: {reason}").format(reason=markdown_text(item.reason)),
        ]
        for item in report.unreadable
    ]
    return markdown_table([p_("column", "agent"), p_("column", "why")], rows)


def markdown_agents(report: Report) -> list[str]:
    """The per-agent table, every column."""
    rows = []
    for stats in [*report.agents, report.total]:
        cells = stats_row(stats, stats is report.total)
        rows.append([markdown_text(cells[0]), *cells[1:]])
    return markdown_table([column_words(name) for name in STAT_NAMES], rows)


def markdown_ageing(report: Report) -> list[str]:
    """Overdue loops by age, as a list."""
    return [f"- {_(bucket)}: {count}" for bucket, count in report.ageing.items()]


def markdown_waiting(report: Report) -> list[str]:
    """The customers waiting longest; an overdue row's words in bold."""
    if not report.longest_waiting:
        return [_(NOBODY_WAITING)]
    rows = [
        [
            f"**{waiting_words(wait)}**" if wait.why is Why.OVERDUE else waiting_words(wait),
            due_words(report, wait),
            markdown_text(wait.loop.customer),
            markdown_text(wait.loop.promise),
            markdown_text(wait.agent),
        ]
        for wait in report.longest_waiting
    ]
    return markdown_table(waiting_header(), rows)


def waiting_header() -> list[str]:
    """The headers of the customers waiting longest, in Markdown and HTML."""
    return [p_("column", "waiting"), p_("column", "due"), p_("column", "customer"),
            p_("column", "promise"), p_("column", "owner")]  # fmt: skip


def markdown_trend(report: Report) -> list[str]:
    """The sparklines in a code block, which keeps their columns."""
    return ["```text", *(line.removeprefix("  ") for line in text_trend(report, 0)), "```"]


MARKDOWN: dict[Part, Callable[[Report], list[str]]] = {
    Part.UNREADABLE: markdown_unreadable,
    Part.AGENTS: markdown_agents,
    Part.AGEING: markdown_ageing,
    Part.LONGEST_WAITING: markdown_waiting,
    Part.TREND: markdown_trend,
}


def report_markdown(report: Report) -> str:
    """The report as Markdown, for chat or a wiki: every section, titled."""
    lines = [f"# {markdown_text(report_title(report))}"]
    for section in report.sections:
        lines += ["", f"## {heading(report, section)}", "", *MARKDOWN[section.key](report)]
    return "\n".join(lines) + "\n"


# --- HTML ------------------------------------------------------------------------------

CELL = "padding:4px 8px;border-bottom:1px solid #eaecf0;vertical-align:top;text-align:left;"
OVERDUE_ROW = "background:#fef3f2;"
OVERDUE_TEXT = "#b42318"
OPEN_LINE = "#175cd3"
# Wide tables scroll inside their own box, so the page itself never scrolls sideways.
SCROLL = '<div class="scroll" style="overflow-x:auto;max-width:100%;">'


def html_text(text: str) -> str:
    """Text safe inside HTML: control characters shown as escapes, markup quoted."""
    return escape(printable(text))


def html_table(
    header: Sequence[str], rows: Sequence[tuple[str, Sequence[str]]], nowrap: Sequence[int] = ()
) -> str:
    """A table in its scroll box; each row is (class, cells), cells already HTML."""
    head = "".join(f'<th style="{CELL}">{escape(name)}</th>' for name in header)

    def cell(index: int, content: str) -> str:
        keep = "white-space:nowrap;" if index in nowrap else ""
        return f'<td style="{CELL}{keep}">{content}</td>'

    body = "".join(
        f'<tr class="{kind}"' + (f' style="{OVERDUE_ROW}"' if kind == "overdue" else "") + ">"
        + "".join(cell(index, content) for index, content in enumerate(cells)) + "</tr>"
        for kind, cells in rows
    )  # fmt: skip
    return (
        f'{SCROLL}<table style="border-collapse:collapse;font-size:14px;">'
        f"<tr>{head}</tr>{body}</table></div>"
    )


def html_unreadable(report: Report) -> str:
    """Each store not read, as a row of class ``unreadable``."""
    rows = [
        ("unreadable", [f"<strong>{html_text(item.agent)}</strong>",
                        _("not read: {reason}").format(reason=html_text(item.reason))])
        for item in report.unreadable
    ]  # fmt: skip
    return html_table([p_("column", "agent"), p_("column", "why")], rows)


def html_agents(report: Report) -> str:
    """The per-agent table, every column, in its scroll box."""
    rows = [
        (
            "total" if stats is report.total else "agent",
            [html_text(cell) for cell in stats_row(stats, stats is report.total)],
        )
        for stats in [*report.agents, report.total]
    ]
    return html_table([column_words(name) for name in STAT_NAMES], rows)


def html_ageing(report: Report) -> str:
    """Overdue loops by age, as a list."""
    items = "".join(
        f"<li>{escape(_(bucket))}: {count}</li>" for bucket, count in report.ageing.items()
    )
    return f"<ul>{items}</ul>"


def html_waiting(report: Report) -> str:
    """The customers waiting longest; an overdue row (class ``overdue``) tinted, in bold."""
    if not report.longest_waiting:
        return f"<p>{escape(_(NOBODY_WAITING))}</p>"
    rows = []
    for wait in report.longest_waiting:
        words = html_text(waiting_words(wait))
        if wait.why is Why.OVERDUE:
            words = f'<strong style="color:{OVERDUE_TEXT};">{words}</strong>'
        cells = [words, html_text(due_words(report, wait)), html_text(wait.loop.customer),
                 html_text(wait.loop.promise), html_text(wait.agent)]  # fmt: skip
        rows.append((str(wait.why), cells))
    return html_table(waiting_header(), rows, nowrap=(1,))


HTML: dict[Part, Callable[[Report], str]] = {
    Part.UNREADABLE: html_unreadable,
    Part.AGENTS: html_agents,
    Part.AGEING: html_ageing,
    Part.LONGEST_WAITING: html_waiting,
    Part.TREND: lambda report: trend_svg(report),
}


def trend_svg(report: Report, width: int = 360, height: int = 150) -> str:
    """The trend as an inline SVG that scales to its box: open loops as a solid line,
    overdue ones dashed, each named in a legend, so no colour has to be told apart."""
    points = report.trend
    if not points:
        return ""
    top = max(max(open_ for _day, open_, _late in points), 1)
    step = width / max(len(points) - 1, 1)
    chart_top, chart_bottom = 24, height - 4

    def line(values: list[int], colour: str, dash: str) -> str:
        path = " ".join(
            f"{index * step:.1f},{chart_bottom - value / top * (chart_bottom - chart_top):.1f}"
            for index, value in enumerate(values)
        )
        return f'<polyline fill="none" stroke="{colour}" stroke-width="2"{dash} points="{path}"/>'

    label = 'font-family="Helvetica,Arial,sans-serif" font-size="12" fill="#475467"'
    dashed = ' stroke-dasharray="6 4"'
    first, last = day_month(points[0][0]), day_month(points[-1][0])
    opened, overdue = points[-1][1], points[-1][2]
    open_words = escape(_("open ({count} now)").format(count=opened))
    overdue_words = escape(_("overdue ({count} now)").format(count=overdue))
    top_words = escape(_("{count} at most").format(count=top))
    described = _("open and overdue loops each day, {first} to {last}").format(
        first=first, last=last
    )
    legend = (
        f'<line x1="0" y1="8" x2="20" y2="8" stroke="{OPEN_LINE}" stroke-width="2"/>'
        f'<text x="24" y="12" {label}>{open_words}</text>'
        f'<line x1="130" y1="8" x2="150" y2="8" stroke="{OVERDUE_TEXT}" stroke-width="2"{dashed}/>'
        f'<text x="154" y="12" {label}>{overdue_words}</text>'
        f'<text x="{width}" y="12" text-anchor="end" {label}>{top_words}</text>'
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height + 18}" '
        'width="100%" style="max-width:100%;height:auto;display:block;" role="img" '
        f'aria-label="{escape(described)}">'
        + legend
        + line([open_ for _day, open_, _late in points], OPEN_LINE, "")
        + line([late for _day, _open, late in points], OVERDUE_TEXT, dashed)
        + f'<text x="0" y="{height + 14}" {label}>{escape(first)}</text>'
        + f'<text x="{width}" y="{height + 14}" text-anchor="end" {label}>{escape(last)}</text>'
        + "</svg>"
    )


def report_html(report: Report) -> str:
    """The report as one self-contained page that reads on a phone and in a mail.

    Inline styles (as mail clients need), a viewport, tables that scroll inside their
    own box and a chart that scales: nothing makes the page scroll sideways.
    """
    title = html_text(report_title(report))
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{language()}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title></head>",
        '<body style="font-family:Helvetica,Arial,sans-serif;color:#101828;margin:16px;'
        'max-width:100%;">',
        f'<h1 style="font-size:20px;">{title}</h1>',
    ]
    for section in report.sections:
        parts.append(
            f'<h2 id="{section.key}" style="font-size:16px;margin:20px 0 6px;">'
            f"{escape(heading(report, section))}</h2>"
        )
        parts.append(HTML[section.key](report))
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
