"""Pages to read: the agent's morning digest and the lead's team report."""

import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from loopcloser.cli.app import app
from loopcloser.cli.arguments import parse_due, parse_since
from loopcloser.cli.context import context, own_store
from loopcloser.cli.options import JsonOption, StoreOption, completes
from loopcloser.cli.output import chosen_format, emit_page, is_terminal, out, page_width, warn
from loopcloser.core.errors import LoopcloserError
from loopcloser.core.ways_out import Cargo, check_way, in_words, names
from loopcloser.core.words import _, n_

if TYPE_CHECKING:
    from loopcloser.services.context import Context


def page_way(value: str | None) -> str | None:
    """--send's way out, checked before a page is built: one that can carry pages."""
    return None if value is None else check_way(value, Cargo.PAGES)


SendOption = Annotated[
    str | None,
    typer.Option(
        "--send",
        help=f"Also send it by {in_words(names(Cargo.PAGES))}.",
        metavar="|".join(names(Cargo.PAGES)),
        autocompletion=completes("senders"),
        callback=page_way,
    ),
]


@app.command()
def digest(
    agent: Annotated[
        str | None,
        typer.Option(
            "--agent", help="Whose digest (default: yours).", autocompletion=completes("agents")
        ),
    ] = None,
    day: Annotated[
        str | None, typer.Option("--date", help="The morning of this day (default: now).")
    ] = None,
    markdown: Annotated[
        bool, typer.Option("--markdown", help="Markdown, for chat or mail.")
    ] = False,
    html: Annotated[
        bool, typer.Option("--html", help="A self-contained page that reads well in mail.")
    ] = False,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file, not stdout.")
    ] = None,
    send: SendOption = None,
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """Your morning page: overdue, due today and soon, untold, silent, waiting, closed yesterday.

    Example: loopcloser digest --markdown
    """
    from loopcloser.render.columns import TEXT_WIDTH
    from loopcloser.render.digest import (
        digest_html,
        digest_json,
        digest_markdown,
        digest_text,
        heading,
        print_digest,
    )
    from loopcloser.render.tables import to_json
    from loopcloser.services.pages import digest as build
    from loopcloser.services.pages import morning

    chosen = chosen_format(json=as_json, markdown=markdown, html=html)
    ctx = context(store, as_json)
    if day is not None:
        ctx.now = morning(ctx, parse_due(day, ctx.now, ctx.settings, allow_past=True))
    who = agent or ctx.agent
    page = build(ctx, agent)
    renderings = {
        "json": lambda: to_json(digest_json(page, who)) + "\n",
        "markdown": lambda: digest_markdown(page, who),
        "html": lambda: digest_html(page, who),
        "text": lambda: digest_text(page, who, page_width() if output is None else TEXT_WIDTH),
    }
    if chosen == "text" and output is None and is_terminal():
        print_digest(page, who, out(), page_width())
    else:
        emit_page(renderings, chosen, output, _("the digest"))
    if send is not None:
        # A mail's text part keeps to 80 columns, whatever the terminal it was sent from.
        mailed = {**renderings, "text": lambda: digest_text(page, who, TEXT_WIDTH)}
        subject = _("loopcloser digest: {heading}").format(heading=heading(page, who))
        send_page(send, ctx, _("the digest"), subject, mailed)


@app.command()
def report(
    team: Annotated[
        Path | None, typer.Option("--team", help="A team folder: every AGENT.json in it.")
    ] = None,
    stores: Annotated[
        list[Path] | None, typer.Option("--store", help="A store to include (repeatable).")
    ] = None,
    since: Annotated[
        str | None,
        typer.Option("--since", help="First day of the period (default: 7 days ago)."),
    ] = None,
    csv: Annotated[
        bool, typer.Option("--csv", help="One row per agent, for a spreadsheet.")
    ] = False,
    markdown: Annotated[bool, typer.Option("--markdown", help="Markdown tables.")] = False,
    html: Annotated[bool, typer.Option("--html", help="A page with the trend as a chart.")] = False,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file, not stdout.")
    ] = None,
    send: SendOption = None,
    as_json: JsonOption = False,
) -> None:
    """The team's open-loops report: per agent, ageing, customers waiting longest, trend.

    It reads every store in the team folder (or the stores named). A store that
    cannot be read is named in the report, which covers the rest and exits 5: incomplete.

    Example: loopcloser report --team /srv/loops --since "7 days ago" --html -o report.html
    """

    from loopcloser.core.errors import StoreError
    from loopcloser.render.columns import TEXT_WIDTH
    from loopcloser.render.report import (
        report_csv,
        report_html,
        report_json,
        report_markdown,
        report_subject,
        report_text,
    )
    from loopcloser.render.tables import to_json
    from loopcloser.services.pages import period_start
    from loopcloser.services.pages import report as build

    chosen = chosen_format(json=as_json, csv=csv, markdown=markdown, html=html)
    ctx = context(own_store(), as_json)
    first = None if since is None else parse_since(since, ctx.now, ctx.settings)
    # The period starts at the beginning of a day: "--since mon" means all of Monday.
    start = period_start(ctx, first)

    def skipped(path: Path, error: LoopcloserError) -> None:
        hint = _("the report covers the other stores")
        warning = _("skipped {path}: {message}").format(path=path, message=error.message)
        warn(warning, hint, as_json, kind="skipped_store")

    watch = progress if is_terminal() else iter
    summary = build(ctx, start, team, [path.expanduser() for path in stores or ()], skipped, watch)
    # On stdout, as wide as the terminal; in a file, as wide as a mail.
    width = (page_width() or TEXT_WIDTH) if output is None else TEXT_WIDTH
    renderings = {
        "json": lambda: to_json(report_json(summary)) + "\n",
        "csv": lambda: report_csv(summary),
        "markdown": lambda: report_markdown(summary),
        "html": lambda: report_html(summary),
        "text": lambda: report_text(summary, width),
    }
    emit_page(renderings, chosen, output, _("the report"))
    if send is not None:
        # A mail's text part keeps to 80 columns, whatever the terminal it was sent from.
        mailed = {**renderings, "text": lambda: report_text(summary)}
        send_page(send, ctx, _("the report"), report_subject(summary), mailed)
    if summary.unreadable:
        count = len(summary.unreadable)
        agents = ", ".join(item.agent for item in summary.unreadable)
        raise StoreError(
            n_(
                "the report is incomplete: {count} store could not be read ({agents})",
                "the report is incomplete: {count} stores could not be read ({agents})",
                count,
            ).format(count=count, agents=agents),
            hint=_("it names each with the reason; loopcloser doctor --store PATH says more"),
        )


def send_page(
    way: str,
    ctx: "Context",
    what: str,
    subject: str,
    renderings: Mapping[str, Callable[[], str]],
) -> None:
    """Send the page by the way out --send names, rendered as ways out want it; say where."""
    from loopcloser.delivery.ways_out import Page
    from loopcloser.delivery.ways_out import send_page as send

    page = Page(
        subject=subject,
        text=renderings["text"](),
        html=renderings["html"](),
        markdown=renderings["markdown"](),
    )
    sent = _("Sent {what} to {where}").format(what=what, where=send(way, ctx.settings, page))
    sys.stderr.write(sent + "\n")


def progress(sources: list[tuple[str, Any]]) -> Any:
    """The stores to read, with a progress bar (on a terminal) when there are many."""
    if len(sources) < 5:
        return sources
    from rich.progress import track

    return track(sources, description=_("Reading stores"), transient=True)
