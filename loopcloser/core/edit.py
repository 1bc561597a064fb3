"""What ``edit`` was asked to change, and the stored changes that makes to a loop.

Apart from the model: only ``edit`` needs it, and every other command would pay for
making its class at start.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from loopcloser.core.errors import BadInput
from loopcloser.core.model import Loop, check_cadence, check_tags, encode_field, require_words
from loopcloser.core.words import _


@dataclass(frozen=True)
class Edit:
    """What ``edit`` was asked to change; None means leave that field alone."""

    promise: str | None = None
    customer: str | None = None
    contact: str | None = None
    prefers: str | None = None
    add_tags: tuple[str, ...] = ()
    remove_tags: tuple[str, ...] = ()
    ref: str | None = None
    update_every: timedelta | None = None
    clear_update_every: bool = False
    remind: tuple[datetime, ...] | None = None

    def is_empty(self) -> bool:
        """True when no option was given at all."""
        return self == Edit()

    def changes(self, loop: Loop) -> dict[str, Any]:
        """The fields that differ from ``loop``, in stored form; BadInput if none would."""
        for name in ("promise", "customer"):
            value = getattr(self, name)
            if value is not None:
                require_words(name, value)
        check_tags(self.add_tags)
        wanted: dict[str, Any] = {
            name: getattr(self, name)
            for name in ("promise", "customer", "contact", "prefers", "ref")
            if getattr(self, name) is not None
        }
        if self.add_tags or self.remove_tags:
            tags = dict.fromkeys([*loop.tags, *self.add_tags])
            wanted["tags"] = tuple(tag for tag in tags if tag not in self.remove_tags)
        if self.update_every is not None or self.clear_update_every:
            wanted["update_every"] = (
                None if self.update_every is None else check_cadence(self.update_every)
            )
        if self.remind is not None:
            wanted["remind"] = tuple(sorted(self.remind))
        changed = {
            name: encode_field(name, value)
            for name, value in wanted.items()
            if value != getattr(loop, name)
        }
        if not changed:
            raise BadInput(
                _("loop #{id} already says that").format(id=loop.id),
                hint=_("nothing was changed"),
            )
        return changed
