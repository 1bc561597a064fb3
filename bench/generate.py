"""Build a realistic store of N loops for benchmarks.

Most loops are closed (a long-used store), a few hundred are still open,
waiting or done-but-untold, and each carries a history of several events.

Run: .venv/bin/python bench/generate.py 10000 /tmp/loops-10k.json
"""

from __future__ import annotations

import argparse
import random
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from loopcloser.model import Event, Kind, Loop, apply, creation, to_document
from loopcloser.store import Store

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
# fmt: off
CUSTOMERS = ["Maria Rossi", "ACME Logistics", "Jonas Berg", "Northwind Traders", "Li Wei",
             "Hotel Miramare", "Fatima El-Amin", "Oscar Pérez", "Greta Lind", "Kenji Sato"]
PROMISES = ["call back with Finance's decision", "send the corrected invoice",
            "confirm the replacement has shipped", "check the warranty with the supplier",
            "email the checklist of missing documents", "report back on the outage credit"]
# fmt: on
CHANNELS = ["phone", "email", "chat"]
ACTIVE_LOOPS = 300


def sample_loop(number: int, active: bool, rng: random.Random) -> Loop:
    """One loop with a plausible history; active ones are still ours to close."""
    made = NOW - timedelta(days=rng.uniform(1, 700) if not active else rng.uniform(0, 6))
    due = made + timedelta(days=rng.uniform(0.5, 7))
    customer = f"{rng.choice(CUSTOMERS)} {number}"
    loop = apply(
        None,
        creation(
            uid=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            customer=customer,
            promise=rng.choice(PROMISES),
            owner=rng.choice(["anna", "luca", "sara"]),
            due=due,
            at=made,
            contact=f"customer{number}@example.com",
            prefers=rng.choice(CHANNELS),
            via=rng.choice(CHANNELS),
            update_every=timedelta(days=2) if rng.random() < 0.3 else None,
            tags=[rng.choice(["billing", "delivery", "outage", "warranty"])],
            ref=f"CRM-{number}",
        ),
    )
    at = made
    for _ in range(rng.randint(1, 3)):
        at += timedelta(hours=rng.uniform(1, 20))
        kind = rng.choice([Kind.NOTE, Kind.CONTACT])
        loop = apply(loop, Event(kind, at, loop.owner, text="spoke to the warehouse", via="phone"))
    final = rng.choice([None, Kind.DONE, Kind.WAITING]) if active else Kind.CLOSED
    if final is Kind.WAITING:
        waiting = {"waiting_on": {"party": "Finance", "until": None}}
        loop = apply(loop, Event(final, at + timedelta(hours=1), loop.owner, changes=waiting))
    elif final is not None:
        loop = apply(loop, Event(final, at + timedelta(hours=1), loop.owner, via="phone"))
    return loop


def generate(count: int, path: Path, seed: int = 7) -> None:
    """Write a store of ``count`` loops to ``path`` in one transaction."""
    rng = random.Random(seed)
    active = set(rng.sample(range(count), min(ACTIVE_LOOPS, count)))
    documents = [to_document(sample_loop(n, n in active, rng)) for n in range(count)]
    with Store(path).transaction() as transaction:
        transaction.insert_many(documents)


def main() -> None:
    """Parse the arguments and build the store."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("count", type=int)
    parser.add_argument("path", type=Path)
    arguments = parser.parse_args()
    if arguments.path.exists():
        parser.error(f"{arguments.path} exists; give a new file")
    generate(arguments.count, arguments.path)


if __name__ == "__main__":
    main()
