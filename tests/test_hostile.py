"""Hostile input: whatever is typed, loopcloser answers or refuses in one line, never crashes.

Dates and intervals at any moment in any time zone and working calendar; ids; every
setting; customer and promise text with control characters, right-to-left marks, emoji,
shell metacharacters, lone surrogates and 100 kB: each is either stored and given back
exactly (show --json, export json and csv) or refused with exit 2 and a message; never a
traceback, never exit 1.

The normal suite runs a moderate number of examples (profile "stress-normal"); the slow
variants run many more ("stress-slow").
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from loopcloser.cli.arguments import looks_like_ids, parse_due, parse_every, parse_id
from loopcloser.cli.main import app
from loopcloser.core.errors import BadInput
from loopcloser.core.model import check_cadence
from loopcloser.core.settings import KEYS, Settings
from loopcloser.core.text import FORMULA_STARTS, cell_value
from loopcloser.core.when import HORIZON, Calendar, parse_duration, parse_when
from tests.conftest import NOW, Outcome
from tests.test_when import GRAMMARISH

settings.register_profile(
    "stress-normal",
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "stress-slow",
    max_examples=600,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
NORMAL = settings(settings.get_profile("stress-normal"))
MANY = settings(settings.get_profile("stress-slow"))


# --- strategies --------------------------------------------------------------

ZONES = st.sampled_from(
    ["UTC", "Europe/Rome", "America/St_Johns", "Asia/Kathmandu", "Pacific/Kiritimati",
     "Pacific/Pago_Pago", "Australia/Lord_Howe", "America/Santiago", "Africa/Casablanca"]
).map(ZoneInfo)  # fmt: skip
MOMENTS = st.datetimes(
    min_value=datetime(1900, 1, 2), max_value=datetime(8999, 12, 30), timezones=ZONES
)
CLOCKS = st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 59]))


@st.composite
def calendars(draw: st.DrawFn) -> Calendar:
    start, end = sorted(draw(st.lists(CLOCKS, min_size=2, max_size=2, unique=True)))
    days = draw(st.frozensets(st.integers(0, 6), min_size=1))
    return Calendar(draw(ZONES), draw(st.booleans()), start, end, days)


# Text as agents and scripts send it, and as an attacker would.
SPECIMENS = [
    "Maria Rossi",
    "$(touch pwned); `id` | rm -rf ~ && echo 'x' \"y\" > /tmp/z < /dev/null &",
    "\x1b[31mred\x1b[0m\x1b]0;title\x07 \x9b2J",
    "שלום עליכם, مرحبا بكم",
    "abc\u202edcba\u2066isolate\u2069 \u200f\u200e",
    "👩🏽‍💻🎉🇮🇹 \U0010ffff \ufeff",
    "line one\nline two\r\nthree\ttab",
    "%s %n {0} {loop.id} ${HOME} \\x00 \\n",
    'comma, "quoted", ;semicolon; =SUM(A1)',
    "-x --json --store /etc/passwd",
    "ud\udc80 lone",
    "\ud800",
    "   ",
    "",
    "x" * 100_000,
    "Ünïcödé " * 12_000,
]
CHARACTERS = st.characters(exclude_categories=[], exclude_characters="\x00")
SHORTER_TEXT = st.one_of(
    st.sampled_from([text for text in SPECIMENS if len(text) < 1000]),
    st.text(CHARACTERS, max_size=40),
)
TEXT = st.one_of(
    st.sampled_from(SPECIMENS),
    st.text(CHARACTERS, max_size=40),
    st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=200),
)


# --- a private setup for each example -----------------------------------------


@contextmanager
def desk() -> Iterator[Any]:
    """A fresh store, config and pinned clock, and a function running a command on them.

    Durability is not what these tests are about: fsync is skipped, or a busy disk
    would make each example wait.
    """
    with tempfile.TemporaryDirectory() as folder, pytest.MonkeyPatch.context() as patch:
        patch.setattr(os, "fsync", lambda fd: None)
        home = Path(folder)
        config = home / "config.toml"
        config.write_text('agent = "anna"\ntimezone = "Europe/Rome"\n', encoding="utf-8")
        env = {
            "LOOPCLOSER_STORE": str(home / "loops.json"),
            "LOOPCLOSER_CONFIG": str(config),
            "LOOPCLOSER_NOW": NOW,
            "LOOPCLOSER_TEAM": None,
            "LOOPCLOSER_DEBUG": None,
        }

        def run(*args: str, **extra: str) -> Outcome:
            result = CliRunner().invoke(app, list(args), env={**env, **extra})
            if result.exception and not isinstance(result.exception, SystemExit):
                raise result.exception
            outcome = Outcome(result.exit_code, result.stdout, result.stderr)
            assert outcome.code != 1, f"{args}: {outcome.err}"
            assert "Traceback" not in outcome.err, outcome.err
            return outcome

        run.home = home  # type: ignore[attr-defined]
        yield run


def refused(result: Outcome, *words: str) -> bool:
    """True if the command refused with exit 2 and one line (JSON under --json) saying ``words``.

    A line ends at "\\n", as a shell's read sees it (not at U+2028, as splitlines would).
    """
    if result.code != 2:
        return False
    (line,) = result.err.strip().split("\n")
    said = json.loads(line)["message"] if line.startswith("{") else line
    assert line.startswith(("{", "loopcloser: ")), line
    return all(word in said for word in words)


# --- dates and intervals ------------------------------------------------------


def any_due(text: str, now: datetime, cal: Calendar) -> None:
    try:
        due = parse_when(text, now, cal)
    except BadInput as error:
        assert error.message and error.hint
        return
    assert due.tzinfo is not None and due.utcoffset() == timedelta(0)
    assert abs(due - now) <= HORIZON


@NORMAL
@given(st.one_of(st.text(), GRAMMARISH), MOMENTS, calendars())
@example("in 100 years", datetime(8999, 12, 30, tzinfo=UTC), Calendar(UTC))
@example("31/12 23:59", datetime(8999, 12, 30, 23, tzinfo=ZoneInfo("Pacific/Kiritimati")),
         Calendar(ZoneInfo("Pacific/Kiritimati")))  # fmt: skip
@example("yesterday", datetime(1900, 1, 2, tzinfo=ZoneInfo("Pacific/Pago_Pago")),
         Calendar(ZoneInfo("Pacific/Pago_Pago")))  # fmt: skip
@example("eom", datetime(2026, 2, 28, 23, 59, tzinfo=UTC), Calendar(UTC, work_days=frozenset({6})))
def test_any_text_at_any_moment_in_any_calendar_is_a_due_or_bad_input(
    text: str, now: datetime, cal: Calendar
) -> None:
    any_due(text, now, cal)


@pytest.mark.slow
@MANY
@given(st.one_of(st.text(), GRAMMARISH), MOMENTS, calendars())
def test_many_texts_moments_and_calendars_are_a_due_or_bad_input(
    text: str, now: datetime, cal: Calendar
) -> None:
    any_due(text, now, cal)


def settings_for(cal: Calendar) -> Settings:
    values = {name: key.default() for name, key in KEYS.items()}
    values["timezone"] = str(cal.tz)
    values["date_order"] = "day-first" if cal.day_first else "month-first"
    return Settings(values)


@NORMAL
@given(st.one_of(st.text(), GRAMMARISH), MOMENTS.map(lambda moment: moment.astimezone(UTC)))
def test_a_due_the_commands_accept_is_never_in_the_past(text: str, now: datetime) -> None:
    try:
        due = parse_due(text, now, settings_for(Calendar(UTC)))
    except BadInput:
        return
    assert due >= now and due.tzinfo is not None


@NORMAL
@given(st.one_of(st.text(), GRAMMARISH, st.integers().map(str)))
@example("99999999999999d")
@example("9999999999999w")
@example("0m")
@example("2bd")
@example("-3d")
def test_any_interval_is_positive_or_bad_input(text: str) -> None:
    try:
        every = parse_every(text)
    except BadInput:
        return
    assert every is not None and every > timedelta(0)
    assert parse_duration(text) == every


@NORMAL
@given(st.one_of(SHORTER_TEXT, GRAMMARISH))
@example("36h")
@example("99999999w")
@example("9999999999999w")
def test_any_cadence_given_to_add_is_kept_or_bad_input(every: str) -> None:
    with desk() as run:
        added = run("add", "Maria", "call back", "--due", "tomorrow", "--every", every, "--json")
        try:
            expected = check_cadence(parse_duration(every))
        except BadInput:
            assert refused(added), added
            return
        assert added.code == 0, added.err
        assert added.json()["update_every"] == expected // timedelta(seconds=1)


# --- ids ----------------------------------------------------------------------


@NORMAL
@given(st.one_of(st.text(), st.integers().map(str), st.integers().map(lambda n: f"#{n}")))
@example("٣")
@example("²")
@example("#0")
@example("9" * 19)
@example("1e3")
@example(" #7 ")
def test_any_id_is_a_positive_number_or_bad_input(text: str) -> None:
    try:
        loop_id = parse_id(text)
    except BadInput as error:
        assert "is not a loop id" in error.message
        return
    assert 0 < loop_id < 10**18
    assert str(loop_id) in text


@NORMAL
@given(st.text(CHARACTERS, max_size=30))
def test_show_with_any_id_is_not_found_or_bad_input(text: str) -> None:
    with desk() as run:
        result = run("show", "--", text)
        assert result.code in (2, 3), result.err
        assert len(result.err.strip().split("\n")) == 1


# --- settings -----------------------------------------------------------------


def any_setting(name: str, text: str) -> None:
    """A value is refused, or stored in a form that reads back as itself."""
    check = KEYS[name].check
    try:
        stored = check(text)
    except BadInput as error:
        assert error.message and error.hint
        return
    assert check(stored) == stored, f"{name}: {text!r} is stored as {stored!r}, which changes"


@NORMAL
@given(st.sampled_from(sorted(KEYS)), st.one_of(SHORTER_TEXT, GRAMMARISH, st.sampled_from(
    ["America", "Europe", "a" * 300, "right/UTC", "../../etc/passwd", "mon-sun,sun-mon",
     "0:00", "24:00", "23.59", "99999", "0", "off", "'unclosed", "never"])))  # fmt: skip
@example("timezone", "America")
@example("timezone", "z" * 300)
def test_any_setting_is_refused_or_stored_as_itself(name: str, text: str) -> None:
    any_setting(name, text)


@pytest.mark.slow
@MANY
@given(st.sampled_from(sorted(KEYS)), st.one_of(SHORTER_TEXT, GRAMMARISH))
def test_many_settings_are_refused_or_stored_as_themselves(name: str, text: str) -> None:
    any_setting(name, text)


@pytest.mark.parametrize("zone", ["America", "Europe", "z" * 300])
def test_a_time_zone_that_names_a_folder_or_is_too_long_is_bad_input(zone: str) -> None:
    with desk() as run:
        assert refused(run("config", "set", "timezone", zone), "is not a time zone")
        assert run("list").code == 0, "the setting was not saved"


@NORMAL
@given(st.sampled_from(sorted(KEYS)), SHORTER_TEXT)
@example("team", "t" * 300)
def test_config_set_then_every_command_still_reads_the_config(name: str, text: str) -> None:
    with desk() as run:
        result = run("config", "set", "--", name, text)
        if result.code == 0:
            assert run("config", "get", name).code == 0
            assert run("list").code in (0, 5)  # 5: the team folder named does not exist
        else:
            assert refused(result)


# --- customer and promise text ------------------------------------------------


def round_trip(customer: str, promise: str) -> None:
    """Stored and given back exactly, or refused with exit 2 saying why."""
    with desk() as run:
        added = run("add", "--due", "tomorrow", "--json", "--", customer, promise)
        if any(0xD800 <= ord(char) <= 0xDFFF for char in customer + promise):
            assert refused(added, "not valid UTF-8 text"), added
            return
        if not customer.strip() or not promise.strip():
            assert refused(added, "cannot be empty"), added
            return
        assert added.code == 0, added.err
        assert (added.json()["customer"], added.json()["promise"]) == (customer, promise)
        shown = run("show", "1", "--json").json()
        assert (shown["customer"], shown["promise"]) == (customer, promise)
        (exported,) = json.loads(run("export", "--format", "json").out)
        assert (exported["customer"], exported["promise"]) == (customer, promise)
        sheet = run.home / "loops.csv"  # read as bytes: the runner's stdout folds \r\n
        assert run("export", "--format", "csv", "-o", str(sheet)).code == 0
        header, row = csv.reader(io.StringIO(sheet.read_bytes().decode("utf-8"), newline=""))
        fields = dict(zip(header, row, strict=True))
        # No cell a spreadsheet would run as a formula; read back, each is the text.
        assert not fields["customer"].startswith(FORMULA_STARTS)
        assert not fields["promise"].startswith(FORMULA_STARTS)
        assert (cell_value(fields["customer"]), cell_value(fields["promise"])) == (
            customer,
            promise,
        )
        for page in (run("show", "1"), run("list"), run("digest")):
            assert page.code == 0, page.err
            # Shown to a person, control characters are escaped, never obeyed.
            raw = [char for char in page.out if char != "\n" and unicodedata.category(char) == "Cc"]
            assert raw == [], f"control characters reach the terminal: {raw}"


@NORMAL
@given(TEXT, TEXT)
@example("$(touch pwned); `id`", "call back; rm -rf ~")
@example("\x1b[2J\x1b]0;pwned\x07", "\u202eevil")
@example("ud\udc80 lone", "call back")
@example("x" * 100_000, "ü" * 100_000)
@example("-x", "--json")
def test_any_customer_and_promise_round_trip_exactly_or_are_refused(
    customer: str, promise: str
) -> None:
    round_trip(customer, promise)


@pytest.mark.slow
@MANY
@given(TEXT, TEXT)
def test_many_customers_and_promises_round_trip_exactly(customer: str, promise: str) -> None:
    round_trip(customer, promise)


@NORMAL
@given(TEXT)
def test_any_note_tag_contact_and_ref_round_trip_exactly_or_are_refused(text: str) -> None:
    with desk() as run:
        assert run("add", "Maria", "call back", "--due", "tomorrow").code == 0
        fields = ["--contact", text, "--ref", text, "--tag", text]
        edited = run("edit", "1", *fields)
        noted = run("note", "1", "--", text)
        if looks_like_ids(text) and not any(0xD800 <= ord(char) <= 0xDFFF for char in text):
            # A note that reads as an id is never taken for one silently: --text says it.
            assert refused(noted)
            noted = run("note", "1", f"--text={text}")
        if any(0xD800 <= ord(char) <= 0xDFFF for char in text):
            assert refused(edited, "not valid UTF-8") and refused(noted, "not valid UTF-8")
            return
        if not text.strip():
            assert refused(edited) and refused(noted)
            return
        assert edited.code == 0 and noted.code == 0, edited.err + noted.err
        shown = run("show", "1", "--json").json()
        assert (shown["contact"], shown["ref"], shown["tags"]) == (text, text, [text])
        assert shown["events"][-1]["text"] == text


@NORMAL
@given(st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=60))
@example("2026-11-25T09:00:00Z; rm -rf ~")
@example("2026-11-25T09:00:00+99:00")
@example("\u2028")
def test_any_pinned_now_is_used_or_bad_input(now: str) -> None:
    with desk() as run:
        result = run("list", LOOPCLOSER_NOW=now)
        assert result.code == 0 or refused(result, "LOOPCLOSER_NOW"), result.err


# --- import -------------------------------------------------------------------

FILE_TEXT = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=300).map(str.encode),
    st.lists(st.lists(SHORTER_TEXT, max_size=6), max_size=5).map(
        lambda rows: "\n".join(",".join(row) for row in [["customer", "promise", "due"], *rows])
    ).map(lambda text: text.encode("utf-8", "surrogatepass")),  # lone surrogates: bad UTF-8
    st.lists(
        st.dictionaries(
            st.sampled_from(["customer", "promise", "due", "state", "uid", "id", "events",
                             "tags", "owner", "remind", "update_every", "waiting_on"]),
            st.one_of(SHORTER_TEXT, st.integers(), st.none(), st.lists(SHORTER_TEXT, max_size=2)),
        ),
        max_size=4,
    ).map(lambda loops: json.dumps(loops).encode()),
)  # fmt: skip


def imports_or_refuses(content: bytes, kind: str | None) -> None:
    """Exit 0, or 2 with each problem on a line of its own; the store still opens."""
    with desk() as run:
        result = CliRunner().invoke(
            app, ["import", "-", *(["--format", kind] if kind else [])], input=content,
            env={"LOOPCLOSER_STORE": str(run.home / "loops.json"),
                 "LOOPCLOSER_CONFIG": str(run.home / "config.toml"), "LOOPCLOSER_NOW": NOW},
        )  # fmt: skip
        assert result.exit_code in (0, 2), result.stderr
        assert "Traceback" not in result.stderr and "this is a bug" not in result.stderr
        if result.exit_code == 2:
            lines = [line for line in result.stderr.split("\n") if line.strip()]
            assert lines and all(line.startswith("loopcloser: ") for line in lines), lines
        assert run("list", "--all", "--json").code == 0


@NORMAL
@given(FILE_TEXT, st.sampled_from([None, "json", "jsonl", "csv"]))
@example(b"\xef\xbb\xbfcustomer,promise,due\nMaria,call back,tomorrow\n", "csv")
@example(b'[{"customer": "M", "promise": "p", "due": "2026-11-27T11:00:00Z", "events": 7}]', None)
@example(b'{"customer": "M"}\n{"promise": 1e400}\n', "jsonl")
@example(b"sep=;\ncustomer;promise;due\n\x00;\x00;\x00\n", None)
@example(b'"', None)
def test_any_file_imports_or_is_refused_in_lines_never_a_crash(
    content: bytes, kind: str | None
) -> None:
    imports_or_refuses(content, kind)


def restored(customer: str, promise: str) -> None:
    """A backup (export --all) imported into an empty store gives back the same loops."""
    with desk() as run:
        if run("add", "--due", "tomorrow", "--", customer, promise).code != 0:
            return  # refused: see the round-trip tests
        run("note", "1", "--", f"about {promise}")
        run("close", "1", "--", customer)
        run("add", "--due", "fri 12:00", "--", promise, customer)
        backup = run.home / "backup.json"
        assert run("export", "--all", "-o", str(backup)).code == 0
        other = run.home / "restored.json"
        result = run("import", str(backup), "--store", str(other))
        assert result.code == 0, result.err
        again = run.home / "again.json"
        assert run("export", "--all", "-o", str(again), "--store", str(other)).code == 0
        assert json.loads(again.read_bytes()) == json.loads(backup.read_bytes())


@NORMAL
@given(SHORTER_TEXT, SHORTER_TEXT)
@example("$(rm -rf ~) \x1b[2J", "\u202eevil\r\nline")
def test_a_backup_restored_into_an_empty_store_is_the_same_store(
    customer: str, promise: str
) -> None:
    restored(customer, promise)


@pytest.mark.slow
@MANY
@given(FILE_TEXT, st.sampled_from([None, "json", "jsonl", "csv"]))
def test_many_files_import_or_are_refused(content: bytes, kind: str | None) -> None:
    imports_or_refuses(content, kind)


@pytest.mark.slow
@MANY
@given(SHORTER_TEXT, SHORTER_TEXT)
def test_many_backups_restore_to_the_same_store(customer: str, promise: str) -> None:
    restored(customer, promise)
