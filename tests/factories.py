"""Loops for the core's tests, built through the real model: creation, then events."""

from __future__ import annotations

from datetime import datetime, timedelta

from loopcloser.core.model import Event, Kind, Loop, apply, creation
from loopcloser.core.settings import KEYS, Settings


def made_loop(
    loop_id: int,
    due: datetime,
    created: datetime,
    every: timedelta | None = None,
    prefers: str | None = None,
    owner: str = "anna",
) -> Loop:
    """A loop for "Customer N" with a stable uid, promised at ``created``."""
    event = creation(
        uid=f"00000000-0000-4000-8000-{loop_id:012d}",
        customer=f"Customer {loop_id}",
        promise="call back",
        owner=owner,
        due=due,
        at=created,
        update_every=every,
        prefers=prefers,
    )
    return apply(None, event, loop_id=loop_id)


def step(loop: Loop, kind: Kind, at: datetime, **fields: object) -> Loop:
    """The loop after one more event, recorded by anna."""
    return apply(loop, Event(kind=kind, at=at, by="anna", **fields))  # type: ignore[arg-type]


def settings(**values: str) -> Settings:
    """Settings at their defaults, with ``values`` over them (unchecked, as a test may need)."""
    return Settings({**{name: key.default() for name, key in KEYS.items()}, **values})
