"""loopcloser at 1k, 10k and 100k loops, side by side with Taskwarrior; writes RESULTS.md.

Every figure is a whole process, as an agent or a script runs it: start-up, reading
the store, the work, writing. Each command runs once to warm up, then --runs times
(3 in all, the first counted, when one run takes over --slow seconds). A command that
writes gets a fresh copy of the store before each run, made outside the timing, so
every run does the same work. Peak memory is each process's own, from GNU time.
Before each run of loopcloser, ``python -c pass`` and ``python -c "import typer"``
run too, so that each command is compared with those floors under the same load.
The prompt's segment and TAB on a command name are timed inside one bash, as a
shell runs them. The page opens with the speed issue's targets, met or not.

Run: .venv/bin/python bench/run.py [--sizes 1000 10000 100000] [--runs 5] [--output FILE]
A quick look: .venv/bin/python bench/run.py --sizes 1000 --runs 2 --team-stores 2 \\
    --output /tmp/RESULTS.md
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import imports
import shell
import taskwarrior
from generate import AGENTS, NOW, NOW_TEXT, Summary, cached, default_cache, stamp
from page import page
from results import Results, Row, Size, Team
from stores import STORE, Stamp, copy_store, described, sizes, stamps
from targets import FIRST_OF_DAY, LARGE, LOOP_ID_TAB, SMALL, WRITES
from timing import BARE, FLOORS, LOOPCLOSER, TYPER, Failed, Timing, measure, ms, run_once

ROOT = Path(__file__).resolve().parent.parent
CONFIG = 'agent = "anna"\ntimezone = "Europe/Rome"\ndelivery = "terminal"\n'
YESTERDAY = stamp(NOW - 86400)
"""The pinned now, a day earlier: the store's last write before the timed day."""
ADD = ("add", "Maria Rossi", "call back about the refund", "--due", "fri 12:00")
PROFILED = ("list", "--json")
"""The command whose imports the page lists."""
TAB_ON_LOOP_ID = {
    "COMP_WORDS": "loopcloser done ",
    "COMP_CWORD": "2",
    "_LOOPCLOSER_COMPLETE": "complete_bash",
}
"""What bash's completion script passes when it asks loopcloser for ``done``'s loop ids."""


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


def loopcloser(env: dict[str, str], *args: str) -> tuple[float, str]:
    """Run loopcloser once, untimed as a figure: milliseconds (for the notes), its output."""
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
    return (time.perf_counter() - start) * 1000, done.stdout


def copies_keep_indexes(pristine: Path, copy: Path, env: dict[str, str]) -> bool:
    """Whether loopcloser reads a copy made by copy_store as fast as the original.

    It does if a command that reads finds every index current: it rewrites none.
    """
    copy_store(pristine, copy)

    def indexes() -> dict[str, Stamp]:
        return {name: found for name, found in stamps(copy).items() if name.endswith(".open")}

    before = indexes()
    loopcloser({**env, "LOOPCLOSER_STORE": str(copy / STORE)}, "status")
    return indexes() == before


def changed(before: dict[str, int], after: dict[str, int]) -> str:
    """Which of a store's files a command added, removed or resized, in KiB."""
    said = []
    for name in sorted(before.keys() | after.keys()):
        old, new = before.get(name), after.get(name)
        if old == new:
            continue
        if old is None:
            said.append(f"{name} new, {(new or 0) / 1024:.0f} KiB")
        elif new is None:
            said.append(f"{name} removed")
        else:
            said.append(f"{name} {(new - old) / 1024:+.0f} KiB")
    return ", ".join(said) or "no file's size"


def rewrote(command: str, before: dict[str, Stamp], after: dict[str, Stamp]) -> str:
    """The note for a command that only reads yet changed the store's files.

    The prompt's status file is left by every ``remind``, a dry run too: no surprise.
    """
    every = before.keys() | after.keys()
    names = sorted(name for name in every if before.get(name) != after.get(name))
    said = f"`{command}`, which only reads, changed {', '.join(names)}"
    return said if all(name.endswith(".status") for name in names) else f"**{said}**"


# --- what is timed ---------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One command to time, and Taskwarrior's nearest (if it has one)."""

    name: str
    args: tuple[str, ...]
    writes: bool = False
    peer: tuple[str, ...] | None = None
    peer_writes: bool = False
    env: tuple[tuple[str, str], ...] = ()
    """Variables the command runs with, beyond the store's."""
    shown: str = ""
    """How the table names it, when not by its command line."""


def cases(open_id: str, closed_id: str, peer: Peer | None) -> list[Case]:
    """What an agent and a script run, each beside what a Taskwarrior user would type."""
    task_id = peer.open_id if peer else ""
    # Finished tasks have no id in Taskwarrior: reports show the first 8 digits of the uuid.
    finished = peer.closed_uuid[:8] if peer else ""
    return [
        Case("version", ("--version",), peer=("--version",)),
        Case("add", ADD, writes=True,
             peer=("add", "call back about the refund (Maria Rossi)", "due:friday"),
             peer_writes=True),
        Case("list", ("list",), peer=("next",)),
        Case("list --json", ("list", "--json"), peer=("status:pending", "export")),
        Case("show open", ("show", open_id), peer=(task_id, "info")),
        Case("show closed", ("show", closed_id), peer=(finished, "info")),
        Case("done", ("done", open_id, "refund issued"), writes=True,
             peer=(task_id, "done"), peer_writes=True),
        Case("close", ("close", open_id, "called her", "--via", "phone"), writes=True,
             peer=(task_id, "done"), peer_writes=True),
        Case("digest", ("digest",)),
        Case("remind --dry-run", ("remind", "--dry-run")),
        Case("status", ("status",), peer=("count", "status:pending")),
        Case(LOOP_ID_TAB, (), peer=("_ids",), env=tuple(TAB_ON_LOOP_ID.items()),
             shown="loopcloser done <TAB>"),
        Case("export json", ("export", "--all", "--format", "json"), peer=("export",)),
        Case("export jsonl", ("export", "--all", "--format", "jsonl"), peer=("export",)),
    ]  # fmt: skip


@dataclass(frozen=True)
class Write:
    """A write, made on a fresh copy of a store before each run."""

    args: tuple[str, ...]
    pristine: Path
    copy: Path


def shown(program: str, args: tuple[str, ...] | list[str]) -> str:
    """A command line as a person would type it."""
    return " ".join([program, *(f'"{arg}"' if " " in arg else arg for arg in args)])


# --- one size ------------------------------------------------------------------------


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
            if not name.startswith(("LOOPCLOSER_", "TASK", "_LOOPCLOSER_", "COMP_"))
            and name != "NO_COLOR"
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
        self.stores: dict[int, dict[str, str]] = {}
        """Each size's environment, its store as daily use leaves it."""
        package = importlib.util.find_spec("loopcloser")
        assert package is not None and package.submodule_search_locations
        folder = package.submodule_search_locations[0]  # the loopcloser the executable runs
        compiling = [sys.executable, "-m", "compileall", "-q", folder]
        subprocess.run(compiling, check=True, env=self.env)

    def pristine(self, loops: int) -> Path:
        """The folder of the store of ``loops`` as daily use leaves it, never written to."""
        return self.work / f"loopcloser-{loops}"

    def time(
        self, argv: list[str], env: dict[str, str], fresh: Callable[[], None] | None = None
    ) -> Timing:
        """Time one command with this run's settings; loopcloser beside the floors."""
        floors = FLOORS if argv[0] == LOOPCLOSER else None
        return measure(argv, env, self.runs, self.slow, fresh, floors)

    def size(self, loops: int) -> Size:
        """Generate (or reuse) the store, lay it out as daily use does, time every command."""
        source, summary = cached(self.cache, loops)
        result = Size(loops, summary, source.stat().st_size / 2**20)
        made = "read from the cache" if summary.from_cache else "generated by this run"
        result.notes.append(f"the store was {made}; generating it takes {summary.seconds:.1f} s")
        pristine = self.pristine(loops)
        env = self.lay_out(source, pristine, result)
        self.stores[loops] = env
        copy = self.work / "copy"
        if not copies_keep_indexes(pristine, copy, self.env):
            result.notes.append(
                "**copies of the store do not keep its indexes current**: the figures of"
                " commands that write may include a full read that an agent's would not"
            )
        peer = self.taskwarrior(loops, source, summary, result) if self.task else None
        result.rows.append(Row("python -c pass", "python -c pass", self.time(BARE, env)))
        result.rows.append(Row("typer", 'python -c "import typer"', self.time(TYPER, env)))
        open_id = str(summary.open_ids[0])
        closed_id = str(summary.closed_ids[len(summary.closed_ids) // 2])
        result.rows += self.case_rows(cases(open_id, closed_id, peer), pristine, peer, result)
        if result.row(LOOP_ID_TAB):
            result.notes.append(self.offered(env))
        result.rows += self.first_of_day(source, pristine, result)
        if self.importing:
            result.rows += self.import_rows(result, env, peer)
        else:
            result.notes.append("this loopcloser has no `import` command")
        self.in_shell(pristine, result, peer)
        shutil.rmtree(copy, ignore_errors=True)
        return result

    def case_rows(
        self, every: list[Case], pristine: Path, peer: Peer | None, result: Size
    ) -> list[Row]:
        """Each case timed; one that writes on a fresh copy of ``pristine`` each run, and
        one that reads noted if it changed the store's files."""
        copy = self.work / "copy"

        def fresh() -> None:
            copy_store(pristine, copy)

        rows = []
        peer_timings: dict[tuple[str, ...], Timing] = {}
        for case in every:
            folder = copy if case.writes else pristine
            env = {**self.env, "LOOPCLOSER_STORE": str(folder / STORE), **dict(case.env)}
            before = stamps(pristine)
            try:
                timing = self.time([LOOPCLOSER, *case.args], env, fresh if case.writes else None)
            except Failed as error:  # the other figures still count: say it, go on
                result.notes.append(f"**`{case.name}` failed, so it has no row**: {error}")
                continue
            if not case.writes and stamps(pristine) != before:
                result.notes.append(rewrote(case.name, before, stamps(pristine)))
            row = Row(case.name, case.shown or shown("loopcloser", case.args), timing)
            if peer and case.peer:
                if case.peer not in peer_timings:  # done and close share one: task N done
                    peer_timings[case.peer] = peer.time(list(case.peer), case.peer_writes)
                row.peer, row.peer_timing = shown("task", case.peer), peer_timings[case.peer]
            rows.append(row)
        return rows

    def offered(self, env: dict[str, str]) -> str:
        """What TAB after ``loopcloser done`` offers: the note that the timing was of that."""
        _, said = loopcloser({**env, **TAB_ON_LOOP_ID})
        ids = said.split()
        return f"TAB after `loopcloser done` asks loopcloser, which offers {len(ids)} loop ids"

    def lay_out(self, source: Path, pristine: Path, result: Size) -> dict[str, str]:
        """The generated store as daily use leaves it: indexed, archived if loopcloser can."""
        pristine.mkdir()
        shutil.copyfile(source, pristine / STORE)
        env = {**self.env, "LOOPCLOSER_STORE": str(pristine / STORE)}
        first, _ = loopcloser(env, "status")  # reads it all once, leaves the open-loop index
        result.notes.append(f"first read of the generated store (builds the index): {first:.0f} ms")
        if self.archive:
            result.before_archive = self.single_file_rows(pristine, result.summary)
            try:
                moved, _ = loopcloser(env, "archive")
                result.notes.append(f"`loopcloser archive`, once, untimed: {moved:.0f} ms")
            except Failed as error:
                result.notes.append(
                    f"`loopcloser archive` failed, the store stays one file: {error}"
                )
            loopcloser(env, "status")
        else:
            result.notes.append("this loopcloser has no `archive` command: the store is one file")
        result.notes.append(f"loopcloser's files: {described(pristine)}")
        return env

    def single_file_rows(self, pristine: Path, summary: Summary) -> list[Row]:
        """A few commands on the store before ``archive`` moved its finished loops out."""
        copy = self.work / "copy"
        env = {**self.env, "LOOPCLOSER_STORE": str(copy / STORE)}
        rows = []
        for case in cases(str(summary.open_ids[0]), "", None):
            if case.name not in ("add", "list", "done", "digest"):
                continue

            def fresh() -> None:
                copy_store(pristine, copy)

            argv = [LOOPCLOSER, *case.args]
            floors = {"bare": BARE}
            timing = measure(argv, env, min(self.runs, 3), self.slow, fresh, floors)
            rows.append(Row(case.name, shown("loopcloser", case.args), timing))
        return rows

    def first_of_day(self, source: Path, pristine: Path, result: Size) -> list[Row]:
        """``add`` as the day's first write, on the store as yesterday's last write left it.

        Its day's sweep was yesterday's, so this write does today's: it moves the loops
        finished a day longer ago to the archive, and takes the day's backup. It runs
        by turns with ``add`` on the store whose day was swept already.
        """
        if not self.archive:
            result.notes.append("no `archive` command: the day's first write was not timed")
            return []
        yesterday = self.work / f"loopcloser-{result.loops}-yesterday"
        yesterday.mkdir()
        shutil.copyfile(source, yesterday / STORE)
        then = {**self.env, "LOOPCLOSER_STORE": str(yesterday / STORE), "LOOPCLOSER_NOW": YESTERDAY}
        first = Write(ADD, yesterday, self.work / "copy-yesterday")
        try:
            loopcloser(then, "archive")
            loopcloser(then, "status")
            result.swept_add, timing = self.by_turns(
                [Write(ADD, pristine, self.work / "copy"), first]
            )
        except Failed as error:
            result.notes.append(f"**the day's first write was not timed**: {error}")
            return []
        result.notes.append(
            f"the day's first write: the store as `archive` left it at {YESTERDAY}, then `add`"
            f" at {NOW_TEXT}, by turns with `add` on the store swept today"
            f" ({ms(result.swept_add.median)} ms); it changed"
            f" {changed(sizes(yesterday), sizes(first.copy))}"
        )
        shutil.rmtree(yesterday)
        shutil.rmtree(first.copy)
        command = shown("loopcloser", ADD) + "  # the day's first write"
        return [Row(FIRST_OF_DAY, command, timing)]

    def by_turns(self, writes: list[Write]) -> list[Timing]:
        """Time writes by turns: each run of one is followed by a run of the others, after
        a turn to warm up, so that all meet the same load and differ by their stores alone."""
        timings = [Timing() for _ in writes]
        for turn in range(self.runs + 1):
            for write, timing in zip(writes, timings, strict=True):
                copy_store(write.pristine, write.copy)
                env = {**self.env, "LOOPCLOSER_STORE": str(write.copy / STORE)}
                took, peak = run_once([LOOPCLOSER, *write.args], env)
                if turn:
                    timing.ms.append(took)
                    timing.rss.append(peak)
        return timings

    def growth(self, small: Size, large: Size) -> dict[str, tuple[Timing, Timing]]:
        """Each write on the small store and on the large one, by turns: (small, large)."""
        found = {}
        for name in WRITES:
            writes = [self.write(name, size) for size in (small, large)]
            try:
                low, high = self.by_turns(writes)
                found[name] = (low, high)
            except Failed as error:
                large.notes.append(
                    f"**`{name}` by turns with {small.loops} loops failed**: {error}"
                )
            for write in writes:
                shutil.rmtree(write.copy, ignore_errors=True)
        return found

    def write(self, name: str, size: Size) -> Write:
        """The case ``name`` as a write on this size's store as daily use leaves it."""
        summary = size.summary
        closed = str(summary.closed_ids[len(summary.closed_ids) // 2])
        named = {case.name: case for case in cases(str(summary.open_ids[0]), closed, None)}
        return Write(named[name].args, self.pristine(size.loops), self.work / f"copy-{size.loops}")

    def import_rows(self, result: Size, env: dict[str, str], peer: Peer | None) -> list[Row]:
        """Importing the whole store's export, in each format, into an empty store."""
        empty = self.work / "empty"

        def nothing() -> None:
            shutil.rmtree(empty, ignore_errors=True)
            empty.mkdir()

        into = {**self.env, "LOOPCLOSER_STORE": str(empty / STORE)}
        theirs = peer.importing() if peer else None
        rows = []
        for kind in ("jsonl", "json"):
            exported = self.work / f"export.{kind}"
            argv = [LOOPCLOSER, "import", str(exported), "--format", kind]
            try:
                loopcloser(env, "export", "--all", "--format", kind, "-o", str(exported))
                timing = self.time(argv, into, nothing)
            except Failed as error:
                result.notes.append(f"**`import` of the {kind} export failed**: {error}")
                continue
            finally:
                exported.unlink(missing_ok=True)
            command = shown("loopcloser", ["import", f"export.{kind}", "--format", kind])
            row = Row(f"import {kind}", command, timing)
            if theirs:
                row.peer, row.peer_timing = "task import tasks.json", theirs
            rows.append(row)
        shutil.rmtree(empty, ignore_errors=True)
        return rows

    def in_shell(self, pristine: Path, result: Size, peer: Peer | None) -> None:
        """The prompt's segment and TAB on a command name, timed inside one bash."""
        try:
            if (pristine / f"{STORE}.status").exists():
                result.prompt = shell.prompt(pristine / STORE, self.env, self.runs)
            else:
                result.notes.append("**no status file beside the store**: no prompt to time")
            script = shell.completion_script(LOOPCLOSER, self.env, self.work)
            result.command_tab = shell.command_tab(script, LOOPCLOSER, self.env, self.runs)
            if peer:
                result.task_tab = shell.task_command_tab(peer.env, min(self.runs, 3))
        except Failed as error:
            result.notes.append(f"**timing in the shell failed**: {error}")

    def profile(self, loops: int) -> list[imports.Imported]:
        """The modules ``list --json`` imports on the store of ``loops``."""
        return imports.profile(list(PROFILED), self.stores[loops], self.runs)

    def taskwarrior(self, loops: int, source: Path, summary: Summary, result: Size) -> Peer:
        """The same loops imported into a private Taskwarrior, laid out as its use leaves it."""
        assert self.task is not None
        folder = self.work / f"taskwarrior-{loops}"
        env = taskwarrior.setup(folder)
        tasks = folder / "tasks.json"
        documents = json.loads(source.read_bytes())["loops"]
        taskwarrior.import_file(documents.values(), tasks)

        def quietly(*args: str) -> None:
            subprocess.run(args, env=env, capture_output=True, stdin=subprocess.DEVNULL, check=True)

        start = time.perf_counter()
        quietly(self.task, "import", str(tasks))
        took = time.perf_counter() - start
        # Any report collects garbage (gc=on): finished tasks end up in completed.data.
        quietly(self.task, "next")
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
                    total += loopcloser(env, "archive")[0]
                except Failed as error:
                    notes.append(f"`loopcloser archive` failed on {agent}.json: {error}")
            notes.append(
                f"`loopcloser archive` on each store, once, untimed: {total:.0f} ms in all"
            )
        timing = self.time([LOOPCLOSER, "report", "--team", str(folder)], self.env)
        row = Row("report --team", "loopcloser report --team TEAM", timing)
        return Team(row, notes, stores, loops)


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


# --- the run -------------------------------------------------------------------------


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
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
    parser.add_argument(
        "--output",
        type=Path,
        default=ROOT / "bench" / "RESULTS.md",
        help="where the page goes (default bench/RESULTS.md)",
    )
    arguments = parser.parse_args(argv)
    if arguments.runs < 1 or any(loops < 10 for loops in arguments.sizes):
        parser.error("give at least 1 run and stores of at least 10 loops")
    return arguments


def main() -> None:
    """Time every size, the team report and the start-up's imports; write the page."""
    arguments = parse()
    started = time.perf_counter()
    bench = Bench(arguments)
    try:
        results = Results({}, with_peer=bench.task is not None)
        for loops in arguments.sizes:
            print(f"{loops} loops...", file=sys.stderr)
            results.sizes[loops] = bench.size(loops)
        if SMALL in results.sizes and LARGE in results.sizes:
            print(f"writes at {SMALL} and {LARGE} loops by turns...", file=sys.stderr)
            results.growth = bench.growth(results.sizes[SMALL], results.sizes[LARGE])
        results.imports_at = min(arguments.sizes)
        results.imports = bench.profile(results.imports_at)
        if arguments.team_stores:
            print(f"report over {arguments.team_stores} stores...", file=sys.stderr)
            results.team = bench.team(arguments.team_stores, arguments.team_size)
        text = page(bench, arguments, results, time.perf_counter() - started)
    finally:
        shutil.rmtree(bench.work, ignore_errors=True)
    arguments.output.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
