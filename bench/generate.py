"""Realistic stores for the benchmarks: the file a long-used loopcloser leaves behind.

A store of N loops spans about two years of an agent's work: most loops closed
(kept, renegotiated or late), some cancelled, a few hundred still open (some
overdue, some waiting, some done but not yet told), each with a history of
several events. The JSON is written directly, from a fixed seed, so the same
arguments always give the same file, and fast (100,000 loops in a few seconds).

Run: .venv/bin/python bench/generate.py 10000 /tmp/loops-10k.json
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import shutil
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

NOW = 1_795_597_200
"""2026-11-25T09:00:00Z, a Wednesday morning: LOOPCLOSER_NOW of every timed run."""
NOW_TEXT = "2026-11-25T09:00:00Z"
SPAN_DAYS = 730
OPEN_LOOPS = 300
HOUR, DAY = 3600, 86400

# fmt: off
FIRST = ["Maria", "Jonas", "Li", "Fatima", "Oscar", "Greta", "Kenji", "Amara", "Luca", "Sofia",
         "Ahmed", "Elena", "Tomasz", "Chloe", "Ravi", "Ingrid", "Diego", "Hana", "Pieter", "Nora"]
LAST = ["Rossi", "Berg", "Wei", "El-Amin", "Pérez", "Lind", "Sato", "Okafor", "Bianchi", "Novak",
        "Haddad", "Petrova", "Kowalski", "Martin", "Iyer", "Dahl", "García", "Tanaka", "de Vries"]
COMPANIES = ["ACME Logistics", "Northwind Traders", "Hotel Miramare", "Blue Fern Dental",
             "Contoso Retail", "Studio Aalto", "Vireo Energy", "Castello Wines", "Polar Freight"]
PROMISES = ["call back with Finance's decision on the refund",
            "send the corrected invoice for October", "confirm the replacement has shipped",
            "check the warranty with the supplier and call back",
            "email the checklist of missing documents", "report back on the outage credit",
            "find out why the direct debit failed twice", "book the engineer visit and confirm",
            "chase the courier about the lost parcel", "get the manager's answer on the discount"]
NOTES = ["Finance needs the original receipt", "warehouse says it leaves tomorrow",
         "supplier asks for the serial number", "escalated to the team lead",
         "the courier opened an investigation", "manager approved, waiting for the credit note"]
CONTACTS = ["told her we are still on it", "left a voicemail, will try again tomorrow",
            "customer called asking for news", "emailed the tracking number",
            "explained the delay, customer is fine with it", "asked the customer for a photo"]
CLOSINGS = ["called: refund on its way", "emailed the corrected invoice",
            "told him the parcel arrives Friday", "confirmed the visit for Tuesday morning",
            "explained the credit on the next bill", "sent the answer and the reference number"]
CANCELLINGS = ["customer withdrew the request", "duplicate of another loop",
               "customer sorted it out in the shop", "merged into the complaint ticket"]
TAGS = ["billing", "delivery", "outage", "warranty", "refund", "vip"]
PARTIES = ["Finance", "warehouse", "a manager", "the supplier", "IT", "the courier"]
CHANNELS = ["phone", "phone", "email", "email", "chat", "social"]
AGENTS = ["anna", "luca", "sara", "marco", "giulia", "omar", "ines", "pavel", "yuki", "amir",
          "elsa", "tariq", "noemi", "bruno", "carla", "dario", "fiona", "hugo", "irene", "jonah"]
# fmt: on
DUE_AFTER = [4 * HOUR, DAY, DAY, 2 * DAY, 2 * DAY, 3 * DAY, 5 * DAY, 7 * DAY, 14 * DAY]


def stamp(seconds: int) -> str:
    """A moment as loopcloser stores it: ISO-8601 UTC with a Z, whole seconds."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def open_count(count: int) -> int:
    """How many of ``count`` loops are still ours to close: a few hundred, whatever the size."""
    return min(OPEN_LOOPS, count * 3 // 10)


@dataclass
class Summary:
    """What a generated store holds, for the runner to pick ids from and to report."""

    loops: int
    states: dict[str, int] = field(default_factory=dict)
    open_ids: list[int] = field(default_factory=list)
    closed_ids: list[int] = field(default_factory=list)
    seconds: float = 0.0
    from_cache: bool = False


class Writer:
    """Builds one loop's document and its events, keeping the stored fields in step.

    The stored fields must be what replaying the events gives (the model's rule);
    tests/test_bench.py replays every loop of a generated store to check it.
    Moments are whole seconds until the document is written out.
    """

    def __init__(self, rng: random.Random, owner: str, customers: list[tuple[str, str]]) -> None:
        self.rng = rng
        self.owner = owner
        self.customers = customers

    def working_moment(self, earliest: int, latest: int) -> int:
        """A moment in office hours on a working day between the two (about)."""
        moment = self.rng.randint(earliest, max(earliest, latest))
        day = moment - moment % DAY
        weekday = time.gmtime(day).tm_wday
        if weekday >= 5:  # a weekend: the Friday before
            day -= (weekday - 4) * DAY
        return day + 7 * HOUR + self.rng.randint(0, 9 * HOUR + 1800)

    def loop(self, number: int, created: int, due: int, active: bool) -> dict[str, Any]:
        """One loop: finished (closed or cancelled) unless ``active``."""
        rng = self.rng
        customer, contact = self.customers[rng.randrange(len(self.customers))]
        tags = [rng.choice(TAGS)] if rng.random() < 0.85 else []
        if rng.random() < 0.2:
            tags = list(dict.fromkeys([*tags, rng.choice(TAGS)]))
        fields: dict[str, Any] = {
            "uid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "customer": customer,
            "promise": rng.choice(PROMISES),
            "owner": self.owner,
            "due": due,
            "contact": contact,
            "prefers": rng.choice(CHANNELS) if rng.random() < 0.4 else None,
            "via": rng.choice(CHANNELS),
            "remind": [due - 2 * HOUR] if active and rng.random() < 0.2 else [],
            "update_every": 2 * DAY if rng.random() < 0.3 else None,
            "tags": tags,
            "ref": f"CRM-{200000 + number}" if rng.random() < 0.7 else None,
        }
        events: list[dict[str, Any]] = [
            {"kind": "created", "at": created, "via": fields["via"], "changes": fields}
        ]
        state: dict[str, Any] = {"due": due, "first_due": due, "told_due": due}
        state.update(waiting_on=None, state="open")
        at = self.history(events, created, state, active)
        if not active:
            at = self.finish(events, at, state)
        # Every event happened before now: slide a too-recent history back as a whole.
        latest = NOW - (rng.randint(1, 48) * HOUR if active else rng.randint(14, 200) * HOUR)
        shift = max(0, at - latest)
        stored = {
            **{name: fields[name] for name in ("uid", "customer", "contact", "prefers", "via")},
            "promise": fields["promise"],
            "owner": self.owner,
            "created": stamp(created - shift),
            "due": stamp(state["due"] - shift),
            "state": state["state"],
            "remind": [stamp(moment - shift) for moment in fields["remind"]],
            "update_every": fields["update_every"],
            "waiting_on": written(state["waiting_on"], shift),
            "tags": tags,
            "ref": fields["ref"],
            "snoozed_until": None,
        }
        return {**stored, "events": [self.written(event, shift) for event in events]}

    def written(self, event: dict[str, Any], shift: int) -> dict[str, Any]:
        """An event as stored, its moments moved back by ``shift`` seconds."""
        document = {"kind": event["kind"], "at": stamp(event["at"] - shift), "by": self.owner}
        for key in ("text", "via", "told"):
            if key in event:
                document[key] = event[key]
        changes = event.get("changes")
        if changes is not None:
            document["changes"] = {
                name: written(value, shift) if name == "waiting_on"
                else stamp(value - shift) if name == "due"
                else [stamp(moment - shift) for moment in value] if name == "remind"
                else value
                for name, value in changes.items()
            }  # fmt: skip
        return document

    def history(
        self, events: list[dict[str, Any]], at: int, state: dict[str, Any], active: bool
    ) -> int:
        """Notes, contacts, a wait, a reschedule: what happens while a loop is worked on."""
        rng = self.rng
        steps = rng.choice([0, 1, 1, 2, 2, 3, 4])
        waits = rng.random() < (0.35 if active else 0.15)
        reschedules = rng.random() < 0.2
        total = steps + waits + reschedules
        for step in range(total):
            # Work spreads over the time until the due (until now for a loop still open);
            # now and then a long silence, the way loops go late.
            until = NOW - HOUR if active else state["told_due"]
            if rng.random() < 0.08 and not active:
                at += rng.randint(HOUR, 3 * DAY)
            else:
                at += rng.randint(600, max(1200, (until - at) // (total - step + 1)))
            if waits and step == 0:
                until = at + rng.choice([DAY, 2 * DAY, 3 * DAY]) if rng.random() < 0.7 else None
                waiting = {"party": rng.choice(PARTIES), "until": until}
                events.append({"kind": "waiting", "at": at, "changes": {"waiting_on": waiting}})
                state.update(state="waiting", waiting_on=waiting)
                if not active or rng.random() < 0.4:
                    at += rng.randint(2 * HOUR, 2 * DAY)
                    events.append({"kind": "resumed", "at": at})
                    state.update(state="open", waiting_on=None)
            elif reschedules and step == steps + waits:
                state["due"] += rng.choice([DAY, 2 * DAY, 3 * DAY, 7 * DAY])
                told = rng.random() < 0.65
                event = {"kind": "rescheduled", "at": at, "told": told,
                         "changes": {"due": state["due"]}}  # fmt: skip
                if told:
                    event["via"] = rng.choice(CHANNELS)
                    state["told_due"] = state["due"]
                events.append(event)
            elif rng.random() < 0.5:
                events.append({"kind": "note", "at": at, "text": rng.choice(NOTES)})
            else:
                events.append({"kind": "contact", "at": at, "text": rng.choice(CONTACTS),
                               "via": rng.choice(CHANNELS)})  # fmt: skip
        if active and state["state"] == "open" and rng.random() < 0.2:
            at += rng.randint(HOUR, DAY)
            events.append({"kind": "done", "at": at, "text": rng.choice(NOTES)})
            state["state"] = "done"
        return at

    def finish(self, events: list[dict[str, Any]], at: int, state: dict[str, Any]) -> int:
        """Close the loop (by the due the customer expects most times, late some), or cancel it."""
        rng = self.rng
        state["waiting_on"] = None
        if rng.random() < 0.06:
            at += rng.randint(HOUR, 3 * DAY)
            events.append({"kind": "cancelled", "at": at, "text": rng.choice(CANCELLINGS)})
            state["state"] = "cancelled"
            return at
        expected = state["told_due"]
        if rng.random() < 0.85 and expected > at + 1800:
            # A due moved with the customer's say-so: closed after the first one had passed.
            moved = expected != state["first_due"] and rng.random() < 0.8
            closing = rng.randint(max(at, state["first_due"] * moved) + 1800, expected)
        else:
            closing = max(at, expected) + rng.randint(HOUR, 5 * DAY)
        if rng.random() < 0.65:
            done = rng.randint(at + 600, max(at + 600, closing - 600))
            events.append({"kind": "done", "at": done, "text": rng.choice(NOTES)})
            closing = max(closing, done + 600)
        events.append({"kind": "closed", "at": closing, "text": rng.choice(CLOSINGS),
                       "via": rng.choice(CHANNELS)})  # fmt: skip
        state["state"] = "closed"
        return closing


def written(waiting: dict[str, Any] | None, shift: int) -> dict[str, Any] | None:
    """A wait as stored: the party, and its internal due (if any) moved back by ``shift``."""
    if waiting is None:
        return None
    until = waiting["until"]
    return {"party": waiting["party"], "until": None if until is None else stamp(until - shift)}


def documents(count: int, seed: int = 7, owner: str = "anna") -> tuple[dict[str, Any], Summary]:
    """The store's tables (meta first) for ``count`` loops, and what they hold."""
    started = time.perf_counter()
    rng = random.Random(f"{seed}:{count}:{owner}")
    people = max(20, count // 4)  # a customer comes back now and then
    customers = []
    for number in range(people):
        if number % 5 == 0:
            name = f"{rng.choice(COMPANIES)} {number // 5 + 1}"
            contact = f"support{number}@example.com"
        else:
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            contact = f"+39 02 555 {number:05d}" if number % 3 else f"c{number}@example.com"
        customers.append((name, contact))
    writer = Writer(rng, owner, customers)
    active = open_count(count)
    moments = []
    for _ in range(count - active):
        created = writer.working_moment(NOW - SPAN_DAYS * DAY, NOW - 2 * DAY)
        moments.append((created, created + rng.choice(DUE_AFTER), False))
    for _ in range(active):
        # Most open promises fall due in the days ahead; some have slipped past their due,
        # a few long ago (forgotten).
        chance = rng.random()
        if chance < 0.7:
            due = NOW + rng.randint(HOUR, 10 * DAY)
        elif chance < 0.95:
            due = NOW - rng.randint(HOUR, 5 * DAY)
        else:
            due = NOW - rng.randint(20 * DAY, 120 * DAY)
        created = min(due - rng.choice(DUE_AFTER), NOW - rng.randint(HOUR, 6 * HOUR))
        moments.append((created, due, True))
    moments.sort()  # ids follow the order loops were added in
    loops: dict[str, Any] = {}
    summary = Summary(count)
    for number, (created, due, is_active) in enumerate(moments, start=1):
        document = writer.loop(number, created, due, is_active)
        loops[str(number)] = document
        summary.states[document["state"]] = summary.states.get(document["state"], 0) + 1
        if document["state"] == "open":
            summary.open_ids.append(number)
        elif document["state"] == "closed":
            summary.closed_ids.append(number)
    newest = sorted(loops, key=int)[-50:]
    # Daily use leaves the journal ``undo`` reads: the newest changes, here the last adds.
    journal = {
        str(entry): {
            "at": loops[key]["created"],
            "by": owner,
            "what": f"added #{key}",
            "before": {key: None},
        }
        for entry, key in enumerate(newest, start=1)
    }
    meta = {"schema_version": 1, "next_id": count + 1, "generation": f"{rng.getrandbits(128):032x}"}
    summary.seconds = time.perf_counter() - started
    return {"meta": {"1": meta}, "loops": loops, "journal": journal}, summary


def generate(count: int, path: Path, seed: int = 7, owner: str = "anna") -> Summary:
    """Write a store of ``count`` loops to ``path`` (replacing it atomically)."""
    import orjson

    tables, summary = documents(count, seed, owner)
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(orjson.dumps(tables))
    os.replace(temp, path)
    return summary


def fingerprint() -> str:
    """Changes whenever this generator does, so a cached store is never out of date."""
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12]


def cached(cache: Path, count: int, seed: int = 7, owner: str = "anna") -> tuple[Path, Summary]:
    """The store for these arguments from the cache, generated on the first call."""
    import json

    folder = cache / fingerprint()
    if not folder.exists():
        # Stores from an older generator would never be read again: make room.
        for old in cache.glob("?" * len(folder.name)):
            if old.is_dir() and all(char in "0123456789abcdef" for char in old.name):
                shutil.rmtree(old)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{owner}-{count}-{seed}.json"
    about = path.with_suffix(".summary.json")
    if path.exists() and about.exists():
        return path, Summary(
            **{**json.loads(about.read_text(encoding="utf-8")), "from_cache": True}
        )
    summary = generate(count, path, seed, owner)
    about.write_text(json.dumps(summary.__dict__), encoding="utf-8")
    return path, summary


def default_cache() -> Path:
    """LOOPCLOSER_BENCH_CACHE, else a folder in the system's temporary directory."""
    import tempfile

    chosen = os.environ.get("LOOPCLOSER_BENCH_CACHE")
    return Path(chosen) if chosen else Path(tempfile.gettempdir()) / "loopcloser-bench-cache"


def main() -> None:
    """Parse the arguments and build the store."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("count", type=int)
    parser.add_argument("path", type=Path)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--owner", default="anna")
    arguments = parser.parse_args()
    if arguments.path.exists():
        parser.error(f"{arguments.path} exists; give a new file")
    summary = generate(arguments.count, arguments.path, arguments.seed, arguments.owner)
    print(f"{summary.loops} loops in {summary.seconds:.1f} s: {summary.states}")


if __name__ == "__main__":
    main()
