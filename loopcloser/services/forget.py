"""The customer's right to erasure: forget a customer's name, contact and words.

:func:`scrub`, :func:`matches` and :func:`redact` are pure; :func:`forget` applies
them to stores (and a team folder's unfinished handoffs). A scrubbed loop keeps its
dates, states and history's shape, so reports and outcomes still count it, and
replaying its events still rebuilds its fields.
"""

from __future__ import annotations

import copy
import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from loopcloser.core.errors import BadInput, HubError, LoopcloserError, StoreError
from loopcloser.core.model import Kind
from loopcloser.core.words import _
from loopcloser.storage.store import drop_index

if TYPE_CHECKING:
    from loopcloser.services.context import Context
    from loopcloser.storage.store import Store

FORGOTTEN = "(forgotten)"
"""What a forgotten customer's name, promise and every mention of them read as."""

# The customer's personal data and what it becomes on their own loops.
SCRUBBED: dict[str, str | None] = {"customer": FORGOTTEN, "contact": None, "promise": FORGOTTEN}

# Event kinds whose ``changes`` set loop fields that may hold personal data.
FIELD_SETTING = (str(Kind.CREATED), str(Kind.EDITED))

# Keys, at any depth of a loop, that never hold a customer's words and must not change:
# ids, moments, states, kinds, agents and channels.
UNTOUCHED = frozenset(
    {
        "uid",
        "at",
        "due",
        "created",
        "until",
        "remind",
        "update_every",
        "state",
        "kind",
        "by",
        "owner",
        "via",
        "prefers",
        "told",
    }
)
# Keys that name a loop's own customer: on another customer's loop they are that
# customer's identity, replaced only when the whole value is the forgotten one's.
IDENTITY = frozenset({"customer", "contact"})
# Within a name or contact, words may be joined by spaces, dots, dashes or underscores:
# "Maria Rossi" is also "MARIA-ROSSI" in a ref and "maria.rossi" in a note.
SEPARATORS = r"[\s._-]+"
# A whole word: not preceded or followed by a letter or digit ("Li" is not in "Lisa").
BEFORE, AFTER = r"(?<![^\W_])", r"(?![^\W_])"
# Rounds of erasure across the stores, each with every identity found so far; the
# second runs only if a store held a name or contact the others did not show before.
MAX_ROUNDS = 5


@dataclass(frozen=True)
class Erased:
    """What forget did: loops scrubbed, other loops whose mentions were redacted, failures.

    Both counts are of distinct loops (by uid), wherever and however often they appear.
    ``failed`` holds (path, message) for each store or intent file that could not be
    erased: everything else was, and forgetting again after fixing them finishes the job.
    """

    loops: int
    mentions: int
    failed: list[tuple[str, str]] = field(default_factory=list)
    uids: tuple[str, ...] = ()
    """The uids of the customer's own loops that were scrubbed."""
    hub: HubErasure | None = None
    """What became of the customer's loops in the team hub, when one is set."""


@dataclass(frozen=True)
class HubErasure:
    """The customer's loops erased from the hub, or queued for the next sync if it is down."""

    erased: int
    queued: int = 0
    why: str | None = None
    """Why the hub was not reached, when it was not."""
    others: int = 0
    """The customer's loops in the hub that colleagues own: a lead erases those."""


def scrub(document: Mapping[str, Any]) -> dict[str, Any]:
    """The loop document without the customer's name, contact or any free text."""
    scrubbed = copy.deepcopy(dict(document))
    scrubbed.update(SCRUBBED)
    events = scrubbed.get("events")
    for event in events if isinstance(events, list) else ():
        if not isinstance(event, dict):
            continue
        # Notes, contact summaries and reasons are free text about the customer.
        event.pop("text", None)
        changes = event.get("changes")
        if event.get("kind") in FIELD_SETTING and isinstance(changes, dict):
            # Scrub the same values where history set them, so replay still agrees.
            for name, value in SCRUBBED.items():
                if name in changes:
                    changes[name] = value
    return scrubbed


def matches(document: Mapping[str, Any], who: str) -> bool:
    """True if ``who`` is the loop's customer or contact, now or earlier in its history."""
    wanted = _normalised(who)
    if not wanted:
        return False  # an empty name must never match everyone
    return any(_normalised(value) == wanted for value in _identities(document))


def identities(document: Mapping[str, Any]) -> set[str]:
    """Every name and contact the loop's customer has had, spaces collapsed."""
    return {_spaced(value) for value in _identities(document)} - {""}


def mentions(names: Iterable[str]) -> re.Pattern[str] | None:
    """A pattern for whole-word, any-case occurrences of any of ``names``; None for none."""
    words = (
        [part for part in re.split(SEPARATORS, name) if part]
        for name in {_spaced(name) for name in names}
        if any(char.isalnum() for char in name)  # "." or "-" alone would match everywhere
    )
    alternatives = sorted(
        (SEPARATORS.join(re.escape(part) for part in parts) for parts in words),
        key=lambda alternative: (-len(alternative), alternative),  # longest name wins
    )
    if not alternatives:
        return None
    return re.compile(f"{BEFORE}(?:{'|'.join(alternatives)}){AFTER}", re.IGNORECASE)


def redact(document: Mapping[str, Any], pattern: re.Pattern[str]) -> dict[str, Any]:
    """The document with every mention ``pattern`` finds replaced by (forgotten).

    Every string at any depth is redacted (fields, tags, ref, waiting_on, event text
    and changes), except ids, moments, states, kinds, agents and channels. The loop's
    own customer and contact are replaced only when the whole value is a forgotten
    identity: forgetting "Li" keeps another customer called "Li Wei". Field values and
    the events that set them are redacted alike, so replay still rebuilds the fields.
    """
    return {key: _redacted(key, value, pattern) for key, value in document.items()}


def forget_customer(ctx: Context, who: str) -> Erased:
    """Erase customer ``who`` from the agent's store, or from every store of their team.

    With a team folder, forget reads its stores itself, under the handoff lock; the
    agent's own store is one of them unless the run names another (``--store``).
    """
    team = ctx.settings.team
    stores = [] if ctx.store_path is None and team is not None else [ctx.store()]
    erased = forget(stores, who, team)
    if ctx.settings.hub is None or team is not None:
        return erased
    from dataclasses import replace

    return replace(erased, hub=erase_from_hub(ctx, who, list(erased.uids)))


def forget(stores: list[Store], who: str, team: Path | None = None) -> Erased:
    """Scrub customer ``who``'s loops and redact every mention of them in every loop.

    With ``team``, every agent's store in the folder is erased too, under the team's
    handoff lock, so no handoff moves a loop between stores meanwhile; unfinished
    handoffs are completed first, and any that cannot be are scrubbed in place. A store
    that cannot be read or written does not stop the others: it is listed in
    ``Erased.failed``, and running forget again once it is fixed finishes the job.
    Undo journals that could bring the customer back are dropped.
    """
    if not _normalised(who):
        raise BadInput(
            _("give the customer's name or contact to forget"), hint=_('e.g. "Maria Rossi"')
        )
    if team is None:
        return _Erasure(who, _unique(stores), []).run()
    from loopcloser.storage.team import settled

    # An intent that cannot be completed (a store unreadable) is scrubbed in place.
    with settled(team) as (members, pending):
        everyone = [*stores, *(store for _agent, store in members)]
        return _Erasure(who, _unique(everyone), pending).run()


class _Erasure:
    """One forget across stores and intent files, gathering identities as it goes."""

    def __init__(self, who: str, stores: list[Store], intents: list[Path]) -> None:
        self.who = who
        self.stores = stores
        self.intents = intents
        self.names: set[str] = {_spaced(who)}
        self.scrubbed: set[str] = set()
        self.own_uids: set[str] = set()
        self.mentioned: set[str] = set()
        self.failed: dict[str, str] = {}
        self._pattern: tuple[frozenset[str], re.Pattern[str] | None] = (frozenset(), None)

    @property
    def pattern(self) -> re.Pattern[str] | None:
        """The mentions of every identity known so far (compiled once per set of names)."""
        names = frozenset(self.names)
        if self._pattern[0] != names:
            self._pattern = (names, mentions(names))
        return self._pattern[1]

    def run(self) -> Erased:
        """Erase everywhere, again while a store reveals identities the others did not."""
        self._gather()
        erased_with: set[str] = set()
        for _round in range(MAX_ROUNDS):
            if self.names == erased_with:
                break
            erased_with = set(self.names)
            for store in self.stores:
                if str(store.path) not in self.failed:
                    try:
                        self._erase_store(store)
                    except LoopcloserError as error:
                        self.failed[str(store.path)] = error.message
            for path in self.intents:
                if str(path) not in self.failed:
                    try:
                        self._erase_intent(path)
                    except LoopcloserError as error:
                        self.failed[str(path)] = error.message
        # The index of open loops beside each store is a copy, and so is every temporary
        # file a killed write left: drop them whatever happened (the next read rebuilds
        # the index from the scrubbed store).
        for store in self.stores:
            try:
                store.remove_copies()  # under the store's lock
            except LoopcloserError:
                drop_index(store.path)  # the lock could not be had: the index goes anyway
            try:
                kept = store.copies()
            except LoopcloserError as error:
                self.failed.setdefault(str(store.path), error.message)
                kept = []
            for backup in kept:
                try:
                    self._erase_copy(backup.path)
                except LoopcloserError as error:
                    self.failed[str(backup.path)] = error.message
        return Erased(
            loops=len(self.scrubbed),
            mentions=len(self.mentioned - self.scrubbed),
            failed=list(self.failed.items()),
            uids=tuple(sorted(self.own_uids)),
        )

    def _gather(self) -> None:
        """Read every store first, without locks, to know every identity before changing any."""
        for store in self.stores:
            with suppress(LoopcloserError):  # reported when the store is erased
                self._learn(store.reopened().all_documents().values())
        for path in self.intents:
            loop = _intent_loop(_read_intent(path))
            if loop is not None:
                self._learn([loop])

    def _learn(self, documents: Iterable[Mapping[str, Any]]) -> None:
        for document in documents:
            if matches(document, self.who):
                self.names |= identities(document)

    def _clean(self, document: Mapping[str, Any]) -> tuple[dict[str, Any], bool]:
        """The document erased, and whether it is one of the customer's own loops."""
        own = matches(document, self.who)
        pattern = self.pattern
        clean = scrub(document) if own else dict(document)
        return (clean if pattern is None else redact(clean, pattern)), own

    def _count(self, changed: Iterable[tuple[Mapping[str, Any], bool, str]]) -> None:
        """Count loops whose erasure was written: each once, by uid, wherever it was."""
        for document, own, where in changed:
            uid = document.get("uid")
            if own and isinstance(uid, str) and uid:
                self.own_uids.add(uid)
            (self.scrubbed if own else self.mentioned).add(
                uid if isinstance(uid, str) and uid else where
            )

    def _erase_store(self, store: Store) -> None:
        """Erase in one store, in one transaction under its lock."""
        with store.transaction() as transaction:
            documents = transaction.documents()
            archived = transaction.archived()
            self._learn([*documents.values(), *archived.values()])  # added since the reading
            changed = []
            for kept, put in ((documents, transaction.put), (archived, transaction.put_archived)):
                for loop_id, document in kept.items():
                    clean, own = self._clean(document)
                    if clean != document:
                        put(loop_id, clean)
                        where = f"{os.path.realpath(store.path)}#{loop_id}"
                        changed.append((document, own, where))
            # Journal entries hold whole copies of loops as they were, so undo could bring
            # the customer back; one handed off elsewhere may be the only copy left here.
            pattern = self.pattern
            held = pattern is not None and any(
                _mentioned(entry, pattern) for _entry_id, entry in transaction.journal()
            )
            if changed or held:
                transaction.forget_entries()
        self._count(changed)  # only once the store is written

    def _erase_copy(self, path: Path) -> None:
        """Scrub a backup copy of a store, and drop its journal if it holds the customer.

        A copy is rewritten whole into a new file, never changed in place: a daily copy
        may still share its file with a store not yet written since.
        """
        from loopcloser.storage.store import read_tables, write_tables

        tables = read_tables(path)
        loops = tables.get("loops", {})
        changed = False
        for key, document in loops.items():
            clean, _own = self._clean(document)
            if clean != document:
                loops[key] = clean
                changed = True
        pattern = self.pattern
        journal = tables.get("journal", {})
        if pattern is not None and any(_mentioned(entry, pattern) for entry in journal.values()):
            tables["journal"] = {}
            changed = True
        if changed:
            write_tables(path, tables)

    def _erase_intent(self, path: Path) -> None:
        """Scrub the copy of a loop in a handoff's intent file that could not be completed."""
        from loopcloser.storage.atomic import write_atomically

        content = _read_intent(path)
        loop = _intent_loop(content)
        if loop is None:
            if not path.exists():
                return  # completed meanwhile
            reason: str | None = None
            try:
                raw = path.read_bytes().decode("utf-8", errors="replace")
            except OSError as error:
                raw, reason = "", str(error.strerror or error)
            pattern = self.pattern
            if reason is not None or pattern is None or pattern.search(raw):
                unread = (
                    _("unfinished handoff {path} cannot be read: {reason}, so it was not erased")
                    if reason is not None
                    else _("unfinished handoff {path} cannot be read, so it was not erased")
                )
                raise StoreError(
                    unread.format(path=path, reason=reason),
                    hint=_("check both agents' stores for the loop it names, then move it aside"),
                )
            return  # not a loop, and no mention of the customer: nothing to erase
        self._learn([loop])
        clean, own = self._clean(loop)
        if clean != loop:
            assert isinstance(content, dict)
            content["loop"] = clean
            write_atomically(path, json.dumps(content, ensure_ascii=False).encode("utf-8"))
            self._count([(loop, own, str(path))])


def _read_intent(path: Path) -> Any:
    try:
        return json.loads(path.read_bytes())
    except (OSError, ValueError, RecursionError):
        return None


def _intent_loop(content: Any) -> dict[str, Any] | None:
    loop = content.get("loop") if isinstance(content, dict) else None
    return loop if isinstance(loop, dict) else None


def _unique(stores: list[Store]) -> list[Store]:
    """The stores, each file once however it was named."""
    return list({os.path.realpath(store.path): store for store in stores}.values())


def _redacted(key: str, value: Any, pattern: re.Pattern[str]) -> Any:
    if key in UNTOUCHED:
        return value
    if key in IDENTITY:
        whole = isinstance(value, str) and pattern.fullmatch(value.strip()) is not None
        return FORGOTTEN if whole else value
    return _redacted_value(value, pattern)


def _redacted_value(value: Any, pattern: re.Pattern[str]) -> Any:
    if isinstance(value, str):
        return pattern.sub(FORGOTTEN, value)
    if isinstance(value, Mapping):
        return {key: _redacted(key, item, pattern) for key, item in value.items()}
    if isinstance(value, list):
        return [_redacted_value(item, pattern) for item in value]
    return value


def _mentioned(value: Any, pattern: re.Pattern[str]) -> bool:
    """True if a string at any depth of ``value`` (but ids, moments, agents...) mentions one."""
    if isinstance(value, str):
        return pattern.search(value) is not None
    if isinstance(value, Mapping):
        return any(_mentioned(item, pattern) for key, item in value.items() if key not in UNTOUCHED)
    if isinstance(value, list):
        return any(_mentioned(item, pattern) for item in value)
    return False


def _identities(document: Mapping[str, Any]) -> Iterator[Any]:
    """Every name and contact the customer has had on this loop."""
    yield document.get("customer")
    yield document.get("contact")
    events = document.get("events")
    for event in events if isinstance(events, list) else ():
        changes = event.get("changes") if isinstance(event, Mapping) else None
        if isinstance(changes, Mapping) and event.get("kind") in FIELD_SETTING:
            yield changes.get("customer")
            yield changes.get("contact")


def _spaced(value: Any) -> str:
    """Trimmed, inner spaces collapsed; '' for anything but text."""
    return " ".join(value.split()) if isinstance(value, str) else ""


def _normalised(value: Any) -> str:
    """Trimmed, inner spaces collapsed, case folded; '' for anything but text."""
    return _spaced(value).casefold()


# --- erasure ---------------------------------------------------------------------


def erase_from_hub(ctx: Context, who: str, here: list[str]) -> HubErasure:
    """Erase customer ``who``'s loops from the hub: those scrubbed here and any the hub
    holds under that name or contact. An agent erases their own; a colleague's are left
    to a lead (said in ``HubErasure.others``). With the hub down, this store's are queued
    and go at the next sync (the queue holds uids alone, no name)."""
    from loopcloser.services.sync import TO_ERASE, erase_allowed, session
    from loopcloser.storage import hub

    try:
        with session(ctx) as connection:
            found = [
                uid for uid, document in hub.loops_naming(connection, who) if matches(document, who)
            ]
            erased, others = erase_allowed(connection, ctx.agent, sorted({*here, *found}))
        return HubErasure(erased=erased, others=others)
    except HubError as error:
        store = ctx.store()
        with store.transaction() as transaction:
            queued = sorted({*(transaction.meta_value(TO_ERASE) or []), *here})
            transaction.set_meta(TO_ERASE, queued)
        return HubErasure(erased=0, queued=len(here), why=error.message)
