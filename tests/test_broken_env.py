"""A broken setup is one clear line and a documented exit code, and the store stays as it was.

Read-only folders, full disks, a store replaced by a folder, a config that is not TOML or
names unknown settings, a malformed LOOPCLOSER_NOW: each command fails with one line on
stderr (never a traceback, never exit 1), and every file beside the store is unchanged.
A full disk or a read-only folder still lets the agent read their loops.

Faults are injected by patching (in-process) or by a sitecustomize on PYTHONPATH (the real
executable), so the tests run unprivileged; as root they also run on a real tmpfs.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from loopcloser.storage import atomic
from tests.conftest import AS_ROOT, Outcome, Run, ran_without_root_powers
from tests.test_e2e import EXECUTABLE

Add = Callable[..., int]

# Loaded by every Python process that has its folder on PYTHONPATH: the fault named in
# STRESS_FAULT happens inside the real executable, as it would on a broken machine.
SITECUSTOMIZE = """
import errno, os

_fault = os.environ.get("STRESS_FAULT")
if _fault == "disk-full":
    def _fsync(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    os.fsync = _fsync
elif _fault == "die-before-rename":
    def _replace(source, target, **options):
        os._exit(9)  # killed between writing the new copy and putting it in place
    os.replace = _replace
"""


def faulty_env(tmp_path: Path, env: dict[str, str], fault: str) -> dict[str, str]:
    """``env`` for a process in which ``fault`` happens."""
    folder = tmp_path / "faults"
    folder.mkdir(exist_ok=True)
    (folder / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    path = os.pathsep.join(filter(None, [str(folder), env.get("PYTHONPATH")]))
    # No bytecode of the fault beside the store: the tests compare every file there.
    return {**env, "PYTHONPATH": path, "STRESS_FAULT": fault, "PYTHONDONTWRITEBYTECODE": "1"}


# What the agent tries: every verb that writes, and the ones that only read.
WRITERS = [
    ("add", "Bob", "send the form", "--due", "tomorrow"),
    ("note", "1", "called Finance"),
    ("edit", "1", "--tag", "vip"),
    ("done", "1", "refund issued"),
    ("close", "1", "told her", "--via", "phone"),
    ("cancel", "1", "--reason", "withdrawn"),
    ("wait", "1", "--on", "Finance"),
    ("reschedule", "1", "mon 12:00", "--told"),
    ("snooze", "1", "2h"),
    ("undo",),
]
READERS = [("list",), ("list", "--all", "--json"), ("show", "1"), ("export", "--format", "csv")]


def files_in(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` by relative path, lock files aside (see locks_name_nobody)."""
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not path.name.endswith(".lock")
    }


def locks_name_nobody(folder: Path) -> bool:
    """A lock file left behind must not claim a holder: the command that held it ended."""
    return all(lock.read_bytes() == b"" for lock in folder.rglob("*.lock"))


def one_line_error(result: Outcome, code: int, *words: str) -> None:
    """Exit ``code`` with one line on stderr, saying ``words``, and nothing on stdout."""
    assert result.code == code, (result.code, result.err)
    lines = result.err.strip().split("\n")
    assert len(lines) == 1, result.err
    assert "Traceback" not in result.err and "this is a bug" not in result.err
    if lines[0].startswith("{"):  # under --json
        error = json.loads(lines[0])
        assert error["exit_code"] == code and error["hint"], error
        said = error["message"]
    else:
        assert lines[0].startswith("loopcloser: "), lines[0]
        said = lines[0]
    for word in words:
        assert word in said, said
    assert result.out == ""


@pytest.fixture
def desk(home: Path, add: Add) -> Path:
    """anna's store with one open loop, and its index current."""
    add("Maria Rossi", "call back about the refund")
    return home


# --- a full disk -------------------------------------------------------------


def disk_full(*args: object) -> None:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.mark.parametrize("args", WRITERS, ids=lambda args: args[0])
def test_a_full_disk_refuses_every_change_and_keeps_the_store(
    run: Run, desk: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]
) -> None:
    run("note", "1", "something to undo")
    before = files_in(desk)
    monkeypatch.setattr(os, "fsync", disk_full)
    one_line_error(run(*args), 5, "No space left on device", "left as it was")
    assert files_in(desk) == before
    assert locks_name_nobody(desk)


def test_a_full_disk_under_json_is_one_json_error(
    run: Run, desk: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "fsync", disk_full)
    result = run("close", "1", "told her", "--json")
    assert result.code == 5 and result.out == ""
    (line,) = result.err.strip().split("\n")
    error = json.loads(line)
    assert (error["error"], error["exit_code"]) == ("store", 5)
    assert "No space left on device" in error["message"] and error["hint"]


@pytest.mark.parametrize("args", READERS, ids=" ".join)
def test_a_full_disk_still_lets_the_agent_read(
    run: Run, desk: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]
) -> None:
    (desk / ".loops.json.open").unlink()  # so reading would rebuild the index
    before = files_in(desk)
    monkeypatch.setattr(os, "fsync", disk_full)
    real_open = os.open

    def full_open(path: str | os.PathLike[str], flags: int, *rest: int) -> int:
        if flags & os.O_CREAT and not str(path).endswith(".lock"):
            disk_full()
        return real_open(path, flags, *rest)

    monkeypatch.setattr(os, "open", full_open)
    result = run(*args)
    assert result.code == 0, result.err
    assert "Maria Rossi" in result.out
    assert files_in(desk) == before


def test_a_full_disk_refuses_a_setting_and_keeps_the_config(
    run: Run, desk: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = files_in(desk)
    monkeypatch.setattr(os, "fsync", disk_full)
    one_line_error(run("config", "set", "work_end", "18:00"), 5, "No space left on device")
    assert files_in(desk) == before


def test_the_real_executable_on_a_full_disk_exits_5_and_keeps_the_store(
    tmp_path: Path, desk: Path
) -> None:
    env = faulty_env(tmp_path, dict(os.environ), "disk-full")
    before = files_in(desk)
    for args in WRITERS[:5]:
        result = subprocess.run(
            [str(EXECUTABLE), *args], env=env, capture_output=True, text=True, check=False
        )
        one_line_error(Outcome(result.returncode, result.stdout, result.stderr), 5, "No space")
    assert files_in(desk) == before
    listed = subprocess.run(
        [str(EXECUTABLE), "list", "--json"], env=env, capture_output=True, text=True, check=False
    )
    assert listed.returncode == 0 and json.loads(listed.stdout)[0]["customer"] == "Maria Rossi"


# --- read-only folders -------------------------------------------------------


def refuse_to_create(*args: object, **options: object) -> None:
    raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))


@pytest.mark.parametrize("args", WRITERS[:5], ids=lambda args: args[0])
def test_a_folder_that_refuses_new_files_refuses_changes_and_keeps_the_store(
    run: Run, desk: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]
) -> None:
    before = files_in(desk)
    monkeypatch.setattr(atomic, "private_temporary", refuse_to_create)
    one_line_error(run(*args), 5, "Permission denied")
    assert files_in(desk) == before
    assert locks_name_nobody(desk)


def test_a_read_only_store_folder_refuses_changes_and_still_reads(
    run: Run, desk: Path, request: pytest.FixtureRequest
) -> None:
    if ran_without_root_powers(request):  # root writes in any folder whatever its mode
        return
    shelf = desk / "shelf"
    shelf.mkdir()
    store = shelf / "loops.json"
    assert run("add", "Maria", "call back", "--due", "tomorrow", "--store", str(store)).code == 0
    before = files_in(shelf)
    shelf.chmod(0o500)
    try:
        one_line_error(run("close", "1", "--store", str(store)), 5, "Permission denied")
        listed = run("list", "--json", "--store", str(store))
    finally:
        shelf.chmod(0o700)
    assert listed.code == 0 and listed.json()[0]["customer"] == "Maria"
    assert files_in(shelf) == before


@pytest.fixture
def mounted(tmp_path: Path) -> Iterator[Path]:
    """A tiny tmpfs of its own (root only): a real full disk and a real read-only folder."""
    if not AS_ROOT or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    point = tmp_path / "mnt"
    point.mkdir()
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=48k,mode=0700", "tmpfs", str(point)],
        capture_output=True,
        check=False,
    )
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.decode(errors='replace')}")
    try:
        yield point
    finally:
        subprocess.run(["umount", "-l", str(point)], check=False)


def test_a_really_full_disk_and_a_read_only_mount_keep_the_store(
    run: Run, home: Path, mounted: Path
) -> None:
    store = str(mounted / "loops.json")
    padding = "x" * 900
    added = 0
    while True:  # fill the disk with real loops until a write fails
        result = run("add", f"Customer {added} {padding}", "call back", "--due", "tomorrow",
                     "--store", store)  # fmt: skip
        if result.code != 0:
            break
        added += 1
    one_line_error(result, 5, "No space left on device", "left as it was")
    assert added > 3
    before = files_in(mounted)
    one_line_error(run("close", "1", "--store", store), 5, "No space left on device")
    assert files_in(mounted) == before
    assert len(run("list", "--json", "--store", store).json()) == added
    subprocess.run(["mount", "-o", "remount,ro", str(mounted)], check=True)
    one_line_error(run("close", "1", "--store", store), 5, "Read-only file system")
    assert len(run("list", "--all", "--json", "--store", store).json()) == added
    assert files_in(mounted) == before


# --- the store is not a file -------------------------------------------------


@pytest.mark.parametrize("args", [*WRITERS[:3], *READERS], ids=" ".join)
def test_a_store_replaced_by_a_folder_is_reported_and_left_alone(
    run: Run, home: Path, args: tuple[str, ...]
) -> None:
    store = home / "loops.json"
    store.mkdir()
    (store / "holiday.jpg").write_bytes(b"\xff\xd8 not a store")
    before = files_in(home)
    one_line_error(run(*args), 5, str(store))
    assert files_in(home) == before


# --- settings ----------------------------------------------------------------

BAD_CONFIGS = {
    "not toml": (b"agent: anna\ntimezone = Europe/Rome\n", "not valid TOML"),
    "cut short": (b'agent = "anna\n', "not valid TOML"),
    "not utf-8": (b'agent = "Jos\xe9"\n', "not UTF-8"),
    "unknown key": (b'agent = "anna"\ncolour = "blue"\n', "unknown setting colour"),
    "a table": (b'[loopcloser]\nagent = "anna"\n', "unknown setting loopcloser"),
    "not text": (b"agent = 42\n", "agent must be text"),
    "a bad value": (b'agent = "anna"\nwork_end = "25:00"\n', "is not a time of day"),
    "a day that ends first": (b'work_start = "18:00"\nwork_end = "09:00"\n', "starts (18:00)"),
    "a duplicate key": (b'agent = "anna"\nagent = "luca"\n', "not valid TOML"),
}


@pytest.mark.parametrize(("content", "says"), BAD_CONFIGS.values(), ids=BAD_CONFIGS.keys())
@pytest.mark.parametrize("args", [WRITERS[0], WRITERS[4], READERS[0], ("config", "list")])
def test_a_broken_config_is_bad_input_and_nothing_is_written(
    run: Run, desk: Path, content: bytes, says: str, args: tuple[str, ...]
) -> None:
    (desk / "config.toml").write_bytes(content)
    before = files_in(desk)
    one_line_error(run(*args), 2, "config", says)
    assert files_in(desk) == before


def test_setting_a_value_in_a_broken_config_leaves_the_file_for_the_user(
    run: Run, desk: Path
) -> None:
    (desk / "config.toml").write_bytes(BAD_CONFIGS["not toml"][0])
    before = files_in(desk)
    one_line_error(run("config", "set", "agent", "anna"), 2, "not valid TOML")
    assert files_in(desk) == before


def test_a_config_that_is_a_folder_is_a_store_error(run: Run, desk: Path) -> None:
    config = desk / "config.toml"
    config.unlink()
    config.mkdir()
    before = files_in(desk)
    one_line_error(run("list"), 5, "cannot read config")
    one_line_error(run("config", "set", "agent", "anna"), 5, "cannot read config")
    assert files_in(desk) == before


# --- the clock and the lock --------------------------------------------------

BAD_NOWS = ["tomorrow", "2026-13-01T09:00:00Z", "2026-11-25T25:00", "25/11/2026", " ",
            "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2026-11-25T09:00:00+25:00",
            "1e9", "2026-11-25T09:00:00Z\n; rm -rf ~"]  # fmt: skip


@pytest.mark.parametrize("now", BAD_NOWS)
@pytest.mark.parametrize("args", [WRITERS[0], WRITERS[4], READERS[0]], ids=lambda a: a[0])
def test_a_malformed_pinned_now_is_bad_input_and_nothing_is_written(
    run: Run, desk: Path, now: str, args: tuple[str, ...]
) -> None:
    before = files_in(desk)
    one_line_error(run(*args, env={"LOOPCLOSER_NOW": now}), 2, "LOOPCLOSER_NOW")
    assert files_in(desk) == before


@pytest.mark.parametrize("timeout", ["soon", "-1", "nan", "inf seconds"])
def test_a_malformed_lock_timeout_is_bad_input_and_nothing_is_written(
    run: Run, desk: Path, timeout: str
) -> None:
    before = files_in(desk)
    result = run(*WRITERS[4], env={"LOOPCLOSER_LOCK_TIMEOUT": timeout})
    one_line_error(result, 2, "LOOPCLOSER_LOCK_TIMEOUT")
    assert files_in(desk) == before


# --- import and output files -------------------------------------------------

IMPORT = "customer,promise,due\nLi Wei,confirm the warranty,2026-11-30 12:00\n"


@pytest.mark.parametrize("fault", ["disk full", "no new files"])
def test_an_import_on_a_broken_disk_is_refused_whole_and_keeps_the_store(
    run: Run, desk: Path, monkeypatch: pytest.MonkeyPatch, fault: str
) -> None:
    before = files_in(desk)
    if fault == "disk full":
        monkeypatch.setattr(os, "fsync", disk_full)
    else:
        monkeypatch.setattr(atomic, "private_temporary", refuse_to_create)
    result = run("import", "-", "--format", "csv", stdin=IMPORT)
    one_line_error(result, 5, "cannot write")
    assert files_in(desk) == before
    assert locks_name_nobody(desk)


def test_an_import_into_a_store_that_is_a_folder_writes_nothing(run: Run, home: Path) -> None:
    (home / "loops.json").mkdir()
    before = files_in(home)
    one_line_error(run("import", "-", "--format", "csv", stdin=IMPORT), 5, "cannot be read")
    assert files_in(home) == before


def test_an_output_file_that_cannot_be_written_is_exit_5_and_the_old_one_stays(
    run: Run, desk: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sheet = desk / "loops.csv"
    sheet.write_text("yesterday's export\n", encoding="utf-8")
    monkeypatch.setattr(os, "fsync", disk_full)
    for args in (("export", "--format", "csv"), ("digest", "--markdown")):
        one_line_error(run(*args, "-o", str(sheet)), 5, f"cannot write {sheet}")
    assert sheet.read_text(encoding="utf-8") == "yesterday's export\n"
    assert [path.name for path in desk.glob(".loops.csv.*")] == []


# --- names the file system refuses -------------------------------------------


@pytest.mark.parametrize(
    "args",
    [("add", "Maria", "call back", "--due", "tomorrow", "--store", "LONG/loops.json"),
     ("list", "--store", "LONG/loops.json"), ("export", "-o", "LONG/loops.csv"),
     ("digest", "-o", "LONG/digest.txt")],
    ids=["add", "list", "export", "digest"],
)  # fmt: skip
def test_a_path_too_long_for_the_file_system_is_a_store_error(
    run: Run, desk: Path, args: tuple[str, ...]
) -> None:
    long = str(desk / ("z" * 300))
    before = files_in(desk)
    one_line_error(run(*(arg.replace("LONG", long) for arg in args)), 5, "File name too long")
    assert files_in(desk) == before
