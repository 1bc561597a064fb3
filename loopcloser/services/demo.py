"""A realistic sample store: a week of an agent's promises, in every state."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from loopcloser.core.model import Event, Flags, Kind, Loop, creation
from loopcloser.core.when import parse_when
from loopcloser.services import loops as actions

if TYPE_CHECKING:
    from loopcloser.services.context import Context

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


@dataclass(frozen=True)
class Sample:
    """One sample promise: ``made`` is an offset from now; ``due`` is what the agent
    typed, or an offset where the outcome depends on the exact moment."""

    customer: str
    contact: str
    prefers: str
    via: str
    promise: str
    made: timedelta
    due: str | timedelta
    tags: tuple[str, ...] = ()
    ref: str | None = None
    every: timedelta | None = None


# fmt: off
PROMISES = [
    Sample("Maria Rossi", "+39 055 123 4567", "phone", "phone",
           "call back with Finance's decision on the double charge", -3 * DAY, "yesterday 12:00",
           ("billing",), "CRM-20418"),
    Sample("ACME Logistics", "ap@acme-logistics.example", "email", "email",
           "send the corrected invoice for October", -2 * DAY, "tomorrow", ("billing",),
           "INV-7731"),
    Sample("Jonas Berg", "jonas.berg@example.com", "chat", "chat",
           "confirm the replacement router has shipped", -5 * HOUR, "eod", ("hardware",)),
    Sample("Northwind Traders", "ops@northwind.example", "email", "phone",
           "get the outage credit approved and report back", -4 * DAY, "3bd", ("outage", "vip"),
           "INC-5530", every=2 * DAY),
    Sample("Li Wei", "+44 20 7946 0991", "phone", "phone",
           "check the warranty status with the supplier", -1 * DAY, "2bd", ("warranty",)),
    Sample("Hotel Miramare", "booking@miramare.example", "email", "email",
           "richiamare con la conferma della prenotazione di gruppo", -2 * HOUR, "domani 12:00",
           ("groups",)),
    Sample("Fatima El-Amin", "fatima@example.org", "email", "chat",
           "email the checklist of missing documents", -3 * DAY, -1 * DAY, ("onboarding",)),
    Sample("Oscar Pérez", "+34 91 555 0100", "phone", "phone",
           "call back about the new delivery date", -6 * DAY, -3 * DAY, ("delivery",)),
    Sample("Greta Lind", "greta@lind.example", "email", "email",
           "send a quote for the extended support plan", -5 * DAY, "fri", ("sales",)),
]
# fmt: on

# What happened next, by customer: (kind, when, text, via, changes in stored form).
HAPPENINGS: dict[str, list[tuple[Kind, timedelta, str | None, str | None, dict[str, object]]]] = {
    "Maria Rossi": [(Kind.NOTE, -2 * DAY, "Finance ticket FIN-332 opened", None, {})],
    "ACME Logistics": [
        (Kind.DONE, -3 * HOUR, "corrected invoice issued in billing system", None, {})
    ],
    "Northwind Traders": [
        (Kind.CONTACT, -4 * DAY + HOUR, "sent the case number and next steps", "email", {}),
        (Kind.NOTE, -1 * DAY, "credit request still with the account manager", None, {}),
    ],
    "Li Wei": [
        (
            Kind.WAITING,
            -20 * HOUR,
            "asked the supplier for the serial's warranty",
            None,
            {"waiting_on": {"party": "supplier", "until": None}},
        )
    ],
    "Fatima El-Amin": [
        (Kind.CLOSED, -30 * HOUR, "checklist sent; she confirmed receipt", "email", {})
    ],
    "Oscar Pérez": [
        (Kind.DONE, -2 * DAY, "warehouse confirmed Thursday delivery", None, {}),
        (Kind.CLOSED, -1 * DAY, "called him: delivery on Thursday", "phone", {}),
    ],
    "Greta Lind": [(Kind.CANCELLED, -2 * DAY, "customer chose another provider", None, {})],
}


def build(ctx: Context) -> list[tuple[Loop, Flags]]:
    """Fill the run's store with the sample promises, each through the real verbs.

    Returns today's view of it, most urgent first.
    """
    store, now, agent, calendar = ctx.store(), ctx.now, ctx.agent, ctx.calendar()
    for sample in PROMISES:
        due = sample.due
        created = creation(
            uid=str(uuid.uuid4()),
            customer=sample.customer,
            promise=sample.promise,
            owner=agent,
            due=now + due if isinstance(due, timedelta) else parse_when(due, now, calendar),
            at=now + sample.made,
            contact=sample.contact,
            prefers=sample.prefers,
            via=sample.via,
            update_every=sample.every,
            tags=sample.tags,
            ref=sample.ref,
        )
        loop = actions.add(store, created)
        for kind, offset, text, channel, changes in HAPPENINGS.get(sample.customer, []):
            event = Event(kind, now + offset, agent, text=text, via=channel, changes=changes)
            actions.change(store, loop.id, event)
    return actions.select(store, actions.Query(), now, ctx.tz)
