"""The team's loops read straight from the hub, for the lead's report, a colleague's
digest and a customer's history across agents: fresh, with no sync.

Each loop is read as its owner's store holds it, with the id it has there (as its
owner's last sync told the hub; one not told yet gets an id after the others).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from loopcloser.core.model import to_utc_text
from loopcloser.storage import hub

if TYPE_CHECKING:
    from loopcloser.services.context import Context


@dataclass
class HubCopy:
    """One agent's loops as the hub holds them, read like a store (``all_documents``)."""

    owner: str
    documents: dict[int, dict[str, Any]] = field(default_factory=dict)

    @property
    def path(self) -> Path:
        """What warnings name as where a loop was read."""
        return Path(f"hub:{self.owner}")

    def all_documents(self) -> dict[int, dict[str, Any]]:
        """Every loop of this agent in the hub, by its id in the agent's store."""
        return self.documents


def team_copies(
    ctx: Context, since: datetime | None = None, owner: str | None = None
) -> list[tuple[str, HubCopy]]:
    """The hub's loops by owner: those still open or changed since ``since``, or all."""
    from loopcloser.services.sync import session

    with session(ctx) as connection:
        documents = hub.team_documents(
            connection, None if since is None else to_utc_text(since), owner
        )
    copies: dict[str, HubCopy] = {}
    unnamed: list[dict[str, Any]] = []
    for document in documents:
        theirs = document.get("id")  # the id in its owner's store, when they said it
        copy = copies.setdefault(str(document.get("owner")), HubCopy(str(document.get("owner"))))
        if type(theirs) is int and theirs > 0 and theirs not in copy.documents:
            copy.documents[theirs] = document
        else:
            unnamed.append(document)
    # A loop its owner has not named yet (or named twice) takes an id after theirs.
    for document in unnamed:
        copy = copies[str(document.get("owner"))]
        copy.documents[max(copy.documents, default=0) + 1] = document
    return sorted(copies.items())
