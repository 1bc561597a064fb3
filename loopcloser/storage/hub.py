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

from loopcloser.core.errors import BadInput, HubError
from loopcloser.core.words import _

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
    """A connection to the hub at ``url`` (a libpq URI), or HubError saying why not."""
    import psycopg

    extra: dict[str, Any] = {"connect_timeout": max(1, round(timeout))}
    if password:
        extra["password"] = password
    try:
        return psycopg.connect(url, autocommit=True, **extra)
    except psycopg.OperationalError as error:
        reason = " ".join(str(error).split()) or type(error).__name__
        raise HubError(
            _("cannot reach the hub: {reason}").format(reason=reason),
            hint=_(
                "check the hub URL, the password and that the server is up;"
                " local commands work without it"
            ),
        ) from None
    except psycopg.ProgrammingError as error:
        raise BadInput(
            _("the hub URL cannot be read: {reason}").format(reason=error),
            hint=_("use a libpq URI"),
        ) from None


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
        raise HubError(
            _("this database has a loopcloser schema without a version: it is not a hub"),
            hint=_("point the hub URL at the hub's database"),
        )
    return int(value[0])


def check_version(version: int | None) -> int:
    """A hub this loopcloser can use, or HubError saying what to do."""
    if version is None:
        raise HubError(
            _("this database is not a loopcloser hub"),
            hint=_("create one with: loopcloser hub init URL"),
        )
    if version > latest():
        raise HubError(
            _(
                "the hub was made by a newer loopcloser (schema {version}; this one knows {known})"
            ).format(version=version, known=latest()),
            hint=_("upgrade loopcloser"),
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
        sql.SQL("GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA {} TO {}").format(schema, readers),
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
            _("{name} is too long for a PostgreSQL login ({limit} bytes at most)").format(
                name=repr(name), limit=MAX_LOGIN
            ),
            hint=_("give the agent a shorter name"),
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
            _("a PostgreSQL role {login} exists already").format(login=repr(login)),
            hint=_("choose another name, or ask the database's administrator"),
        ) from None
    except errors.ReservedName:
        raise BadInput(
            _("{login} is a name PostgreSQL keeps for itself").format(login=repr(login)),
            hint=_("choose another name"),
        ) from None
    return login, password


def refused(error: Exception) -> HubError:
    """A database error in one line, with what to do: never a traceback."""
    return HubError(
        _("the hub refused: {reason}").format(reason=refusal(error)),
        hint=_(
            "check that the role in the hub URL may do this (hub init and add-agent need"
            " the database's owner)"
        ),
    )


def refusal(error: Exception) -> str:
    """What the database said when it refused: the first line of its message."""
    first = (str(error).strip().splitlines() or [type(error).__name__])[0]
    return first.removeprefix("loopcloser: ")


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


def record(connection: Any, event_uid: str, loop_uid: str, event: str) -> tuple[str, int]:
    """Send one event (its stored JSON) through hub_record(): (outcome, the loop's seq).

    The outcome is 'stored', 'duplicate' (held already: a re-send) or 'late'.
    """
    row = connection.execute(
        f"SELECT outcome, hub_seq FROM {SCHEMA}.hub_record(%s, %s, %s::jsonb)",
        (event_uid, loop_uid, event),
    ).fetchone()
    return str(row[0]), int(row[1])


def record_all(
    connection: Any, loop_uid: str, events: str, base: int, fields: str, void: str
) -> tuple[list[str], int, bool]:
    """Send a loop's waiting events (a JSON array, each with its uid) in one call: each
    one's outcome, the loop's event count after the last, and whether ``fields`` (the
    loop after them, on top of the ``base`` events the caller knew) were set."""
    row = connection.execute(
        f"""SELECT outcomes, hub_seq, settled
            FROM {SCHEMA}.hub_record_all(%s, %s::jsonb, %s, %s::jsonb, %s::jsonb)""",
        (loop_uid, events, base, fields, void),
    ).fetchone()
    return [str(outcome) for outcome in row[0]], int(row[1]), bool(row[2])


def set_fields(connection: Any, loop_uid: str, seq: int, fields: str, void: str = "{}") -> bool:
    """Set a loop's fields as replay of its ``seq`` events gives them; False if it has more."""
    row = connection.execute(
        f"SELECT {SCHEMA}.hub_fields(%s, %s, %s::jsonb, %s::jsonb)", (loop_uid, seq, fields, void)
    ).fetchone()
    return bool(row[0])


def events_after(connection: Any, loop_uid: str, seq: int) -> list[dict[str, Any]]:
    """A loop's events past its first ``seq``, in the hub's order, as its replicas keep them."""
    rows = connection.execute(
        f"""SELECT CASE WHEN late THEN body || '{{"void": "late"}}' ELSE body END
            FROM {SCHEMA}.loop_events WHERE loop_uid = %s AND seq > %s ORDER BY seq""",
        (loop_uid, seq),
    ).fetchall()
    return [row[0] for row in rows]


def owners(connection: Any, loop_uids: list[str]) -> dict[str, str]:
    """The owner of each of these loops the hub holds, by uid."""
    rows = connection.execute(
        f"SELECT uid::text, owner FROM {SCHEMA}.loops WHERE uid = ANY(%s::uuid[])", (loop_uids,)
    ).fetchall()
    return {str(uid): str(owner) for uid, owner in rows}


def erase(connection: Any, loop_uids: list[str]) -> int:
    """Erase these loops from the hub, leaving tombstones; how many it held."""
    row = connection.execute(f"SELECT {SCHEMA}.hub_erase(%s::uuid[])", (loop_uids,)).fetchone()
    return int(row[0])


def mark_synced(connection: Any) -> None:
    """Note that the caller has just synced, for the lead's ``hub agents``."""
    connection.execute(f"SELECT {SCHEMA}.hub_synced()")


def epoch(connection: Any) -> str:
    """The hub's epoch: it changes when the hub is made anew, and cursors start over."""
    row = connection.execute(f"SELECT value FROM {SCHEMA}.hub_meta WHERE key = 'epoch'").fetchone()
    return str(row[0])


@dataclass(frozen=True)
class Changes:
    """What changed in the hub after a position, as one snapshot saw it."""

    top: int
    """The newest position: the next pull starts after it (below the one asked after: a
    hub restored from a backup)."""
    loops: list[tuple[str, str, int]]
    """(uid, owner, seq) of each changed loop that concerns the agent."""
    erased: list[str]


def changes_since(connection: Any, position: int, agent: str) -> Changes:
    """The loops that changed after ``position`` and concern ``agent``, and the erasures.

    A loop concerns an agent who owns it, wrote in it or was handed it; they come in
    the order they were made, so a second machine numbers them alike. Positions
    commit in order, so nothing below ``top`` can appear later. Run it inside a
    repeatable-read transaction with :func:`documents`, so both see one snapshot.
    """
    top_row = connection.execute(
        f"""SELECT greatest((SELECT max(position) FROM {SCHEMA}.loop_events),
                            (SELECT max(position) FROM {SCHEMA}.erasures))"""
    ).fetchone()
    top = int(top_row[0] or 0)
    if top <= position:
        return Changes(top=top, loops=[], erased=[])
    loops = connection.execute(
        f"""SELECT l.uid::text, l.owner, l.seq FROM {SCHEMA}.loops l
            WHERE l.uid IN (SELECT e.loop_uid FROM {SCHEMA}.loop_events e WHERE e.position > %s)
              AND (l.owner = %s OR EXISTS (
                    SELECT 1 FROM {SCHEMA}.loop_events x WHERE x.loop_uid = l.uid
                    AND (x.author = %s OR x.body->'changes'->>'owner' = %s)))
            ORDER BY (SELECT f.position FROM {SCHEMA}.loop_events f
                      WHERE f.loop_uid = l.uid AND f.seq = 1)""",
        (position, agent, agent, agent),
    ).fetchall()
    erased = connection.execute(
        f"SELECT loop_uid::text FROM {SCHEMA}.erasures WHERE position > %s", (position,)
    ).fetchall()
    return Changes(
        top=top,
        loops=[(str(uid), str(owner), int(seq)) for uid, owner, seq in loops],
        erased=[str(row[0]) for row in erased],
    )


def documents(connection: Any, loop_uids: list[str]) -> dict[str, tuple[dict[str, Any], list[Any]]]:
    """The hub's copy of these loops: their fields and events, by uid."""
    rows = connection.execute(
        f"SELECT uid::text, fields, events FROM {SCHEMA}.loops WHERE uid = ANY(%s::uuid[])",
        (loop_uids,),
    ).fetchall()
    return {str(uid): (fields, events) for uid, fields, events in rows}


def team_documents(
    connection: Any, since: str | None = None, owner: str | None = None
) -> list[dict[str, Any]]:
    """Every loop in the hub as a store keeps it (owner from the hub), in no order.

    With ``since`` (UTC text), only loops still open or with an event since then: the
    rows are chosen on plain columns, so the loops left out are never unpacked.
    """
    import orjson

    clauses, values = [], []
    if since is not None:
        clauses.append("(active OR last_at >= %s)")
        values.append(since)
    if owner is not None:
        clauses.append("owner = %s")
        values.append(owner)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    rows = connection.execute(
        f"""SELECT (fields || jsonb_build_object('events', events))::text
            FROM {SCHEMA}.loops {where}""",
        values,
    ).fetchall()
    return [orjson.loads(row[0]) for row in rows]


def find_loop(
    connection: Any, prefix: str
) -> list[tuple[str, str, int, dict[str, Any], list[Any]]]:
    """The loops whose uid starts with ``prefix`` (at most two): uid, owner, seq, fields, events."""
    rows = connection.execute(
        f"""SELECT uid::text, owner, seq, fields, events FROM {SCHEMA}.loops
            WHERE uid::text LIKE %s LIMIT 2""",
        (prefix.replace("%", "").replace("_", "") + "%",),
    ).fetchall()
    return [(str(u), str(o), int(s), f, e) for u, o, s, f, e in rows]


def loops_naming(connection: Any, who: str) -> list[tuple[str, dict[str, Any]]]:
    """The loops whose text holds every word of ``who`` (any case): uid and document.

    A coarse net, cast by the database; the caller decides which are the customer's.
    """
    words = [word for word in re.split(r"[\s._-]+", who) if word]
    if not words:
        return []
    whole = "(fields || jsonb_build_object('events', events))::text ILIKE %s"
    likes = [
        "%" + word.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_") + "%"
        for word in words
    ]
    rows = connection.execute(
        f"""SELECT uid::text, fields || jsonb_build_object('events', events)
            FROM {SCHEMA}.loops WHERE {" AND ".join([whole] * len(words))}""",
        likes,
    ).fetchall()
    return [(str(uid), document) for uid, document in rows]
