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
    Event,
    Flag,
    Flags,
    Kind,
    Loop,
    event_to_document,
    flags_to_document,
    in_words,
    outcome_words,
    state_words,
    stored_form,
)
from loopcloser.core.text import cell_width, one_line, printable
from loopcloser.core.words import N_, NP_, _, dated, p_

# The words a person reads for a flag or a column, looked up with p_ where shown; JSON
# keeps the names. States (core.model) and channels (core.settings) are marked there.
FLAG_WORDS = (NP_("flag", "overdue"), NP_("flag", "due today"), NP_("flag", "untold"),
              NP_("flag", "untold reschedule"), NP_("flag", "silent"),
              NP_("flag", "stale wait"), NP_("flag", "snoozed"))  # fmt: skip
# "via phone" in a timeline: a language may need its own preposition for each channel.
VIA_WORDS = (NP_("via", "phone"), NP_("via", "email"), NP_("via", "chat"), NP_("via", "social"),
             NP_("via", "in-person"), NP_("via", "video"), NP_("via", "sms"),
             NP_("via", "letter"))  # fmt: skip
COLUMN_WORDS = (NP_("column", "ID"), NP_("column", "DUE"), NP_("column", "CUSTOMER"),
                NP_("column", "PROMISE"), NP_("column", "STATE"), NP_("column", "FLAGS"),
                NP_("column", "OWNER"), NP_("column", "AGENT"))  # fmt: skip
# What each kind of event says in a loop's history (an edit names its fields instead).
EVENT_WORDS: dict[Kind, str] = {
    Kind.CREATED: NP_("event", "promised"),
    Kind.NOTE: NP_("event", "note"),
    Kind.CONTACT: NP_("event", "contact"),
    Kind.WAITING: NP_("event", "waiting"),
    Kind.RESUMED: NP_("event", "resumed"),
    Kind.HANDOFF: NP_("event", "handoff"),
    Kind.REASSIGNED: NP_("event", "reassigned"),
    Kind.RESCHEDULED: NP_("event", "rescheduled"),
    Kind.DONE: NP_("event", "done"),
    Kind.CLOSED: NP_("event", "closed"),
    Kind.CANCELLED: NP_("event", "cancelled"),
    Kind.REOPENED: NP_("event", "reopened"),
    Kind.REMINDED: NP_("event", "reminded"),
    Kind.SNOOZED: NP_("event", "snoozed"),
}


def loop_json(loop: Loop, flags: Flags, *, with_events: bool = False) -> dict[str, Any]:
    """A loop as the JSON contract promises it: stored fields plus derived flags."""
    data: dict[str, Any] = {"id": loop.id}
    data.update(stored_form(loop))
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
        return dated(local, "%a %d %b %H:%M")
    return dated(local, "%a %d %b %Y %H:%M")


def flag_words(flags: Flags) -> list[str]:
    """The flags that are set, as words, then a closed loop's outcome."""
    words = [p_("flag", in_words(flag)) for flag in flags.raised()]
    if flags.outcome is not None:
        words.append(outcome_words(flags.outcome))
    return words


def list_rows(rows: Sequence[tuple[Loop, Flags]], now: datetime, tz: tzinfo) -> list[list[str]]:
    """One row of cells per loop, in the order given."""
    return [
        [
            str(loop.id),
            due_cell(loop, flags, now, tz),
            one_line(loop.customer),
            one_line(loop.promise),
            state_words(loop.state),
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
    shown = describe_due(flags.expected_due, now, narrow=True)
    if flags.untold_reschedule and loop.due != flags.expected_due:
        yours = describe_due(loop.due, now, narrow=True)
        return _("{due} (yours {yours})").format(due=shown, yours=yours)
    return shown


def list_flags(loop: Loop, flags: Flags, now: datetime) -> list[str]:
    """The flag words of a list row, and "snoozed" while its reminders are held back."""
    snoozed = loop.snoozed_until is not None and loop.snoozed_until > now
    return [*flag_words(flags), *([p_("flag", "snoozed")] if snoozed else [])]


def short_date(moment: datetime, tz: tzinfo) -> str:
    """A date alone, e.g. ``24 Nov 2026``."""
    return dated(moment.astimezone(tz), "%d %b %Y")


LIST_HEADER = ["ID", "DUE", "CUSTOMER", "PROMISE", "STATE", "FLAGS"]
"""The columns of a list, by their English names (each shown as p_("column", name))."""
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
            for (loop, _flags), row in zip(rows, cells, strict=True)
        ]
    if not terminal:
        if width is None:
            out.write(plain_table([[p_("column", name) for name in header], *cells]))
        else:
            out.write(fitted(header, cells, width))
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(box=None, header_style="bold", pad_edge=False)
    for name in header:
        table.add_column(p_("column", name), no_wrap=name in ("ID", "OWNER", "DUE", "STATE"))
    for (_loop, flags), row in zip(rows, cells, strict=True):
        style = next((STYLES[flag] for flag in STYLES if flags.is_set(flag)), None)
        # Text, not str: rich would read "[bold]" in a customer's name as markup.
        table.add_row(*(Text(cell) for cell in row), style=style)
    Console(file=out, highlight=False, force_terminal=True).print(table)


def fitted(header: list[str], cells: list[list[str]], width: int | None) -> str:
    """Loops as plain columns within ``width``: customer, promise and flags wrap between
    words, then flags, state and customer go (a list is searched by customer).

    ``header`` holds the columns' English names; each is shown in the language in use.
    """
    from loopcloser.render.columns import Column, fitted_table

    drops = {"FLAGS": 1, "STATE": 2, "CUSTOMER": 3}
    columns = [
        Column(p_("column", name), [row[index] for row in cells], drops.get(name), name in WRAPPING)
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
    word = EVENT_WORDS.get(event.kind)
    what = str(event.kind) if word is None else p_("event", word)
    if event.kind is Kind.EDITED:
        what = _("edited {fields}").format(fields=", ".join(sorted(event.changes)))
    elif event.kind is Kind.RESCHEDULED and "due" in event.changes:
        new_due = local_time(datetime.fromisoformat(event.changes["due"]), tz, now)
        if event.told:
            what = _("rescheduled to {due} (customer told)").format(due=new_due)
        else:
            what = _("rescheduled to {due} (customer NOT told)").format(due=new_due)
    elif event.kind is Kind.WAITING and event.changes.get("waiting_on"):
        waiting = event.changes["waiting_on"]
        until = waiting.get("until")
        if until:
            what = _("waiting on {party} until {moment}").format(
                party=waiting["party"], moment=local_time(datetime.fromisoformat(until), tz, now)
            )
        else:
            what = _("waiting on {party}").format(party=waiting["party"])
    elif event.kind is Kind.HANDOFF and "owner" in event.changes:
        what = _("handed off to {agent}").format(agent=event.changes["owner"])
    elif event.kind is Kind.REASSIGNED and "owner" in event.changes:
        what = _("reassigned to {agent}").format(agent=event.changes["owner"])
    elif event.kind is Kind.SNOOZED and event.changes.get("snoozed_until"):
        until = datetime.fromisoformat(event.changes["snoozed_until"])
        what = _("reminders snoozed until {moment}").format(moment=local_time(until, tz, now))
    if event.via:
        what = _("{what} via {channel}").format(what=what, channel=p_("via", event.via))
    line = _("{when}  {what} by {agent}").format(when=when, what=what, agent=event.by)
    if event.text:
        line += f": {event.text}"
    if event.void is not None:
        void = VOID_WORDS.get(event.void)
        line += f" [{event.void if void is None else _(void)}]"
    return printable(line)


VOID_WORDS = {
    "late": N_("arrived after the loop was reassigned: changed nothing"),
    "conflict": N_("came after another machine's change and could not apply: changed nothing"),
}


def show_lines(loop: Loop, flags: Flags, now: datetime, tz: tzinfo) -> list[str]:
    """Every field of a loop and its whole timeline, as lines of text."""
    from loopcloser.core.when import describe_due, format_duration

    state = state_words(loop.state)
    if flag_words(flags):
        state += f" ({', '.join(flag_words(flags))})"
    # After a reschedule the customer has not heard of, they still wait for the old due.
    expected = flags.expected_due
    told_due = _("{moment} ({gap}), as last told").format(
        moment=local_time(expected, tz, now), gap=describe_due(expected, now)
    )
    fields = [
        (NP_("field", "state"), state),
        (NP_("field", "due"), f"{local_time(loop.due, tz, now)} ({describe_due(loop.due, now)})"),
        (NP_("field", "customer waits"), told_due if expected != loop.due else None),
        (NP_("field", "owner"), loop.owner),
        (NP_("field", "contact"), loop.contact),
        (NP_("field", "prefers"), channel_word(loop.prefers)),
        (NP_("field", "promised via"), channel_word(loop.via)),
        (
            NP_("field", "updates every"),
            format_duration(loop.update_every) if loop.update_every else None,
        ),
        (
            NP_("field", "reminders"),
            ", ".join(local_time(moment, tz, now) for moment in loop.remind) or None,
        ),
        (NP_("field", "waiting on"), waiting_text(loop, tz, now)),
        (NP_("field", "snoozed until"), snoozed_text(loop, tz, now)),
        (NP_("field", "tags"), ", ".join(loop.tags) or None),
        (NP_("field", "ref"), loop.ref),
        (NP_("field", "last contact"), local_time(flags.last_contact, tz, now)),
        (NP_("field", "created"), local_time(loop.created, tz, now)),
        (NP_("field", "uid"), loop.uid),
    ]
    labels = [p_("field", name) for name, _value in fields]
    # Values start in one column, after the longest label (15 wide in English).
    width = max(LABEL_WIDTH, *(cell_width(label) + 1 for label in labels))
    lines = [printable(f"#{loop.id}  {loop.customer}: {loop.promise}"), ""]
    lines += [
        printable(label + " " * (width - cell_width(label)) + value)
        for label, (_name, value) in zip(labels, fields, strict=True)
        if value
    ]
    lines += ["", _("History")]
    lines += ["  " + describe_event(event, tz, now) for event in loop.events]
    return lines


LABEL_WIDTH = 15
"""The narrowest column the labels of show take, their values beside it."""


def channel_word(name: str | None) -> str | None:
    """A channel as a person reads it ("phone"); nothing for none."""
    return p_("channel", name) if name else name


def waiting_text(loop: Loop, tz: tzinfo, now: datetime) -> str | None:
    """Who the loop waits on, and until when, e.g. ``Finance until Fri 27 Nov 17:30``."""
    if loop.waiting_on is None:
        return None
    until = loop.waiting_on.until
    party = loop.waiting_on.party
    if until is None:
        return party
    return _("{party} until {moment}").format(party=party, moment=local_time(until, tz, now))


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
    state = p_("field", "state")
    for line in lines[1:]:
        style = state_style(flags) if line.startswith(state) else None
        console.print(Text(line, style=style or ""))


def state_style(flags: Flags) -> str | None:
    """The colour of show's state line: that of the first flag in STYLES whose name is
    among the line's English words, as it has always been (so "untold reschedule" takes
    the colour of untold, and a stale wait none)."""
    words = ", ".join(in_words(flag) for flag in flags.raised())
    return next((STYLES[flag] for flag in STYLES if flag in words), None)


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
        for (agent, _loop, _flags), row in zip(
            rows, list_rows([(loop, flags) for _agent, loop, flags in rows], now, tz), strict=True
        )
    ]
    out.write(fitted(["AGENT", *LIST_HEADER], cells, width))
    out.write("\n" + _("Timeline") + "\n")
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
