"""Pages to read: the morning digest."""

import sys
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer

from loopcloser.cli.options import JsonOption, StoreOption, app, completes
from loopcloser.cli.program import (
    is_terminal,
    now_moment,
    open_store,
    out,
    parse_due,
    settings,
    write_output,
)
from loopcloser.core.errors import BadInput

SendOption = Annotated[
    str | None,
    typer.Option(
        "--send",
        help="Also send it: email (SMTP settings) or webhook.",
        metavar="email|webhook",
        autocompletion=completes("senders"),
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
    from loopcloser.core.digest import build
    from loopcloser.delivery.sending import send_page
    from loopcloser.render.digest import (
        digest_html,
        digest_json,
        digest_markdown,
        digest_text,
        heading,
        print_digest,
    )
    from loopcloser.render.tables import to_json
    from loopcloser.services import loops as actions

    if sum((markdown, html, as_json)) > 1:
        raise BadInput("choose one format", hint="one of --json, --markdown or --html")
    conf = settings()
    now = now_moment()
    if day is not None:
        local = parse_due(day, now, conf, allow_past=True).astimezone(conf.tz).date()
        now = datetime.combine(local, conf.calendar().work_start, tzinfo=conf.tz)
    who = agent or conf["agent"]
    if agent is not None and conf.team is not None and store is None:
        from loopcloser.storage.team import store_path

        target = open_store(store_path(conf.team, agent), conf)
    else:
        target = open_store(store, conf)
    # Yesterday's closings are the oldest the digest shows: days before need no reading.
    recent = actions.documents_since(target, now - timedelta(days=3))
    loops = [
        actions.load(loop_id, document)
        for loop_id, document in recent.items()
        if agent is None or document.get("owner") == agent
    ]
    page = build(loops, now, conf.calendar(), conf.cadence)
    if as_json:
        text = to_json(digest_json(page, who)) + "\n"
    elif markdown:
        text = digest_markdown(page, who)
    elif html:
        text = digest_html(page, who)
    elif output is None and is_terminal():
        print_digest(page, who, out())
        text = ""
    else:
        text = digest_text(page, who)
    if text:
        write_output(text, output, "the digest")
    if send is not None:
        subject = f"loopcloser digest: {heading(page, who)}"
        plain = digest_text(page, who)
        sent_to = send_page(
            send, conf, subject, plain, digest_html(page, who), digest_markdown(page, who)
        )
        sys.stderr.write(f"Sent the digest to {sent_to}\n")


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

    It reads every store in the team folder (or the stores named); a store that
    cannot be read is named in a warning and the report covers the rest.

    Example: loopcloser report --team /srv/loops --since "7 days ago" --html -o report.html
    """

    from loopcloser.cli.program import warn
    from loopcloser.core.errors import LoopcloserError, StoreError
    from loopcloser.core.metrics import build_report
    from loopcloser.core.model import to_utc_text
    from loopcloser.render.report import (
        report_csv,
        report_html,
        report_json,
        report_markdown,
        report_text,
    )
    from loopcloser.render.tables import local_time, to_json
    from loopcloser.services import loops as actions
    from loopcloser.storage.store import Store

    if sum((csv, markdown, html, as_json)) > 1:
        raise BadInput("choose one format", hint="one of --json, --csv, --markdown or --html")
    conf = settings()
    now = now_moment()
    # The period starts at the beginning of a day: "--since mon" means all of Monday.
    first = (now - timedelta(days=7)) if since is None else parse_due(since, now, conf, True)
    start = datetime.combine(first.astimezone(conf.tz).date(), time(0), tzinfo=conf.tz)
    from_team = False
    if stores:
        sources = [(path.stem, path.expanduser()) for path in stores]
    else:
        folder = team or conf.team
        if folder is None:
            import os

            own = os.environ.get("LOOPCLOSER_STORE")
            sources = [(conf["agent"], open_store(Path(own) if own else None, conf).path)]
        else:
            from loopcloser.storage.team import team_stores

            sources, from_team = team_stores(folder.expanduser()), True
    if not sources:
        raise StoreError("no store to report on", hint="check the team folder or the --store paths")
    loops = []
    failed = 0
    for agent, path in progress(sources, is_terminal()):
        try:
            if not path.is_file():
                raise StoreError(f"no store at {path}", hint="check the path")
            documents = actions.documents_since(Store(path), start)
            # Named stores may be shared: count each loop for its owner. A team
            # folder's AGENT.json is that agent's, whoever owned its loops before.
            loops += [
                (agent if from_team else str(doc.get("owner") or agent), actions.load(key, doc))
                for key, doc in documents.items()
            ]
        except LoopcloserError as error:
            failed += 1
            warn(f"skipped {path}: {error.message}", "the report covers the other stores", as_json)
    if failed == len(sources):
        raise StoreError("no store could be read", hint="check the paths and the warnings above")
    summary = build_report(loops, now, conf.tz, start, conf.cadence)
    title = f"Open loops since {local_time(start, conf.tz, now)}"
    if as_json:
        text = to_json(report_json(summary, to_utc_text(start))) + "\n"
    elif csv:
        text = report_csv(summary)
    elif markdown:
        text = report_markdown(summary, title)
    elif html:
        text = report_html(summary, title)
    else:
        text = report_text(summary, title)
    write_output(text, output, "the report")
    if send is not None:
        from loopcloser.delivery.sending import send_page

        plain, page = report_text(summary, title), report_html(summary, title)
        sent_to = send_page(send, conf, f"loopcloser report: {title}", plain, page,
                            report_markdown(summary, title))  # fmt: skip
        sys.stderr.write(f"Sent the report to {sent_to}\n")


def progress(sources: list[tuple[str, Path]], terminal: bool) -> Any:
    """The stores to read, with a progress bar on a terminal when there are many."""
    if not terminal or len(sources) < 5:
        return sources
    from rich.progress import track

    return track(sources, description="Reading stores", transient=True)
