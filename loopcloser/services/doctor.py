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
from loopcloser.core.words import NP_, _, n_, p_

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

    @property
    def label(self) -> str:
        """The check's name as a person reads it; ``name`` stays as scripts read it."""
        return p_("check", self.name)


CHECK_NAMES = (NP_("check", "store"), NP_("check", "loops"), NP_("check", "archive"),
               NP_("check", "permissions"), NP_("check", "folder"), NP_("check", "lock"),
               NP_("check", "prompt"), NP_("check", "config"), NP_("check", "team"),
               NP_("check", "keyring"), NP_("check", "delivery"), NP_("check", "hub"),
               NP_("check", "sync"))  # fmt: skip
"""Every check's name, marked for the catalog: ``Check.label`` looks it up."""


def check_store(path: Path) -> list[Check]:
    """The store opens, carries a schema we read, and is private to its owner."""
    from loopcloser.storage.location import open_at

    if not path.exists():
        absent = _("{path} does not exist yet; the first add creates it").format(path=path)
        return [Check("store", True, absent)]
    store = open_at(path)
    try:
        count = len(store.documents())
    except LoopcloserError as error:
        with suppress(LoopcloserError):
            if store.copies():
                fix = _("bring back an earlier day: loopcloser restore --list, then restore DATE")
                return [Check("store", False, error.message, fix)]
        return [Check("store", False, error.message, error.hint)]
    holds = n_("{path} holds {count} loop", "{path} holds {count} loops", count)
    checks = [Check("store", True, holds.format(path=path, count=count))]
    checks.append(check_loops(store))
    mode = stat.S_IMODE(path.stat().st_mode)
    private = not mode & 0o077
    checks.append(
        Check(
            "permissions",
            private,
            (
                _("{path} is {mode:o}")
                if private
                else _("{path} is {mode:o}: others can read customer details")
            ).format(path=path, mode=mode),
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
        detail = _("no {path} yet: the next change or remind leaves it")
        return Check("prompt", True, detail.format(path=status))
    if behind:
        detail = _(
            "{path} is older than the store (it could not be written,"
            " or the store was changed from elsewhere)"
        )
        return Check("prompt", True, detail.format(path=status))
    return Check(
        "prompt", True, _("{path} holds the counts for a shell prompt").format(path=status)
    )


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
        count = len(documents)
        return Check(
            "loops", True, n_("all {count} read", "all {count} read", count).format(count=count)
        )
    first, *others = bad.found.values()
    detail = (
        n_("{problem} (and {count} more)", "{problem} (and {count} more)", len(others)).format(
            problem=first, count=len(others)
        )
        if others
        else first
    )
    fix = _(
        "fix it by hand in {path}, or bring back an earlier day: loopcloser restore --list"
    ).format(path=store.path)
    return Check("loops", False, detail, fix)


def check_folder(folder: Path) -> Check:
    """Nobody but its owner (and a team's group) can replace the files in the store's folder.

    A folder anyone may write lets anyone swap the store or its lock; the sticky bit
    (as on /tmp) keeps each file its owner's, and a team's shared folder needs a group.
    """
    try:
        mode = folder.stat().st_mode
    except OSError as error:
        unread = _("{path} cannot be read: {reason}")
        return Check("folder", False, unread.format(path=folder, reason=error.strerror or error))
    if mode & stat.S_IWOTH and not mode & stat.S_ISVTX:
        detail = _("{path} is {mode:o}: anyone can replace or delete the store")
        return Check(
            "folder",
            False,
            detail.format(path=folder, mode=stat.S_IMODE(mode)),
            f"chmod 700 {folder}",
        )
    return Check(
        "folder", True, _("{path} is {mode:o}").format(path=folder, mode=stat.S_IMODE(mode))
    )


def check_lock(lock: Path) -> Check:
    """Who holds the store's lock now.

    The note in the lock file names the last holder; a holder that was killed leaves
    its note behind, so the lock itself is tried (shared, never waiting) before the
    note is believed.
    """
    try:
        fd = os.open(lock, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        return Check("lock", True, p_("lock", "free"))
    except OSError as error:
        unread = _("{path} cannot be read: {reason}")
        return Check("lock", False, unread.format(path=lock, reason=error.strerror or error))
    try:
        note = os.read(fd, 200).decode(errors="replace").strip()
        if is_held(fd, note):
            holder = note or _("another process")
            return Check("lock", True, _("held by {holder}").format(holder=holder))
    finally:
        os.close(fd)
    if not note:
        return Check("lock", True, p_("lock", "free"))
    left = _("free ({holder}, which has ended, left its note)").format(holder=note)
    return Check("lock", True, left)


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
        Check(
            "config",
            True,
            _("agent {agent}, time zone {timezone}").format(
                agent=conf["agent"], timezone=conf["timezone"] or p_("time zone", "system")
            ),
        )
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
        return Check("keyring", True, _("secrets come from the environment"))
    try:
        import keyring
        from keyring.backends import fail

        backend = keyring.get_keyring()
    except Exception as error:  # a broken keyring install is a finding, not a crash
        broken = _("keyring cannot load ({error})").format(error=type(error).__name__)
        return Check("keyring", False, broken)
    if isinstance(backend, fail.Keyring) or "null" in type(backend).__module__:
        joiner = _("and")
        variables = f" {joiner} ".join(NAMES.values())
        needed = conf is not None and conf["smtp_user"] and not in_environment("smtp_password")
        if not needed:
            detail = _("no keyring backend: secrets can come from {variables}")
            return Check("keyring", True, detail.format(variables=variables))
        fix = _("set {variables} in the environment instead").format(variables=variables)
        return Check("keyring", False, _("no keyring backend for the mail password"), fix)
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
        uncounted = _("cannot count the changes waiting: {reason}")
        return Check("sync", True, uncounted.format(reason=error.message))
    last = _("last sync {moment}").format(moment=now.synced) if now.synced else _("never synced")
    waiting = (
        n_("{count} change wait to be sent", "{count} changes wait to be sent", now.waiting).format(
            count=now.waiting
        )
        if now.waiting
        else _("nothing waits")
    )
    return Check("sync", True, f"{last}; {waiting}")


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
    return Check(
        "hub",
        True,
        _("schema {version}, agent {agent}").format(version=version, agent=conf["agent"]),
    )
