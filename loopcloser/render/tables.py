"""How loops look: JSON for scripts, plain text for pipes, rich tables on a terminal.

rich is imported only when output goes to a terminal, so scripts and pipes
do not pay for it; the words for dates (core.when) only for a person's view.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo
from typing import Any, TextIO

from loopcloser.core.model import (
    ACTIVE,
    STORED_FIELDS,
    Event,
    Flag,
    Flags,
    Kind,
    Loop,
    encode_field,
    event_to_document,
    flags_to_document,
    in_words,
)
from loopcloser.core.text import cell_width, one_line, printable


def loop_json(loop: Loop, flags: Flags, *, with_events: bool = False) -> dict[str, Any]:
    """A loop as the JSON contract promises it: stored fields plus derived flags."""
    data: dict[str, Any] = {"id": loop.id}
    data.update({name: encode_field(name, getattr(loop, name)) for name in STORED_FIELDS})
    data.update(flags_to_document(flags))
    if with_events:
        data["events"] = [event_to_document(event) for event in loop.events]
    return data


def to_json(value: Any, *, compact: bool = False) -> str:
    """Stable JSON text: sorted keys, UTF-8 kept readable; indented unless compact.

    orjson writes it several times faster than json's indenting encoder, which is
    pure Python (an export of 10,000 loops spent half its time there); what orjson
    will not write (a lone surrogate, an integer beyond 64 bits, a key that is not a
    string) is left to json, which reads back the same.
    """
    import orjson

    option = orjson.OPT_SORT_KEYS | (0 if compact else orjson.OPT_INDENT_2)
    try:
        return orjson.dumps(value, option=option).decode("utf-8")
    except (orjson.JSONEncodeError, TypeError):
        import json

        separators = (",", ":") if compact else None
        return json.dumps(
            value, sort_keys=True, ensure_ascii=False, indent=None if compact else 2,
            separators=separators, allow_nan=False,
        )  # fmt: skip


def local_time(moment: datetime, tz: tzinfo, now: datetime | None = None) -> str:
    """A moment as an agent reads it, e.g. ``Fri 27 Nov 17:30`` (year if not this one)."""
    local = moment.astimezone(tz)
    if now is not None and local.year == now.astimezone(tz).year:
        return local.strftime("%a %d %b %H:%M")
    return local.strftime("%a %d %b %Y %H:%M")


def flag_words(flags: Flags) -> list[str]:
    """The flags that are set, as words, then a closed loop's outcome."""
    words = [in_words(flag) for flag in flags.raised()]
    if flags.outcome is not None:
        words.append(str(flags.outcome))
    return words


def list_rows(rows: Sequence[tuple[Loop, Flags]], now: datetime, tz: tzinfo) -> list[list[str]]:
    """One row of cells per loop, in the order given."""
    return [
        [
            str(loop.id),
            due_cell(loop, flags, now, tz),
            one_line(loop.customer),
            one_line(loop.promise),
            str(loop.state),
            ", ".join(list_flags(loop, flags, now)),
        ]
        for loop, flags in rows
    ]


def due_cell(loop: Loop, flags: Flags, now: datetime, tz: tzinfo) -> str:
    """The due as the customer knows it, and the agent's own when a move was not told.

    A finished loop is not "late" any more: it shows the date it was due.
    """
    from loopcloser.core.when import describe_due

    if loop.state not in ACTIVE:
        return short_date(loop.due, tz)
    shown = describe_due(flags.expected_due, now)
    if flags.untold_reschedule and loop.due != flags.expected_due:
        return f"{shown} (yours {describe_due(loop.due, now)})"
    return shown


def list_flags(loop: Loop, flags: Flags, now: datetime) -> list[str]:
    """The flag words of a list row, and "snoozed" while its reminders are held back."""
    snoozed = loop.snoozed_until is not None and loop.snoozed_until > now
    return [*flag_words(flags), *(["snoozed"] if snoozed else [])]


def short_date(moment: datetime, tz: tzinfo) -> str:
    """A date alone, e.g. ``24 Nov 2026``."""
    return moment.astimezone(tz).strftime("%d %b %Y")


LIST_HEADER = ["ID", "DUE", "CUSTOMER", "PROMISE", "STATE", "FLAGS"]
# Every flag has its entry; the first one set, in this order, colours a list row.
# Due today is no warning: alone it leaves the row plain.
STYLES: dict[Flag, str | None] = {
    Flag.OVERDUE: "bold red",
    Flag.UNTOLD: "yellow",
    Flag.UNTOLD_RESCHEDULE: "yellow",
    Flag.SILENT: "magenta",
    Flag.STALE_WAIT: "magenta",
    Flag.DUE_TODAY: None,
}


def print_list(
    rows: Sequence[tuple[Loop, Flags]],
    now: datetime,
    tz: tzinfo,
    out: TextIO,
    terminal: bool,
    team: bool = False,
    width: int | None = None,
) -> None:
    """The list as a table: coloured on a terminal, plain columns elsewhere (within
    ``width`` when one is asked for).

    A team's list names each loop's owner beside its id: ids are the owner's.
    """
    cells = list_rows(rows, now, tz)
    header = LIST_HEADER
    if team:
        header = [header[0], "OWNER", *header[1:]]
        cells = [
            [row[0], one_line(loop.owner, 20), *row[1:]]
            for (loop, _), row in zip(rows, cells, strict=True)
        ]
    if not terminal:
        out.write(plain_table([header, *cells]) if width is None else fitted(header, cells, width))
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(box=None, header_style="bold", pad_edge=False)
    for name in header:
        table.add_column(name, no_wrap=name in ("ID", "OWNER", "DUE", "STATE"))
    for (_, flags), row in zip(rows, cells, strict=True):
        style = next((STYLES[flag] for flag in STYLES if flags.is_set(flag)), None)
        # Text, not str: rich would read "[bold]" in a customer's name as markup.
        table.add_row(*(Text(cell) for cell in row), style=style)
    Console(file=out, highlight=False, force_terminal=True).print(table)


def fitted(header: list[str], cells: list[list[str]], width: int | None) -> str:
    """Loops as plain columns within ``width``: customer, promise and flags wrap between
    words, then flags, state and customer go (a list is searched by customer)."""
    from loopcloser.render.columns import Column, fitted_table

    drops = {"FLAGS": 1, "STATE": 2, "CUSTOMER": 3}
    columns = [
        Column(name, [row[index] for row in cells], drops.get(name), name in WRAPPING)
        for index, name in enumerate(header)
    ]
    return "\n".join(fitted_table(columns, width)[0]) + "\n"


WRAPPING = frozenset({"CUSTOMER", "PROMISE", "FLAGS"})
"""The columns of a list whose cells may take several lines on a narrow page."""


def plain_table(rows: Sequence[Sequence[str]]) -> str:
    """Left-aligned columns separated by two spaces, the last column unpadded."""
    widths = [max(cell_width(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = []
    for row in rows:
        padded = [
            cell + " " * (width - cell_width(cell))
            for cell, width in zip(row[:-1], widths, strict=False)
        ]
        lines.append("  ".join([*padded, row[-1]]).rstrip())
    return "\n".join(lines) + "\n"


def describe_event(event: Event, tz: tzinfo, now: datetime) -> str:
    """One line of a loop's timeline."""
    when = local_time(event.at, tz, now)
    what = str(event.kind)
    if event.kind is Kind.CREATED:
        what = "promised"
    elif event.kind is Kind.EDITED:
        what = "edited " + ", ".join(sorted(event.changes))
    elif event.kind is Kind.RESCHEDULED and "due" in event.changes:
        told = "customer told" if event.told else "customer NOT told"
        new_due = local_time(datetime.fromisoformat(event.changes["due"]), tz, now)
        what = f"rescheduled to {new_due} ({told})"
    elif event.kind is Kind.WAITING and event.changes.get("waiting_on"):
        waiting = event.changes["waiting_on"]
        until = waiting.get("until")
        what = f"waiting on {waiting['party']}"
        if until:
            what += f" until {local_time(datetime.fromisoformat(until), tz, now)}"
    elif event.kind is Kind.HANDOFF and "owner" in event.changes:
        what = f"handed off to {event.changes['owner']}"
    elif event.kind is Kind.REASSIGNED and "owner" in event.changes:
        what = f"reassigned to {event.changes['owner']}"
    elif event.kind is Kind.SNOOZED and event.changes.get("snoozed_until"):
        until = datetime.fromisoformat(event.changes["snoozed_until"])
        what = f"reminders snoozed until {local_time(until, tz, now)}"
    if event.via:
        what += f" via {event.via}"
    line = f"{when}  {what} by {event.by}"
    if event.text:
        line += f": {event.text}"
    if event.void is not None:
        line += f" [{VOID_WORDS.get(event.void, event.void)}]"
    return printable(line)


VOID_WORDS = {
    "late": "arrived after the loop was reassigned: changed nothing",
    "conflict": "came after another machine's change and could not apply: changed nothing",
}


def show_lines(loop: Loop, flags: Flags, now: datetime, tz: tzinfo) -> list[str]:
    """Every field of a loop and its whole timeline, as lines of text."""
    from loopcloser.core.when import describe_due, format_duration

    state = str(loop.state)
    if flag_words(flags):
        state += f" ({', '.join(flag_words(flags))})"
    # After a reschedule the customer has not heard of, they still wait for the old due.
    expected = flags.expected_due
    told_due = f"{local_time(expected, tz, now)} ({describe_due(expected, now)}), as last told"
    fields = [
        ("state", state),
        ("due", f"{local_time(loop.due, tz, now)} ({describe_due(loop.due, now)})"),
        ("customer waits", told_due if expected != loop.due else None),
        ("owner", loop.owner),
        ("contact", loop.contact),
        ("prefers", loop.prefers),
        ("promised via", loop.via),
        ("updates every", format_duration(loop.update_every) if loop.update_every else None),
        ("reminders", ", ".join(local_time(moment, tz, now) for moment in loop.remind) or None),
        ("waiting on", waiting_text(loop, tz, now)),
        ("snoozed until", snoozed_text(loop, tz, now)),
        ("tags", ", ".join(loop.tags) or None),
        ("ref", loop.ref),
        ("last contact", local_time(flags.last_contact, tz, now)),
        ("created", local_time(loop.created, tz, now)),
        ("uid", loop.uid),
    ]
    lines = [printable(f"#{loop.id}  {loop.customer}: {loop.promise}"), ""]
    lines += [printable(f"{name:<15}{value}") for name, value in fields if value]
    lines += ["", "History"]
    lines += ["  " + describe_event(event, tz, now) for event in loop.events]
    return lines


def waiting_text(loop: Loop, tz: tzinfo, now: datetime) -> str | None:
    """Who the loop waits on, and until when, e.g. ``Finance until Fri 27 Nov 17:30``."""
    if loop.waiting_on is None:
        return None
    until = loop.waiting_on.until
    party = loop.waiting_on.party
    return party if until is None else f"{party} until {local_time(until, tz, now)}"


def snoozed_text(loop: Loop, tz: tzinfo, now: datetime) -> str | None:
    """Until when the loop's reminders are silenced, while they still are."""
    until = loop.snoozed_until
    return None if until is None or until <= now else local_time(until, tz, now)


def print_show(
    loop: Loop, flags: Flags, now: datetime, tz: tzinfo, out: TextIO, terminal: bool
) -> None:
    """A loop in full: bold title and coloured flags on a terminal, plain text elsewhere."""
    lines = show_lines(loop, flags, now, tz)
    if not terminal:
        out.write("\n".join(lines) + "\n")
        return
    from rich.console import Console
    from rich.text import Text

    console = Console(file=out, highlight=False, force_terminal=True)
    console.print(Text(lines[0], style="bold"))
    for line in lines[1:]:
        style = next(
            (STYLES[flag] for flag in STYLES if line.startswith("state") and flag in line), None
        )
        console.print(Text(line, style=style or ""))


def customer_json(
    needle: str,
    rows: Sequence[tuple[str, Loop, Flags]],
    timeline: Sequence[tuple[str, Loop, Event]],
) -> dict[str, Any]:
    """One customer's loops across agents, and their merged timeline, for scripts."""
    return {
        "customer": needle,
        "loops": [{**loop_json(loop, flags), "agent": agent} for agent, loop, flags in rows],
        "timeline": [
            {**event_to_document(event), "agent": agent, "loop_id": loop.id, "uid": loop.uid}
            for agent, loop, event in timeline
        ],
    }


def print_customer(
    rows: Sequence[tuple[str, Loop, Flags]],
    timeline: Sequence[tuple[str, Loop, Event]],
    now: datetime,
    tz: tzinfo,
    out: TextIO,
    width: int | None = None,
) -> None:
    """A customer's loops (who holds each) and everything anyone did or said, in order.

    Within ``width``, the customer, the promise and the flags wrap between words, then
    flags, state and customer go (the customer is searched for); a timeline line
    wraps under itself.
    """
    cells = [
        [one_line(agent, 20), *row]
        for (agent, _, _), row in zip(
            rows, list_rows([(loop, flags) for _, loop, flags in rows], now, tz), strict=True
        )
    ]
    out.write(fitted(["AGENT", *LIST_HEADER], cells, width))
    out.write("\nTimeline\n")
    for agent, loop, event in timeline:
        line = f"{printable(agent)} #{loop.id}  {describe_event(event, tz, now)}"
        out.write(indented(line, width))


def indented(line: str, width: int | None) -> str:
    """A line of a list, two spaces in, wrapped at spaces under itself within ``width``."""
    if width is None or len(line) + 2 <= width:
        return f"  {line}\n"
    import textwrap

    return (
        "\n".join(textwrap.wrap(line, width, initial_indent="  ", subsequent_indent="    ")) + "\n"
    )
