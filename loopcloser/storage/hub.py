"""The team hub: a PostgreSQL database that holds the team's copy of every loop.

Its tables live in the schema ``loopcloser``, owned by a role that cannot log in.
Agents and leads log in with roles of their own, members of the hub's agent (or
lead) group: they may read the team's rows and call ``hub_record()``, the one
function that writes, and nothing else. Row-level security is forced on every
table, so PostgreSQL itself, not loopcloser, keeps an agent from rewriting history.

The schema is versioned migrations kept beside this module (``hub_schema/``):
``init`` applies the ones a hub lacks, refuses a hub made by a newer loopcloser,
and changes nothing when run twice.

psycopg is imported only here, and only when a command talks to the hub.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from typing import Any

from loopcloser.core.errors import BadInput, StoreError

SCHEMA = "loopcloser"
CONNECT_TIMEOUT = 5
"""Seconds to wait for the hub: libpq's own default is over two minutes."""
MIGRATION = re.compile(r"(\d{4})_[a-z_]+\.sql")


@dataclass(frozen=True)
class Roles:
    """The hub's group roles, named after its database: one cluster may hold several hubs."""

    owner: str
    agents: str
    leads: str

    @classmethod
    def of(cls, database: str) -> Roles:
        """The roles of the hub in ``database``."""
        return cls(f"{database}_hub_owner", f"{database}_hub_agents", f"{database}_hub_leads")


@dataclass(frozen=True)
class Agent:
    """An agent as the hub knows them: their login role, whether a lead, their loops."""

    name: str
    login: str
    lead: bool
    last_sync: datetime | None
    loops: int


def migrations() -> list[tuple[int, str]]:
    """The schema's migrations, in order: (version, SQL)."""
    folder = resources.files("loopcloser.storage") / "hub_schema"
    found = []
    for entry in folder.iterdir():
        matched = MIGRATION.fullmatch(entry.name)
        if matched:
            found.append((int(matched[1]), entry.read_text(encoding="utf-8")))
    return sorted(found)


def latest() -> int:
    """The newest schema version this loopcloser knows."""
    return migrations()[-1][0]


def connect(url: str, password: str | None = None, timeout: float = CONNECT_TIMEOUT) -> Any:
    """A connection to the hub at ``url`` (a libpq URI), or StoreError saying why not."""
    import psycopg

    extra: dict[str, Any] = {"connect_timeout": max(1, round(timeout))}
    if password:
        extra["password"] = password
    try:
        return psycopg.connect(url, autocommit=True, **extra)
    except psycopg.OperationalError as error:
        reason = " ".join(str(error).split()) or type(error).__name__
        raise StoreError(
            f"cannot reach the hub: {reason}",
            hint="check the hub URL, the password and that the server is up;"
            " local commands work without it",
        ) from None
    except psycopg.ProgrammingError as error:
        raise BadInput(f"the hub URL cannot be read: {error}", hint="use a libpq URI") from None


def schema_version(connection: Any) -> int | None:
    """The hub's schema version, or None for a database that holds no hub."""
    row = connection.execute(
        "SELECT to_regclass(%s) IS NOT NULL", (f"{SCHEMA}.hub_meta",)
    ).fetchone()
    if not row or not row[0]:
        return None
    value = connection.execute(
        f"SELECT value FROM {SCHEMA}.hub_meta WHERE key = 'schema_version'"
    ).fetchone()
    if value is None or not str(value[0]).isdigit():
        raise StoreError(
            "this database has a loopcloser schema without a version: it is not a hub",
            hint="point the hub URL at the hub's database",
        )
    return int(value[0])


def check_version(version: int | None) -> int:
    """A hub this loopcloser can use, or StoreError saying what to do."""
    if version is None:
        raise StoreError(
            "this database is not a loopcloser hub", hint="create one with: loopcloser hub init URL"
        )
    if version > latest():
        raise StoreError(
            f"the hub was made by a newer loopcloser (schema {version}; this one knows {latest()})",
            hint="upgrade loopcloser",
        )
    return version


def init(connection: Any) -> tuple[int | None, int]:
    """Create the hub, or bring an older one up to date; (version before, version now).

    Run as a role that may create roles and schemas (the database's owner, say). Run
    twice, it changes nothing.
    """
    from psycopg import sql

    before = schema_version(connection)
    if before is not None:
        check_version(before)
    database = connection.info.dbname
    roles = Roles.of(database)
    with connection.transaction():
        for role in (roles.owner, roles.agents, roles.leads):
            exists = connection.execute(
                "SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)
            ).fetchone()
            if not exists:
                connection.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(role)))
        owner = sql.Identifier(roles.owner)
        connection.execute(sql.SQL("GRANT {} TO CURRENT_USER").format(owner))
        connection.execute(
            sql.SQL("CREATE SCHEMA IF NOT EXISTS {} AUTHORIZATION {}").format(
                sql.Identifier(SCHEMA), owner
            )
        )
        # A temporary table named like one of ours would shadow it for a session: no
        # agent may make one (hub_record also names its tables in full). Revoked by the
        # role that runs init, which holds the database's own grants.
        connection.execute(
            sql.SQL("REVOKE TEMPORARY ON DATABASE {} FROM PUBLIC").format(sql.Identifier(database))
        )
        connection.execute(sql.SQL("SET LOCAL ROLE {}").format(owner))
        connection.execute(sql.SQL("SET LOCAL search_path TO {}").format(sql.Identifier(SCHEMA)))
        for version, script in migrations():
            if before is None or version > before:
                connection.execute(script)
                connection.execute(
                    "UPDATE hub_meta SET value = %s WHERE key = 'schema_version'", (str(version),)
                )
        lock_down(connection, roles)
    return before, latest()


def lock_down(connection: Any, roles: Roles) -> None:
    """Rights, granted afresh: read the team's rows, write only through hub_record()."""
    from psycopg import sql

    schema = sql.Identifier(SCHEMA)
    readers = sql.SQL("{}, {}").format(sql.Identifier(roles.agents), sql.Identifier(roles.leads))
    owner = sql.Identifier(roles.owner)
    statements = [
        sql.SQL("REVOKE ALL ON SCHEMA {} FROM PUBLIC").format(schema),
        sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(schema, readers),
        sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA {} FROM PUBLIC").format(schema),
        sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}").format(schema, readers),
        sql.SQL("REVOKE ALL ON ALL FUNCTIONS IN SCHEMA {} FROM PUBLIC").format(schema),
        sql.SQL("GRANT EXECUTE ON FUNCTION {}.hub_record TO {}").format(schema, readers),
    ]
    for table in ("hub_meta", "agents", "loops", "loop_events", "erasures"):
        name = sql.Identifier(SCHEMA, table)
        statements += [
            sql.SQL("ALTER TABLE {} ENABLE ROW LEVEL SECURITY").format(name),
            sql.SQL("ALTER TABLE {} FORCE ROW LEVEL SECURITY").format(name),
            sql.SQL("DROP POLICY IF EXISTS hub_owner ON {}").format(name),
            sql.SQL("CREATE POLICY hub_owner ON {} TO {} USING (true) WITH CHECK (true)").format(
                name, owner
            ),
            sql.SQL("DROP POLICY IF EXISTS team_reads ON {}").format(name),
            sql.SQL("CREATE POLICY team_reads ON {} FOR SELECT TO {} USING (true)").format(
                name, readers
            ),
        ]
    for statement in statements:
        connection.execute(statement)


MAX_LOGIN = 63
"""PostgreSQL cuts a role's name at 63 bytes: a longer one could never be matched."""


def add_agent(connection: Any, name: str, lead: bool = False) -> tuple[str, str]:
    """Create the login role of agent ``name`` (a lead's, with ``lead``) and list them.

    Returns the login and a new password, shown once: the agent keeps it in the keyring.
    The server is sent the password's SCRAM verifier, never the password itself, so
    no statement log holds it.
    """
    from psycopg import errors, sql

    check_version(schema_version(connection))
    roles = Roles.of(connection.info.dbname)
    login = name
    if len(login.encode("utf-8")) > MAX_LOGIN:
        raise BadInput(
            f"{name!r} is too long for a PostgreSQL login ({MAX_LOGIN} bytes at most)",
            hint="give the agent a shorter name",
        )
    password = secrets.token_urlsafe(18)
    verifier = connection.pgconn.encrypt_password(
        password.encode(), login.encode("utf-8"), b"scram-sha-256"
    ).decode()
    groups = [roles.agents, *([roles.leads] if lead else [])]
    try:
        with connection.transaction():
            connection.execute(
                sql.SQL("CREATE ROLE {} LOGIN PASSWORD {} IN ROLE {}").format(
                    sql.Identifier(login),
                    sql.Literal(verifier),
                    sql.SQL(", ").join(sql.Identifier(group) for group in groups),
                )
            )
            connection.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(roles.owner)))
            connection.execute(
                f"INSERT INTO {SCHEMA}.agents (name, login, lead) VALUES (%s, %s, %s)",
                (name, login, lead),
            )
    except errors.DuplicateObject:
        raise BadInput(
            f"a PostgreSQL role {login!r} exists already",
            hint="choose another name, or ask the database's administrator",
        ) from None
    except errors.ReservedName:
        raise BadInput(
            f"{login!r} is a name PostgreSQL keeps for itself", hint="choose another name"
        ) from None
    return login, password


def refused(error: Exception) -> StoreError:
    """A database error in one line, with what to do: never a traceback."""
    first = (str(error).strip().splitlines() or [type(error).__name__])[0]
    first = first.removeprefix("loopcloser: ")
    return StoreError(
        f"the hub refused: {first}",
        hint="check that the role in the hub URL may do this (hub init and add-agent need"
        " the database's owner)",
    )


def agents(connection: Any) -> list[Agent]:
    """Every agent of the hub, with when they last synced and how many loops they own."""
    check_version(schema_version(connection))
    rows = connection.execute(
        f"""SELECT a.name, a.login, a.lead, a.last_sync, count(l.uid)
            FROM {SCHEMA}.agents a LEFT JOIN {SCHEMA}.loops l ON l.owner = a.name
            GROUP BY a.name, a.login, a.lead, a.last_sync ORDER BY a.name"""
    ).fetchall()
    return [Agent(*row) for row in rows]


def me(connection: Any) -> str | None:
    """The agent this connection's login is, or None when the hub does not know it."""
    row = connection.execute(
        f"SELECT name FROM {SCHEMA}.agents WHERE login = session_user"
    ).fetchone()
    return None if row is None else str(row[0])


def record(
    connection: Any, event_uid: str, loop_uid: str, kind: str, body: str, fields: str
) -> str:
    """Send one event through hub_record(): 'stored', 'duplicate' or 'late'."""
    row = connection.execute(
        f"SELECT {SCHEMA}.hub_record(%s, %s, %s, %s::jsonb, %s::jsonb)",
        (event_uid, loop_uid, kind, body, fields),
    ).fetchone()
    return str(row[0])
