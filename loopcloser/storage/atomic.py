"""Write a file so that a crash leaves either the old bytes or the new, never a mix."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Iterable
from pathlib import Path

from loopcloser.core.errors import StoreError
from loopcloser.core.words import _


def ensure_private_dir(directory: Path) -> None:
    """Create ``directory`` and any missing parents readable by their owner only.

    Parents too (mkdir -p would make them 0777 less the umask): under a lax umask a
    parent that others may write lets them swap the folder that holds the store.
    """
    try:
        missing = []
        for folder in (directory, *directory.parents):
            if folder.is_dir():  # raises for a name too long, say
                break
            missing.append(folder)
        for folder in reversed(missing):
            folder.mkdir(mode=0o700, exist_ok=True)
    except OSError as error:
        raise StoreError(
            _("cannot create directory {path}: {reason}").format(
                path=directory, reason=error.strerror
            ),
            hint=_("check the path and its permissions"),
        ) from None


def write_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data``: temp file, flush, fsync, rename, fsync dir."""
    write_pieces(path, [data])


def write_pieces(path: Path, pieces: Iterable[bytes]) -> None:
    """Replace ``path`` with the bytes ``pieces`` make, as they come, atomically.

    The temporary file lives beside the target so the rename stays on one file
    system; mkstemp creates it 0600 and never through a link, so the new file is
    private too. Pieces let a file too large to hold whole in memory be written
    the same way; a failure leaves the old file and no temporary one.
    """
    ensure_private_dir(path.parent)
    refuse_read_only(path)
    try:
        handle, temp_name = private_temporary(path)
    except OSError as error:
        raise StoreError(
            _("cannot write {path}: {reason}").format(path=path, reason=error.strerror),
            hint=_("check the directory's permissions"),
        ) from None
    try:
        with os.fdopen(handle, "wb", buffering=1 << 20) as temp:
            temp.writelines(pieces)
            temp.flush()
            os.fsync(temp.fileno())
        os.replace(temp_name, path)
    except BaseException as error:
        # Whatever stopped the write (disk full, Ctrl-C), leave no half-written temp file.
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        if not isinstance(error, OSError):
            raise
        raise StoreError(
            _("cannot write {path}: {reason}; the previous file was left as it was").format(
                path=path, reason=error.strerror
            ),
            hint=_("free some disk space or check permissions, then try again"),
        ) from None
    fsync_directory(path.parent)


def private_temporary(path: Path) -> tuple[int, str]:
    """A new file beside ``path``, named ``.NAME.RANDOM.tmp``, open for writing: made
    0600 and never through a link (O_EXCL), as tempfile.mkstemp makes one, without the
    millisecond its import costs every write."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    for _attempt in range(100):
        name = str(path.with_name(f".{path.name}.{os.urandom(6).hex()}.tmp"))
        try:
            return os.open(name, flags, 0o600), name
        except FileExistsError:
            continue  # taken by another writer's (or a planted) file: draw another name
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(path))


def replace_cache(target: Path, pieces: Iterable[bytes]) -> None:
    """Replace a file that is only a cache (an index, a prompt's status) with ``pieces``.

    A new private file then a rename, never through a link: a leftover of the
    temporary name (a dead process's, or planted) is removed first, and unlinking a
    link leaves its target alone. No fsync: after a crash a stale or missing cache
    costs only its next rebuild. On any error the temporary file goes, and it is raised.
    """
    temp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    try:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        with os.fdopen(os.open(temp, flags, 0o600), "wb") as file:
            file.writelines(pieces)
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def remove_leftovers(path: Path, prefix: str | None = None) -> None:
    """Delete the temporary copies of ``path`` that writers killed mid-write left behind.

    Each is a whole copy of the file, customer details included, that nothing else
    would ever remove (``forget`` would leave them). Only for a file whose writers
    hold a lock, so no other process is still writing one of them. They are named
    ``PREFIX.*.tmp`` beside it, ``.NAME`` being write_atomically's prefix.
    """
    start = f"{prefix if prefix is not None else f'.{path.name}'}."
    with contextlib.suppress(OSError), os.scandir(path.parent) as found:
        for entry in found:
            if entry.name.startswith(start) and entry.name[len(start) :].endswith(".tmp"):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)


def refuse_read_only(path: Path) -> None:
    """A file its owner made read-only is a wish to keep it: never replace it."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return  # missing: it will be created
    if not mode & stat.S_IWUSR:
        raise StoreError(
            _("{path} is read-only, so it was not changed").format(path=path),
            hint=_("make it writable (chmod u+w {path}) to record changes").format(path=path),
        )


def fsync_directory(directory: Path) -> None:
    """Make a rename in ``directory`` durable; a no-op where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
