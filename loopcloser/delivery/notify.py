"""Reminders on this machine: on the terminal, on the desktop, or to a command the user chose.

Nothing here ever runs a shell: programs get an argv list, and for the user's
command the reminder travels as JSON on stdin, so a customer called
``$(touch pwned)`` is only ever data.
"""

from __future__ import annotations

import contextlib
import html
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol, TextIO

from loopcloser.core.errors import BadInput, ExitCode, LoopcloserError
from loopcloser.core.model import to_utc_text
from loopcloser.core.text import printable
from loopcloser.core.words import _
from loopcloser.delivery.secrets import child_environment

TITLE = "loopcloser"
TIMEOUT_SECONDS = 30


class ReminderLike(Protocol):
    """What delivery needs of a reminder (remind.Reminder fits)."""

    @property
    def loop_id(self) -> int: ...
    @property
    def key(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def message(self) -> str: ...
    @property
    def at(self) -> datetime: ...
    @property
    def urgency(self) -> int: ...


class DeliveryFailed(LoopcloserError):
    """A reminder could not be delivered; ``delivered`` holds those sent before it."""

    exit_code = ExitCode.DELIVERY
    kind = "delivery"

    def __init__(
        self,
        message: str,
        hint: str | None = None,
        delivered: Sequence[ReminderLike] = (),
    ) -> None:
        super().__init__(message, hint)
        self.delivered: list[ReminderLike] = list(delivered)


def write_reminders(reminders: Sequence[ReminderLike], out: TextIO | None = None) -> None:
    """Write each reminder as one line, control characters shown as escapes."""
    stream = out if out is not None else sys.stdout
    for reminder in reminders:
        stream.write(printable(reminder.message) + "\n")
    stream.flush()


def deliver_each(
    reminders: Sequence[ReminderLike], send: Callable[[ReminderLike], None]
) -> list[ReminderLike]:
    """Send reminders one by one; a failure carries the ones already sent."""
    delivered: list[ReminderLike] = []
    for reminder in reminders:
        try:
            send(reminder)
        except DeliveryFailed as error:
            error.delivered = list(delivered)
            raise
        delivered.append(reminder)
    return delivered


def as_dict(reminder: ReminderLike) -> dict[str, object]:
    """The reminder as the JSON contract gives it to scripts and delivery commands."""
    return {
        "at": to_utc_text(reminder.at),
        "key": reminder.key,
        "kind": reminder.kind,
        "loop_id": reminder.loop_id,
        "message": reminder.message,
    }


def as_json(reminder: ReminderLike) -> str:
    """The reminder as the one JSON object a delivery command reads on stdin."""
    return json.dumps(as_dict(reminder), sort_keys=True, ensure_ascii=False)


def desktop_sender() -> str:
    """The path of notify-send, or DeliveryFailed when it is not installed."""
    found = shutil.which("notify-send")
    if found is None:
        raise DeliveryFailed(
            _("notify-send is not installed"),
            hint=_(
                "install libnotify-bin, or choose another delivery:"
                " loopcloser config set delivery terminal"
            ),
        )
    return found


def send_desktop(program: str, reminder: ReminderLike) -> None:
    """Show one reminder as a desktop notification."""
    # "--" ends the options, so a message starting with "-" stays the body.
    # Notification servers read the body as markup: "<b>" or "&" in a name must show as typed.
    body = html.escape(printable(reminder.message), quote=False)
    argv = [program, f"--app-name={TITLE}", "--", TITLE, body]
    run(argv, None, "notify-send", hint=_("check that a desktop session is running"))


def command_argv(command: str) -> list[str]:
    """The user's delivery command split into words (never given to a shell)."""
    try:
        argv = shlex.split(command)
    except ValueError as error:
        raise BadInput(
            _("cannot read delivery_command: {reason}").format(reason=error),
            hint=_("check its quotes"),
        ) from None
    if not argv:
        raise BadInput(
            _("delivery is command but delivery_command is empty"),
            hint=_("set it, e.g. loopcloser config set delivery_command 'my-notifier --json'"),
        )
    # Looked for when the delivery is made ready, so that doctor can tell it is missing.
    if shutil.which(argv[0]) is None:
        raise DeliveryFailed(
            _("{program} was not found, or is not a program you may run").format(program=argv[0]),
            hint=_("check delivery_command: loopcloser config set delivery_command 'PROGRAM ...'"),
        )
    return argv


def run_command(argv: list[str], reminder: ReminderLike) -> None:
    """Run the user's command once, the reminder as JSON on its stdin."""
    run(argv, as_json(reminder), argv[0], hint=_("check delivery_command (loopcloser config)"))


def run(argv: list[str], stdin: str | None, name: str, hint: str) -> None:
    """Run a program without a shell; any failure becomes DeliveryFailed naming it."""
    try:
        # Its own session, so a timeout ends everything it started, not just itself;
        # what it prints is not kept (a chatty program must not fill our memory); it
        # gets no secret of ours, since the user's command may log or forward anything.
        process = subprocess.Popen(
            argv,
            env=child_environment(),
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            shell=False,
            start_new_session=True,
        )
    except FileNotFoundError:
        raise DeliveryFailed(_("{program} was not found").format(program=name), hint=hint) from None
    except PermissionError:
        raise DeliveryFailed(
            _("{program} cannot be run: permission denied").format(program=name), hint=hint
        ) from None
    except OSError as error:
        raise DeliveryFailed(
            _("{program} cannot be run: {reason}").format(program=name, reason=error.strerror),
            hint=hint,
        ) from None
    try:
        _output, errors = process.communicate(stdin, timeout=TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(OSError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        raise DeliveryFailed(
            _("{program} did not finish within {seconds} seconds").format(
                program=name, seconds=TIMEOUT_SECONDS
            ),
            hint=hint,
        ) from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.killpg(process.pid, signal.SIGKILL)
        raise
    if process.returncode != 0:
        lines = (errors or "")[:4096].strip().splitlines()
        if lines:
            message = _("{program} failed with exit code {code}: {said}").format(
                program=name, code=process.returncode, said=printable(lines[0])
            )
        else:
            message = _("{program} failed with exit code {code}").format(
                program=name, code=process.returncode
            )
        raise DeliveryFailed(message, hint=hint)
