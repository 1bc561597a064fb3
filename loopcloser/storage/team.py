"""A team folder: one store per agent, and loops handed between them.

A handoff moves a loop from one agent's store to another's. Two files cannot be
replaced in one atomic step, so the move is written ahead as an *intent* file in
the team folder: a process that dies half-way leaves the intent behind, and
:func:`recover` (run first by every handoff) finishes the move from it. Every
handoff and every recovery holds the team's handoff lock, so intents are only
ever written, settled and deleted by one process at a time.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from hashlib import sha256
from pathlib import Path
from typing import Any

from loopcloser.core.documents import journal_entry, load
from loopcloser.core.errors import BadInput, LoopcloserError, NotFound, StoreError
from loopcloser.core.model import (
    Event,
    Kind,
    Loop,
    apply,
    event_from_document,
    from_document,
    to_document,
)
from loopcloser.core.text import MAX_NAME, one_line_name
from loopcloser.core.words import _
from loopcloser.storage.atomic import write_atomically
from loopcloser.storage.store import Store, Transaction

INTENT_PREFIX, INTENT_SUFFIX = ".handoff-", ".json"
INTENT_VERSION = 1
# Never a store (it starts with a dot) and never written: only its sibling
# ".handoffs.lock" is used, as the team's handoff lock.
HANDOFF_LOCK = ".handoffs"


def _carry_on() -> None:
    """Do nothing: the default of the handoff's test hooks."""


# Test hooks: a test replaces one to stop the process at that exact point of a handoff.
_after_intent_written: Callable[[], None] = _carry_on
_after_receiver_written: Callable[[], None] = _carry_on


# --- the folder ---------------------------------------------------------------


def store_path(team: Path, agent: str) -> Path:
    """The store of ``agent`` in the team folder: ``TEAM/AGENT.json``."""
    if (
        not one_line_name(agent)
        or agent.startswith(".")
        or agent.endswith(".archive")  # that is another agent's archive
        or any(char in agent for char in "/\\")
    ):
        raise BadInput(
            _("{agent} cannot name an agent's store in the team folder").format(agent=repr(agent)),
            hint=_(
                "use a plain name of up to {limit} characters, without slashes,"
                " control characters, a leading dot or a final .archive, e.g. anna"
            ).format(limit=MAX_NAME),
        )
    return team / f"{agent}.json"


def team_stores(team: Path) -> list[tuple[str, Path]]:
    """Every agent's store in the team folder as (agent, path), sorted by agent."""
    try:
        entries = list(os.scandir(team))
    except FileNotFoundError:
        raise StoreError(
            _("team folder {folder} does not exist").format(folder=team),
            hint=_("create it, or set another with: loopcloser config set team PATH"),
        ) from None
    except OSError as error:
        raise StoreError(
            _("team folder {folder} cannot be read: {reason}").format(
                folder=team, reason=error.strerror or error
            ),
            hint=_("check that it is a folder you may read"),
        ) from None
    stores = [
        (entry.name.removesuffix(".json"), Path(entry.path))
        for entry in entries
        # A leading dot marks intents, temporary files and the handoff lock's name;
        # AGENT.archive.json holds an agent's loops finished long ago.
        if entry.name.endswith(".json")
        and not entry.name.startswith(".")
        and not entry.name.endswith(".archive.json")
        and entry.is_file()
    ]
    return sorted(stores)


# --- handoff ------------------------------------------------------------------


@dataclass(frozen=True)
class Intent:
    """A handoff written down before either store changes: enough to finish it alone."""

    path: Path
    uid: str
    source: str
    target: str
    source_id: int
    document: dict[str, Any]  # the loop as the receiver must store it, handoff event last

    def write(self) -> None:
        """Write the intent atomically, so it exists whole or not at all."""
        content = {
            "version": INTENT_VERSION,
            "uid": self.uid,
            "source": self.source,
            "target": self.target,
            "source_id": self.source_id,
            "loop": self.document,
        }
        write_atomically(self.path, json.dumps(content, ensure_ascii=False).encode("utf-8"))

    @property
    def event(self) -> Event:
        """The handoff event: the last of the loop's history."""
        return event_from_document(self.document["events"][-1])

    @classmethod
    def read(cls, path: Path) -> Intent:
        """Read an intent file; StoreError if it cannot be trusted."""
        try:
            content = json.loads(path.read_bytes())
            intent = cls(
                path=path,
                uid=content["uid"],
                source=content["source"],
                target=content["target"],
                source_id=content["source_id"],
                document=content["loop"],
            )
            loop = from_document(intent.source_id, intent.document)
            for agent in (intent.source, intent.target):
                store_path(path.parent, agent)
            trusted = (
                content["version"] == INTENT_VERSION
                and type(intent.source_id) is int
                and loop.uid == intent.uid
                and intent.source != intent.target
                and loop.events[-1].kind is Kind.HANDOFF
            )
        except (OSError, ValueError, TypeError, KeyError, IndexError, AttributeError, BadInput):
            trusted = False
        if not trusted:
            raise StoreError(
                _("unfinished handoff {path} cannot be read, so it was not completed").format(
                    path=path
                ),
                hint=_("check both agents' stores for the loop it names, then move the file aside"),
            )
        return intent


def handoff(
    team: Path,
    source_agent: str,
    loop_id: int,
    to_agent: str,
    event: Event,
    *,
    new_agent: bool = False,
) -> tuple[Loop, int]:
    """Move loop ``loop_id`` from one agent's store to another's; returns it and its new id.

    ``event`` is the handoff event (owner: ``to_agent``). The receiver must already
    have a store in the folder unless ``new_agent`` is set, so a misspelt name
    cannot send a loop where nobody will ever see it.
    """
    if event.kind is not Kind.HANDOFF or event.changes.get("owner") != to_agent:
        raise ValueError(f"a handoff needs a handoff event naming {to_agent} as the owner")
    source_path, target_path = store_path(team, source_agent), store_path(team, to_agent)
    agents = [agent for agent, _path in team_stores(team)]
    if source_agent == to_agent or os.path.realpath(source_path) == os.path.realpath(target_path):
        raise BadInput(
            _("loop #{id} is already in {agent}'s store").format(id=loop_id, agent=to_agent),
            hint=_("hand it to a colleague: another agent of the team folder"),
        )
    if not new_agent and to_agent not in agents:
        raise BadInput(
            _("{agent} has no store in team folder {team}").format(agent=to_agent, team=team),
            hint=_("check the name; agents in the team: {agents}").format(
                agents=", ".join(agents) or _("none yet")
            ),
        )
    with handoff_lock(team):
        _settle_pending(team)
        return _move(team, source_agent, loop_id, to_agent, event)


def recover(team: Path) -> int:
    """Finish every handoff a dead process left half-done; returns how many it finished."""
    if not _intent_paths(team):  # the common case: one directory listing, no lock
        return 0
    with handoff_lock(team):
        return _settle_pending(team)


def _move(
    team: Path, source_agent: str, loop_id: int, to_agent: str, event: Event
) -> tuple[Loop, int]:
    """The handoff proper, under the team's handoff lock."""
    source, target = Store(store_path(team, source_agent)), Store(store_path(team, to_agent))
    intent: Intent | None = None
    try:
        # Source outside, receiver inside: the receiver's block ends first, so its file
        # is written first. A crash between the two writes leaves the loop in both
        # stores (never in none), and the intent says which copy goes.
        with source.transaction() as outgoing:
            document = outgoing.get(loop_id)
            if document is None:
                raise NotFound(
                    _("no loop #{id} in {agent}'s store").format(id=loop_id, agent=source_agent),
                    hint=_("see the ids with: loopcloser list --all"),
                )
            moved = apply(load(loop_id, document), event)
            with target.transaction() as incoming:
                _refuse_copy(incoming, moved.uid, to_agent)
                intent = Intent(
                    path=_intent_path(team, moved.uid),
                    uid=moved.uid,
                    source=source_agent,
                    target=to_agent,
                    source_id=loop_id,
                    document=to_document(moved),
                )
                intent.write()
                _after_intent_written()
                new_id = incoming.insert(intent.document)
                incoming.log(_arrival_entry(event, new_id, source_agent))
            _after_receiver_written()
            outgoing.remove(loop_id)
            outgoing.log(_departure_entry(event, loop_id, document, to_agent))
    except BaseException as error:
        if intent is not None:
            _roll_back(intent, error)
        raise
    _forget(intent)
    return moved._replace(id=new_id), new_id


def _roll_back(intent: Intent, error: BaseException) -> None:
    """Put a failed handoff back as it was, or leave its intent for recover()."""
    try:
        _settle(intent, forward=False)
    except Exception:
        # The intent stays: the next handoff or recover() finishes the move from it.
        error.add_note(f"the handoff is completed by the next handoff or recovery: {intent.path}")


@contextmanager
def settled(team: Path) -> Iterator[tuple[list[tuple[str, Store]], list[Path]]]:
    """Hold the team's handoff lock with every interrupted handoff finished that can be.

    Yields every agent's store and the handoff intents that could not be finished (a
    store unreadable), for a caller that must treat the loops in them too: erasure
    scrubs them in place. No handoff moves a loop meanwhile.
    """
    with handoff_lock(team):
        with suppress(LoopcloserError):
            _settle_pending(team)
        stores = [(agent, Store(path)) for agent, path in team_stores(team)]
        yield stores, _intent_paths(team)


def unreadable_intents(team: Path) -> list[StoreError]:
    """The unfinished handoffs in the folder that cannot be trusted, each as its error.

    They are left where they are for a person to look at; every other handoff and
    every command goes on without them.
    """
    problems = []
    for path in _intent_paths(team):
        try:
            Intent.read(path)
        except StoreError as error:
            problems.append(error)
    return problems


def _settle_pending(team: Path) -> int:
    """Finish every intent in the folder that can be trusted; the caller holds the lock.

    One that cannot (a hand edit, a newer version) is left as it is: it must not stop
    every command of every agent of the team. ``unreadable_intents`` names it.
    """
    settled = 0
    for path in _intent_paths(team):
        try:
            intent = Intent.read(path)
        except StoreError:
            continue
        _settle(intent, forward=True)
        settled += 1
    # A handoff killed while writing its intent left a temporary copy of the loop.
    for leftover in team.glob(f".{INTENT_PREFIX}*{INTENT_SUFFIX}.*.tmp"):
        with suppress(OSError):
            leftover.unlink()
    return settled


def _settle(intent: Intent, *, forward: bool) -> None:
    """Make the loop be in exactly one store, then delete the intent.

    Forward: in the target once (a copy already there is kept: it may have changed
    since), and gone from the source. Backward (a handoff that failed): back in the
    source alone, unless the source was already written, which leaves only forward.
    Idempotent, so a crash while settling is settled again by the next call.
    """
    team = intent.path.parent
    source, target = Store(store_path(team, intent.source)), Store(store_path(team, intent.target))
    event = intent.event
    with source.transaction() as outgoing:
        document = outgoing.get(intent.source_id)
        in_source = document is not None and document.get("uid") == intent.uid
        with target.transaction() as incoming:
            copies = _ids_with_uid(incoming, intent.uid)
            if forward or not in_source:
                if not copies:
                    new_id = incoming.insert(intent.document)
                    incoming.log(_arrival_entry(event, new_id, intent.source))
            else:
                _take_back(incoming, copies, intent.source)
        if forward and document is not None and in_source:
            outgoing.remove(intent.source_id)
            outgoing.log(_departure_entry(event, intent.source_id, document, intent.target))
    _forget(intent)


def _take_back(incoming: Transaction, copies: list[int], source_agent: str) -> None:
    """Remove the receiver's copy of a failed handoff, and its arrival from the journal."""
    arrivals = {_arrival_what(loop_id, source_agent): str(loop_id) for loop_id in copies}
    for loop_id in copies:
        incoming.remove(loop_id)
    stale = [
        entry_id
        for entry_id, entry in incoming.journal()
        if arrivals.get(entry.get("what", "")) in entry.get("before", {})
    ]
    if stale:
        incoming.forget_entries(stale)


def _forget(intent: Intent) -> None:
    # Both stores are already right: an intent that cannot be deleted is settled again,
    # harmlessly, by the next handoff, so it must not fail a handoff that succeeded.
    with suppress(OSError):
        intent.path.unlink(missing_ok=True)


def _refuse_copy(incoming: Transaction, uid: str, to_agent: str) -> None:
    """Refuse to move a loop whose uid the receiver already holds (e.g. imported twice)."""
    copies = _ids_with_uid(incoming, uid)
    if copies:
        raise StoreError(
            _("{agent}'s store already holds this loop (uid {uid}) as #{id}").format(
                agent=to_agent, uid=uid, id=copies[0]
            ),
            hint=_("keep one copy (cancel or remove the other), then hand it off again"),
        )


def _ids_with_uid(transaction: Transaction, uid: str) -> list[int]:
    return [loop_id for loop_id, doc in transaction.documents().items() if doc.get("uid") == uid]


def _arrival_what(loop_id: int, source_agent: str) -> str:
    return f"#{loop_id} arrived from {source_agent}"


def _arrival_entry(event: Event, loop_id: int, source_agent: str) -> dict[str, Any]:
    """The receiver's journal entry; undoing it would leave the loop in no store."""
    entry = journal_entry(event, _arrival_what(loop_id, source_agent), {loop_id: None})
    entry["blocked"] = (
        f"loop #{loop_id} was handed over by {source_agent}; hand it back instead of undoing"
    )
    return entry


def _departure_entry(
    event: Event, loop_id: int, document: dict[str, Any], to_agent: str
) -> dict[str, Any]:
    """The source's journal entry; undoing it would leave the loop in two stores."""
    entry = journal_entry(event, f"handed off #{loop_id} to {to_agent}", {loop_id: document})
    entry["blocked"] = f"loop #{loop_id} was handed off to {to_agent}; ask them to hand it back"
    return entry


def _intent_path(team: Path, uid: str) -> Path:
    # A uid edited by hand could hold a slash: such a uid is named by its hash instead.
    name = uid if re.fullmatch(r"[A-Za-z0-9-]{1,64}", uid) else sha256(uid.encode()).hexdigest()
    return team / f"{INTENT_PREFIX}{name}{INTENT_SUFFIX}"


def _intent_paths(team: Path) -> list[Path]:
    try:
        names = os.listdir(team)
    except OSError:
        return []  # no folder, no pending handoff; reading its stores reports the folder
    return sorted(
        team / name
        for name in names
        if name.startswith(INTENT_PREFIX) and name.endswith(INTENT_SUFFIX)
    )


@contextmanager
def handoff_lock(team: Path) -> Iterator[None]:
    """Hold the team's handoff lock: one handoff or recovery at a time in a folder.

    Store writes a file when its transaction ends, which also releases that store's
    lock, so the two stores of a handoff cannot be locked in one fixed order and still
    be written receiver first with the intent deleted under a lock. This lock, always
    taken first, gives the fixed order instead: handoffs in opposite directions wait
    for each other here, and single-store commands never hold a second lock.
    A transaction that changes nothing writes nothing: the Store serves as the lock.
    """
    if not team.is_dir():
        team_stores(team)  # raises the folder's StoreError
    with ExitStack() as stack:
        try:
            stack.enter_context(Store(team / HANDOFF_LOCK).transaction())
        except StoreError as error:
            raise StoreError(
                _("the handoff lock of team folder {folder} cannot be taken: {reason}").format(
                    folder=team, reason=error.message
                ),
                hint=error.hint,
            ) from None
        yield


# --- customers across the team ------------------------------------------------
