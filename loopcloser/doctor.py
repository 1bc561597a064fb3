"""Health checks for a setup: the store, the settings, the keyring and the delivery."""

from __future__ import annotations

import os
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from loopcloser.errors import LoopcloserError

if TYPE_CHECKING:
    from loopcloser.config import Settings


@dataclass(frozen=True)
class Check:
    """One finding: what was checked, whether it is fine, and the fix when it is not."""

    name: str
    ok: bool
    detail: str
    fix: str | None = None


def check_store(path: Path) -> list[Check]:
    """The store opens, carries a schema we read, and is private to its owner."""
    from loopcloser.store import Store

    if not path.exists():
        return [Check("store", True, f"{path} does not exist yet; the first add creates it")]
    try:
        count = len(Store(path).documents())
    except LoopcloserError as error:
        return [Check("store", False, error.message, error.hint)]
    checks = [Check("store", True, f"{path} holds {count} loop{'s' * (count != 1)}")]
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
    lock = Path(f"{path}.lock")
    holder = lock.read_text(encoding="utf-8", errors="replace").strip() if lock.exists() else ""
    checks.append(Check("lock", True, f"held by {holder}" if holder else "free"))
    return checks


def check_settings(conf: Settings) -> list[Check]:
    """The settings read, and the team folder, if any, exists."""
    checks = [
        Check("config", True, f"agent {conf['agent']}, time zone {conf['timezone'] or 'system'}")
    ]
    if conf.team is not None:
        exists = conf.team.is_dir()
        checks.append(
            Check("team", exists, str(conf.team), None if exists else f"mkdir -p {conf.team}")
        )
    return checks


def check_keyring() -> Check:
    """A keyring backend exists to hold secrets (or the environment carries them)."""
    from loopcloser.secrets import NAMES

    if all(os.environ.get(variable) for variable in NAMES.values()):
        return Check("keyring", True, "secrets come from the environment")
    try:
        import keyring
        from keyring.backends import fail

        backend = keyring.get_keyring()
    except Exception as error:  # a broken keyring install is a finding, not a crash
        return Check("keyring", False, f"keyring cannot load ({type(error).__name__})")
    if isinstance(backend, fail.Keyring) or "null" in type(backend).__module__:
        variables = " and ".join(NAMES.values())
        fix = f"set {variables} in the environment instead"
        return Check("keyring", False, "no keyring backend on this machine", fix)
    return Check("keyring", True, type(backend).__name__)


def check_delivery(conf: Settings) -> Check:
    """Reminders can reach the agent the way the settings say."""
    import shlex

    method = conf["delivery"]
    if method == "desktop":
        found = shutil.which("notify-send")
        fix = None if found else "install libnotify-bin, or set delivery to terminal"
        return Check("delivery", found is not None, f"desktop via {found or 'notify-send?'}", fix)
    if method == "command":
        words = shlex.split(conf["delivery_command"])
        program = shutil.which(words[0]) if words else None
        named = words[0] if words else "(none set)"
        fix = None if program else "loopcloser config set delivery_command 'PROGRAM ...'"
        return Check("delivery", program is not None, f"command {named}", fix)
    return Check("delivery", True, "terminal")


def run_checks(store: Path, conf: Settings) -> list[Check]:
    """Every check, in the order a person would look."""
    return [*check_store(store), *check_settings(conf), check_keyring(), check_delivery(conf)]
