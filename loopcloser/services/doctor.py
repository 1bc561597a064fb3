"""Health checks for a setup: the store, the settings, the keyring and the delivery."""

from __future__ import annotations

import os
import stat
import sys
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from loopcloser.core.documents import BadRecords
from loopcloser.core.errors import LoopcloserError

if TYPE_CHECKING:
    from loopcloser.core.settings import Settings
    from loopcloser.storage.store import Store


@dataclass(frozen=True)
class Check:
    """One finding: what was checked, whether it is fine, and the fix when it is not."""

    name: str
    ok: bool
    detail: str
    fix: str | None = None


def check_store(path: Path) -> list[Check]:
    """The store opens, carries a schema we read, and is private to its owner."""
    from loopcloser.storage.location import open_at

    if not path.exists():
        return [Check("store", True, f"{path} does not exist yet; the first add creates it")]
    store = open_at(path)
    try:
        count = len(store.documents())
    except LoopcloserError as error:
        with suppress(LoopcloserError):
            if store.copies():
                fix = "bring back an earlier day: loopcloser restore --list, then restore DATE"
                return [Check("store", False, error.message, fix)]
        return [Check("store", False, error.message, error.hint)]
    checks = [Check("store", True, f"{path} holds {count} loop{'s' * (count != 1)}")]
    checks.append(check_loops(store))
    mode = stat.S_IMODE(path.stat().st_mode)
    private = not mode & 0o077
    checks.append(
        Check(
            "permissions",
            private,
            f"{path} is {mode:o}" + ("" if private else ": others can read customer details"),
            None if private else f"chmod 600 {path}",
        )
    )
    checks.append(check_folder(Path(os.path.realpath(path)).parent))
    checks.append(check_lock(Path(f"{os.path.realpath(path)}.lock")))
    checks.append(check_status_file(path))
    return checks


def check_status_file(store: Path) -> Check:
    """Where a shell prompt reads the status line, and whether it is as new as the store.

    Never a problem: the prompt is a convenience, and ``status`` always counts afresh.
    """
    from loopcloser.storage.status_file import status_path

    status = status_path(store)
    try:
        behind = status.stat().st_mtime_ns < store.stat().st_mtime_ns
    except OSError:
        return Check("prompt", True, f"no {status} yet: the next change or remind leaves it")
    if behind:
        why = "it could not be written, or the store was changed from elsewhere"
        return Check("prompt", True, f"{status} is older than the store ({why})")
    return Check("prompt", True, f"{status} holds the counts for a shell prompt")


def check_loops(store: Store) -> Check:
    """Every loop in the store and its archive reads: name the first malformed one."""
    bad = BadRecords()
    try:
        store.check_archive()
    except LoopcloserError as error:
        return Check("archive", False, error.message, error.hint)
    documents = store.all_documents()
    for loop_id, document in documents.items():
        bad.load(loop_id, document)
    if not bad.found:
        return Check("loops", True, f"all {len(documents)} read")
    first, *others = bad.found.values()
    more = f" (and {len(others)} more)" if others else ""
    fix = f"fix it by hand in {store.path}, or bring back an earlier day: loopcloser restore --list"
    return Check("loops", False, f"{first}{more}", fix)


def check_folder(folder: Path) -> Check:
    """Nobody but its owner (and a team's group) can replace the files in the store's folder.

    A folder anyone may write lets anyone swap the store or its lock; the sticky bit
    (as on /tmp) keeps each file its owner's, and a team's shared folder needs a group.
    """
    try:
        mode = folder.stat().st_mode
    except OSError as error:
        return Check("folder", False, f"{folder} cannot be read: {error.strerror or error}")
    if mode & stat.S_IWOTH and not mode & stat.S_ISVTX:
        detail = f"{folder} is {stat.S_IMODE(mode):o}: anyone can replace or delete the store"
        return Check("folder", False, detail, f"chmod 700 {folder}")
    return Check("folder", True, f"{folder} is {stat.S_IMODE(mode):o}")


def check_lock(lock: Path) -> Check:
    """Who holds the store's lock now.

    The note in the lock file names the last holder; a holder that was killed leaves
    its note behind, so the lock itself is tried (shared, never waiting) before the
    note is believed.
    """
    try:
        fd = os.open(lock, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        return Check("lock", True, "free")
    except OSError as error:
        return Check("lock", False, f"{lock} cannot be read: {error.strerror or error}")
    try:
        note = os.read(fd, 200).decode(errors="replace").strip()
        if is_held(fd, note):
            return Check("lock", True, f"held by {note or 'another process'}")
    finally:
        os.close(fd)
    left = f" ({note}, which has ended, left its note)" if note else ""
    return Check("lock", True, f"free{left}")


def is_held(fd: int, note: str) -> bool:
    """Whether another process holds the lock open on ``fd``."""
    if sys.platform == "win32":
        return bool(note)  # a lock cannot be tried there without taking the holder's byte
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return bool(note)
    fcntl.flock(fd, fcntl.LOCK_UN)
    return False


def check_settings(conf: Settings) -> list[Check]:
    """The settings read, and the team folder, if any, exists."""
    checks = [
        Check("config", True, f"agent {conf['agent']}, time zone {conf['timezone'] or 'system'}")
    ]
    if conf.team is not None:
        from loopcloser.storage.location import is_folder

        exists = is_folder(conf.team)
        checks.append(
            Check("team", exists, str(conf.team), None if exists else f"mkdir -p {conf.team}")
        )
    return checks


def check_keyring(conf: Settings | None = None) -> Check:
    """A keyring backend exists to hold secrets (or the environment carries them).

    Without one, only a mail login with no password in the environment is a problem:
    a webhook or a password may come from the environment at the moment of sending.
    """
    from loopcloser.delivery.secrets import NAMES, in_environment

    if all(in_environment(name) for name in NAMES):
        return Check("keyring", True, "secrets come from the environment")
    try:
        import keyring
        from keyring.backends import fail

        backend = keyring.get_keyring()
    except Exception as error:  # a broken keyring install is a finding, not a crash
        return Check("keyring", False, f"keyring cannot load ({type(error).__name__})")
    if isinstance(backend, fail.Keyring) or "null" in type(backend).__module__:
        variables = " and ".join(NAMES.values())
        needed = conf is not None and conf["smtp_user"] and not in_environment("smtp_password")
        if not needed:
            detail = f"no keyring backend: secrets can come from {variables}"
            return Check("keyring", True, detail)
        fix = f"set {variables} in the environment instead"
        return Check("keyring", False, "no keyring backend for the mail password", fix)
    return Check("keyring", True, type(backend).__name__)


def check_delivery(conf: Settings) -> Check:
    """Reminders can reach the agent the way the delivery setting says.

    The way is made ready as ``remind`` would make it (notify-send found, the command
    found, the mail settings and password or the webhook URL read), and nothing is sent.
    """
    from loopcloser.core.ways_out import Cargo
    from loopcloser.delivery.ways_out import ready

    name = conf["delivery"]
    try:
        way = ready(name, Cargo.REMINDERS, conf)
    except LoopcloserError as error:
        return Check("delivery", False, f"{name}: {error.message}", error.hint)
    return Check("delivery", True, way.detail)


# The exit code of doctor: that of the first problem found, as the command would meet it.
PROBLEM_EXIT = {
    "store": 5, "loops": 5, "archive": 5, "permissions": 5, "folder": 5, "lock": 5, "config": 2,
    "hub": 7
}  # fmt: skip


def exit_code(checks: list[Check]) -> int:
    """0 when all is well, else the first problem's code (6 for keyring and delivery)."""
    return next((PROBLEM_EXIT.get(check.name, 6) for check in checks if not check.ok), 0)


def run_checks(store: Path, conf: Settings) -> list[Check]:
    """Every check, in the order a person would look."""
    checks = [*check_store(store), *check_settings(conf), check_keyring(conf)]
    checks.append(check_delivery(conf))
    if conf.hub is not None:
        checks.append(check_hub(conf))
        checks.append(check_sync(store))
    return checks


def check_sync(path: Path) -> Check:
    """How many changes wait to be sent to the hub, and when the last sync succeeded.

    Changes waiting are no fault (the hub may be down, the laptop on a train): this
    check only informs.
    """
    from loopcloser.services.sync import standing
    from loopcloser.storage.location import open_at

    try:
        now = standing(open_at(path))
    except LoopcloserError as error:
        return Check("sync", True, f"cannot count the changes waiting: {error.message}")
    last = f"last sync {now.synced}" if now.synced else "never synced"
    waiting = f"{now.waiting} change{'s' * (now.waiting != 1)} wait to be sent"
    return Check("sync", True, f"{last}; {waiting if now.waiting else 'nothing waits'}")


def check_hub(conf: Settings) -> Check:
    """The hub answers, is a hub this loopcloser reads, and knows the agent's login: what
    a sync needs of it."""
    from loopcloser.services.sync import agent_session
    from loopcloser.storage import hub

    try:
        with agent_session(conf, conf["agent"]) as connection:
            version = hub.schema_version(connection)
    except LoopcloserError as error:
        return Check("hub", False, error.message, error.hint)
    return Check("hub", True, f"schema {version}, agent {conf['agent']}")
