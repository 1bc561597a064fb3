"""Pages to read: the morning digest."""

import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from loopcloser.commands.base import JsonOption, StoreOption, app
from loopcloser.errors import BadInput
from loopcloser.program import now_moment, open_store, out, parse_due, settings


@app.command()
def digest(
    agent: Annotated[
        str | None, typer.Option("--agent", help="Whose digest (default: yours).")
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
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """Your morning page: overdue, due today and soon, untold, silent, waiting, closed yesterday.

    Example: loopcloser digest --markdown
    """
    from loopcloser import actions
    from loopcloser.digest import build
    from loopcloser.render import to_json
    from loopcloser.render_digest import digest_html, digest_json, digest_markdown, digest_text

    if sum((markdown, html, as_json)) > 1:
        raise BadInput("choose one format", hint="one of --json, --markdown or --html")
    conf = settings()
    now = now_moment()
    if day is not None:
        local = parse_due(day, now, conf, allow_past=True).astimezone(conf.tz).date()
        now = datetime.combine(local, conf.calendar().work_start, tzinfo=conf.tz)
    who = agent or conf["agent"]
    if agent is not None and conf.team is not None and store is None:
        from loopcloser.team import store_path

        target = open_store(store_path(conf.team, agent), conf)
    else:
        target = open_store(store, conf)
    loops = [
        actions.load(loop_id, document)
        for loop_id, document in target.documents().items()
        if agent is None or document.get("owner") == agent
    ]
    page = build(loops, now, conf.calendar(), conf.cadence)
    if as_json:
        text = to_json(digest_json(page, who)) + "\n"
    elif markdown:
        text = digest_markdown(page, who)
    elif html:
        text = digest_html(page, who)
    else:
        text = digest_text(page, who)
    if output is None:
        out().write(text)
        return
    from loopcloser.atomic import write_atomically

    write_atomically(output.expanduser(), text.encode("utf-8"))
    sys.stderr.write(f"Wrote the digest to {output}\n")
