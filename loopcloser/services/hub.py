"""Setting up a team hub: create or upgrade it, add agents and leads, list them.

What an IT person runs once, and a lead now and then. The hub's tables, rights and
its one writing function are ``storage.hub``; syncing agents' stores with it comes
next.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from loopcloser.core.errors import BadInput
from loopcloser.core.text import one_line_name
from loopcloser.storage import hub


def init(url: str) -> tuple[int | None, int]:
    """Create the hub in the database at ``url``, or upgrade it: (version before, now)."""
    with hub.connect(url) as connection:
        return hub.init(connection)


def add_agent(url: str, name: str, lead: bool = False) -> tuple[str, str, str]:
    """Give agent ``name`` (a lead, with ``lead``) a login: (login, password, their hub URL).

    The password is made here and shown once; the URL is the hub's, with their login
    and no password in it.
    """
    name = name.strip()
    if not one_line_name(name):
        raise BadInput(
            "an agent's name must be one line of 1 to 100 characters",
            hint="use their loopcloser agent name, e.g. anna",
        )
    with hub.connect(url) as connection:
        login, password = hub.add_agent(connection, name, lead)
    return login, password, url_for(url, login)


def agents(url: str) -> list[hub.Agent]:
    """The hub's agents, with their last sync and how many loops each owns."""
    with hub.connect(url) as connection:
        return hub.agents(connection)


def url_for(url: str, login: str) -> str:
    """The hub's URL as an agent types it: their login, no password, the same server."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres"):
        return url  # a key=value connection string: the agent adds user=LOGIN
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    where = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, f"{login}@{where}", parts.path, parts.query, ""))
