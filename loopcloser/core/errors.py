"""The errors loopcloser reports, each with the exit code scripts can rely on."""

from __future__ import annotations

from enum import IntEnum
from typing import Literal, NamedTuple, get_args


class ExitCode(IntEnum):
    """Process exit codes; documented in docs/exit-codes.md."""

    OK = 0
    INTERNAL = 1
    BAD_INPUT = 2
    NOT_FOUND = 3
    INVALID_TRANSITION = 4
    STORE = 5
    DELIVERY = 6
    HUB = 7


class NextStep(NamedTuple):
    """What the user can do next to a loop, as a verb: a front end words it its own way.

    The core says *what* to do ("reopen it first"); the command line adds the
    command to type, which the core does not know.
    """

    verb: str
    loop_id: int


class LoopcloserError(Exception):
    """Base of every error shown to the user as one line, never a traceback."""

    exit_code: ExitCode = ExitCode.INTERNAL
    kind: str = "internal"

    def __init__(
        self, message: str, hint: str | None = None, *, next_step: NextStep | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.next_step = next_step


class BadInput(LoopcloserError):
    """Something the user typed cannot be understood or is not allowed."""

    exit_code = ExitCode.BAD_INPUT
    kind = "bad_input"


class NotFound(LoopcloserError):
    """No loop has the id that was asked for."""

    exit_code = ExitCode.NOT_FOUND
    kind = "not_found"


class InvalidTransition(LoopcloserError):
    """The loop's state does not allow that change."""

    exit_code = ExitCode.INVALID_TRANSITION
    kind = "invalid_transition"


class StoreError(LoopcloserError):
    """The store file cannot be read, locked or written."""

    exit_code = ExitCode.STORE
    kind = "store"


class HubError(LoopcloserError):
    """The team hub cannot be reached, or refused what was asked of it."""

    exit_code = ExitCode.HUB
    kind = "hub"


WarningKind = Literal[
    "malformed_loop",
    "unreadable_file",
    "hub_offline",
    "hub_unreachable",
    "hub_refused",
    "sync_news",
    "needs_lead",
    "not_erased",
    "late_reminder",
    "answer_after_due",
    "due_in_snooze",
    "unseen_delivery",
    "skipped_store",
]
"""What a warning is about: the command went ahead, but something needs a person's eye.

Scripts branch on the kind, never on the words; docs/json.md says what each means.
"""
WARNING_KINDS: tuple[WarningKind, ...] = get_args(WarningKind)
