"""An export of a large archive read by two processes writes and says what one writes and says.

The archive is split between the export and a forked second process only when it is
large; here the threshold is lowered so that a store of 400 loops is split too, and
every export is compared with the same export read by one process alone.
"""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest

from loopcloser.services import second_reader
from tests.conftest import Run
from tests.test_bench import generate

FORMATS = [["--format", "json"], ["--format", "jsonl"], ["--format", "csv", "--local-times"]]


@pytest.fixture
def months(run: Run, home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A store of 400 loops over two years, its finished loops swept into a file a month.

    The test run's own threads (servers other tests started) do not keep the export
    from forking here: its copy takes no lock of theirs.
    """
    monkeypatch.setattr(second_reader, "may_fork", lambda: True)
    tables, _ = generate.documents(400, seed=5)
    (home / "loops.json").write_bytes(orjson.dumps(tables))
    assert run("archive", "--older-than", "1d").code == 0
    folder = home / "loops.archive"
    assert len(list(folder.glob("*.json"))) > 6
    return folder


def both(run: Run, monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[object, object]:
    """What the export writes and says read by one process, then by two."""
    started: list[object] = []
    start = second_reader.Reading.start

    def counted(*given: object) -> object:
        started.append(start(*given))  # type: ignore[arg-type]
        return started[-1]

    monkeypatch.setattr(second_reader.Reading, "start", counted)
    monkeypatch.setattr(second_reader, "PARALLEL_FROM", 1 << 62)
    alone = run("export", "--all", *args)
    assert started == []
    monkeypatch.setattr(second_reader, "PARALLEL_FROM", 0)
    shared = run("export", "--all", *args)
    assert len(started) == 1 and started[0] is not None, "a second process read half"
    return (alone.code, alone.out, alone.err), (shared.code, shared.out, shared.err)


def split(folder: Path) -> tuple[list[Path], list[Path]]:
    """The archive's files as the export splits them: (its own, the second process's)."""
    from loopcloser.storage.store import Segment

    files = sorted(folder.glob("*.json"))
    earlier, later = second_reader.halves([Segment(path, path) for path in files])
    return [segment.path for segment in earlier], [segment.path for segment in later]


def test_the_split_is_by_bytes_and_only_where_it_is_worth_a_process(
    months: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    monkeypatch.setattr(second_reader, "PARALLEL_FROM", 0)
    earlier, later = split(months)
    assert earlier and later and earlier[-1].name < later[0].name
    # The export reads the store too, and takes over what the second process read: the
    # month that crosses the middle goes to the second process.
    sizes = [path.stat().st_size for path in (*earlier, *later)]
    assert sum(sizes[: len(earlier)]) < sum(sizes) / 2 <= sum(sizes[: len(earlier) + 1])
    monkeypatch.setattr(second_reader, "PARALLEL_FROM", sum(sizes) + 1)
    assert split(months)[1] == []
    monkeypatch.undo()  # the real test of whether this process may fork
    stop = threading.Event()
    another = threading.Thread(target=stop.wait, daemon=True)
    another.start()
    try:
        assert not second_reader.may_fork(), "a thread runs: no fork"
    finally:
        stop.set()
        another.join()


@pytest.mark.parametrize("options", FORMATS, ids=lambda options: options[1])
def test_two_processes_write_the_bytes_one_writes(
    run: Run, months: Path, monkeypatch: pytest.MonkeyPatch, options: list[str]
) -> None:
    alone, shared = both(run, monkeypatch, *options)
    assert alone == shared
    assert alone[0] == 0
    if options[1] != "json":  # a line a loop, all 400 of them (and the CSV's header)
        assert len(str(alone[1]).splitlines()) == 400 + (options[1] == "csv")


def test_a_later_copy_wins_across_the_split_even_a_bad_one(
    run: Run, months: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(second_reader, "PARALLEL_FROM", 0)
    earlier, later = split(months)
    first = json.loads(earlier[0].read_bytes())["loops"]
    moved, spoiled = list(first)[:2]
    # A crash left two of the export's own loops in a month of the second process too:
    # one as it was, changed; one out of shape. The later month wins both times.
    last = json.loads(later[-1].read_bytes())
    last["loops"][moved] = {**first[moved], "promise": "the later copy"}
    last["loops"][spoiled] = {**first[spoiled], "due": 7}
    later[-1].write_bytes(orjson.dumps(last))
    alone, shared = both(run, monkeypatch, "--format", "jsonl")
    assert alone == shared
    loops = {loop["id"]: loop for loop in map(json.loads, str(shared[1]).splitlines())}
    assert loops[int(moved)]["promise"] == "the later copy"
    assert int(spoiled) not in loops
    assert f"#{spoiled} is malformed" in str(shared[2])


@pytest.mark.parametrize("half", [0, 1], ids=["the export's half", "the second half"])
def test_an_unreadable_month_leaves_the_whole_archive_out_and_named(
    run: Run, months: Path, monkeypatch: pytest.MonkeyPatch, half: int
) -> None:
    monkeypatch.setattr(second_reader, "PARALLEL_FROM", 0)
    broken = split(months)[half][-1]
    broken.write_bytes(broken.read_bytes()[:-40] + b"oops")
    alone, shared = both(run, monkeypatch, "--format", "jsonl")
    assert alone == shared
    stored = json.loads((months.parent / "loops.json").read_bytes())["loops"]
    exported = {json.loads(line)["id"] for line in str(shared[1]).splitlines()}
    assert exported == {int(key) for key in stored}, "not one archived loop"
    assert broken.name in str(shared[2]) and "is not valid JSON" in str(shared[2])


def test_the_second_process_leaves_no_file_and_no_process(
    run: Run, months: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    started: list[second_reader.Reading] = []
    start = second_reader.Reading.start

    def kept(*given: object) -> object:
        reading = start(*given)  # type: ignore[arg-type]
        assert reading is not None
        started.append(reading)
        return reading

    monkeypatch.setattr(second_reader.Reading, "start", kept)
    before = sorted(path.name for path in months.parent.iterdir())
    monkeypatch.setattr(second_reader, "PARALLEL_FROM", 0)
    assert run("export", "--all", "--format", "jsonl").code == 0
    assert sorted(path.name for path in months.parent.iterdir()) == before
    with pytest.raises(ChildProcessError):
        os.waitpid(started[0].pid, os.WNOHANG)  # ended, and waited for


def test_a_second_process_that_fails_leaves_its_half_to_the_export(
    run: Run, months: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from loopcloser.services import exporting

    expected = both(run, monkeypatch, "--format", "jsonl")[0]

    def dies(*_given: object) -> None:
        raise MemoryError("the second process ran out")

    monkeypatch.setattr(exporting.Ordered, "read_for", dies)  # in the forked copy too
    monkeypatch.setattr(second_reader, "PARALLEL_FROM", 0)
    result = run("export", "--all", "--format", "jsonl")
    assert (result.code, result.out, result.err) == expected
