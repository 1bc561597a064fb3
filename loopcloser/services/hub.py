"""Setting up a team hub: create or upgrade it, add agents and leads, list them.

What an IT person runs once, and a lead now and then. The hub's tables, rights and
its one writing function are ``storage.hub``; syncing agents' stores with it comes
next.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from loopcloser.core.errors import BadInput
from loopcloser.core.text import one_line_name
from loopcloser.core.words import _
from loopcloser.storage import hub

Result = TypeVar("Result")
NOT_FOR_AGENTS = frozenset({"password", "passfile", "user"})


def using(url: str, work: Callable[[Any], Result]) -> Result:
    """``work`` done on a connection to the hub at ``url``; what the database refuses
    becomes one line, never a traceback."""
    import psycopg

    with hub.connect(url) as connection:
        try:
            return work(connection)
        except psycopg.Error as error:
            raise hub.refused(error) from None


def init(url: str) -> tuple[int | None, int]:
    """Create the hub in the database at ``url``, or upgrade it: (version before, now)."""
    return using(url, hub.init)


def add_agent(url: str, name: str, lead: bool = False) -> tuple[str, str, str]:
    """Give agent ``name`` (a lead, with ``lead``) a login: (login, password, their hub URL).

    The password is made here and shown once; the URL is the hub's, with their login
    and no password in it.
    """
    name = name.strip()
    if not one_line_name(name):
        raise BadInput(
            _("an agent's name must be one line of 1 to 100 characters"),
            hint=_("use their loopcloser agent name, e.g. anna"),
        )
    theirs = url_for(url, name)  # before the role exists: a URL that cannot be read stops here
    login, password = using(url, lambda connection: hub.add_agent(connection, name, lead))
    return login, password, theirs


def agents(url: str) -> list[hub.Agent]:
    """The hub's agents, with their last sync and how many loops each owns."""
    return using(url, hub.agents)


def url_for(url: str, login: str) -> str:
    """The hub's connection string as an agent types it: their login, the same server and
    options, and never the administrator's user or password."""
    parts = urlsplit(url)
    if parts.scheme in ("postgresql", "postgres"):
        servers = parts.netloc.rpartition("@")[2]  # every host:port, as given
        query = [(key, value) for key, value in parse_qsl(parts.query) if key not in NOT_FOR_AGENTS]
        netloc = f"{quote(login, safe='')}@{servers}"
        return urlunsplit((parts.scheme, netloc, parts.path, urlencode(query), ""))
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    try:
        options = conninfo_to_dict(url)
    except Exception as error:
        raise BadInput(
            _("the hub URL cannot be read: {reason}").format(reason=error),
            hint=_("use a libpq URI"),
        ) from None
    kept = {key: value for key, value in options.items() if key not in NOT_FOR_AGENTS}
    return make_conninfo("", **kept, user=login)
