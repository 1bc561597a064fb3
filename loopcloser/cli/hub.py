"""The team hub: hub init, hub add-agent, hub agents."""

import sys
from datetime import datetime
from typing import Annotated

import typer

from loopcloser.cli.app import app, help_when_bare
from loopcloser.cli.options import JsonOption
from loopcloser.cli.output import emit, out, said
from loopcloser.core.words import _, p_

hub_app = typer.Typer(help="Set up the team hub: a PostgreSQL database the team shares.")
app.add_typer(hub_app, name="hub")

UrlArgument = Annotated[
    str,
    typer.Argument(
        help="The hub's database as a libpq URI, e.g. postgresql://admin@db.example/loops"
        "?sslmode=verify-full (the password from PGPASSWORD or ~/.pgpass).",
        metavar="URL",
        show_default=False,
    ),
]
HubOption = Annotated[
    str,
    typer.Option(
        "--hub",
        help="The hub's database as a libpq URI, as an administrator.",
        metavar="URL",
        show_default=False,
    ),
]


@hub_app.callback(invoke_without_command=True)
def hub_root(context: typer.Context) -> None:
    """Set up the team hub: a PostgreSQL database the team shares."""
    help_when_bare(context)


@hub_app.command("init")
def hub_init(url: UrlArgument, as_json: JsonOption = False) -> None:
    """Create the hub's tables in the database at URL, or upgrade an older hub.

    Run it as the database's owner. Run twice, it changes nothing; a hub made by a
    newer loopcloser is refused.

    Example: loopcloser hub init postgresql://admin@db.example/loops?sslmode=verify-full
    """
    from loopcloser.services.hub import init

    before, now = init(url)
    if before is None:
        summary = _("Made a loopcloser hub (schema {schema}).").format(schema=now)
    elif before == now:
        summary = _("The hub is up to date (schema {schema}); nothing changed.").format(schema=now)
    else:
        summary = _("Upgraded the hub from schema {before} to {schema}.").format(
            before=before, schema=now
        )
    emit(as_json, lambda: {"schema_before": before, "schema": now}, said(summary))


@hub_app.command("add-agent")
def hub_add_agent(
    name: Annotated[
        str, typer.Argument(help="The agent's loopcloser name, e.g. anna.", metavar="NAME")
    ],
    hub: HubOption,
    lead: Annotated[
        bool, typer.Option("--lead", help="A team lead: reads everything, may reassign.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Give an agent (or a lead) a login to the hub, and say what they type to join.

    The password is shown once: the agent keeps it in their keyring.

    Example: loopcloser hub add-agent anna --hub postgresql://admin@db.example/loops
    """
    from loopcloser.services.hub import add_agent

    login, password, url = add_agent(hub, name, lead)

    def show() -> None:
        if lead:
            may = _("Lead {name} may log in to the hub as {login}.")
        else:
            may = _("Agent {name} may log in to the hub as {login}.")
        out().write(
            may.format(name=name, login=login)
            + "\n"
            + _("Their hub: {url}").format(url=url)
            + "\n"
            + _("Their password, shown once: {password}").format(password=password)
            + "\n"
        )
        keep = _("Keep the password out of files: the agent stores it in a keyring.")
        sys.stderr.write(keep + "\n")

    emit(as_json, lambda: {"agent": name, "login": login, "lead": lead, "hub": url,
                           "password": password}, show)  # fmt: skip


@hub_app.command("agents")
def hub_agents(hub: HubOption, as_json: JsonOption = False) -> None:
    """The hub's agents and leads, when each last synced and how many loops each owns.

    Example: loopcloser hub agents --hub postgresql://admin@db.example/loops
    """
    from loopcloser.render.tables import plain_table
    from loopcloser.services.hub import agents

    listed = agents(hub)
    data = [
        {
            "agent": agent.name,
            "login": agent.login,
            "lead": agent.lead,
            "last_sync": None if agent.last_sync is None else synced(agent.last_sync),
            "loops": agent.loops,
        }
        for agent in listed
    ]

    def show() -> None:
        rows = [
            [agent.name, p_("role", "lead") if agent.lead else p_("role", "agent"),
             synced(agent.last_sync), str(agent.loops)]
            for agent in listed
        ]  # fmt: skip
        header = [_("AGENT"), _("ROLE"), _("LAST SYNC"), _("LOOPS")]
        out().write(plain_table([header, *rows]))

    emit(as_json, lambda: data, show)


def synced(moment: "datetime | None") -> str:
    """When an agent last synced, for a person."""
    from loopcloser.core.model import to_utc_text

    return _("never") if moment is None else to_utc_text(moment)


@hub_app.command("reassign")
def hub_reassign(
    loop: Annotated[
        str,
        typer.Argument(help="The loop's uid, or its first 8 characters.", metavar="UID"),
    ],
    to: Annotated[str, typer.Option("--to", help="The agent who takes the loop over.")],
    note: Annotated[str, typer.Option("--note", help="Why, and what they need to know.")],
    as_json: JsonOption = False,
) -> None:
    """Move a loop of an absent agent to a colleague (a lead only), straight in the hub.

    What the absent agent changed offline is never dropped: it reaches the hub at their
    next sync, kept in the loop's history as late, changing nothing; both are told.

    Example: loopcloser hub reassign 681e0c6c --to luca --note "Anna is off this week"
    """
    from loopcloser.cli.arguments import require_text
    from loopcloser.cli.context import context
    from loopcloser.services.sync import reassign

    require_text(note, "--note")
    ctx = context(None, as_json)
    moved = reassign(ctx, loop, to.strip(), note)
    emit(
        as_json,
        lambda: {"uid": moved.uid, "customer": moved.customer, "from": moved.was, "to": moved.to},
        said(
            _("Reassigned {uid} ({customer}) from {agent} to {to}.").format(
                uid=moved.uid[:8], customer=moved.customer, agent=moved.was, to=moved.to
            )
        ),
    )
