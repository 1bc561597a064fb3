"""Syncing an agent's store with the team hub: send what was made here, bring back
what concerns the agent.

The store stays the working copy; the hub holds the team's. A sync runs in two
steps, each safe to kill at any point:

1. **Push.** Events made here and not yet acknowledged (each loop's events past its
   ``sent`` count) get a uid, written to the store *before* anything is sent; then
   they go to the hub, a few hundred loops per database transaction. A re-sent event
   is known by its uid and stored once, so a sync killed after the hub committed and
   before the store noted it simply sends it again. After its events, a loop's fields
   are set in the same transaction from replaying its whole history in the hub's
   order, so the hub's copy always agrees with its history.
2. **Pull.** From one snapshot of the hub: the loops changed after this store's
   cursor that concern the agent, and the erasures. The store takes them and the new
   cursor in one write. The cursor carries the hub's epoch: a hub made anew means a
   full pull, never silent gaps.

Order comes from the hub (positions taken under one lock per team), never from an
agent's clock.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from loopcloser.core.errors import BadInput, HubError, LoopcloserError, NotFound
from loopcloser.core.model import Kind, to_utc_text
from loopcloser.core.replica import (
    SENT,
    fields_of,
    from_hub,
    rebuilt,
    sent_count,
    unsent,
    waiting,
)
from loopcloser.core.words import _, n_
from loopcloser.storage import hub
from loopcloser.storage.sync_note import is_current, read_note, write_note

if TYPE_CHECKING:
    from loopcloser.core.settings import Settings
    from loopcloser.services.context import Context
    from loopcloser.storage.store import Store, Transaction

CHUNK = 1000
"""Loops sent per database transaction and noted per write of the store: a first sync
of thousands is a few steps, each safe to kill."""
POSITION, EPOCH, TO_ERASE = "hub_position", "hub_epoch", "hub_erase"
PURGE = "hub_purge"
"""In the store's meta: customers erased from the hub whose copies here await a scrub."""
WHOLE = "hub_whole"
"""In the store's meta: its whole history, archive too, has been sent once."""
HUB_ID = "id"
"""In the hub's fields of a loop: its id in its owner's store."""


@dataclass(frozen=True)
class Arrival:
    """A loop that became the agent's: handed or reassigned to them."""

    loop_id: int
    by: str
    note: str | None
    kind: str


@dataclass
class Synced:
    """What one sync moved, for a person and for scripts."""

    sent: int = 0
    """Events the hub stored from this store."""
    resent: int = 0
    """Events sent again that the hub held already (a sync cut short before)."""
    late: list[int] = field(default_factory=list)
    """Ids of loops whose changes here arrived after the loop was taken from this agent."""
    received: int = 0
    """Loops whose copy here was brought up to date from the hub."""
    arrived: list[Arrival] = field(default_factory=list)
    left: list[tuple[int, str]] = field(default_factory=list)
    """(id here, owner now) of loops no longer this agent's: their copy here is gone."""
    erased: int = 0
    """Loops erased from the hub (a forget) that were here: gone."""
    refused: list[str] = field(default_factory=list)
    """Why the hub refused a loop's changes: they wait here, nothing lost."""
    waiting: int = 0
    """Events still waiting to be sent after this sync."""
    erased_customers: set[str] = field(default_factory=set, repr=False)
    """Names of the customers of loops erased here: their backups and mentions go too."""
    late_arrivals: list[tuple[int, str]] = field(default_factory=list)
    """(loop id, author) of changes that reached this agent's loops after a reassignment."""
    busy: bool = False
    """Another sync of this store was running: this one stepped aside."""


def password() -> str | None:
    """The hub password from the keyring or LOOPCLOSER_HUB_PASSWORD; None lets libpq look."""
    from loopcloser.delivery.secrets import get_secret

    try:
        return get_secret("hub_password")
    except LoopcloserError:
        return None  # no keyring here: PGPASSWORD or ~/.pgpass may serve


def session(ctx: Context) -> AbstractContextManager[Any]:
    """A connection to the hub as this run's agent, or HubError saying what to do."""
    return agent_session(ctx.settings, ctx.agent)


@contextmanager
def agent_session(settings: Settings, agent: str) -> Iterator[Any]:
    """A connection to the hub the settings name, as ``agent``: a hub this loopcloser
    reads, and one that knows the login as that agent; else HubError saying what to do."""
    import psycopg

    url = settings.hub
    if url is None:
        raise HubError(
            _("no team hub is set"), hint=_("set one with: loopcloser config set hub URL")
        )
    timeout = float(settings["hub_timeout"])
    with hub.connect(url, password(), timeout) as connection:
        try:
            hub.check_version(hub.schema_version(connection))
            me = hub.me(connection)
            if me is None:
                raise HubError(
                    _("the hub does not know this login as an agent"),
                    hint=_(
                        "ask whoever runs the hub: loopcloser hub add-agent {agent} --hub URL"
                    ).format(agent=agent),
                )
            if me != agent:
                raise HubError(
                    _("the hub knows this login as agent {login}, and you are {agent}").format(
                        login=me, agent=agent
                    ),
                    hint=_(
                        "set your name to theirs (loopcloser config set agent {login}),"
                        " or use your own login"
                    ).format(login=me),
                )
            yield connection
        except psycopg.Error as error:
            raise refused(error) from None


def check_agent(ctx: Context, name: str) -> None:
    """BadInput when a hub that answers does not know agent ``name``; nothing when it is down.

    A handoff to a misspelt name must not wait in the outbox for a refusal.
    """
    try:
        with session(ctx) as connection:
            known = [agent.name for agent in hub.agents(connection)]
    except HubError as error:
        ctx.hub_down = error.message  # the hub checks the name when the handoff reaches it
        return
    if name not in known:
        raise BadInput(
            _("{agent} is not an agent of the team hub").format(agent=name),
            hint=_("agents of the hub: {agents}").format(agents=", ".join(known) or _("none yet")),
        )


def refused(error: Exception) -> HubError:
    """A database error met while syncing, in one line."""
    import psycopg

    if isinstance(error, psycopg.OperationalError):
        reason = " ".join(str(error).split()) or type(error).__name__
        return HubError(
            _("lost the hub: {reason}").format(reason=reason),
            hint=_("nothing was lost: what was not acknowledged is sent at the next sync"),
        )
    return hub.refused(error)


def sync(ctx: Context) -> Synced:
    """Send this store's new events to the hub and bring back what concerns the agent.

    One sync of a store at a time (two cron jobs): a second finds the first running
    and steps aside, the first sending what waits.
    """
    from loopcloser.storage.store import Busy

    store = ctx.store()
    done = Synced()
    try:
        running = store.side_lock("sync") if store.path.exists() else nullcontext()
        with running, session(ctx) as connection:
            push(connection, store, done, ctx.agent)
            cursor = pull(connection, store, ctx.agent, done)
            hub.mark_synced(connection)
    except Busy:
        done.busy = True  # the other sync sends what waits
        return done
    noted = read_note(store.path)
    if is_current(store.path, noted) and not noted.get(PURGE):
        done.waiting = int(noted.get("waiting") or 0)  # nothing written: what waited waits
    elif store.path.exists():
        now = store.reopened()
        done.waiting = waiting(now.documents().values())
        done.erased_customers |= set(now.meta_value(PURGE) or [])  # a purge cut short
    # With customers to purge, the note says so until the purge has written the store.
    write_note(store.path, to_utc_text(ctx.now), done.waiting, cursor,
               purge=bool(done.erased_customers))  # fmt: skip
    return done


# --- push -----------------------------------------------------------------------


def push(connection: Any, store: Store, done: Synced, agent: str) -> None:
    """Send every event waiting here, and the erasures waiting here, to the hub."""
    if not has_waiting(store):
        return
    with store.transaction() as transaction:
        if transaction.meta_value(WHOLE) is not True:
            back_from_archive(transaction)
        outbox = stamped(transaction, agent)
        erasures = list(transaction.meta_value(TO_ERASE) or [])
    if erasures:
        erase_allowed(connection, agent, erasures)
        with store.transaction() as transaction:
            left = set(transaction.meta_value(TO_ERASE) or []) - set(erasures)
            transaction.set_meta(TO_ERASE, sorted(left))  # queued meanwhile: kept
    ids = sorted(outbox)
    for start in range(0, len(ids), CHUNK):
        results = send_chunk(connection, outbox, ids[start : start + CHUNK], done)
        with store.transaction() as transaction:
            settle(transaction, outbox, results, done)
            if start + CHUNK >= len(ids):
                transaction.set_meta(WHOLE, True)
    if not ids:
        with store.transaction() as transaction:
            transaction.set_meta(WHOLE, True)


def send_chunk(
    connection: Any, outbox: dict[int, dict[str, Any]], chunk: list[int], done: Synced
) -> dict[int, Sent]:
    """Send these loops in one transaction; when the hub refuses one, send them again
    each in a savepoint of its own, so the refusal keeps only that loop back."""
    import psycopg

    counts = Synced()
    try:
        with connection.transaction():
            results = {
                loop_id: send_loop(connection, outbox[loop_id], loop_id, counts, alone=False)
                for loop_id in chunk
            }
    except psycopg.Error:
        counts = Synced()
        with connection.transaction():
            results = {
                loop_id: send_loop(connection, outbox[loop_id], loop_id, counts)
                for loop_id in chunk
            }
    done.sent += counts.sent
    done.resent += counts.resent
    done.late += counts.late
    done.refused += counts.refused
    return results


def back_from_archive(transaction: Transaction) -> None:
    """Bring the archived loops the hub never had back into the store, to be sent.

    Only a store's first sync finds any: with a hub set, the daily sweep archives a
    loop only once the hub holds all of its events.
    """
    for loop_id, document in transaction.archived().items():
        if unsent(document):
            transaction.bring_back(loop_id)


def has_waiting(store: Store) -> bool:
    """Whether anything waits to be sent: an event past a loop's ``sent``, or an erasure.

    Cheap when nothing changed since the last sync: the store's generation says so.
    """
    if not store.path.exists():
        return False
    noted = read_note(store.path)
    if is_current(store.path, noted):
        return bool(noted.get("waiting"))
    if store.meta_value(WHOLE) is not True:
        return True  # a first sync: the archive may hold loops never sent
    return bool(waiting(store.documents().values()) or store.meta_value(TO_ERASE))


def erase_allowed(connection: Any, agent: str, uids: list[str]) -> tuple[int, int]:
    """Erase from the hub the loops among ``uids`` the agent may erase (theirs, any for a
    lead, and uids the hub has not seen): (erased, left to a lead)."""
    lead = any(one.lead for one in hub.agents(connection) if one.name == agent)
    owners = hub.owners(connection, uids)
    mine = [uid for uid in uids if lead or owners.get(uid, agent) == agent]
    with connection.transaction():
        erased = hub.erase(connection, mine) if mine else 0
    return erased, len(uids) - len(mine)


def stamped(transaction: Transaction, agent: str) -> dict[int, dict[str, Any]]:
    """The loops with events waiting, each waiting event given a uid and its author (written
    before any is sent, so a re-send carries the same uid; the hub writes events in the
    sender's name, and so does the store)."""
    outbox: dict[int, dict[str, Any]] = {}
    changed: dict[int, dict[str, Any]] = {}
    for loop_id, document in transaction.documents().items():
        events = unsent(document)
        if not events:
            continue
        if any("uid" not in event for event in events):
            document = {**document, "events": list(document["events"])}
            first = sent_count(document)
            for index in range(first, len(document["events"])):
                event = document["events"][index]
                if "uid" not in event:
                    document["events"][index] = {**event, "uid": str(uuid.uuid4()), "by": agent}
            changed[loop_id] = document
        outbox[loop_id] = document
    transaction.put_many(changed)
    return outbox


@dataclass(frozen=True)
class Sent:
    """How the hub took one loop's waiting events."""

    document: dict[str, Any] | None = None
    """The loop as the hub now holds it (None when refused, erased or taken away)."""
    late: bool = False
    erased: bool = False
    refusal: str | None = None


def send_loop(
    connection: Any, document: dict[str, Any], loop_id: int, counts: Synced, alone: bool = True
) -> Sent:
    """Send one loop's waiting events and set its fields in the hub; ``alone``, in a
    savepoint of its own, a refusal becoming the answer rather than an error.

    A refusal (a handoff to a name the hub does not know) leaves the events waiting
    here and the hub as it was; an erased loop is dropped from the store.
    """
    import psycopg

    if not alone:
        return counted(counts, loop_id, *recorded(connection, document, loop_id))
    try:
        with connection.transaction():
            held, outcomes = recorded(connection, document, loop_id)
    except psycopg.Error as error:
        if getattr(error.diag, "message_hint", None) == "erased":
            return Sent(erased=True)
        message = hub.refusal(error)
        counts.refused.append(f"#{loop_id}: {message}")
        return Sent(refusal=message)
    return counted(counts, loop_id, held, outcomes)


def recorded(
    connection: Any, document: dict[str, Any], loop_id: int
) -> tuple[dict[str, Any], list[str]]:
    """The loop's waiting events sent and its fields set: the loop as the hub holds it,
    and each event's outcome."""
    loop_uid, first, events = document["uid"], sent_count(document), unsent(document)
    voids = {e["uid"]: e["void"] for e in events if e.get("void") == "conflict"}
    outcomes, seq, settled = hub.record_all(
        connection, loop_uid, json.dumps(events), first, hub_fields(document, loop_id),
        json.dumps(voids),
    )  # fmt: skip
    if settled:  # the hub took them all, in order, on top of what this store knew
        return {**document, SENT: seq}, outcomes
    held, void = rebuilt(document, hub.events_after(connection, loop_uid, first), loop_id)
    if set(outcomes) != {"late"} and not hub.set_fields(
        connection, loop_uid, held[SENT], hub_fields(held, loop_id), json.dumps(void)
    ):
        raise HubError(_("loop {uid} changed in the hub while it was sent").format(uid=loop_uid))
    return held, outcomes


def counted(counts: Synced, loop_id: int, held: dict[str, Any], outcomes: list[str]) -> Sent:
    """What the hub took of a loop, counted."""
    counts.sent += sum(outcome != "duplicate" for outcome in outcomes)
    counts.resent += outcomes.count("duplicate")
    if "late" in outcomes:
        counts.late.append(loop_id)
    return Sent(document=held, late="late" in outcomes)


def hub_fields(document: dict[str, Any], loop_id: int) -> str:
    """A loop's fields as the hub keeps them (JSON): with the owner's id for it, so the
    lead's report names the loop as its owner's list does."""
    fields = fields_of(document)
    if loop_id > 0:
        fields[HUB_ID] = loop_id
    return json.dumps(fields)


def settle(
    transaction: Transaction,
    outbox: dict[int, dict[str, Any]],
    results: dict[int, Sent],
    done: Synced,
) -> None:
    """Note in the store what the hub took; keep what was made here meanwhile."""
    held: dict[int, dict[str, Any]] = {}
    erased: list[int] = []
    for loop_id, result in results.items():
        sent, current = outbox[loop_id], transaction.get(loop_id)
        if current is None or current.get("uid") != sent.get("uid"):
            continue  # removed here meanwhile (a forget): nothing to note
        if result.erased:
            erased.append(loop_id)
        elif result.document is not None:
            newer = list(current.get("events", []))[len(sent["events"]) :]
            held[loop_id] = dict(result.document)
            if newer:
                before = {**current, SENT: len(current["events"]) - len(newer)}
                held[loop_id] = from_hub(
                    fields_of(result.document), list(result.document["events"]), before, loop_id
                )
    transaction.put_many(held)
    transaction.remove_many(erased)
    done.erased += len(erased)


# --- pull -----------------------------------------------------------------------


def pull(connection: Any, store: Store, agent: str, done: Synced) -> tuple[str, int]:
    """Bring back, from one snapshot of the hub, what changed and concerns the agent.

    Returns the new cursor (the hub's epoch and position).
    """
    known_epoch, position = cursor_of(store)
    with connection.transaction():
        connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        epoch = hub.epoch(connection)
        if known_epoch != epoch or type(position) is not int:
            position = 0  # a new hub, or a first sync: everything
        changes = hub.changes_since(connection, position, agent)
        if changes.top < position:
            # The hub is behind this store: restored from a backup. Everything again;
            # what it lost of this store's events is sent again at the next sync.
            position = 0
            changes = hub.changes_since(connection, position, agent)
        if changes.top == position and known_epoch == epoch:
            return epoch, position
        local = {doc.get("uid"): doc for doc in store.documents().values()}
        wanted = [
            uid
            for uid, owner, seq in changes.loops
            if owner == agent and (uid not in local or sent_count(local[uid]) != seq
                                   or unsent(local[uid]))
        ]  # fmt: skip
        copies = hub.documents(connection, wanted) if wanted else {}
    with store.transaction() as transaction:
        here_now, archived_current = held_here(transaction, changes)
        arriving: list[tuple[dict[str, Any], list[dict[str, Any]]]] = []
        for uid, owner, seq in changes.loops:
            here = here_now.get(uid)
            if here is None and uid in archived_current:
                continue  # the archive holds it as the hub does
            if here is not None and owner == agent and sent_count(here[1]) > seq:
                # The hub holds fewer of its events than it acknowledged (restored from a
                # backup): keep them all here, and send again what it lost.
                transaction.put(here[0], {**here[1], SENT: seq})
                continue
            if owner != agent:
                if here is not None and not unsent(here[1]):
                    transaction.remove(here[0])
                    done.left.append((here[0], owner))
                continue
            if uid not in copies:
                continue
            fields, events = copies[uid]
            fields = {**fields, "owner": owner}
            if here is None:
                arriving.append((from_hub(fields, events, None, 0), events))
            else:
                transaction.put(here[0], from_hub(fields, events, here[1], here[0]))
                done.late_arrivals += late_from_others(here[0], here[1], events, agent)
            done.received += 1
        new_ids = transaction.insert_many([document for document, _events in arriving])
        for new_id, (_document, events) in zip(new_ids, arriving, strict=True):
            done.arrived.append(arrival(new_id, events))
            done.late_arrivals += late_from_others(new_id, {}, events, agent)
        erase_here(transaction, here_now, changes.erased, done)
        transaction.set_meta(EPOCH, epoch)
        transaction.set_meta(POSITION, changes.top)
        moved = {a.loop_id: transaction.get(a.loop_id) for a in done.arrived if a.kind != "created"}
    name_arrivals(connection, moved)
    return epoch, changes.top


def cursor_of(store: Store) -> tuple[Any, Any]:
    """Where the last pull ended: (epoch, position), from the sync's note when the store
    is as the note saw it (no need to read the store), else from the store itself."""
    noted = read_note(store.path)
    if is_current(store.path, noted) and EPOCH in noted:
        return noted.get(EPOCH), noted.get(POSITION)
    if not store.path.exists():
        return None, None
    return store.meta_value(EPOCH), store.meta_value(POSITION)


def held_here(
    transaction: Transaction, changes: hub.Changes
) -> tuple[dict[Any, tuple[int, dict[str, Any]]], set[str]]:
    """This store's copies of the loops that changed or were erased, by uid (an archived
    one the pull must change is brought back into the store first), and the uids of
    those the archive holds just as the hub does."""
    here = {doc.get("uid"): (key, doc) for key, doc in transaction.documents().items()}
    changed = {uid: seq for uid, _owner, seq in changes.loops}
    missing = [uid for uid in [*changed, *changes.erased] if uid not in here]
    current: set[str] = set()
    if not missing:
        return here, current
    archived = {doc.get("uid"): key for key, doc in transaction.archived().items()}
    for uid in missing:
        key = archived.get(uid)
        if key is None:
            continue
        document = transaction.archived()[key]
        if uid in changed and sent_count(document) == changed[uid] and not unsent(document):
            current.add(uid)  # the archive's copy is the hub's: nothing to change
            continue
        brought = transaction.bring_back(key)
        if brought is not None:
            here[uid] = (key, brought)
    return here, current


def name_arrivals(connection: Any, arrived: dict[int, dict[str, Any] | None]) -> None:
    """Tell the hub the ids the arrived loops have here, for the lead's report; a loop
    changed meanwhile keeps the old id until its next change."""
    for loop_id, document in arrived.items():
        if document is None:
            continue
        with connection.transaction():
            hub.set_fields(connection, document["uid"], sent_count(document),
                           hub_fields(document, loop_id), "{}")  # fmt: skip


def arrival(loop_id: int, events: list[dict[str, Any]]) -> Arrival:
    """Who gave the agent this loop, and their note (from its latest handoff)."""
    moves = [e for e in events if e.get("kind") in (Kind.HANDOFF, Kind.REASSIGNED)]
    if not moves:
        last = events[-1] if events else {}
        return Arrival(loop_id, str(last.get("by", "")), None, "created")
    move = moves[-1]
    return Arrival(loop_id, str(move.get("by", "")), move.get("text"), str(move["kind"]))


def late_from_others(
    loop_id: int, before: dict[str, Any], events: list[dict[str, Any]], agent: str
) -> list[tuple[int, str]]:
    """Late changes by others that reached this loop since the store last had it."""
    known = sent_count(before)
    return [
        (loop_id, str(event.get("by", "")))
        for event in events[known:]
        if event.get("void") == "late" and event.get("by") != agent
    ]


def erase_here(
    transaction: Transaction,
    here: dict[Any, tuple[int, dict[str, Any]]],
    erased: list[str],
    done: Synced,
) -> None:
    """Drop the loops erased from the hub (archived ones too): none of their data stays."""
    gone = [here[uid] for uid in erased if uid in here]
    names = {document.get("customer") for _key, document in gone}
    # Kept in the store with the pull, until the store's copies are scrubbed of them:
    # a sync killed before that finishes it the next time.
    waiting_purge = set(transaction.meta_value(PURGE) or [])
    waiting_purge |= {name for name in names if isinstance(name, str)}
    if waiting_purge:
        transaction.set_meta(PURGE, sorted(waiting_purge))
    done.erased_customers |= waiting_purge
    transaction.remove_many([key for key, _document in gone])
    done.erased += len(gone)


# --- a lead's reassignment ------------------------------------------------------


@dataclass(frozen=True)
class Reassigned:
    """A loop a lead moved: its uid, customer, and who had it."""

    uid: str
    customer: str
    was: str
    to: str


def reassign(ctx: Context, reference: str, to: str, note: str) -> Reassigned:
    """Move a loop of an absent agent to ``to``, straight in the hub (a lead's right).

    The loop is named by its uid, or the first 8 or more characters of it. What its old
    owner changed offline reaches the hub at their next sync as late changes.
    """
    from loopcloser.core.documents import load
    from loopcloser.core.model import Event, apply, to_document

    reference = reference.strip().lower()
    if len(reference) < 8 or any(c not in "0123456789abcdef-" for c in reference):
        raise BadInput(
            _("{reference} is not a loop's uid").format(reference=repr(reference)),
            hint=_("give its uid, or its first 8 characters (loopcloser report --json shows them)"),
        )
    check_agent(ctx, to)
    done = Synced()
    with session(ctx) as connection:
        found = hub.find_loop(connection, reference)
        if len(found) != 1:
            raise NotFound(
                _("no loop in the hub has a uid starting {reference}").format(reference=reference)
                if not found
                else n_(
                    "{count} loop in the hub has a uid starting {reference}",
                    "{count} loops in the hub have a uid starting {reference}",
                    len(found),
                ).format(count=len(found), reference=reference),
                hint=_("give more of its uid"),
            )
        loop_uid, owner, seq, fields, events = found[0]
        their_id = fields.get(HUB_ID)  # the loop's id in its owner's store, kept for the lead
        if type(their_id) is not int or their_id < 1:
            their_id = 0
        if owner == to:
            raise BadInput(
                _("loop {uid} is already {agent}'s").format(uid=loop_uid[:8], agent=to),
                hint=_("nothing was changed"),
            )
        loop = load(0, {**fields, "events": events})
        event = Event(
            kind=Kind.REASSIGNED,
            at=ctx.now,
            by=ctx.agent,
            text=note,
            changes={"owner": to},
            uid=str(uuid.uuid4()),
        )
        moved = apply(loop, event)
        with connection.transaction():
            sent = send_loop(connection, {**to_document(moved), SENT: seq}, their_id, done)
        if sent.document is None:
            raise HubError(
                _("the hub refused the reassignment: {reason}").format(
                    reason=sent.refusal or _("the loop was erased")
                ),
                hint=_("only a lead may reassign; check with: loopcloser doctor"),
            )
    return Reassigned(loop_uid, loop.customer, owner, to)


# --- what status and doctor show ------------------------------------------------


@dataclass(frozen=True)
class Standing:
    """Where this store stands with the hub, without asking the hub."""

    waiting: int
    synced: str | None


def standing(store: Store) -> Standing:
    """How many events wait to be sent, and when the last sync succeeded."""
    noted = read_note(store.path)
    if is_current(store.path, noted):
        count = int(noted.get("waiting") or 0)
    else:
        count = waiting(store.documents().values()) if store.path.exists() else 0
    synced = noted.get("synced")
    return Standing(count, synced if isinstance(synced, str) else None)
