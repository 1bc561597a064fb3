"""Reading an import file and planning it: the pure rules, without a store or a clock."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loopcloser.core.errors import BadInput
from loopcloser.core.importing import (
    Context,
    Parsed,
    Plan,
    Problem,
    Where,
    choose_format,
    decode,
    parse,
    plan,
    row_key,
)
from loopcloser.core.model import Kind, Loop, State, check_document, to_document
from loopcloser.core.when import Calendar
from loopcloser.render.tables import loop_json
from tests.factories import made_loop, step

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
CONTEXT = Context(NOW, "anna", Calendar(tz=ZoneInfo("Europe/Rome")), "crm.csv")
HEADER = "customer,contact,promise,due,owner,tags,ref,state\n"


def csv_plan(text: str, stored: Mapping[str, tuple[int, Mapping[str, Any]]] | None = None) -> Plan:
    return plan(parse("csv", text, "crm.csv"), (stored or {}).get, CONTEXT)


def reasons(result: Plan | Parsed) -> list[tuple[str, str]]:
    return [(str(problem.where), problem.reason) for problem in result.problems]


def exported(loop: Loop) -> dict[str, Any]:
    """A loop as ``export`` writes it (flags left out: an import ignores them)."""
    return {**to_document(loop), "id": loop.id}


def in_store(*loops: Loop) -> dict[str, tuple[int, Mapping[str, Any]]]:
    return {loop.uid: (loop.id, to_document(loop)) for loop in loops}


# --- the file as a whole ------------------------------------------------------------


def test_a_byte_order_mark_from_excel_is_dropped() -> None:
    assert decode(b"\xef\xbb\xbfcustomer,promise,due\n", "crm.csv") == "customer,promise,due\n"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"customer\nJos\xe9\n", "crm.csv is not UTF-8 text: line 2 holds the byte 0xe9"),
        (b"\xff\xfec\x00u\x00", "crm.csv is UTF-16 text"),
        (b"PK\x03\x04\x14\x00", "crm.csv is a spreadsheet workbook or a zip archive, not text"),
        (b"cust\x00omer", "crm.csv holds NUL bytes: it is not a text file"),
        (b" \n\n", "crm.csv is empty"),
    ],
)
def test_a_file_that_is_not_utf8_text_is_refused_with_what_to_do(data: bytes, message: str) -> None:
    with pytest.raises(BadInput) as refused:
        decode(data, "crm.csv")
    assert refused.value.message == message
    assert refused.value.hint


@pytest.mark.parametrize(
    ("requested", "file", "text", "kind"),
    [
        (None, "loops.JSON", "whatever", "json"),
        (None, "loops.ndjson", "", "jsonl"),
        (None, "crm.csv", "[", "csv"),
        (None, "-", "  \n[{}]", "json"),
        (None, "-", '{"a": 1}\n', "jsonl"),
        (None, "-", "customer,promise,due", "csv"),
        (None, "backup.txt", "[]", "json"),
        (" CSV ", "loops.json", "[]", "csv"),
    ],
)
def test_the_format_comes_from_the_option_the_extension_or_the_first_character(
    requested: str | None, file: str, text: str, kind: str
) -> None:
    assert choose_format(requested, file, text) == kind


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(BadInput, match="cannot import 'xlsx'"):
        choose_format("xlsx", "crm.xlsx", "")


# --- CSV ---------------------------------------------------------------------------


def test_csv_header_is_forgiving_of_case_spacing_and_order() -> None:
    parsed = parse("csv", " Due ,CUSTOMER,  promise\n2026-11-30,Maria,call\n", "crm.csv")
    assert [dict(row.fields) for row in parsed.rows] == [
        {"due": "2026-11-30", "customer": "Maria", "promise": "call"}
    ]


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("customer,promise,due,Priority,notes", "crm.csv has unknown columns 'priority', 'notes'"),
        ("customer,promise,due,due", "crm.csv names the column 'due' twice"),
        ("customer,contact,promise", "crm.csv has no due column"),
        ("Maria Rossi,call back,friday", "crm.csv has unknown columns"),
    ],
)
def test_a_header_with_unknown_repeated_or_missing_columns_refuses_the_file(
    header: str, message: str
) -> None:
    with pytest.raises(BadInput) as refused:
        parse("csv", f"\n{header}\nx,y,z\n", "crm.csv")
    assert refused.value.message.startswith(message)
    assert "(line 2)" in refused.value.message
    assert "customer, promise and due are needed" in (refused.value.hint or "")


def test_csv_errors_name_the_physical_line_the_row_starts_on() -> None:
    text = (
        HEADER
        + 'Maria,,"call back\nabout the refund",2026-11-30,,,,\n'  # lines 2-3
        + "\n"  # line 4, blank
        + ",,,,,,,\n"  # line 5, an empty spreadsheet row
        + "Li Wei,,warranty,someday,,,,\r\n"  # line 6
        + 'ACME,,"quoted"x,2026-11-30,,,,\n'  # line 7
        + "Greta,,quote,2026-11-30,,,\n"  # line 8, a cell short
        + 'Jonas,,"never closed,2026-11-30,,,,\n'  # line 9 to the end
        + "Anna,,more,2026-11-30,,,,\n"
    )
    result = csv_plan(text)
    assert [loop.customer for loop in result.added] == ["Maria"]
    assert result.added[0].promise == "call back\nabout the refund"
    assert reasons(result) == [
        ("line 6", "due: cannot read 'someday' as a date (e.g. 2026-11-30 17:00, in your time "
                   "zone)"),
        ("line 7", 'a quoted cell goes on after its closing quote (write a quote inside as "")'),
        ("line 8", "has 7 cells; the header names 8"),
        ("line 9", "a quoted cell is never closed (it runs to the end of the file)"),
    ]  # fmt: skip


def test_cells_past_the_header_are_allowed_only_when_empty() -> None:
    text = "customer,promise,due\nMaria,call,2026-11-30,,\nLi,call,2026-11-30,,oops\n"
    assert reasons(parse("csv", text, "crm.csv")) == [("line 3", "has 5 cells; the header names 3")]


def test_semicolons_from_a_european_excel_and_its_sep_line_are_understood() -> None:
    semicolons = 'customer;promise;due;tags\nMaria;call;30/11/2026 17:00;"vip;billing"\n'
    with_sep = "sep=;\n" + semicolons
    for text, line in ((semicolons, 2), (with_sep, 3)):
        parsed = parse("csv", text, "crm.csv")
        assert [(row.where.line, row.fields["tags"]) for row in parsed.rows] == [
            (line, "vip;billing")
        ]


def test_a_huge_cell_is_read_and_the_csv_limit_is_put_back() -> None:
    import csv

    limit = csv.field_size_limit()
    promise = "x" * 1_000_000
    result = csv_plan(f"customer,promise,due\nMaria,{promise},2026-11-30\n")
    assert result.added[0].promise == promise
    assert csv.field_size_limit() == limit


def test_a_nul_character_in_a_cell_refuses_that_row_only() -> None:
    text = "x" * 5000 + "\n"  # no NUL near the start: the file is text
    result = csv_plan(
        f"customer,promise,due,ref\nMaria,call,2026-11-30,{text}Li,c\x00ll,2026-11-30,\n"
    )
    assert reasons(result) == [("line 3", "the promise holds a NUL character")]
    assert len(result.added) == 1


# --- JSON and JSON Lines --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message", "hint"),
    [
        ('{"customer": "Maria"}', "holds an object, not an array of loops", "put it in [ ]"),
        ("42", "holds a number, not an array of loops", "check the file"),
        ("[{]", "is not valid JSON (line 1, column 3", "--format json, jsonl or csv"),
        ('{"a": 1}\n{"a": 2}\n', "is not valid JSON (line 2, column 1: Extra data)", "jsonl"),
        ("[" * 100_000, "is nested too deeply to hold loops", "check the file"),
    ],
)
def test_json_that_is_not_an_array_of_loops_refuses_the_file(
    text: str, message: str, hint: str
) -> None:
    with pytest.raises(BadInput) as refused:
        parse("json", text, "loops.json")
    assert refused.value.message.startswith(f"loops.json {message}")
    assert hint in (refused.value.hint or "")


def test_json_items_that_are_not_objects_are_named_by_their_number_from_one() -> None:
    parsed = parse("json", '[{"a": 1}, 2, null]', "loops.json")
    assert reasons(parsed) == [
        ("item 2", "is a number, not a loop (a JSON object)"),
        ("item 3", "is null, not a loop (a JSON object)"),
    ]


def test_json_lines_errors_name_the_line_and_blank_lines_count() -> None:
    parsed = parse("jsonl", '{"a": 1}\n\n{"a": \n[1]\n{"b": 2}\n', "loops.jsonl")
    assert [row.where.line for row in parsed.rows] == [1, 5]
    assert reasons(parsed) == [
        ("line 3", "is not valid JSON (column 7: Expecting value)"),
        ("line 4", "is an array, not a loop (a JSON object)"),
    ]


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ('{\n  "customer": "Maria"\n}\n', "it is one JSON value over several lines"),
        ("[\n1\n]", "it is one JSON array: use --format json"),
        ("customer,promise\nMaria,call\n", "check the file"),
    ],
)
def test_a_file_with_no_json_line_at_all_is_not_json_lines(text: str, hint: str) -> None:
    with pytest.raises(BadInput) as refused:
        parse("jsonl", text, "loops.jsonl")
    assert refused.value.message.startswith("loops.jsonl is not JSON Lines: line 1")
    assert hint in (refused.value.hint or "")


# --- new loops from rows without history -----------------------------------------------


def test_a_csv_row_becomes_a_loop_through_the_model_and_says_it_was_imported() -> None:
    text = (
        HEADER
        + "Maria,maria@example.com,call back,30/11/2026 17:00,luca,vip; billing;,CRM-1,closed\n"
    )
    (loop,) = csv_plan(text).added
    assert (loop.customer, loop.contact, loop.owner, loop.tags, loop.ref, loop.state) == (
        "Maria", "maria@example.com", "luca", ("vip", "billing"), "CRM-1", State.CLOSED
    )  # fmt: skip
    assert loop.due == datetime(2026, 11, 30, 16, 0, tzinfo=UTC), "17:00 in Rome"
    assert [(event.kind, event.by, event.text) for event in loop.events] == [
        (Kind.CREATED, "anna", "imported from crm.csv"),
        (Kind.CLOSED, "anna", "imported from crm.csv"),
    ]


def test_empty_owner_and_state_mean_yours_and_open_and_empty_cells_mean_none() -> None:
    (loop,) = csv_plan(HEADER + "Maria,,call back,2026-11-30,,,,\n").added
    assert (loop.owner, loop.state, loop.contact, loop.ref, loop.tags) == (
        "anna", State.OPEN, None, None, ()
    )  # fmt: skip


def test_a_loop_imported_as_waiting_waits_on_an_unknown_party() -> None:
    (loop,) = csv_plan(HEADER + "Maria,,call back,2026-11-30,,,,Waiting\n").added
    assert loop.state is State.WAITING
    assert loop.waiting_on is not None and loop.waiting_on.party == "unknown"


def test_a_row_without_uid_is_known_by_customer_contact_and_promise() -> None:
    assert row_key("Maria  Rossi", "M@X.com", "Call back") == row_key(
        "maria rossi", "m@x.com", " call   back "
    )
    assert row_key("Maria", None, "call") == row_key("Maria", "", "call")
    assert row_key("Maria", None, "call") != row_key("Maria", None, "call again")
    (loop,) = csv_plan(HEADER + "Maria Rossi,M@X.com,Call back,2026-11-30,,,,\n").added
    assert loop.uid == row_key("Maria Rossi", "M@X.com", "Call back")


def test_the_same_loop_twice_in_one_file_is_refused_the_second_time() -> None:
    uid = "3c5e386b-56a3-4f9b-830a-d3bdf7c9ff0b"
    text = (
        "uid,customer,contact,promise,due\n"
        f"{uid},Maria,,call,2026-11-30\n"
        f"{uid.upper()},Maria,,call again,2026-11-30\n"
        ",Li Wei,li@x.com,warranty,2026-11-30\n"
        ",li wei,LI@X.COM,Warranty,2026-12-01\n"
        "abc,Greta,,not a uid,2026-11-30\n"
    )
    result = csv_plan(text)
    assert [loop.customer for loop in result.added] == ["Maria", "Li Wei"]
    assert reasons(result) == [
        ("line 3", "has the same uid as line 2"),
        ("line 5", "has the same customer, contact and promise as line 4; give each its own uid"),
        ("line 6", "uid 'abc' is not a UUID (leave it empty for a new loop)"),
    ]


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (",,call,2026-11-30,,,,", "the customer is empty"),
        ("Maria,,  ,2026-11-30,,,,", "the promise is empty"),
        ("Maria,,call,,,,,", "the due is empty"),
        ("Maria,,call,2026-11-30,,,,finished", "state 'finished' is not one of"),
        ("Maria,,call,3026-11-30,,,,", "due: '3026-11-30' is more than 100 years away"),
    ],
)
def test_a_bad_row_says_what_is_wrong(row: str, reason: str) -> None:
    result = csv_plan(HEADER + row + "\n")
    assert result.added == []
    ((where, said),) = reasons(result)
    assert where == "line 2" and said.startswith(reason)


def test_new_loops_are_numbered_in_the_order_of_the_ids_they_had() -> None:
    text = "id,customer,promise,due\n3,C,p,2026-11-30\n,D,p,2026-11-30\n1,A,p,2026-11-30\n"
    assert [loop.customer for loop in csv_plan(text).added] == ["A", "C", "D"]
    bad = csv_plan("id,customer,promise,due\nCRM-7,A,p,2026-11-30\n")
    assert reasons(bad)[0][1].startswith("id 'CRM-7' is not a loop number")


def test_a_json_row_without_history_is_read_like_a_csv_row_with_its_extras() -> None:
    row = {"id": 4, "customer": "Maria", "promise": "call", "due": "2026-11-30T16:00:00Z",
           "tags": ["vip"], "prefers": "Phone", "update_every": 86400, "overdue": False,
           "remind": ["2026-11-29T08:00:00Z"], "state": "waiting",
           "waiting_on": {"party": "Finance", "until": None}}  # fmt: skip
    (loop,) = plan(parse("json", json.dumps([row]), "x.json"), {}.get, CONTEXT).added
    assert (loop.prefers, loop.tags, loop.update_every and loop.update_every.days) == (
        "phone", ("vip",), 1
    )  # fmt: skip
    assert loop.waiting_on is not None and loop.waiting_on.party == "Finance"
    odd = {"customer": "M", "promise": "p", "due": "2026-11-30"}
    rows = [{**odd, "priority": 1}, {**odd, "tags": 5}]
    result = plan(parse("json", json.dumps(rows), "x.json"), {}.get, CONTEXT)
    assert reasons(result) == [
        ("item 1", "has unknown field priority"),
        ("item 2", "the tags are not a list of words, nor text separated by ;"),
    ]


# --- changes to loops in the store, from rows without history ------------------------


def maria() -> Loop:
    """Loop #7 in the store, due 30 Nov 17:00 in Rome."""
    return made_loop(7, datetime(2026, 11, 30, 16, tzinfo=UTC), datetime(2026, 11, 20, tzinfo=UTC))


def csv_row(loop: Loop, **changes: str) -> str:
    cells = {"uid": loop.uid, "customer": loop.customer, "contact": "", "promise": loop.promise,
             "due": "2026-11-30T16:00:00Z", "owner": loop.owner, "tags": "", "ref": "",
             "state": str(loop.state), **changes}  # fmt: skip
    return ",".join(cells) + "\n" + ",".join(cells.values()) + "\n"


def test_a_row_that_says_what_the_store_says_changes_nothing() -> None:
    loop = maria()
    result = csv_plan(csv_row(loop), in_store(loop))
    assert (result.added, result.updated, result.unchanged) == ([], [], 1)


def test_a_csv_change_is_recorded_as_the_events_an_agent_would_make() -> None:
    loop = maria()
    row = csv_row(loop, promise="call back today", due="2026-12-01T16:00:00Z", owner="luca",
                  tags="vip", state="done")  # fmt: skip
    ((loop_id, changed, before),) = csv_plan(row, in_store(loop)).updated
    assert (loop_id, before) == (7, to_document(loop))
    new_events = changed.events[len(loop.events) :]
    assert [(event.kind, dict(event.changes), event.told) for event in new_events] == [
        (Kind.EDITED, {"promise": "call back today", "tags": ["vip"]}, None),
        (Kind.RESCHEDULED, {"due": "2026-12-01T16:00:00Z"}, False),
        (Kind.HANDOFF, {"owner": "luca"}, None),
        (Kind.DONE, {}, None),
    ]
    assert all(event.text == "imported from crm.csv" for event in new_events)


@pytest.mark.parametrize(
    ("due", "expected"),
    [
        ("2026-12-08T19:59:02Z", datetime(2026, 12, 8, 19, 59, 2, tzinfo=UTC)),
        ("2026-12-08 20:59:02", datetime(2026, 12, 8, 19, 59, 2, tzinfo=UTC)),
        ("2026-12-08 20:59:02+00:00", datetime(2026, 12, 8, 20, 59, 2, tzinfo=UTC)),
        ("2026-10-25 02:30:00+02:00", datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),
        ("2026-10-25 02:30:00+01:00", datetime(2026, 10, 25, 1, 30, tzinfo=UTC)),
        ("2026-06-08 20:59:02", datetime(2026, 6, 8, 18, 59, 2, tzinfo=UTC)),
    ],
)
def test_a_due_in_utc_or_local_time_is_read_in_the_agents_zone_unless_it_has_an_offset(
    due: str, expected: datetime
) -> None:
    (loop,) = csv_plan(f"{HEADER}Zoë,,call back,{due},,,,\n").added
    assert loop.due == expected


def test_a_byte_order_mark_before_the_header_reads_the_same_loops() -> None:
    text = HEADER + "Niccolò,,call back,2026-12-08 20:59:02,,,,\n"
    with_mark = decode(b"\xef\xbb\xbf" + text.encode("utf-8"), "crm.csv")
    assert csv_plan(with_mark).added == csv_plan(text).added
    assert csv_plan(with_mark).added[0].customer == "Niccolò"


def test_a_due_that_agrees_to_the_second_is_not_a_reschedule() -> None:
    # A CSV due is written to the second; the stored one may carry a fraction.
    loop = made_loop(7, datetime(2026, 11, 30, 16, 0, 0, 750000, tzinfo=UTC), NOW)
    result = csv_plan(csv_row(loop, due="2026-11-30 17:00:00"), in_store(loop))
    assert (result.updated, result.unchanged) == ([], 1)
    moved = csv_plan(csv_row(loop, due="2026-11-30 17:00:01"), in_store(loop))
    ((_, changed, _),) = moved.updated
    assert changed.events[-1].kind is Kind.RESCHEDULED


def test_a_closed_loop_set_open_in_the_file_is_reopened_before_it_is_rescheduled() -> None:
    loop = step(maria(), Kind.CLOSED, NOW)
    row = csv_row(loop, due="2026-12-01T16:00:00Z", state="open")
    ((_, changed, _),) = csv_plan(row, in_store(loop)).updated
    assert [event.kind for event in changed.events[-2:]] == [Kind.REOPENED, Kind.RESCHEDULED]
    assert changed.state is State.OPEN


@pytest.mark.parametrize(
    ("state", "changes", "reason"),
    [
        (
            "closed",
            {"state": "done"},
            "loop #7 is closed: it cannot be marked done; reopen it first",
        ),
        ("closed", {"due": "2026-12-01T16:00:00Z"}, "loop #7 is closed: it cannot be rescheduled"),
        ("done", {"state": "waiting"}, "loop #7 is done: it cannot be put on wait"),
    ],
)
def test_a_change_the_model_refuses_is_a_row_error(
    state: str, changes: dict[str, str], reason: str
) -> None:
    kind = {"closed": Kind.CLOSED, "done": Kind.DONE}[state]
    loop = step(maria(), kind, NOW)
    result = csv_plan(csv_row(loop, **changes), in_store(loop))
    assert result.updated == []
    assert reasons(result)[0][1].startswith(reason)


def test_columns_left_out_leave_the_stored_fields_alone() -> None:
    loop = step(maria(), Kind.EDITED, NOW, changes={"ref": "CRM-1", "tags": ["vip"]})
    row = f"{loop.uid},{loop.customer},{loop.promise},2026-11-30T16:00:00Z"
    text = f"uid,customer,promise,due\n{row}\n"
    assert csv_plan(text, in_store(loop)).unchanged == 1


# --- rows with their history -------------------------------------------------------------


def json_plan(rows: list[dict[str, Any]], stored: Mapping[str, Any] | None = None) -> Plan:
    return plan(parse("json", json.dumps(rows), "loops.json"), (stored or {}).get, CONTEXT)


def test_a_loop_with_history_is_rebuilt_by_replaying_it() -> None:
    loop = step(step(maria(), Kind.NOTE, NOW, text="hi"), Kind.DONE, NOW)
    (added,) = json_plan([exported(loop)]).added
    assert added == loop._replace(id=0)


def test_the_flags_of_an_export_are_ignored() -> None:
    from loopcloser.core.model import derive

    loop = maria()
    row = {**loop_json(loop, derive(loop, NOW, UTC), with_events=True)}
    assert len(json_plan([row]).added) == 1


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        (lambda row: row["events"].append({"kind": "closed", "at": "2026-11-26T09:00:00Z",
                                           "by": "anna"}),
         "its history does not replay: event 3 (closed) is not allowed after it was cancelled"),
        (lambda row: row["events"].pop(0),
         "its history does not replay: event 1 (cancelled) is not allowed as the first event"),
        (lambda row: row["events"][0].pop("at"), "event 1 cannot be read: 'at' is missing"),
        (lambda row: row["events"][0].update(kind="exploded"),
         "event 1 cannot be read: 'exploded'"),
        (lambda row: row.update(state="open"),
         'its state disagrees with its history, which makes it "cancelled"'),
        (lambda row: row.update(events="none"), "its events are text, not an array"),
        (lambda row: row["events"][0]["changes"].update(customer=5),
         "its history makes a malformed loop: field 'customer' holds int"),
    ],
)  # fmt: skip
def test_a_history_that_does_not_replay_or_disagrees_is_refused(edit: Any, reason: str) -> None:
    row = exported(step(maria(), Kind.CANCELLED, NOW, text="withdrawn"))
    edit(row)
    result = json_plan([row])
    assert result.added == []
    assert reasons(result)[0][0] == "item 1"
    assert reasons(result)[0][1].startswith(reason)


def test_a_history_ahead_of_the_store_updates_it_and_one_behind_leaves_it() -> None:
    old = maria()
    new = step(old, Kind.NOTE, NOW, text="called")
    ahead = json_plan([exported(new)], in_store(old))
    assert [(loop_id, loop.events) for loop_id, loop, _ in ahead.updated] == [(7, new.events)]
    behind = json_plan([exported(old)], in_store(new))
    assert (behind.updated, behind.unchanged) == ([], 1)


def test_histories_that_went_separate_ways_are_left_alone_and_reported() -> None:
    old = maria()
    mine, theirs = step(old, Kind.NOTE, NOW, text="mine"), step(old, Kind.NOTE, NOW, text="theirs")
    result = json_plan([exported(mine)], in_store(theirs))
    assert reasons(result) == [
        ("item 1", "its history and that of loop #7 in the store differ from event 2 on "
                   "(see: loopcloser show 7); neither is newer, so it was left as it is"),
    ]  # fmt: skip


def test_problems_come_out_in_file_order_whatever_found_them() -> None:
    parsed = parse("jsonl", '{"customer": "M"}\nnot json\n{"customer": "L"}\n', "x.jsonl")
    assert [problem.where for problem in plan(parsed, {}.get, CONTEXT).problems] == [
        Where(line=1), Where(line=2), Where(line=3)
    ]  # fmt: skip
    assert isinstance(parsed.problems[0], Problem)


# --- never a crash -------------------------------------------------------------------------

EDGES = st.sampled_from([10**30, -(10**30), 0, -1, "", " ", "\x00", "9999-12-31T23:59:59Z"])
JSON_VALUES = st.recursive(
    EDGES | st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=6,
)


@settings(max_examples=200, deadline=None)
@given(kind=st.sampled_from(["json", "jsonl", "csv"]), text=st.text(max_size=300))
def test_no_text_makes_the_import_fail_other_than_by_refusing(kind: str, text: str) -> None:
    for candidate in (text, HEADER + text):
        try:
            parsed = parse(kind, candidate, "x")
        except BadInput:
            continue
        plan(parsed, {}.get, CONTEXT)


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_an_exported_loop_edited_anyhow_is_imported_whole_or_refused(data: st.DataObject) -> None:
    loop = step(step(maria(), Kind.NOTE, NOW, text="hi"), Kind.DONE, NOW)
    row = exported(loop)
    target: Any = row
    path: list[Any] = []
    while isinstance(target, (dict, list)) and target and (not path or data.draw(st.booleans())):
        key = data.draw(
            st.sampled_from(sorted(target) if isinstance(target, dict) else range(len(target)))
        )
        path.append(key)
        target = target[key]
    if path:
        parent: Any = row
        for key in path[:-1]:
            parent = parent[key]
        parent[path[-1]] = data.draw(JSON_VALUES)
    for rows in ([row], [{key: value for key, value in row.items() if key != "events"}]):
        for stored in ({}, in_store(maria())):
            result = json_plan(rows, stored)
            for new in [*result.added, *(changed for _, changed, _ in result.updated)]:
                check_document(to_document(new))
