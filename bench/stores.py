"""A store's files on disk, and copies of them that loopcloser reads as fast as the original.

A store is more than ``loops.json``: its archive (one file, or a folder of them), the
index of its open loops, the status a prompt reads. Every file and folder beside the
store whose name starts with the store's stem (``loops.*``, ``.loops.*``) is the
store's; so is its copy of the day in ``.backups``. Locks are nobody's to copy.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

STORE = "loops.json"
BACKUPS = ".backups"
Stamp = tuple[int, int, int]


def stem_of(store: str) -> str:
    """The part of a store's name its other files start with: ``loops`` of ``loops.json``."""
    return store.rsplit(".", 1)[0] if "." in store.lstrip(".") else store


def belongs(name: str, store: str = STORE) -> bool:
    """Whether the file or folder ``name`` beside the store is one of the store's own."""
    stem = stem_of(store)
    return name.startswith((f"{stem}.", f".{stem}.")) and not name.endswith(".lock")


def entries(folder: Path, store: str = STORE) -> Iterator[os.DirEntry[str]]:
    """The store's own files and folders in ``folder``, by name."""
    with os.scandir(folder) as found:
        yield from sorted((entry for entry in found if belongs(entry.name, store)),
                          key=lambda entry: entry.name)  # fmt: skip


def files(folder: Path, store: str = STORE) -> Iterator[Path]:
    """Every file of the store, its folders walked, as paths relative to ``folder``."""
    for entry in entries(folder, store):
        if entry.is_dir(follow_symlinks=False):
            for path in sorted(Path(entry.path).rglob("*")):
                if path.is_file() and not path.name.endswith(".lock"):
                    yield path.relative_to(folder)
        elif entry.is_file(follow_symlinks=False):
            yield Path(entry.name)


def stamps(folder: Path, store: str = STORE) -> dict[str, Stamp]:
    """Each file of the store by relative path: inode, size and modification time."""
    found = {}
    for path in files(folder, store):
        status = os.stat(folder / path)
        found[str(path)] = (status.st_ino, status.st_size, status.st_mtime_ns)
    return found


def sizes(folder: Path, store: str = STORE) -> dict[str, int]:
    """Each file of the store by relative path: its bytes."""
    return {str(path): os.stat(folder / path).st_size for path in files(folder, store)}


def described(folder: Path, store: str = STORE) -> str:
    """The store's files and folders as a note says them: name and MiB."""
    said = []
    for entry in entries(folder, store):
        if entry.is_dir(follow_symlinks=False):
            inside = [path for path in Path(entry.path).rglob("*") if path.is_file()]
            total = sum(path.stat().st_size for path in inside)
            said.append(f"{entry.name}/ ({len(inside)} files) {total / 2**20:.1f} MiB")
        else:
            said.append(f"{entry.name} {entry.stat().st_size / 2**20:.1f} MiB")
    return ", ".join(said)


def copy_store(source: Path, target: Path, store: str = STORE) -> None:
    """Copy a store's folder so that loopcloser trusts its indexes as it does the original's.

    An index (``.NAME.open``) names the store file it was made from by inode, size
    and modification time; a copy is a new inode, so the copied index names the copy.
    Otherwise the first command after each copy would read the whole store instead.
    The day's backup is linked, not copied: a write finds it taken, as on the original.
    """
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    before = stamps(source, store)
    for entry in entries(source, store):
        if entry.is_dir(follow_symlinks=False):
            shutil.copytree(
                entry.path,
                target / entry.name,
                copy_function=shutil.copy,
                ignore=shutil.ignore_patterns("*.lock"),
            )
        else:
            shutil.copy(entry.path, target / entry.name)
    link_backups(source, target, store)
    by_stamp = {stamp: name for name, stamp in before.items()}
    for name in before:
        if Path(name).name.startswith(".") and name.endswith(".open"):
            restamp(target / name, target, by_stamp)


def link_backups(source: Path, target: Path, store: str) -> None:
    """Give the copy the store's daily copies, as links: loopcloser never changes them."""
    kept = source / BACKUPS
    if not kept.is_dir():
        return
    (target / BACKUPS).mkdir(mode=0o700)
    for copy in kept.iterdir():
        if copy.name.startswith(f"{store}.") and copy.is_file():
            try:
                os.link(copy, target / BACKUPS / copy.name)
            except OSError:
                shutil.copyfile(copy, target / BACKUPS / copy.name)


def restamp(index: Path, target: Path, by_stamp: dict[Stamp, str]) -> None:
    """Make a copied index name the copy of the file the original index was made from."""
    import orjson

    try:
        made = orjson.loads(index.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return
    stamp = made.get("stamp") if isinstance(made, dict) else None
    made_from = by_stamp.get(tuple(stamp)) if isinstance(stamp, list) else None
    if made_from is not None:
        status = os.stat(target / made_from)
        made["stamp"] = [status.st_ino, status.st_size, status.st_mtime_ns]
        index.write_bytes(orjson.dumps(made))
