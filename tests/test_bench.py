"""The benchmark suite runs and measures real stores; its timings are never asserted here."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

from loopcloser.core.model import Kind, State, from_document, replay, to_document
from loopcloser.storage.store import Store
from tests.conftest import need

BENCH = Path(__file__).resolve().parent.parent / "bench"
EXECUTABLE = Path(sys.executable).parent / "loopcloser"


def bench_module(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


generate = bench_module("generate")


def loopcloser(store: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "LOOPCLOSER_STORE": str(store),
        "LOOPCLOSER_CONFIG": str(store.with_name("config.toml")),
        "LOOPCLOSER_NOW": generate.NOW_TEXT,
    }
    return subprocess.run(
        [str(EXECUTABLE), *args], env=env, capture_output=True, text=True, check=False
    )


def test_a_generated_store_is_one_loopcloser_reads_with_its_open_loops(tmp_path: Path) -> None:
    store = tmp_path / "loops.json"
    summary = generate.generate(400, store)
    listed = loopcloser(store, "list", "--json")
    assert listed.returncode == 0, listed.stderr
    still_ours = json.loads(listed.stdout)
    assert len(still_ours) == generate.open_count(400) == 120
    assert {loop["state"] for loop in still_ours} == {"open", "waiting", "done"}
    assert any(loop["overdue"] for loop in still_ours)
    everything = json.loads(loopcloser(store, "list", "--all", "--json").stdout)
    assert len(everything) == 400 == summary.loops


def test_every_generated_loop_is_what_replaying_its_history_gives(tmp_path: Path) -> None:
    store = tmp_path / "loops.json"
    generate.generate(400, store, seed=3)
    outcomes = set()
    kinds = set()
    for loop_id, document in Store(store).documents().items():
        loop = from_document(loop_id, document)
        assert to_document(replay(loop_id, loop.events)) == dict(document)
        assert all(
            event.at < loop.events[-1].at or event is loop.events[-1] for event in loop.events
        )
        kinds |= {event.kind for event in loop.events}
        outcomes.add(loop.state)
    assert outcomes == set(State)
    assert {Kind.NOTE, Kind.CONTACT, Kind.RESCHEDULED, Kind.WAITING, Kind.DONE} <= kinds
    assert {Kind.CLOSED, Kind.CANCELLED} <= kinds


def test_the_same_seed_gives_the_same_store(tmp_path: Path) -> None:
    generate.generate(50, tmp_path / "one.json", seed=5)
    generate.generate(50, tmp_path / "two.json", seed=5)
    generate.generate(50, tmp_path / "other.json", seed=6)
    one = (tmp_path / "one.json").read_bytes()
    assert one == (tmp_path / "two.json").read_bytes()
    assert one != (tmp_path / "other.json").read_bytes()


def run_bench(tmp_path: Path, *extra: str) -> str:
    results = tmp_path / "RESULTS.md"
    done = subprocess.run(
        [sys.executable, str(BENCH / "run.py"), "--sizes", "60", "--runs", "1",
         "--team-stores", "2", "--team-size", "60", "--cache", str(tmp_path / "cache"),
         "--output", str(results), *extra],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return results.read_text(encoding="utf-8")


def test_the_runner_times_every_command_and_writes_the_page(tmp_path: Path) -> None:
    page = run_bench(tmp_path, "--no-taskwarrior")
    assert "## 60 loops" in page
    for command in ("--version", "add", "list", "show", "done", "close", "digest",
                    "remind --dry-run", "status", "export --all --format json"):  # fmt: skip
        assert f"| `loopcloser {command}" in page, command
    assert "| `loopcloser report --team TEAM` |" in page
    assert "| Taskwarrior | not compared |" in page
    assert "| reproduce | `make bench`" in page
    # The generated store is cached for the next run, outside the repository.
    assert list((tmp_path / "cache").rglob("anna-60-7.json"))


def test_the_runner_puts_taskwarrior_beside_loopcloser(tmp_path: Path) -> None:
    need("task")
    page = run_bench(tmp_path)
    assert "| `task next` |" in page
    assert "| `task count status:pending` |" in page
    assert "no slower than `task next`" not in page  # only 10k and 100k have that target
    assert "`task import` of the 60 loops, once" in page


def test_the_reports_trend_agrees_with_replaying_each_loop_to_each_day() -> None:
    """The trend walks histories without rebuilding loops; on two years of generated
    work it must count what replaying every loop to every day's end counts."""
    from datetime import datetime, time, timedelta
    from zoneinfo import ZoneInfo

    from loopcloser.core.metrics import trend
    from loopcloser.core.model import ACTIVE, apply, derive, from_utc_text

    documents, _ = generate.documents(600, seed=3)
    loops = [from_document(int(key), doc) for key, doc in documents["loops"].items()]
    now, tz, days = from_utc_text(generate.NOW_TEXT), ZoneInfo("Europe/Rome"), 30
    today = now.astimezone(tz).date()
    expected = []
    for back in range(days - 1, -1, -1):
        end = min(now, datetime.combine(today - timedelta(days=back - 1), time(), tzinfo=tz))
        opened = overdue = 0
        for loop in loops:
            past = None
            for event in loop.events:
                if event.at <= end:
                    past = apply(past, event, loop.id)
            if past is not None and past.state in ACTIVE:
                opened += 1
                overdue += derive(past, end, tz).overdue
        expected.append((today - timedelta(days=back), opened, overdue))
    assert trend(loops, now, tz, None, days) == tuple(expected)
    flags = [derive(loop, now, tz) for loop in loops]  # as the report passes them
    assert trend(loops, now, tz, None, days, flags) == tuple(expected)
    assert any(row[2] for row in expected) and len({row[1] for row in expected}) > 3
