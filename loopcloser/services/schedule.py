"""Run ``loopcloser remind`` every few minutes, through cron or a systemd user timer.

Every value that lands in a crontab line or a unit file is quoted for the
program that reads it, so a store path with spaces, quotes or ``%`` still works.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

from loopcloser.core.errors import BadInput, StoreError
from loopcloser.core.words import _, n_
from loopcloser.delivery.secrets import child_environment
from loopcloser.storage.atomic import write_atomically

MARKER = "# loopcloser remind"
SERVICE = "loopcloser-remind.service"
TIMER = "loopcloser-remind.timer"
ENABLE_COMMANDS = (
    ("systemctl", "--user", "daemon-reload"),
    ("systemctl", "--user", "enable", "--now", TIMER),
)
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def check_every(every_minutes: int) -> int:
    """A run interval in whole minutes, 1 to 59."""
    if isinstance(every_minutes, bool) or not 1 <= every_minutes <= 59:
        raise BadInput(
            n_(
                "cannot run every {count} minutes",
                "cannot run every {count} minutes",
                every_minutes,
            ).format(count=every_minutes),
            hint=_("use a whole number from 1 to 59"),
        )
    return every_minutes


def check_value(what: str, value: str) -> str:
    """A value that fits on one line of a crontab or a unit file."""
    if any(character in value for character in "\n\r\0"):
        raise BadInput(
            _("{what} contains a line break").format(what=what), hint=_("use a value on one line")
        )
    return value


def check_executable(executable: str) -> str:
    """An absolute path: cron and systemd run with a bare PATH."""
    check_value(_("the executable path"), executable)
    if not os.path.isabs(executable):
        raise BadInput(
            _("'{path}' is not an absolute path").format(path=executable),
            hint=_("give the full path of loopcloser (see: command -v loopcloser)"),
        )
    return executable


def check_env(env: Mapping[str, str]) -> dict[str, str]:
    """Environment settings with valid names and one-line values, sorted by name."""
    for name, value in env.items():
        if not ENV_NAME.match(name):
            raise BadInput(_("'{name}' is not an environment variable name").format(name=name))
        check_value(_("the value of {name}").format(name=name), value)
    return dict(sorted(env.items()))


def cron_escape(command: str) -> str:
    """Protect ``%``, which cron turns into a newline unless it follows a backslash."""
    if "\\%" in command:
        raise BadInput(
            _("a path or value contains '\\%', which cron cannot be given"),
            hint=_("rename the path, or use --install systemd"),
        )
    return command.replace("%", "\\%")


def cron_line(executable: str, every_minutes: int, env: Mapping[str, str], log: str) -> str:
    """One crontab line running ``loopcloser remind``, output appended to ``log``."""
    check_every(every_minutes)
    # umask 077: the log holds customers' names, so it is private like the store.
    words = ["umask 077;"]
    words += [f"{name}={shlex.quote(value)}" for name, value in check_env(env).items()]
    words += [shlex.quote(check_executable(executable)), "remind"]
    words += [">>", shlex.quote(check_value(_("the log path"), log)), "2>&1"]
    return f"*/{every_minutes} * * * * {cron_escape(' '.join(words))} {MARKER}"


def systemd_quote(value: str, command: bool = False) -> str:
    """A double-quoted systemd word; ``command`` also escapes ``$`` for ExecStart."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%")
    if command:
        escaped = escaped.replace("$", "$$")
    return f'"{escaped}"'


def systemd_units(executable: str, every_minutes: int, env: Mapping[str, str]) -> dict[str, str]:
    """A oneshot service running ``loopcloser remind`` and a timer firing it every N minutes."""
    check_every(every_minutes)
    environment = "".join(
        f"Environment={systemd_quote(f'{name}={value}')}\n"
        for name, value in check_env(env).items()
    )
    service = (
        "[Unit]\n"
        "Description=loopcloser: deliver due reminders\n"
        "\n"
        "[Service]\n"
        "Type=oneshot\n"
        f"{environment}"
        f"ExecStart={systemd_quote(check_executable(executable), command=True)} remind\n"
    )
    timer = (
        "[Unit]\n"
        f"Description=loopcloser: reminders every {every_minutes} minutes\n"
        "\n"
        "[Timer]\n"
        f"OnCalendar=*:0/{every_minutes}\n"
        "Persistent=true\n"
        f"Unit={SERVICE}\n"
        "\n"
        "[Install]\n"
        "WantedBy=timers.target\n"
    )
    return {SERVICE: service, TIMER: timer}


def crontab(args: list[str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run the crontab program (never through a shell)."""
    program = shutil.which("crontab")
    if program is None:
        raise BadInput(
            _("crontab is not installed"), hint=_("use --install systemd, or install cron")
        )
    try:
        return subprocess.run(
            [program, *args],
            input=stdin,
            text=True,
            capture_output=True,
            timeout=30,
            check=False,
            env=child_environment(),
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise StoreError(_("crontab could not be run: {reason}").format(reason=error)) from None


def first_line(text: str) -> str:
    """The first non-empty line of a program's message."""
    return next((line.strip() for line in text.splitlines() if line.strip()), _("no message"))


def with_line(current: str, line: str) -> str:
    """A crontab with ``line`` in place of any loopcloser line, other lines kept."""
    lines: list[str] = []
    placed = False
    for existing in current.splitlines():
        if existing.rstrip().endswith(MARKER):
            if not placed:
                lines.append(line)
                placed = True
            continue
        lines.append(existing)
    if not placed:
        lines.append(line)
    return "\n".join(lines) + "\n"


def install_cron(line: str) -> str:
    """Put ``line`` in the crontab in place of any older loopcloser line; return the table."""
    check_value(_("the crontab line"), line)
    if not line.rstrip().endswith(MARKER):
        line = f"{line.rstrip()} {MARKER}"
    listed = crontab(["-l"])
    if listed.returncode == 0:
        current = listed.stdout
    elif "no crontab" in listed.stderr.lower():
        current = ""
    else:
        raise StoreError(
            _("cannot read your crontab: {reason}").format(reason=first_line(listed.stderr)),
            hint=_("check that you may use cron (crontab -l)"),
        )
    updated = with_line(current, line)
    written = crontab(["-"], stdin=updated)
    if written.returncode != 0:
        raise StoreError(
            _("crontab refused the new table: {reason}").format(reason=first_line(written.stderr)),
            hint=_("your crontab was left as it was"),
        )
    return updated


def systemd_user_dir(config_home: str | None) -> Path:
    """Where systemd looks for the user's own units, given XDG_CONFIG_HOME."""
    base = config_home or str(Path.home() / ".config")
    return Path(base) / "systemd" / "user"


def install_systemd(units: Mapping[str, str], directory: Path) -> list[Path]:
    """Write the units, then enable the timer if systemctl exists; return the paths written.

    Without systemctl the caller shows ENABLE_COMMANDS for the user to run.
    """
    target = directory
    paths: list[Path] = []
    for name, text in units.items():
        if Path(name).name != name or not name:
            raise BadInput(_("'{name}' is not a unit file name").format(name=name))
        path = target / name
        write_atomically(path, text.encode("utf-8"))
        paths.append(path)
    systemctl = shutil.which("systemctl")
    if systemctl is None:
        return paths
    for command in ENABLE_COMMANDS:
        try:
            result = subprocess.run(
                [systemctl, *command[1:]],
                text=True,
                capture_output=True,
                timeout=60,
                check=False,
                env=child_environment(),
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            raise StoreError(
                _("{command} could not be run: {reason}").format(
                    command=" ".join(command), reason=error
                )
            ) from None
        if result.returncode != 0:
            raise StoreError(
                _("units written to {folder}, but {command} failed: {reason}").format(
                    folder=target, command=" ".join(command), reason=first_line(result.stderr)
                ),
                hint=_("run: {commands}").format(
                    commands=" && ".join(" ".join(step) for step in ENABLE_COMMANDS)
                ),
            )
    return paths
