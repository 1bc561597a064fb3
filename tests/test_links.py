"""No write through a planted link: locks, stores and temporary files are never followed
out of their folder, a dangling link creates nothing, and another user's files stay theirs."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from loopcloser.core.errors import StoreError
from loopcloser.storage.store import Store
from tests.conftest import Run

Add = Callable[..., int]

PRECIOUS = b"someone's own file, which must never be emptied\n"
OTHER_UID = 65534  # nobody

as_root = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="only root can hand a file to another"
)


def precious(folder: Path) -> Path:
    target = folder / "precious.txt"
    target.write_bytes(PRECIOUS)
    return target


def test_a_lock_planted_as_a_link_is_refused_and_its_target_untouched(
    run: Run, home: Path, add: Add
) -> None:
    add()
    (home / "elsewhere").mkdir()
    target = precious(home / "elsewhere")
    lock = home / "loops.json.lock"
    lock.unlink()
    lock.symlink_to(target)

    refused = run("add", "Maria", "call back", "--due", "tomorrow")

    assert refused.code == 5
    assert "is a link" in refused.err and f"rm {lock}" in refused.err
    assert target.read_bytes() == PRECIOUS
    assert len(run("list", "--json").json()) == 1


def test_the_team_handoff_lock_is_never_followed(run: Run, home: Path, team: Path) -> None:
    run("add", "Maria", "call back", "--due", "tomorrow")
    target = precious(home)
    (team / ".handoffs.lock").symlink_to(target)

    refused = run("handoff", "1", "--to", "luca", "--note", "mornings", "--new-agent")

    assert refused.code == 5 and "is a link" in refused.err
    assert target.read_bytes() == PRECIOUS


def test_a_store_linked_out_of_its_folder_is_refused(run: Run, home: Path) -> None:
    elsewhere = home / "elsewhere"
    elsewhere.mkdir()
    target = elsewhere / "loops.json"
    store = home / "linked.json"
    assert run("add", "Maria", "call back", "--due", "tomorrow", "--store", str(target)).code == 0
    before = target.read_bytes()
    store.symlink_to(target)

    for command in (["list"], ["add", "Ada", "refund", "--due", "tomorrow"]):
        refused = run(*command, "--store", str(store))
        assert refused.code == 5, command
        assert "outside its folder" in refused.err and f"--store {target}" in refused.err
    assert target.read_bytes() == before


def test_a_store_linked_within_its_folder_is_followed(run: Run, home: Path) -> None:
    target = home / "real.json"
    assert run("add", "Ada", "refund", "--due", "tomorrow", "--store", str(target)).code == 0
    link = home / "loops.json"
    link.symlink_to(target)
    assert run("add", "Maria", "call back", "--due", "tomorrow").code == 0
    assert link.is_symlink()
    assert Store(target).get(2) is not None


@pytest.mark.parametrize("missing", ["gone/deeper/loops.json", "gone.json"])
def test_a_dangling_store_link_creates_nothing(run: Run, home: Path, missing: str) -> None:
    link = home / "loops.json"
    link.symlink_to(home / missing)

    refused = run("add", "Maria", "call back", "--due", "tomorrow")

    assert refused.code == 5 and "is a link to" in refused.err
    assert not (home / missing).exists() and not (home / "gone").exists()
    assert sorted(path.name for path in home.iterdir()) == ["config.toml", "loops.json"]


def test_a_file_that_is_no_store_is_refused_and_nothing_is_left_beside_it(
    run: Run, home: Path
) -> None:
    folder = home / "notes"
    folder.mkdir()
    text = folder / "todo.txt"
    text.write_text("buy milk\n", encoding="utf-8")

    refused = run("add", "Maria", "call back", "--due", "tomorrow", "--store", str(text))

    assert refused.code == 5 and "left untouched" in refused.err
    assert text.read_text(encoding="utf-8") == "buy milk\n"
    assert [path.name for path in folder.iterdir()] == ["todo.txt"]


@as_root
def test_root_never_rewrites_another_users_store(run: Run, home: Path, add: Add) -> None:
    add()
    store = home / "loops.json"
    os.chown(store, OTHER_UID, OTHER_UID)
    before = store.read_bytes()

    refused = run("add", "Ada", "refund", "--due", "tomorrow")

    assert refused.code == 5 and "belongs to another user" in refused.err
    assert store.read_bytes() == before
    assert os.stat(store).st_uid == OTHER_UID
    assert len(run("list", "--json").json()) == 1, "reading it is still allowed"


@as_root
def test_a_lock_file_of_another_user_is_refused(run: Run, home: Path, add: Add) -> None:
    add()
    lock = home / "loops.json.lock"
    os.chown(lock, OTHER_UID, OTHER_UID)

    refused = run("done", "1")

    assert refused.code == 5 and "belongs to another user" in refused.err


def test_a_lock_that_is_a_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "loops.json.lock").mkdir()
    with (
        pytest.raises(StoreError, match="cannot be locked: Is a directory"),
        Store(tmp_path / "loops.json").transaction(),
    ):
        pass


def test_a_link_planted_as_the_index_temporary_file_is_not_followed(
    run: Run, home: Path, add: Add
) -> None:
    add()
    target = precious(home)
    (home / f".loops.json.open.{os.getpid()}.tmp").symlink_to(target)

    assert run("add", "Ada", "refund", "--due", "tomorrow").code == 0

    assert target.read_bytes() == PRECIOUS
    assert len(run("list", "--json").json()) == 2
