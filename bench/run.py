"""loopcloser at 1k, 10k and 100k loops, side by side with Taskwarrior; writes RESULTS.md.

Every figure is a whole process, as an agent or a script runs it: start-up, reading
the store, the work, writing. Each command runs once to warm up, then --runs times
(3 in all, the first counted, when one run takes over --slow seconds). A command that
writes gets a fresh copy of the store before each run, made outside the timing, so
every run does the same work. Peak memory is each process's own, from GNU time.

Run: .venv/bin/python bench/run.py [--sizes 1000 10000 100000] [--runs 5]
A quick look: .venv/bin/python bench/run.py --sizes 1000 --runs 2 --team-stores 2
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import taskwarrior
from generate import AGENTS, NOW_TEXT, Summary, cached, default_cache

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LOOPCLOSER = str(BIN / "loopcloser")
BARE = [sys.executable, "-c", "pass"]
EVERYDAY = ("add", "list", "show open", "show closed", "done", "close", "status")
CONFIG = 'agent = "anna"\ntimezone = "Europe/Rome"\ndelivery = "terminal"\n'


# --- timing one command ---------------------------------------------------------


@dataclass
class Timing:
    """Wall-clock milliseconds and peak memory (KiB) of each timed run."""

    ms: list[float] = field(default_factory=list)
    rss: list[int | None] = field(default_factory=list)
    bare: list[float] = field(default_factory=list)
    """``python -c pass`` run just before each timed run: what the machine gave then."""

    @property
    def median(self) -> float:
        return statistics.median(self.ms)

    @property
    def over_bare(self) -> float | None:
        """How much longer than bare Python, each measured under the same load."""
        return self.median - statistics.median(self.bare) if self.bare else None

    @property
    def peak_mib(self) -> str:
        known = [kib for kib in self.rss if kib is not None]
        return f"{max(known) / 1024:.0f}" if known else "?"


class Failed(Exception):
    """A timed command did not succeed: the figures would mean nothing."""


def gnu_time() -> str | None:
    """GNU time, which reports a child's own peak memory; None where it is missing."""
    found = shutil.which("time") or "/usr/bin/time"
    try:
        probe = subprocess.run([found, "-f", "%M", "true"], capture_output=True, check=False)
    except OSError:
        return None
    return found if probe.returncode == 0 and probe.stderr.strip().isdigit() else None


# The peak memory of a child of this process would count this process's own: a child
# starts as a copy of its parent. So children start under the small GNU time, which
# reports the command's own peak (its start adds about a millisecond to every figure).
TIME = gnu_time()


def run_once(argv: list[str], env: dict[str, str]) -> tuple[float, int | None]:
    """Run one process to its end: milliseconds from start to exit, and its peak KiB."""
    with tempfile.NamedTemporaryFile() as memory, tempfile.TemporaryFile() as errors:
        wrapped = [TIME, "-f", "%M", "-o", memory.name, "--", *argv] if TIME else argv
        start = time.perf_counter()
        done = subprocess.run(
            wrapped,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=errors,
            check=False,
        )
        elapsed = (time.perf_counter() - start) * 1000
        if done.returncode != 0:
            errors.seek(0)
            said = errors.read().decode(errors="replace").strip()
            raise Failed(f"{shlex.join(argv)} exited {done.returncode}: {said[-500:]}")
        lines = memory.read().decode().split()
    return elapsed, int(lines[-1]) if TIME and lines else None


def measure(
    argv: list[str],
    env: dict[str, str],
    runs: int,
    slow: float,
    fresh: Callable[[], None] | None = None,
    bare: bool = False,
) -> Timing:
    """Time ``argv`` over several runs; ``fresh`` prepares each run, outside the timing.

    The first run only warms the caches, unless it takes over ``slow`` seconds: then
    a cold cache is lost in the noise, so it counts, and 3 runs in all will do. With
    ``bare``, ``python -c pass`` runs just before each run, so that the two are
    compared under the same load on a shared machine.
    """
    timing = Timing()
    warm = False
    while len(timing.ms) < runs:
        if fresh:
            fresh()
        python = run_once(BARE, env)[0] if bare else None
        ms, rss = run_once(argv, env)
        if not warm:
            warm = True
            if ms <= slow * 1000:
                continue  # the warm-up: not counted
            runs = min(runs, 3)
        timing.ms.append(ms)
        timing.rss.append(rss)
        if python is not None:
            timing.bare.append(python)
    return timing


# --- the stores, as daily use leaves them --------------------------------------------


def stamps(folder: Path) -> dict[str, tuple[int, int, int]]:
    """Each file in the folder (locks aside) by inode, size and modification time."""
    found = {}
    for entry in os.scandir(folder):
        if entry.is_file() and not entry.name.endswith(".lock"):
            status = entry.stat()
            found[entry.name] = (status.st_ino, status.st_size, status.st_mtime_ns)
    return found


def copy_store(source: Path, target: Path) -> None:
    """Copy a store folder so that loopcloser trusts its indexes as it does the original's.

    An index (``.NAME.open``) names the store file it was made from by inode, size
    and modification time; a copy is a new inode, so the copied index names it too.
    Otherwise the first command after each copy would read the whole store instead.
    """
    import orjson

    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    before = stamps(source)
    for name in before:
        shutil.copyfile(source / name, target / name)
    by_stamp = {stamp: name for name, stamp in before.items()}
    for name in before:
        if not (name.startswith(".") and name.endswith(".open")):
            continue
        index = orjson.loads((target / name).read_bytes())
        made_from = (
            by_stamp.get(tuple(index.get("stamp") or ())) if isinstance(index, dict) else None
        )
        if made_from is not None:
            status = os.stat(target / made_from)
            index["stamp"] = [status.st_ino, status.st_size, status.st_mtime_ns]
            (target / name).write_bytes(orjson.dumps(index))


def copies_keep_indexes(pristine: Path, copy: Path, env: dict[str, str]) -> bool:
    """Whether loopcloser reads a copy made by copy_store as fast as the original.

    It does if a command that reads finds every index current: it rewrites none.
    """
    copy_store(pristine, copy)
    before = {name: stamp for name, stamp in stamps(copy).items() if name.endswith(".open")}
    loopcloser({**env, "LOOPCLOSER_STORE": str(copy / "loops.json")}, "status")
    after = {name: stamp for name, stamp in stamps(copy).items() if name.endswith(".open")}
    return before == after


def available(command: str, env: dict[str, str]) -> bool:
    """Whether this loopcloser has the command (it answers ``--help``)."""
    asked = subprocess.run(
        [LOOPCLOSER, command, "--help"],
        env=env,
        capture_output=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    return asked.returncode == 0


def loopcloser(env: dict[str, str], *args: str) -> float:
    """Run loopcloser once, untimed as a figure but timed for the notes; milliseconds."""
    start = time.perf_counter()
    done = subprocess.run(
        [LOOPCLOSER, *args],
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    if done.returncode != 0:
        raise Failed(f"loopcloser {shlex.join(args)} exited {done.returncode}: {done.stderr}")
    return (time.perf_counter() - start) * 1000


# --- one size ------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One command to time, and Taskwarrior's nearest (if it has one)."""

    name: str
    args: tuple[str, ...]
    writes: bool = False
    peer: tuple[str, ...] | None = None
    peer_writes: bool = False


def cases(open_id: str, closed_id: str, peer: Peer | None) -> list[Case]:
    """What an agent and a script run, each beside what a Taskwarrior user would type."""
    task_id = peer.open_id if peer else ""
    # Finished tasks have no id in Taskwarrior: reports show the first 8 digits of the uuid.
    finished = peer.closed_uuid[:8] if peer else ""
    due = ("--due", "fri 12:00")
    return [
        Case("version", ("--version",), peer=("--version",)),
        Case("add", ("add", "Maria Rossi", "call back about the refund", *due), writes=True,
             peer=("add", "call back about the refund (Maria Rossi)", "due:friday"),
             peer_writes=True),
        Case("list", ("list",), peer=("next",)),
        Case("show open", ("show", open_id), peer=(task_id, "info")),
        Case("show closed", ("show", closed_id), peer=(finished, "info")),
        Case("done", ("done", open_id, "refund issued"), writes=True,
             peer=(task_id, "done"), peer_writes=True),
        Case("close", ("close", open_id, "called her", "--via", "phone"), writes=True,
             peer=(task_id, "done"), peer_writes=True),
        Case("digest", ("digest",)),
        Case("remind --dry-run", ("remind", "--dry-run")),
        Case("status", ("status",), peer=("count", "status:pending")),
        Case("export", ("export", "--all", "--format", "json"), peer=("export",)),
    ]  # fmt: skip


def shown(program: str, args: tuple[str, ...] | list[str]) -> str:
    """A command line as a person would type it."""
    return " ".join([program, *(f'"{arg}"' if " " in arg else arg for arg in args)])


@dataclass
class Row:
    """One command of the table: loopcloser's timing and Taskwarrior's nearest."""

    name: str
    command: str
    timing: Timing
    peer: str = ""
    peer_timing: Timing | None = None


@dataclass
class Size:
    """Everything measured on one store size."""

    loops: int
    summary: Summary
    store_mib: float
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    before_archive: list[Row] = field(default_factory=list)

    def row(self, name: str) -> Row | None:
        return next((row for row in self.rows if row.name == name), None)


class Bench:
    """Runs the cases of every size in one working folder, removed at the end."""

    def __init__(self, arguments: argparse.Namespace) -> None:
        self.runs: int = arguments.runs
        self.slow: float = arguments.slow
        self.cache: Path = arguments.cache
        self.load = os.getloadavg()[0]  # another busy process on the machine skews every figure
        self.work = Path(tempfile.mkdtemp(prefix="loopcloser-bench-"))
        (self.work / "config.toml").write_text(CONFIG, encoding="utf-8")
        keep = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith(("LOOPCLOSER_", "TASK")) and name != "NO_COLOR"
        }
        # Time what an installed copy does: with its bytecode cached. (With
        # PYTHONDONTWRITEBYTECODE set, every run would compile loopcloser from source.)
        keep.pop("PYTHONDONTWRITEBYTECODE", None)
        self.env = {
            **keep,
            "LOOPCLOSER_CONFIG": str(self.work / "config.toml"),
            "LOOPCLOSER_NOW": NOW_TEXT,
        }
        self.task = taskwarrior.executable() if arguments.taskwarrior else None
        self.archive = available("archive", self.env)
        self.importing = available("import", self.env)
        package = importlib.util.find_spec("loopcloser")
        assert package is not None and package.submodule_search_locations
        folder = package.submodule_search_locations[0]  # the loopcloser the executable runs
        compiling = [sys.executable, "-m", "compileall", "-q", folder]
        subprocess.run(compiling, check=True, env=self.env)

    def time(
        self, argv: list[str], env: dict[str, str], fresh: Callable[[], None] | None = None
    ) -> Timing:
        """Time one command with this run's settings."""
        bare = argv[0] == LOOPCLOSER  # loopcloser's start-up is compared with Python's
        return measure(argv, env, self.runs, self.slow, fresh, bare)

    def size(self, loops: int) -> Size:
        """Generate (or reuse) the store, lay it out as daily use does, time every command."""
        source, summary = cached(self.cache, loops)
        result = Size(loops, summary, source.stat().st_size / 2**20)
        made = "read from the cache" if summary.from_cache else "generated by this run"
        result.notes.append(f"the store was {made}; generating it takes {summary.seconds:.1f} s")
        pristine = self.work / f"loopcloser-{loops}"
        env = self.lay_out(source, pristine, result)
        copy = self.work / "copy"
        copy_env = {**self.env, "LOOPCLOSER_STORE": str(copy / "loops.json")}

        def fresh() -> None:
            copy_store(pristine, copy)

        if not copies_keep_indexes(pristine, copy, self.env):
            result.notes.append(
                "**copies of the store do not keep its indexes current**: the figures of"
                " commands that write may include a full read that an agent's would not"
            )
        peer = self.taskwarrior(loops, source, summary, result) if self.task else None
        open_id = str(summary.open_ids[0])
        closed_id = str(summary.closed_ids[len(summary.closed_ids) // 2])
        before = stamps(pristine)
        python = self.time(BARE, env)
        result.rows.append(Row("python -c pass", "python -c pass", python))
        peer_timings: dict[tuple[str, ...], Timing] = {}
        for case in cases(open_id, closed_id, peer):
            argv = [LOOPCLOSER, *case.args]
            timing = self.time(argv, copy_env, fresh) if case.writes else self.time(argv, env)
            row = Row(case.name, shown("loopcloser", case.args), timing)
            if peer and case.peer:
                if case.peer not in peer_timings:  # done and close share one: task N done
                    peer_timings[case.peer] = peer.time(list(case.peer), case.peer_writes)
                row.peer, row.peer_timing = shown("task", case.peer), peer_timings[case.peer]
            result.rows.append(row)
        if stamps(pristine) != before:
            result.notes.append("**a command that only reads changed the store's files**")
        shutil.rmtree(copy, ignore_errors=True)
        if self.importing:
            result.rows.append(self.import_row(loops, env, peer))
        else:
            result.notes.append("this loopcloser has no `import` command")
        return result

    def lay_out(self, source: Path, pristine: Path, result: Size) -> dict[str, str]:
        """The generated store as daily use leaves it: indexed, archived if loopcloser can."""
        pristine.mkdir()
        shutil.copyfile(source, pristine / "loops.json")
        env = {**self.env, "LOOPCLOSER_STORE": str(pristine / "loops.json")}
        first = loopcloser(env, "status")  # reads it all once and leaves the open-loop index
        result.notes.append(f"first read of the generated store (builds the index): {first:.0f} ms")
        if self.archive:
            result.before_archive = self.single_file_rows(pristine, result.summary)
            try:
                moved = loopcloser(env, "archive")
                result.notes.append(f"`loopcloser archive`, once, untimed: {moved:.0f} ms")
            except Failed as error:
                result.notes.append(
                    f"`loopcloser archive` failed, the store stays one file: {error}"
                )
            loopcloser(env, "status")
        else:
            result.notes.append("this loopcloser has no `archive` command: the store is one file")
        files = ", ".join(
            f"{name} {os.stat(pristine / name).st_size / 2**20:.1f} MiB"
            for name in sorted(stamps(pristine))
        )
        result.notes.append(f"loopcloser's files: {files}")
        return env

    def single_file_rows(self, pristine: Path, summary: Summary) -> list[Row]:
        """A few commands on the store before ``archive`` moved its finished loops out."""
        copy = self.work / "copy"
        env = {**self.env, "LOOPCLOSER_STORE": str(copy / "loops.json")}
        rows = []
        for case in cases(str(summary.open_ids[0]), "", None):
            if case.name not in ("add", "list", "done", "digest"):
                continue

            def fresh() -> None:
                copy_store(pristine, copy)

            argv = [LOOPCLOSER, *case.args]
            timing = measure(argv, env, min(self.runs, 3), self.slow, fresh, bare=True)
            rows.append(Row(case.name, shown("loopcloser", case.args), timing))
        return rows

    def import_row(self, loops: int, env: dict[str, str], peer: Peer | None) -> Row:
        """Importing the export of the whole store into an empty store."""
        exported = self.work / f"export-{loops}.json"
        loopcloser(env, "export", "--all", "--format", "json", "-o", str(exported))
        empty = self.work / "empty"

        def nothing() -> None:
            shutil.rmtree(empty, ignore_errors=True)
            empty.mkdir()

        into = {**self.env, "LOOPCLOSER_STORE": str(empty / "loops.json")}
        args = ["import", str(exported), "--format", "json"]
        row = Row(
            "import",
            shown("loopcloser", ["import", "export.json", "--format", "json"]),
            self.time([LOOPCLOSER, *args], into, nothing),
        )
        if peer:
            row.peer, row.peer_timing = "task import tasks.json", peer.importing()
        return row

    def taskwarrior(self, loops: int, source: Path, summary: Summary, result: Size) -> Peer:
        """The same loops imported into a private Taskwarrior, laid out as its use leaves it."""
        assert self.task is not None
        folder = self.work / f"taskwarrior-{loops}"
        env = taskwarrior.setup(folder)
        tasks = folder / "tasks.json"
        documents = json.loads(source.read_bytes())["loops"]
        taskwarrior.import_file(documents.values(), tasks)
        quietly = {"env": env, "capture_output": True, "stdin": subprocess.DEVNULL, "check": True}
        start = time.perf_counter()
        subprocess.run([self.task, "import", str(tasks)], **quietly)
        took = time.perf_counter() - start
        # Any report collects garbage (gc=on): finished tasks end up in completed.data.
        subprocess.run([self.task, "next"], **quietly)
        layout = ", ".join(
            f"{name} {lines} lines" for name, lines in taskwarrior.layout(env).items()
        )
        result.notes.append(
            f"`task import` of the {loops} loops, once: {took * 1000:.0f} ms;"
            f" its files then: {layout}"
        )
        open_uid = documents[str(summary.open_ids[0])]["uid"]
        closed_uid = documents[str(summary.closed_ids[len(summary.closed_ids) // 2])]["uid"]
        return Peer(self, env, tasks, taskwarrior.task_id(self.task, env, open_uid), closed_uid)

    def team(self, stores: int, loops: int) -> Team:
        """``report --team`` over a folder of ``stores`` agents' stores of ``loops`` each."""
        folder = self.work / "team"
        folder.mkdir()
        notes = []
        started = time.perf_counter()
        agents = [AGENTS[number % len(AGENTS)] + str(number // len(AGENTS) or "")
                  for number in range(stores)]  # fmt: skip
        for number, agent in enumerate(agents):
            source, _ = cached(self.cache, loops, seed=100 + number, owner=agent)
            shutil.copyfile(source, folder / f"{agent}.json")
        notes.append(
            f"{stores} stores of {loops} loops ready in {time.perf_counter() - started:.1f} s"
        )
        if self.archive:
            total = 0.0
            for agent in agents:
                env = {**self.env, "LOOPCLOSER_STORE": str(folder / f"{agent}.json")}
                try:
                    total += loopcloser(env, "archive")
                except Failed as error:
                    notes.append(f"`loopcloser archive` failed on {agent}.json: {error}")
            notes.append(
                f"`loopcloser archive` on each store, once, untimed: {total:.0f} ms in all"
            )
        timing = self.time([LOOPCLOSER, "report", "--team", str(folder)], self.env)
        row = Row("report --team", "loopcloser report --team TEAM", timing)
        return Team(row, notes, stores, loops)


@dataclass
class Team:
    """The team report over a folder of stores."""

    row: Row
    notes: list[str]
    stores: int
    loops: int


@dataclass
class Peer:
    """Taskwarrior holding the same loops, and how to time its commands."""

    bench: Bench
    env: dict[str, str]
    tasks: Path
    open_id: str
    closed_uuid: str

    def time(self, args: list[str], writes: bool) -> Timing:
        """Time one Taskwarrior command; one that writes gets a fresh copy of its data."""
        assert self.bench.task is not None
        data = Path(self.env["TASKDATA"])
        copy = data.parent / "copy"

        def fresh() -> None:
            if copy.exists():
                shutil.rmtree(copy)
            shutil.copytree(data, copy)

        argv = [self.bench.task, *args]
        if writes:
            return self.bench.time(argv, {**self.env, "TASKDATA": str(copy)}, fresh)
        return self.bench.time(argv, self.env)

    def importing(self) -> Timing:
        """Time ``task import`` of every loop into an empty Taskwarrior."""
        assert self.bench.task is not None
        empty = Path(self.env["TASKDATA"]).parent / "empty"

        def nothing() -> None:
            shutil.rmtree(empty, ignore_errors=True)
            empty.mkdir()

        env = {**self.env, "TASKDATA": str(empty)}
        return self.bench.time([self.bench.task, "import", str(self.tasks)], env, nothing)


# --- the page ------------------------------------------------------------------------


def measured_version(env: dict[str, str] | None = None) -> str:
    """The loopcloser measured: its version and the commit it was built from."""
    version = subprocess.run(
        [LOOPCLOSER, "--version"], env=env, capture_output=True, text=True, check=True
    ).stdout.strip()
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return f"{version.removeprefix('loopcloser ')} ({commit or 'no git'})"


def machine() -> list[tuple[str, str]]:
    """What the figures were measured on."""
    cpu = "unknown"
    memory = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as info:
        cpu = next(
            (line.split(":", 1)[1].strip() for line in info if line.startswith("model name")), cpu
        )
    with open("/proc/meminfo", encoding="utf-8") as info:
        total = next((line.split()[1] for line in info if line.startswith("MemTotal")), None)
        memory = f"{int(total) / 2**20:.1f} GiB" if total else memory
    system = platform.platform()
    try:
        release = Path("/etc/os-release").read_text(encoding="utf-8")
        pretty = next(
            line.split("=", 1)[1].strip('"')
            for line in release.splitlines()
            if line.startswith("PRETTY_NAME=")
        )
        system = f"{pretty} ({platform.system()} {platform.release()})"
    except (OSError, StopIteration):
        pass
    return [
        ("CPU", f"{cpu}, {os.cpu_count()} cores"),
        ("memory", memory),
        ("OS", system),
        ("Python", platform.python_version()),
    ]


def ms(value: float) -> str:
    """Milliseconds, thousands apart."""
    return f"{value:,.0f}".replace(",", " ")


def over(timing: Timing) -> str:
    """Milliseconds over bare Python, if measured."""
    return "" if timing.over_bare is None else f"{timing.over_bare:+,.0f}".replace(",", " ")


def ratio(row: Row) -> str:
    """How many times Taskwarrior's time loopcloser takes."""
    if row.peer_timing is None:
        return ""
    return f"{row.timing.median / row.peer_timing.median:.2f}×"


def table(rows: list[Row], with_peer: bool) -> list[str]:
    """The Markdown table of one size."""
    head = "| command | median ms | min | max | runs | over bare Python | peak MiB |"
    rule = "|---|---:|---:|---:|---:|---:|---:|"
    if with_peer:
        head += " Taskwarrior's nearest | median ms | peak MiB | loopcloser / Taskwarrior |"
        rule += "---|---:|---:|---:|"
    lines = [head, rule]
    for row in rows:
        timing = row.timing
        line = (
            f"| `{row.command}` | {ms(timing.median)} | {ms(min(timing.ms))} "
            f"| {ms(max(timing.ms))} | {len(timing.ms)} | {over(timing)} | {timing.peak_mib} |"
        )
        if with_peer:
            peer = row.peer_timing
            line += (
                f" `{row.peer}` | {ms(peer.median)} | {peer.peak_mib} | {ratio(row)} |"
                if peer
                else " | | | |"
            )
        lines.append(line)
    return lines


def targets(sizes: dict[int, Size], team: Team | None, with_peer: bool) -> list[str]:
    """Each target, what was measured and whether it was met."""
    lines = ["| target | measured | met |", "|---|---|---|"]

    def verdict(ok: bool) -> str:
        return "met" if ok else "**not met**"

    for loops in (10000, 100000):
        size = sizes.get(loops)
        if size is None or not with_peer:
            lines.append(
                f"| everyday commands at {loops} no slower than Taskwarrior | not measured | |"
            )
            continue
        for name in EVERYDAY:
            row = size.row(name)
            if row is None or row.peer_timing is None:
                continue
            ok = row.timing.median <= row.peer_timing.median
            lines.append(
                f"| `{name}` at {loops} loops no slower than `{row.peer}` "
                f"| {ms(row.timing.median)} ms against {ms(row.peer_timing.median)} ms "
                f"| {verdict(ok)} |"
            )
    small = sizes.get(1000)
    if small is None:
        lines.append(
            "| everyday commands at 1000 within 100 ms of `python -c pass` | not measured | |"
        )
    else:
        for name in EVERYDAY:
            row = small.row(name)
            if row is None or row.timing.over_bare is None:
                continue
            lines.append(
                f"| `{name}` at 1000 loops within 100 ms of `python -c pass` "
                f"| {over(row.timing)} ms | {verdict(row.timing.over_bare <= 100)} |"
            )
    large = sizes.get(100000)
    digest = large.row("digest") if large else None
    if digest is None:
        lines.append("| digest at 100000 loops under 0.5 s | not measured | |")
    else:
        lines.append(
            f"| digest at 100000 loops under 0.5 s | {ms(digest.timing.median)} ms "
            f"| {verdict(digest.timing.median < 500)} |"
        )
    if team is None:
        lines.append("| report over 20 stores of 10000 loops under 2 s | not measured | |")
    else:
        median = team.row.timing.median
        lines.append(
            f"| report over {team.stores} stores of {team.loops} loops under 2 s "
            f"| {ms(median)} ms | {verdict(median < 2000)} |"
        )
    return lines


def page(
    bench: Bench,
    arguments: argparse.Namespace,
    sizes: dict[int, Size],
    team: Team | None,
    seconds: float,
) -> str:
    """RESULTS.md."""
    peer = taskwarrior.version(bench.task) if bench.task else "not compared"
    slow = f"{arguments.slow:g} s"
    lines = [
        "# loopcloser benchmarks",
        "",
        "Whole processes, as an agent or a script runs them, on stores generated to look like",
        "two years of an agent's work (bench/generate.py), side by side with Taskwarrior holding",
        "the same loops. Written by bench/run.py; do not edit by hand.",
        "",
        "| | |",
        "|---|---|",
        *[f"| {name} | {value} |" for name, value in machine()],
        f"| loopcloser | {measured_version(bench.env)} |",
        f"| Taskwarrior | {peer} |",
        f"| date | {datetime.now(UTC):%Y-%m-%d %H:%M} UTC |",
        f"| reproduce | `make bench`, i.e. `{reproduce(arguments)}` |",
        f"| took | {seconds / 60:.1f} min, store generation included |",
        f"| load average | {bench.load:.2f} at the start, {os.getloadavg()[0]:.2f} at the end |",
        "",
        f"Medians of the timed runs, after one warm-up run (a command slower than {slow}",
        "gets 3 runs in all, the first counted). A command that writes gets a fresh copy of the",
        "store (and of Taskwarrior's data) before each run, made outside the timing.",
        f"LOOPCLOSER_NOW is pinned to {NOW_TEXT}; Taskwarrior reads the real clock, so its",
        "tasks' dates are moved by whole days to keep the same ones overdue. Taskwarrior runs",
        "with a private taskrc: confirmation, colour, hooks and recurrence off, verbose nothing.",
        "Over bare Python: the median minus that of `python -c pass` run just before each timed",
        "run, so both meet the same load from whatever else the machine is doing. Peak MiB is",
        "each process's maximum resident memory.",
        "",
        "## Targets",
        "",
        *targets(sizes, team, bench.task is not None),
    ]
    large = sizes.get(100000)
    if large:
        lines += ["", "Memory at 100000 loops (peak resident set of the process):", ""]
        for name in ("list", "add"):
            row = large.row(name)
            if row:
                theirs = (
                    f"; Taskwarrior's `{row.peer}` {row.peer_timing.peak_mib} MiB"
                    if row.peer_timing
                    else ""
                )
                lines.append(f"- `loopcloser {name}`: {row.timing.peak_mib} MiB{theirs}")
    for loops, size in sizes.items():
        states = ", ".join(
            f"{count} {state}" for state, count in sorted(size.summary.states.items())
        )
        lines += [
            "",
            f"## {loops} loops",
            "",
            f"The store: {states}; {size.store_mib:.1f} MiB as generated.",
            "",
            *[f"- {note}" for note in size.notes],
            "",
            *table(size.rows, bench.task is not None),
        ]
        if size.before_archive:
            lines += [
                "",
                "Before `loopcloser archive` (the same store as one file):",
                "",
                *table(size.before_archive, False),
            ]
    if team:
        lines += [
            "",
            "## Team report",
            "",
            *[f"- {note}" for note in team.notes],
            "",
            *table([team.row], False),
        ]
    return "\n".join(lines) + "\n"


def reproduce(arguments: argparse.Namespace) -> str:
    words = [
        ".venv/bin/python",
        "bench/run.py",
        "--sizes",
        *map(str, arguments.sizes),
        "--runs",
        str(arguments.runs),
    ]
    if arguments.team_stores != 20 or arguments.team_size != 10000:
        words += [
            "--team-stores",
            str(arguments.team_stores),
            "--team-size",
            str(arguments.team_size),
        ]
    return shlex.join(words)


def main() -> None:
    """Time every size and the team report; write the page."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per command (default 5)")
    parser.add_argument(
        "--slow",
        type=float,
        default=1.0,
        help="seconds a run may take before a command gets 3 runs at most",
    )
    parser.add_argument("--team-stores", type=int, default=20, help="0: no team report")
    parser.add_argument("--team-size", type=int, default=10000)
    parser.add_argument(
        "--no-taskwarrior",
        dest="taskwarrior",
        action="store_false",
        help="time loopcloser alone, even where Taskwarrior is installed",
    )
    parser.add_argument(
        "--cache",
        type=Path,
        default=default_cache(),
        help="where generated stores are kept between runs",
    )
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "RESULTS.md")
    arguments = parser.parse_args()
    if arguments.runs < 1 or any(loops < 10 for loops in arguments.sizes):
        parser.error("give at least 1 run and stores of at least 10 loops")
    started = time.perf_counter()
    bench = Bench(arguments)
    try:
        sizes = {}
        for loops in arguments.sizes:
            print(f"{loops} loops...", file=sys.stderr)
            sizes[loops] = bench.size(loops)
        team = None
        if arguments.team_stores:
            print(f"report over {arguments.team_stores} stores...", file=sys.stderr)
            team = bench.team(arguments.team_stores, arguments.team_size)
        text = page(bench, arguments, sizes, team, time.perf_counter() - started)
    finally:
        shutil.rmtree(bench.work, ignore_errors=True)
    arguments.output.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
