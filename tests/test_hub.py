"""The team hub's schema and rights, held by PostgreSQL itself and proved with plain SQL.

Every test here runs against a real PostgreSQL server started for the test session
(see the ``postgres`` fixture); nothing is mocked.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import errors

from loopcloser.core.errors import HubError
from loopcloser.storage import hub
from tests.conftest import Run


@pytest.fixture
def admin(hub_database: str) -> Iterator[Any]:
    """The hub's database, as the role that runs `hub init` (its owner)."""
    with hub.connect(hub_database) as connection:
        yield connection


@pytest.fixture
def team(admin: Any, hub_database: str) -> dict[str, str]:
    """A hub with agents anna and luca and a lead, bruno: each one's URI."""
    hub.init(admin)
    suffix = uuid.uuid4().hex[:6]  # roles belong to the whole server
    uris = {}
    for name, lead in (("anna", False), ("luca", False), ("bruno", True)):
        login, password = hub.add_agent(admin, f"{name}_{suffix}", lead=lead)
        uris[name] = hub_database.replace("postgres:@", f"{login}:{password}@")
    return uris


def as_agent(uri: str) -> Any:
    return psycopg.connect(uri, autocommit=True)


def event(kind: str, **extra: Any) -> str:
    return json.dumps({"kind": kind, "at": "2026-11-25T09:00:00Z", "by": "x", **extra})


def write(uri: str, loop_uid: str, kind: str, owner: str | None = None) -> str:
    """One event through hub_record, as an agent; a handoff or reassignment to ``owner``."""
    changes = {} if owner is None else {"changes": {"owner": owner}}
    with as_agent(uri) as connection:
        return hub.record(connection, str(uuid.uuid4()), loop_uid, event(kind, **changes))[0]


def new_loop(uri: str) -> str:
    loop_uid = str(uuid.uuid4())
    assert write(uri, loop_uid, "created") == "stored"
    return loop_uid


def test_init_makes_a_hub_and_run_twice_changes_nothing(admin: Any) -> None:
    assert hub.schema_version(admin) is None
    assert hub.init(admin) == (None, hub.latest())
    epoch = admin.execute("SELECT value FROM loopcloser.hub_meta WHERE key = 'epoch'").fetchone()
    assert hub.init(admin) == (hub.latest(), hub.latest())
    again = admin.execute("SELECT value FROM loopcloser.hub_meta WHERE key = 'epoch'").fetchone()
    assert epoch == again


def test_init_upgrades_a_hub_of_schema_1_keeping_its_loops(
    admin: Any, hub_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = hub.migrations()[:1]
    with monkeypatch.context() as older:
        older.setattr(hub, "migrations", lambda: first)
        assert hub.init(admin) == (None, 1)
        login, password = hub.add_agent(admin, f"old_{uuid.uuid4().hex[:6]}")
    loop_uid = str(uuid.uuid4())
    with psycopg.connect(hub_database.replace("postgres:@", f"{login}:{password}@"),
                         autocommit=True) as agent:  # fmt: skip
        agent.execute(
            "SELECT loopcloser.hub_record(%s, %s, 'created', %s::jsonb, %s::jsonb)",
            (str(uuid.uuid4()), loop_uid, event("created"), '{"state": "open"}'),
        )
    assert hub.init(admin) == (1, hub.latest())
    row = admin.execute(
        "SELECT jsonb_array_length(events), active, last_at FROM loopcloser.loops"
    ).fetchone()
    assert row == (1, True, "2026-11-25T09:00:00Z")
    assert hub.init(admin) == (hub.latest(), hub.latest())


def test_a_hub_of_a_newer_loopcloser_is_refused(admin: Any) -> None:
    hub.init(admin)
    admin.execute("UPDATE loopcloser.hub_meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(HubError, match="newer loopcloser") as refused:
        hub.init(admin)
    assert refused.value.hint == "upgrade loopcloser"
    with pytest.raises(HubError, match="newer loopcloser"):
        hub.agents(admin)


def test_a_database_that_is_no_hub_is_named(admin: Any) -> None:
    with pytest.raises(HubError, match="not a loopcloser hub") as refused:
        hub.agents(admin)
    assert "hub init" in (refused.value.hint or "")


def test_an_unreachable_hub_fails_within_the_timeout() -> None:
    started = time.monotonic()
    with pytest.raises(HubError, match="cannot reach the hub"):
        hub.connect("postgresql://nobody@127.0.0.1:9/none", timeout=2)
    assert time.monotonic() - started < 10


def test_agents_are_listed_with_their_loops(team: dict[str, str], admin: Any) -> None:
    new_loop(team["anna"])
    new_loop(team["anna"])
    listed = {agent.name.split("_")[0]: agent for agent in hub.agents(admin)}
    assert {name: (agent.lead, agent.loops) for name, agent in listed.items()} == {
        "anna": (False, 2),
        "bruno": (True, 0),
        "luca": (False, 0),
    }


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO loopcloser.loop_events (uid, loop_uid, seq, author, kind, body, position)"
        " VALUES (gen_random_uuid(), gen_random_uuid(), 1, 'x', 'note', '{}', 999)",
        "UPDATE loopcloser.loops SET owner = owner",
        "DELETE FROM loopcloser.loop_events",
        "UPDATE loopcloser.loop_events SET body = '{}'",
        "INSERT INTO loopcloser.agents (name, login) VALUES ('eve', 'eve')",
        "DELETE FROM loopcloser.erasures",
        "TRUNCATE loopcloser.loop_events",
    ],
)
def test_an_agent_can_rewrite_nothing_with_plain_sql(team: dict[str, str], statement: str) -> None:
    new_loop(team["anna"])
    with as_agent(team["luca"]) as luca, pytest.raises(errors.InsufficientPrivilege):
        luca.execute(statement)


def test_an_agent_reads_the_teams_loops(team: dict[str, str]) -> None:
    new_loop(team["anna"])
    with as_agent(team["luca"]) as luca:
        assert luca.execute("SELECT count(*) FROM loopcloser.loops").fetchone() == (1,)


def test_agent_b_cannot_write_agent_as_loop(team: dict[str, str]) -> None:
    loop_uid = new_loop(team["anna"])
    with pytest.raises(errors.InsufficientPrivilege, match="not luca"):
        write(team["luca"], loop_uid, "note")
    assert write(team["anna"], loop_uid, "note") == "stored"


def test_a_re_sent_event_is_stored_once(team: dict[str, str]) -> None:
    loop_uid = new_loop(team["anna"])
    event_uid = str(uuid.uuid4())
    with as_agent(team["anna"]) as anna:
        first = hub.record(anna, event_uid, loop_uid, event("note"))[0]
        again = hub.record(anna, event_uid, loop_uid, event("note"))[0]
        count = anna.execute(
            "SELECT count(*) FROM loopcloser.loop_events WHERE uid = %s", (event_uid,)
        ).fetchone()
    assert (first, again, count) == ("stored", "duplicate", (1,))


def test_a_handoff_moves_the_loop_and_the_giver_can_no_longer_change_it(
    team: dict[str, str],
) -> None:
    loop_uid = new_loop(team["anna"])
    luca = team["luca"].split("://")[1].split(":")[0]
    assert write(team["anna"], loop_uid, "handoff", luca) == "stored"
    assert write(team["luca"], loop_uid, "note") == "stored"
    # Anna owned it once: a change she made offline is kept, as a late arrival.
    assert write(team["anna"], loop_uid, "note") == "late"


def test_only_a_lead_reassigns(team: dict[str, str]) -> None:
    loop_uid = new_loop(team["anna"])
    luca = team["luca"].split("://")[1].split(":")[0]
    with pytest.raises(errors.InsufficientPrivilege, match="only a lead"):
        write(team["luca"], loop_uid, "reassigned", luca)
    assert write(team["bruno"], loop_uid, "reassigned", luca) == "stored"
    with as_agent(team["luca"]) as connection:
        owner = connection.execute(
            "SELECT owner FROM loopcloser.loops WHERE uid = %s", (loop_uid,)
        ).fetchone()
    assert owner == (luca,)


def test_positions_commit_in_the_order_they_are_taken(team: dict[str, str]) -> None:
    """A writer holding its transaction open makes the next one wait: no reader past a
    position can miss a lower one committed later."""
    first = new_loop(team["anna"])
    second = new_loop(team["luca"])
    slow = psycopg.connect(team["anna"])  # not autocommit: its transaction stays open
    hub.record(slow, str(uuid.uuid4()), first, event("note"))
    finished = threading.Event()

    def other_writer() -> None:
        write(team["luca"], second, "note")
        finished.set()

    thread = threading.Thread(target=other_writer)
    thread.start()
    assert not finished.wait(0.5), "the second writer took a position before the first committed"
    slow.commit()
    slow.close()
    assert finished.wait(10)
    thread.join()
    with as_agent(team["luca"]) as reader:
        rows = reader.execute(
            "SELECT loop_uid::text FROM loopcloser.loop_events"
            " WHERE kind = 'note' ORDER BY position"
        ).fetchall()
    assert [row[0] for row in rows] == [first, second]


# --- through the command line --------------------------------------------------


def test_hub_commands_set_up_a_team_and_keep_to_their_schemas(run: Run, hub_database: str) -> None:
    from tests.test_schemas import valid

    made = run("hub", "init", hub_database, "--json")
    assert made.code == 0, made.err
    valid("hub-init", made.json())
    assert made.json() == {"schema_before": None, "schema": hub.latest()}
    assert run("hub", "init", hub_database).out == (
        f"The hub is up to date (schema {hub.latest()}); nothing changed.\n"
    )
    login = f"anna_{uuid.uuid4().hex[:6]}"
    added = run("hub", "add-agent", login, "--hub", hub_database, "--json")
    assert added.code == 0, added.err
    valid("hub-agent", added.json())
    joined = added.json()
    assert joined["login"] == login and ":" not in joined["hub"].split("@")[0].split("//")[1]
    assert joined["hub"].startswith(f"postgresql://{login}@") and joined["password"]
    shown = run("hub", "add-agent", f"bruno_{uuid.uuid4().hex[:6]}", "--lead", "--hub",
                hub_database)  # fmt: skip
    assert shown.code == 0 and "Lead bruno_" in shown.out and "shown once" in shown.out
    listed = run("hub", "agents", "--hub", hub_database, "--json")
    valid("hub-agents", listed.json())
    assert sorted((row["lead"], row["loops"]) for row in listed.json()) == [(False, 0), (True, 0)]
    table = run("hub", "agents", "--hub", hub_database).out
    assert "never" in table and login in table


def test_hub_commands_fail_in_one_line_when_the_hub_is_down(run: Run) -> None:
    down = run("hub", "agents", "--hub", "postgresql://nobody@127.0.0.1:9/none?connect_timeout=2")
    assert down.code == 7
    assert down.err.startswith("loopcloser: cannot reach the hub") and down.err.count("\n") == 1


def test_an_agent_name_already_taken_is_refused(run: Run, hub_database: str) -> None:
    run("hub", "init", hub_database)
    login = f"luca_{uuid.uuid4().hex[:6]}"
    assert run("hub", "add-agent", login, "--hub", hub_database).code == 0
    again = run("hub", "add-agent", login, "--hub", hub_database)
    assert again.code == 2 and "exists already" in again.err


# --- an agent's hub setting ----------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://anna:s3cret@db.example/loops",
        "postgresql://anna@db.example/loops?password=s3cret",
        "host=db.example dbname=loops user=anna password=s3cret",
    ],
)
def test_a_hub_url_with_a_password_is_refused(run: Run, home: Path, url: str) -> None:
    refused = run("config", "set", "hub", url)
    assert refused.code == 2 and "password" in refused.err and "hub_password" in refused.err
    assert "s3cret" not in (home / "config.toml").read_text(encoding="utf-8")


def test_the_hub_setting_takes_a_url_or_a_connection_string(run: Run) -> None:
    for url in ("postgresql://anna@db.example/loops?sslmode=verify-full",
                "host=db.example dbname=loops user=anna"):  # fmt: skip
        assert run("config", "set", "hub", url).code == 0
    assert run("config", "set", "hub", "db.example").code == 2


def test_doctor_checks_the_hub_the_schema_and_the_agents_login(
    run: Run, hub_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    run("hub", "init", hub_database)
    login = f"anna_{uuid.uuid4().hex[:6]}"
    joined = run("hub", "add-agent", login, "--hub", hub_database, "--json").json()
    monkeypatch.setenv("LOOPCLOSER_HUB_PASSWORD", joined["password"])
    assert run("config", "set", "agent", login).code == 0
    # The test server listens on a socket: the agent's URL names it as the admin's does.
    monkeypatch.setenv("LOOPCLOSER_HUB", hub_database.replace("postgres:@", f"{login}:@"))

    healthy = run("doctor", "--json")
    (check,) = [check for check in healthy.json() if check["name"] == "hub"]
    assert check["ok"] and check["detail"] == f"schema {hub.latest()}, agent {login}"

    run("config", "set", "agent", "bob")
    mistaken = run("doctor", "--json")
    (check,) = [check for check in mistaken.json() if check["name"] == "hub"]
    assert not check["ok"] and f"as agent {login}, and you are bob" in check["detail"]

    monkeypatch.setenv("LOOPCLOSER_HUB", hub_database)  # the admin: no agent of the hub
    stranger = run("doctor", "--json")
    (check,) = [check for check in stranger.json() if check["name"] == "hub"]
    assert stranger.code == 7 and not check["ok"] and "hub add-agent" in check["fix"]

    monkeypatch.setenv("LOOPCLOSER_HUB", "postgresql://nobody@127.0.0.1:9/none?connect_timeout=2")
    down = run("doctor", "--json")
    (check,) = [check for check in down.json() if check["name"] == "hub"]
    assert down.code == 7 and "cannot reach the hub" in check["detail"]
    assert run("list").code == 0, "local commands work with the hub down"


def test_a_temporary_table_cannot_pose_as_the_hubs_own(team: dict[str, str]) -> None:
    """hub_record names its tables in full, and no agent may make a temporary table."""
    loop_uid = new_loop(team["anna"])
    with as_agent(team["luca"]) as luca, pytest.raises(errors.InsufficientPrivilege):
        luca.execute(
            "CREATE TEMP TABLE agents (name text, login text, lead boolean, last_sync timestamptz)"
        )
    with pytest.raises(errors.InsufficientPrivilege, match="not luca"):
        write(team["luca"], loop_uid, "note")


def test_an_event_uid_of_another_loop_or_agent_is_refused(team: dict[str, str]) -> None:
    loop_uid = new_loop(team["anna"])
    theirs = new_loop(team["luca"])
    event_uid = str(uuid.uuid4())
    with as_agent(team["anna"]) as anna:
        assert hub.record(anna, event_uid, loop_uid, event("note"))[0] == "stored"
    with as_agent(team["luca"]) as luca, pytest.raises(errors.UniqueViolation):
        hub.record(luca, event_uid, theirs, event("note"))


@pytest.mark.parametrize(
    ("admin_url", "expected"),
    [
        ("postgresql://admin:pw@db.example:5433/loops?sslmode=verify-full&password=x",
         "postgresql://anna@db.example:5433/loops?sslmode=verify-full"),
        ("postgresql://admin@h1:5432,h2:5433/loops", "postgresql://anna@h1:5432,h2:5433/loops"),
        ("host=db.example dbname=loops user=admin password=pw sslmode=verify-full",
         "dbname=loops host=db.example sslmode=verify-full user=anna"),
    ],
)  # fmt: skip
def test_the_agents_url_names_their_login_and_never_the_admins(
    admin_url: str, expected: str
) -> None:
    from loopcloser.services.hub import url_for

    assert url_for(admin_url, "anna") == expected
    assert (
        url_for("postgresql://admin@db/loops", "anna@desk") == "postgresql://anna%40desk@db/loops"
    )


def test_a_name_too_long_for_a_login_is_refused(run: Run, hub_database: str) -> None:
    run("hub", "init", hub_database)
    refused = run("hub", "add-agent", "a" * 70, "--hub", hub_database)
    assert refused.code == 2 and "63 bytes" in refused.err


def test_the_password_never_reaches_the_server_in_clear(admin: Any, hub_database: str) -> None:
    hub.init(admin)
    login, password = hub.add_agent(admin, f"anna_{uuid.uuid4().hex[:6]}")
    stored = admin.execute("SELECT rolpassword FROM pg_authid WHERE rolname = %s", (login,))
    assert str(stored.fetchone()[0]).startswith("SCRAM-SHA-256$")
    assert password not in str(stored)
