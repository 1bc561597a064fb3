"""Loops, their states and events, and the one pure function that changes them.

A loop is one promise to one customer. Every change is an :class:`Event`;
:func:`apply` is the only way a loop changes, so replaying a loop's events
rebuilds its stored fields exactly. Nothing here reads the clock or a file.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from enum import StrEnum
from types import MappingProxyType
from typing import Any, NamedTuple, TypeVar, overload

from loopcloser.core.errors import BadInput, InvalidTransition, NextStep
from loopcloser.core.words import N_, NP_, _, p_


class State(StrEnum):
    """Where a loop stands; only ``closed`` means the customer has been told."""

    OPEN = "open"
    WAITING = "waiting"
    DONE = "done"
    CLOSED = "closed"
    CANCELLED = "cancelled"


ACTIVE = frozenset({State.OPEN, State.WAITING, State.DONE})
"""States in which the loop is still ours to close."""


class Kind(StrEnum):
    """What an event records."""

    CREATED = "created"
    EDITED = "edited"
    NOTE = "note"
    CONTACT = "contact"
    WAITING = "waiting"
    RESUMED = "resumed"
    HANDOFF = "handoff"
    REASSIGNED = "reassigned"
    RESCHEDULED = "rescheduled"
    DONE = "done"
    CLOSED = "closed"
    CANCELLED = "cancelled"
    REOPENED = "reopened"
    REMINDED = "reminded"
    SNOOZED = "snoozed"


class Outcome(StrEnum):
    """How a closed loop kept its promise."""

    KEPT = "kept"
    RENEGOTIATED = "renegotiated"
    LATE = "late"


# States and outcomes as a person reads them (the STATE column, a refusal), looked up
# with state_words and outcome_words where shown; stored and JSON names stay.
STATE_WORDS = (NP_("state", "open"), NP_("state", "waiting"), NP_("state", "done"),
               NP_("state", "closed"), NP_("state", "cancelled"))  # fmt: skip
OUTCOME_WORDS = (NP_("outcome", "kept"), NP_("outcome", "renegotiated"),
                 NP_("outcome", "late"))  # fmt: skip


def state_words(state: State) -> str:
    """A state as a person reads it, in the language in use: "open", "aperta"."""
    return p_("state", str(state))


def outcome_words(outcome: Outcome | None) -> str:
    """How a closed loop ended, as a person reads it: "kept", "renegotiated", "late";
    "" for a loop not closed."""
    return "" if outcome is None else p_("outcome", str(outcome))


# Which states each kind of event may start from, and the state it leads to.
# Kinds absent from TARGET leave the state alone.
ALLOWED_FROM: dict[Kind, frozenset[State]] = {
    Kind.CREATED: frozenset(),
    Kind.WAITING: frozenset({State.OPEN, State.WAITING}),
    Kind.RESUMED: frozenset({State.WAITING}),
    Kind.RESCHEDULED: ACTIVE,
    Kind.HANDOFF: ACTIVE,
    Kind.REASSIGNED: ACTIVE,
    Kind.DONE: frozenset({State.OPEN, State.WAITING}),
    Kind.CLOSED: ACTIVE,
    Kind.CANCELLED: ACTIVE,
    Kind.REOPENED: frozenset({State.DONE, State.CLOSED, State.CANCELLED}),
    Kind.REMINDED: ACTIVE,
    Kind.SNOOZED: ACTIVE,
}
TARGET: dict[Kind, State] = {
    Kind.CREATED: State.OPEN,
    Kind.WAITING: State.WAITING,
    Kind.RESUMED: State.OPEN,
    Kind.DONE: State.DONE,
    Kind.CLOSED: State.CLOSED,
    Kind.CANCELLED: State.CANCELLED,
    Kind.REOPENED: State.OPEN,
}

EDITABLE = frozenset(
    {"customer", "promise", "contact", "prefers", "tags", "ref", "update_every", "remind"}
)
"""Fields ``edit`` may change; due, owner and state have verbs of their own."""


class Waiting(NamedTuple):
    """The party a loop waits on, and when we expect them to answer."""

    party: str
    until: datetime | None = None


NO_CHANGES: Mapping[str, Any] = MappingProxyType({})
"""The changes of an event that changes no field: empty, and never to be filled."""


class Event(NamedTuple):
    """One entry in a loop's history.

    ``changes`` holds field values in their stored (JSON) form, so an event
    means the same thing whether it was just made or read back from disk.
    A named tuple, as Loop is: a dataclass costs every start a millisecond.
    """

    kind: Kind
    at: datetime
    by: str
    text: str | None = None
    via: str | None = None
    told: bool | None = None
    changes: Mapping[str, Any] = NO_CHANGES
    key: str | None = None
    """For a reminder: which one fired, so that it never fires twice."""
    uid: str | None = None
    """Given when the event is first sent to a team hub, so a re-send is known as one."""
    void: str | None = None
    """Why the event changed nothing: ``late`` (made by an owner the loop was taken from
    meanwhile) or ``conflict`` (another machine's change came first); None for most."""


class Loop(NamedTuple):
    """One promise to one customer, as its events have shaped it."""

    id: int
    uid: str
    customer: str
    promise: str
    owner: str
    created: datetime
    due: datetime
    state: State = State.OPEN
    contact: str | None = None
    prefers: str | None = None
    via: str | None = None
    remind: tuple[datetime, ...] = ()
    update_every: timedelta | None = None
    waiting_on: Waiting | None = None
    tags: tuple[str, ...] = ()
    ref: str | None = None
    snoozed_until: datetime | None = None
    events: Sequence[Event] = ()


class Flag(StrEnum):
    """A yes-or-no fact a loop's history means now: a field of :class:`Flags`, a JSON key."""

    OVERDUE = "overdue"
    DUE_TODAY = "due_today"
    UNTOLD = "untold"
    UNTOLD_RESCHEDULE = "untold_reschedule"
    SILENT = "silent"
    STALE_WAIT = "stale_wait"


# The flags are shown in two orders, each one people already read every day. The FLAGS
# column of list and show says when first (late, due today), then what the customer has
# not been told, then the silences. The prompt's status line leads with what lets a
# customer down already or needs only a call (late, untold, a new due not told), as
# urgency() ranks loops, and only then with what is merely coming up.
FLAG_ORDER = (
    Flag.OVERDUE,
    Flag.DUE_TODAY,
    Flag.UNTOLD,
    Flag.UNTOLD_RESCHEDULE,
    Flag.SILENT,
    Flag.STALE_WAIT,
)
"""The order of the FLAGS column in list and show."""
STATUS_ORDER = (
    Flag.OVERDUE,
    Flag.UNTOLD,
    Flag.UNTOLD_RESCHEDULE,
    Flag.DUE_TODAY,
    Flag.SILENT,
    Flag.STALE_WAIT,
)
"""The order of the counts on the status line for a shell prompt."""


def in_words(name: str) -> str:
    """A flag's (or a count's) name as people read it: ``due_today`` is "due today"."""
    return name.replace("_", " ")


class Flags(NamedTuple):
    """What a loop's fields and history mean at a given moment; never stored."""

    overdue: bool
    due_today: bool
    untold: bool
    silent: bool
    outcome: Outcome | None
    last_contact: datetime
    expected_due: datetime
    untold_reschedule: bool
    stale_wait: bool

    def is_set(self, flag: Flag) -> bool:
        """Whether ``flag`` holds for the loop."""
        return bool(getattr(self, flag))

    def raised(self, order: Sequence[Flag] = FLAG_ORDER) -> list[Flag]:
        """The flags that hold, in ``order``."""
        return [flag for flag in order if self.is_set(flag)]


DERIVED_FIELDS = Flags._fields
"""The fields of a loop's JSON that are derived from its history, never stored."""


FLAG_NAMES = tuple(str(flag) for flag in Flag)


def flags_to_document(flags: Flags) -> dict[str, Any]:
    """The flags as the loop's JSON gives them: moments as UTC text, the outcome by name."""
    document: dict[str, Any] = {name: bool(getattr(flags, name)) for name in FLAG_NAMES}
    document["outcome"] = None if flags.outcome is None else str(flags.outcome)
    document["last_contact"] = to_utc_text(flags.last_contact)
    document["expected_due"] = to_utc_text(flags.expected_due)
    return document


# --- stored form -----------------------------------------------------------


def to_utc_text(moment: datetime) -> str:
    """ISO-8601 in UTC with a ``Z``, to the second: the only way a moment is written down.

    Whole seconds, as jq's ``fromdateiso8601`` and spreadsheets want them.
    """
    if moment.tzinfo is not UTC or moment.microsecond:  # most are UTC already, to the second
        moment = moment.astimezone(UTC).replace(microsecond=0)
    return moment.isoformat().replace("+00:00", "Z")


def from_utc_text(text: str) -> datetime:
    """Read a moment written by :func:`to_utc_text` (any ISO offset is accepted).

    A fraction of a second, which older stores hold, is read and dropped: a loop's fields
    and the history that rebuilds them must agree to the second they are written in.
    """
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is UTC and not moment.microsecond:  # as to_utc_text writes them
        return moment
    moment = moment.replace(microsecond=0)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


MOMENTS = frozenset({"created", "due", "snoozed_until"})


def encode_field(name: str, value: Any) -> Any:
    """A loop field in its stored (JSON) form."""
    if value is None:
        return None
    encode = ENCODERS.get(name)
    return value if encode is None else encode(value)


def decode_field(name: str, value: Any) -> Any:
    """A loop field from its stored (JSON) form."""
    if value is None:
        return () if name in ("tags", "remind") else None
    decode = DECODERS.get(name)
    return value if decode is None else decode(value)


def encode_waiting(waiting: Waiting) -> dict[str, Any]:
    """Who a loop waits on, as stored."""
    until = None if waiting.until is None else to_utc_text(waiting.until)
    return {"party": waiting.party, "until": until}


def decode_waiting(value: Any) -> Waiting:
    """Who a loop waits on, from its stored form."""
    until = value.get("until")
    return Waiting(value["party"], None if until is None else from_utc_text(until))


STATES: dict[str, State] = {str(state): state for state in State}
"""Each state by its stored name: a lookup, where calling the enum is slow."""


def decode_state(name: Any) -> State:
    """A state from its stored name; ValueError for a name that is none."""
    state = STATES.get(name) if type(name) is str else None
    return State(name) if state is None else state


# How each field that is not stored as it is goes to and from its stored form: looked
# up by name, as every field of every loop a command reads passes through here.
ENCODERS: dict[str, Callable[[Any], Any]] = {
    **dict.fromkeys(MOMENTS, to_utc_text),
    "remind": lambda moments: [to_utc_text(moment) for moment in moments],
    "update_every": lambda every: int(every.total_seconds()),
    "waiting_on": encode_waiting,
    "tags": list,
    "state": str,
}
DECODERS: dict[str, Callable[[Any], Any]] = {
    **dict.fromkeys(MOMENTS, from_utc_text),
    "remind": lambda texts: tuple(from_utc_text(text) for text in texts),
    "update_every": lambda seconds: timedelta(seconds=seconds),
    "waiting_on": decode_waiting,
    "tags": tuple,
    "state": decode_state,
}


STORED_FIELDS = (
    "uid",
    "customer",
    "contact",
    "prefers",
    "via",
    "promise",
    "owner",
    "created",
    "due",
    "state",
    "remind",
    "update_every",
    "waiting_on",
    "tags",
    "ref",
    "snoozed_until",
)


def event_to_document(event: Event) -> dict[str, Any]:
    """An event as stored: only the keys it uses."""
    document: dict[str, Any] = {
        "kind": str(event.kind),
        "at": to_utc_text(event.at),
        "by": event.by,
    }
    for key in ("text", "via", "told", "key", "uid", "void"):
        value = getattr(event, key)
        if value is not None:
            document[key] = value
    if event.changes:
        document["changes"] = dict(event.changes)
    return document


KINDS: dict[str, Kind] = {str(kind): kind for kind in Kind}
"""Each kind by its stored name: a lookup, where calling the enum is slow for a report
that reads tens of thousands of events."""


def event_from_document(document: Mapping[str, Any]) -> Event:
    """Read an event written by :func:`event_to_document`."""
    kind = document["kind"]
    fields = {
        "kind": KINDS[kind] if kind in KINDS else Kind(kind),
        "at": from_utc_text(document["at"]),
        "by": document["by"],
        "text": document.get("text"),
        "via": document.get("via"),
        "told": document.get("told"),
        "changes": document.get("changes", {}),
        "key": text_or_none(document.get("key"), "key"),
        "uid": text_or_none(document.get("uid"), "uid"),
        "void": text_or_none(document.get("void"), "void"),
    }
    return assembled(Event, fields)


Frozen = TypeVar("Frozen", Event, Loop)


def assembled(kind: type[Frozen], fields: dict[str, Any]) -> Frozen:
    """The named tuple ``kind`` holding ``fields``, which name every field it has.

    Made as a tuple in the order of its fields, without the call by keyword to its
    constructor: a command reads hundreds of loops and thousands of events.
    """
    return tuple.__new__(kind, map(fields.__getitem__, kind._fields))


def text_or_none(value: Any, name: str) -> str | None:
    """A stored text field, or ValueError naming it when a hand edit made it something else."""
    if value is not None and not isinstance(value, str):
        raise ValueError(
            _("an event's '{name}' holds {type}").format(name=name, type=type(value).__name__)
        )
    return value


def stored_form(loop: Loop) -> dict[str, Any]:
    """The loop's stored fields, each in its JSON form (encode_field, for every field
    at once: a list of hundreds of loops writes each of them)."""
    document = {}
    for name, encode in CODECS:
        value = getattr(loop, name)
        document[name] = value if value is None or encode is None else encode(value)
    return document


CODECS = tuple((name, ENCODERS.get(name)) for name in STORED_FIELDS)
"""Each stored field, and how it is encoded (None: as it is)."""


def to_document(loop: Loop) -> dict[str, Any]:
    """A loop as stored: its fields (JSON form) and its events."""
    document = stored_form(loop)
    document["events"] = [event_to_document(event) for event in loop.events]
    return document


# What each stored field must hold; a hand-edited file is checked against it.
TEXT, MAYBE_TEXT = (str,), (str, type(None))
FIELD_TYPES: dict[str, tuple[type, ...]] = {
    "uid": TEXT, "customer": TEXT, "promise": TEXT, "owner": TEXT, "created": TEXT,
    "due": TEXT, "state": TEXT, "contact": MAYBE_TEXT, "prefers": MAYBE_TEXT,
    "via": MAYBE_TEXT, "ref": MAYBE_TEXT, "remind": (list,), "update_every": (int, type(None)),
    "waiting_on": (dict, type(None)), "tags": (list,), "snoozed_until": MAYBE_TEXT,
}  # fmt: skip


def check_document(document: Mapping[str, Any]) -> None:
    """Raise ValueError naming the first stored field of the wrong type."""
    for name, types in FIELD_TYPES.items():
        value = document.get(name, [] if name in ("tags", "remind") else None)
        if not isinstance(value, types) or isinstance(value, bool):
            raise ValueError(
                _("field '{name}' holds {type}").format(name=name, type=type(value).__name__)
            )
    if not all(isinstance(tag, str) for tag in document.get("tags", ())):
        raise ValueError(_("field 'tags' holds something other than text"))
    if not isinstance(document.get("events", []), list):
        raise ValueError(_("field 'events' is not a list"))


def from_document(loop_id: int, document: Mapping[str, Any], *, read_before: bool = False) -> Loop:
    """Read a loop written by :func:`to_document`; ValueError if it is out of shape.

    ``read_before``: this very document was read whole before, so it is in shape (the
    index keeps the facts worked out from it): its fields are not checked again, and its
    history is read only when something looks at it (a list looks at none of it).
    """
    if not read_before:
        check_document(document)
    fields = {name: decode_field(name, document.get(name)) for name in STORED_FIELDS}
    stored = document.get("events", ())
    if read_before:
        fields["events"] = History(stored)
    else:
        fields["events"] = tuple(event_from_document(event) for event in stored)
    fields["id"] = loop_id
    return assembled(Loop, fields)


class History(Sequence[Event]):
    """A loop's events as stored, each read the first time the history is looked at.

    Equal to the tuple of the same events, as a loop's history always is elsewhere.
    """

    __slots__ = ("_events", "_stored")

    def __init__(self, stored: Sequence[Mapping[str, Any]]) -> None:
        self._stored = stored
        self._events: tuple[Event, ...] | None = None

    def read(self) -> tuple[Event, ...]:
        """The events, read from their stored form once."""
        if self._events is None:
            self._events = tuple(event_from_document(event) for event in self._stored)
        return self._events

    @overload
    def __getitem__(self, index: int) -> Event: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[Event, ...]: ...

    def __getitem__(self, index: int | slice) -> Event | tuple[Event, ...]:
        return self.read()[index]

    def __len__(self) -> int:
        return len(self._stored)

    def __iter__(self) -> Iterator[Event]:
        return iter(self.read())

    def __reversed__(self) -> Iterator[Event]:
        return iter(self.read()[::-1])

    def __eq__(self, other: object) -> bool:
        if isinstance(other, History):
            other = other.read()
        return isinstance(other, tuple) and self.read() == other

    __hash__ = None  # type: ignore[assignment]  # as a loop's events, which hold dicts

    def __repr__(self) -> str:
        return repr(self.read())


# --- the one way a loop changes -----------------------------------------------


def apply(loop: Loop | None, event: Event, loop_id: int = 0) -> Loop:
    """The loop after ``event``; raises InvalidTransition if its state forbids it."""
    if loop is not None and event.void is not None:  # kept in the history, changing nothing
        return loop._replace(events=(*loop.events, event))
    if event.kind is Kind.CREATED:
        if loop is not None:
            raise InvalidTransition(_("loop #{id} already exists").format(id=loop.id))
        fields = {name: decode_field(name, value) for name, value in event.changes.items()}
        fields.setdefault("created", event.at)
        return Loop(id=loop_id, state=State.OPEN, events=(event,), **fields)
    if loop is None:
        raise InvalidTransition(_("a {kind} event needs an existing loop").format(kind=event.kind))
    allowed = ALLOWED_FROM.get(event.kind)
    if allowed is not None and loop.state not in allowed:
        raise refusal(loop, event.kind)
    if event.kind is Kind.EDITED and not set(event.changes) <= EDITABLE:
        unknown = ", ".join(sorted(set(event.changes) - EDITABLE))
        raise BadInput(
            _("cannot edit {fields}").format(fields=unknown),
            hint=_("editable: {fields}").format(fields=", ".join(sorted(EDITABLE))),
        )
    changes = {name: decode_field(name, value) for name, value in event.changes.items()}
    if TARGET.get(event.kind, State.WAITING) is not State.WAITING:
        changes["waiting_on"] = None  # a wait ends when the loop leaves waiting
    return loop._replace(
        **changes,
        state=TARGET.get(event.kind, loop.state),
        events=(*loop.events, event),
    )


def replay(loop_id: int, events: Iterable[Event]) -> Loop:
    """Rebuild a loop from its history alone."""
    loop: Loop | None = None
    for event in events:
        loop = apply(loop, event, loop_id)
    if loop is None:
        raise BadInput(_("loop #{id} has no history to replay").format(id=loop_id))
    return loop


# Why each kind of event cannot happen to a loop in the wrong state: whole sentences,
# as each language words them its own way; looked up with _ where raised.
REFUSALS = {
    Kind.WAITING: N_("loop #{id} is {state}: it cannot be put on wait"),
    Kind.RESUMED: N_("loop #{id} is {state}: it cannot be resumed"),
    Kind.RESCHEDULED: N_("loop #{id} is {state}: it cannot be rescheduled"),
    Kind.HANDOFF: N_("loop #{id} is {state}: it cannot be handed off"),
    Kind.REASSIGNED: N_("loop #{id} is {state}: it cannot be reassigned"),
    Kind.DONE: N_("loop #{id} is {state}: it cannot be marked done"),
    Kind.CLOSED: N_("loop #{id} is {state}: it cannot be closed"),
    Kind.CANCELLED: N_("loop #{id} is {state}: it cannot be cancelled"),
    Kind.REOPENED: N_("loop #{id} is {state}: it cannot be reopened"),
    Kind.REMINDED: N_("loop #{id} is {state}: it cannot be reminded"),
    Kind.SNOOZED: N_("loop #{id} is {state}: it cannot be snoozed"),
}
ANY_REFUSAL = N_("loop #{id} is {state}: it cannot be {kind}")
"""A kind without a sentence of its own (none today) is named as stored."""


def refusal(loop: Loop, kind: Kind) -> InvalidTransition:
    """Why ``kind`` cannot happen to ``loop`` now, and what to do instead."""
    message = _(REFUSALS.get(kind, ANY_REFUSAL)).format(
        id=loop.id, state=state_words(loop.state), kind=kind
    )
    if loop.state in (State.CLOSED, State.CANCELLED):
        hint, verb = _("reopen it first"), "reopen"
    elif kind is Kind.REOPENED:
        return InvalidTransition(message, _("only done, closed or cancelled loops can be reopened"))
    elif kind is Kind.DONE and loop.state is State.DONE:
        hint, verb = _("tell the customer, then close it"), "close"
    else:
        hint, verb = _("see its history"), "show"
    return InvalidTransition(message, hint, next_step=NextStep(verb, loop.id))


# --- what a loop means now ----------------------------------------------------


def last_contact(loop: Loop) -> datetime:
    """When the customer last heard from us (the promise itself counts)."""
    for event in loop.events[::-1]:
        if event.kind in (Kind.CONTACT, Kind.CLOSED):
            return event.at
    return loop.created


def original_due(loop: Loop) -> datetime:
    """The due date first promised to the customer."""
    for event in loop.events:
        if event.kind is Kind.CREATED and "due" in event.changes:
            return from_utc_text(event.changes["due"])
    return loop.due


class Terms(NamedTuple):
    """What the customer was told about when they will hear from us."""

    expected_due: datetime
    """The due the customer was last told (the original one until told otherwise)."""
    agreed_due: datetime
    """The latest due the customer was told of before the one they held had passed."""
    untold_reschedule: bool
    """The due moved and the customer has not heard of it since."""


def terms(loop: Loop) -> Terms:
    """Walk the history for what the customer knows of the due date.

    A reschedule with ``told`` is news to the customer at once; one without
    is news only at the next contact with them. News that arrives after the
    due the customer held has passed does not renegotiate: the promise was
    already broken.
    """
    # Only the last step counts: its terms are made, not those of every step.
    last = deque(steps(loop), maxlen=1)
    if last:
        _state, expected, agreed, untold = last[0]
        return Terms(expected, agreed, untold_reschedule=untold)
    return Terms(original_due(loop), original_due(loop), untold_reschedule=False)


def stepwise(loop: Loop) -> Iterator[tuple[State | None, Terms]]:
    """The loop's state and the customer's terms after each event of its history, in order.

    What :func:`apply` and :func:`terms` give for each prefix of the history, without
    rebuilding the loop: a report's trend asks it of every loop for every day.
    """
    for state, expected, agreed, untold in steps(loop):
        yield state, Terms(expected, agreed, untold_reschedule=untold)


def steps(loop: Loop) -> Iterator[tuple[State | None, datetime, datetime, bool]]:
    """:func:`stepwise`'s steps as plain values: the state, the expected and the agreed
    due, and whether a move of the due is untold."""
    expected = agreed = original_due(loop)
    pending: datetime | None = None
    state: State | None = None
    for event in loop.events:
        if event.void is None:
            state = State.OPEN if event.kind is Kind.CREATED else TARGET.get(event.kind, state)
            news: datetime | None = None
            if event.kind is Kind.RESCHEDULED:
                new_due = from_utc_text(event.changes["due"])
                news, pending = (new_due, None) if event.told else (None, new_due)
            elif event.kind is Kind.CONTACT and pending is not None:
                news, pending = pending, None
            if news is not None:
                if event.at <= agreed:
                    agreed = news
                expected = news
        yield state, expected, agreed, pending is not None


def recorded_at(loop: Loop, kind: Kind) -> datetime | None:
    """When the last ``kind`` event happened; None when the history holds none."""
    return next((event.at for event in reversed(loop.events) if event.kind is kind), None)


def last_event_at(loop: Loop, kind: Kind) -> datetime:
    """When the last ``kind`` event happened.

    A hand-edited store may say closed or done without the event: then the
    loop's last moment stands in for it.
    """
    moment = recorded_at(loop, kind)
    if moment is not None:
        return moment
    return loop.events[-1].at if loop.events else loop.created


def done_at(loop: Loop) -> datetime:
    """When the work was last marked done (a reopen and a new done move it)."""
    return last_event_at(loop, Kind.DONE)


def closed_at(loop: Loop) -> datetime:
    """When the customer was told: the last closing event."""
    return last_event_at(loop, Kind.CLOSED)


def wait_until(loop: Loop) -> datetime | None:
    """When the party we wait on promised to answer, if they did."""
    return loop.waiting_on.until if loop.waiting_on else None


def update_cadence(loop: Loop | Facts, default: timedelta | None) -> timedelta | None:
    """How often the customer should hear from us: the loop's own cadence, else the team's."""
    return loop.update_every or default


def outcome(loop: Loop, agreed_due: datetime | None = None) -> Outcome | None:
    """Kept, renegotiated or late, for a closed loop; None otherwise.

    Kept: closed by the original due. Renegotiated: closed by a later due
    that the customer was told of before the due it replaced had passed.
    Late: anything else.
    """
    if loop.state is not State.CLOSED:
        return None
    told_at = closed_at(loop)
    if told_at <= original_due(loop):
        return Outcome.KEPT
    if told_at <= (agreed_due or terms(loop).agreed_due):
        return Outcome.RENEGOTIATED
    return Outcome.LATE


class Facts(NamedTuple):
    """What a loop's fields and history say that the clock does not change.

    The flags at any moment follow from these alone (:func:`flags_at`), so the index of
    the open loops keeps them (:func:`facts_to_json`): a status count or a list need not
    walk every history again. A tuple, not a dataclass: made at every start.
    """

    state: State
    last_contact: datetime
    expected_due: datetime
    agreed_due: datetime
    untold_reschedule: bool
    update_every: timedelta | None
    wait_until: datetime | None
    outcome: Outcome | None


def facts(loop: Loop) -> Facts:
    """Walk the loop's history once for what its flags at any moment need."""
    known = terms(loop)
    return Facts(
        state=loop.state,
        last_contact=last_contact(loop),
        expected_due=known.expected_due,
        agreed_due=known.agreed_due,
        untold_reschedule=known.untold_reschedule,
        update_every=loop.update_every,
        wait_until=wait_until(loop),
        outcome=outcome(loop, known.agreed_due),
    )


def flags_at(known: Facts, now: datetime, tz: tzinfo, cadence: timedelta | None = None) -> Flags:
    """The flags at ``now`` of a loop whose :func:`facts` are ``known``; ``tz`` decides
    what "today" is, ``cadence`` is the team's update cadence for loops without their own.
    """
    active = known.state in ACTIVE
    every = update_cadence(known, cadence)
    until = known.wait_until
    return Flags(
        # Late is measured against what the customer was told, not our own plans.
        overdue=active and now > known.expected_due,
        due_today=active and known.expected_due.astimezone(tz).date() == now.astimezone(tz).date(),
        untold=known.state is State.DONE,
        silent=active and every is not None and now - known.last_contact > every,
        outcome=known.outcome,
        last_contact=known.last_contact,
        expected_due=known.expected_due,
        untold_reschedule=active and known.untold_reschedule,
        stale_wait=known.state is State.WAITING and until is not None and now > until,
    )


def derive(loop: Loop, now: datetime, tz: tzinfo, cadence: timedelta | None = None) -> Flags:
    """The loop's flags at ``now``; ``tz`` decides what "today" is.

    ``cadence`` is the team's default update cadence, for loops without their own.
    """
    return flags_at(facts(loop), now, tz, cadence)


def facts_to_json(known: Facts) -> list[Any]:
    """The facts as the index keeps them: a list, moments as UTC text, spans in seconds."""
    every = known.update_every
    return [
        str(known.state),
        to_utc_text(known.last_contact),
        to_utc_text(known.expected_due),
        to_utc_text(known.agreed_due),
        known.untold_reschedule,
        None if every is None else every.total_seconds(),
        None if known.wait_until is None else to_utc_text(known.wait_until),
        None if known.outcome is None else str(known.outcome),
    ]


def facts_from_json(value: Any) -> Facts:
    """The facts from :func:`facts_to_json`'s list; ValueError or TypeError when it is
    not one (an index from another version, a hand edit)."""
    state, contacted, expected, agreed, untold, every, until, ended = value
    if not isinstance(untold, bool) or not (every is None or type(every) in (int, float)):
        raise TypeError("facts out of shape")
    return Facts(
        State(state),
        from_utc_text(contacted),
        from_utc_text(expected),
        from_utc_text(agreed),
        untold,
        None if every is None else timedelta(seconds=every),
        None if until is None else from_utc_text(until),
        None if ended is None else Outcome(ended),
    )


def urgency(loop: Loop, flags: Flags) -> tuple[int, datetime]:
    """Sort key: overdue first, then done-but-untold, then the soonest due; finished last.

    The due is the one a list shows: the customer's for a loop still open, else its own.
    """
    rank = 0 if flags.overdue else 1 if flags.untold else 2 if loop.state in ACTIVE else 3
    return rank, flags.expected_due if loop.state in ACTIVE else loop.due


def creation(
    *,
    uid: str,
    customer: str,
    promise: str,
    owner: str,
    due: datetime,
    at: datetime,
    by: str | None = None,
    contact: str | None = None,
    prefers: str | None = None,
    via: str | None = None,
    remind: Iterable[datetime] = (),
    update_every: timedelta | None = None,
    tags: Iterable[str] = (),
    ref: str | None = None,
) -> Event:
    """The event that starts a loop, recorded ``by`` an agent (default: the owner)."""
    for name, text in (("customer", customer), ("promise", promise), ("owner", owner)):
        require_words(name, text)
    check_tags(tags)
    if update_every is not None:
        check_cadence(update_every)
    check_ahead(due, at, _("the due"))
    for moment in remind:
        check_ahead(moment, at, _("a reminder"))
    values: dict[str, Any] = {
        "uid": uid,
        "customer": customer,
        "promise": promise,
        "owner": owner,
        "due": due,
        "contact": contact,
        "prefers": prefers,
        "via": via,
        "remind": tuple(remind),
        "update_every": update_every,
        "tags": tuple(dict.fromkeys(tags)),
        "ref": ref,
    }
    changes = {name: encode_field(name, value) for name, value in values.items()}
    return Event(kind=Kind.CREATED, at=at, by=by or owner, via=via, changes=changes)


# An update cadence is a promise to the customer: more often than every quarter of an
# hour is noise, less often than once a year is no cadence. A due or reminder more
# than ten years ahead is a typo of the year, not a promise.
SHORTEST_CADENCE, LONGEST_CADENCE = timedelta(minutes=15), timedelta(days=365)
FURTHEST_AHEAD = timedelta(days=3653)


def check_cadence(every: timedelta) -> timedelta:
    """An update cadence within the limits, or BadInput naming them."""
    if not SHORTEST_CADENCE <= every <= LONGEST_CADENCE:
        raise BadInput(
            _("the update cadence must be between 15 minutes and a year"),
            hint=_("for example 2d, two days"),
        )
    return every


def check_ahead(moment: datetime, now: datetime, what: str) -> datetime:
    """A moment at most ten years after ``now``, or BadInput naming the limit.

    ``what`` names the moment in the language in use ("the due", "'3000-01-01'").
    """
    if moment - now > FURTHEST_AHEAD:
        raise BadInput(
            _("{what} is more than 10 years away").format(what=what), hint=_("check the year")
        )
    return moment


# What a blank field is told, by the name its caller gives it: whole sentences, as
# Italian names each field with its own gender. Looked up with _ where raised.
BLANK_FIELDS = {
    "customer": (N_("the customer cannot be empty"), N_("give the customer in words")),
    "promise": (N_("the promise cannot be empty"), N_("give the promise in words")),
    "owner": (N_("the owner cannot be empty"), N_("give the owner in words")),
    "receiver": (N_("the receiver cannot be empty"), N_("give the receiver in words")),
    "party": (N_("the party cannot be empty"), N_("give the party in words")),
}


def require_words(name: str, text: str) -> None:
    """Refuse a field that must say something but is blank."""
    if not text.strip():
        blank, hint = BLANK_FIELDS.get(
            name, (N_("the {name} cannot be empty"), N_("give the {name} in words"))
        )
        raise BadInput(_(blank).format(name=name), hint=_(hint).format(name=name))


def check_tags(tags: Iterable[str]) -> None:
    """Refuse an empty tag: it could never be listed or removed by name."""
    if any(not tag.strip() for tag in tags):
        raise BadInput(_("a tag cannot be empty"), hint=_("give each tag a word, e.g. billing"))
