"""A history folded straight into the document the model would store: an import row's, or
a new loop's made from a row without one. The same document, byte for byte, or left to
the model, which then says what it makes of it."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any
from unittest.mock import patch
from zoneinfo import ZoneInfo

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loopcloser.core import importing
from loopcloser.core.documents import load
from loopcloser.core.model import derive, from_document
from loopcloser.core.rebuilt import rebuilt
from loopcloser.core.when import Calendar
from loopcloser.render.tables import loop_json
from tests.test_bench import generate
from tests.test_export_stream import edit

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
ROME = ZoneInfo("Europe/Rome")
CONTEXT = importing.Context(NOW, "anna", Calendar(tz=ROME), "crm.csv")
TABLES, _ = generate.documents(300, seed=5)
ROWS = [
    loop_json(loop, derive(loop, NOW, ROME), with_events=True)
    for loop in (load(int(key), document) for key, document in TABLES["loops"].items())
    if loop is not None
]
"""An export of a store of every state: each loop as ``export`` writes it."""


def replayed(row: dict[str, Any], *, straight: bool) -> bytes | str:
    """The document a row's history makes, as stored (or why it is refused), folded
    straight where it can be or replayed through the model alone."""
    try:
        if straight:
            loop, document = importing.replayed(row)
        else:
            with patch.object(importing, "rebuilt", return_value=None):
                loop, document = importing.replayed(row)
    except importing.Refused as refusal:
        return refusal.reason
    if loop is not None:
        assert from_document(0, document) == loop
    return orjson.dumps(document)


def test_every_exported_loop_is_folded_into_the_document_the_model_stores() -> None:
    assert {row["state"] for row in ROWS} >= {"open", "waiting", "done", "closed", "cancelled"}
    for row in ROWS:
        assert rebuilt(row) is not None, row["id"]
        assert replayed(row, straight=True) == replayed(row, straight=False), row["id"]


CLOSED = next(row for row in ROWS if row["state"] == "closed" and len(row["events"]) >= 4)
LEFT_TO_THE_MODEL = {
    "a null in an event": edit("events.1.text", None),
    "a moment with an offset": edit("events.1.at", "2026-11-06T09:00:00+01:00"),
    "no changes written as {}": edit("events.1.changes", {}),
    "a void event of no kind": edit("events.1", {"kind": "chat", "at": NOW.isoformat(),
                                                 "by": "anna", "void": "late"}),
    "a state set by a change": edit("events.0.changes.state", "closed"),
    "an edit of the owner": edit("events.1", {"kind": "edited", "at": CLOSED["created"],
                                              "by": "anna", "changes": {"owner": "li"}}),
    "a field edited alone": edit("customer", "Someone Else"),
    "a due written otherwise": edit("due", CLOSED["due"].replace("Z", "+00:00")),
    "tags that are none": edit("events.0.changes.tags", None),
    "a wait with more to say": edit("events.0.changes.waiting_on", {"party": "IT",
                                                                     "until": None, "x": 1}),
}  # fmt: skip


@pytest.mark.parametrize("change", LEFT_TO_THE_MODEL.values(), ids=list(LEFT_TO_THE_MODEL))
def test_a_row_out_of_the_stores_form_is_left_to_the_model(change: Any) -> None:
    row = copy.deepcopy(CLOSED)
    change(row)
    assert rebuilt(row) is None
    assert replayed(row, straight=True) == replayed(row, straight=False)


ODD_VALUES = st.sampled_from(
    [None, "", 0, -1, 10**15, 1.5, True, [], {}, [None], {"party": "IT", "until": None},
     "2026-11-25T09:00:00Z", "2026-11-25T09:00:00.5Z", "2026-02-30T09:00:00Z",
     "closed", "cancelled", "open", "created", "edited", "contact", "rescheduled", "late",
     "reopened", "waiting", "done", {"due": "2026-12-01T09:00:00Z"}, {"customer": "Li"}]
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(data=st.data())
def test_a_row_edited_anyhow_is_folded_as_the_model_replays_it_or_left_to_it(
    data: st.DataObject,
) -> None:
    row = copy.deepcopy(data.draw(st.sampled_from(ROWS)))
    for _ in range(data.draw(st.integers(1, 3))):
        target: Any = row
        path: list[Any] = []
        while isinstance(target, dict | list) and target and (not path or data.draw(st.booleans())):
            keys = sorted(target) if isinstance(target, dict) else range(len(target))
            path.append(data.draw(st.sampled_from(keys)))
            target = target[path[-1]]
        if len(path) < 2 and path[:1] != ["events"]:
            continue  # the row's own fields: those importing checks before the fold
        parent: Any = row
        for key in path[:-1]:
            parent = parent[key]
        if isinstance(parent, dict) and data.draw(st.booleans()):
            del parent[path[-1]]
        else:
            parent[path[-1]] = copy.deepcopy(data.draw(ODD_VALUES))
    if not isinstance(row.get("events"), list) or not row["events"]:
        return
    assert replayed(row, straight=True) == replayed(row, straight=False)


@pytest.mark.parametrize(
    "fields",
    [
        {"state": "closed", "tags": "vip;billing", "contact": "+39 02 555"},
        {"state": "cancelled"},
        {"state": "done", "ref": "CRM-1"},
        {"state": "waiting", "waiting_on": {"party": "IT", "until": "2026-12-01T09:00:00Z"}},
        {"state": "open", "remind": ["2026-11-26T09:00:00Z"], "update_every": 86400},
        {"prefers": "phone", "via": "email", "uid": "0F0E2B1C-3D4E-4F50-8A6B-7C8D9E0F1A2B"},
    ],
)
def test_a_new_loop_from_a_row_without_history_is_stored_as_the_model_makes_it(
    fields: dict[str, Any],
) -> None:
    row = {"customer": "Zoë", "promise": "call back", "due": "2026-11-30T16:00:00Z", **fields}

    def planned() -> tuple[list[bytes], list[Any]]:
        kept: list[importing.New] = []
        plan = importing.plan_stream(
            [importing.Row(importing.Where(item=1), row)], {}.get, CONTEXT,
            lambda _, new: kept.append(new),
        )  # fmt: skip
        assert plan.problems == []
        return [orjson.dumps(new.document) for new in kept], [new.loop for new in kept]

    straight = planned()
    with patch.object(importing, "folded", return_value=None):
        assert planned() == straight
    assert len(straight[0]) == 1
