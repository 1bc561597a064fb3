"""loopcloser speaks the agent's language: Italian or English, from the locale or the
``language`` setting; what scripts read never changes with it."""

from __future__ import annotations

import email
import json
import os
import subprocess
from datetime import datetime
from email.message import Message
from pathlib import Path
from typing import Any

import pytest

from loopcloser.core.words import dated, from_locale, n_, use
from tests.conftest import Run, mail_settings
from tests.test_e2e import EXECUTABLE

ITALIAN = {"LANG": "it_IT.UTF-8"}
ENGLISH = {"LANG": "C.UTF-8"}


# --- the pure choice --------------------------------------------------------------


@pytest.mark.parametrize(
    ("environ", "language"),
    [
        ({"LANG": "it_IT.UTF-8"}, "it"),
        ({"LANG": "it_CH.UTF-8"}, "it"),
        ({"LANG": "it"}, "it"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({"LANG": "POSIX"}, "en"),
        ({"LANG": "de_DE.UTF-8"}, "en"),
        ({}, "en"),
        ({"LANG": "it_IT.UTF-8", "LC_MESSAGES": "en_GB.UTF-8"}, "en"),
        ({"LANG": "C.UTF-8", "LC_MESSAGES": "it_IT.UTF-8"}, "it"),
        ({"LC_MESSAGES": "C", "LC_ALL": "it_IT@euro"}, "it"),
        ({"LANG": "it_IT.UTF-8", "LC_ALL": ""}, "it"),
    ],
)
def test_the_locale_names_the_language_as_posix_reads_it(
    environ: dict[str, str], language: str
) -> None:
    assert from_locale(environ) == language


def test_dates_and_plurals_follow_the_language_in_use() -> None:
    from loopcloser.cli.language import choose

    thursday = datetime(2026, 11, 26, 12, 0)
    environ: dict[str, str] = {}
    try:
        assert choose("it", environ) == "it"
        assert dated(thursday, "%a %d %b %H:%M") == "gio 26 nov 12:00"
        assert n_("{count} loop", "{count} loops", 1).format(count=1) == "1 promessa"
        assert n_("{count} loop", "{count} loops", 2).format(count=2) == "2 promesse"
        assert environ == {"LANGUAGE": "it"}, "the framework's own words follow"
    finally:
        use("en", None)
    assert dated(thursday, "%a %d %b %H:%M") == "Thu 26 Nov 12:00"
    assert n_("{count} loop", "{count} loops", 1).format(count=1) == "1 loop"


# --- through the command line ------------------------------------------------------


def test_an_italian_locale_gives_italian_words_and_help(
    run: Run, add: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    add("Maria Rossi", "call back about the refund")
    monkeypatch.setenv("LANG", "it_IT.UTF-8")

    listed = run("list")
    assert listed.code == 0, listed.err
    header = listed.out.splitlines()[0].split()
    assert header[:4] == ["ID", "SCADENZA", "CLIENTE", "PROMESSA"]
    helped = run("add", "--help")
    assert "Registra una promessa fatta a un cliente" in helped.out
    assert "Mostra questo messaggio ed esci." in helped.out
    wrong = run("lsit")
    assert wrong.code == 2
    assert wrong.err.startswith("loopcloser: Il comando 'lsit' non esiste. Intendevi 'list'?")


def test_the_language_setting_wins_over_the_locale(
    run: Run, add: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    add("Maria Rossi", "call back about the refund")
    monkeypatch.setenv("LANG", "it_IT.UTF-8")
    assert run("config", "set", "language", "en").code == 0
    assert run("list").out.split()[:4] == ["ID", "DUE", "CUSTOMER", "PROMISE"]

    monkeypatch.setenv("LANG", "C.UTF-8")
    assert run("config", "set", "language", "it").code == 0
    assert run("list").out.split()[:4] == ["ID", "SCADENZA", "CLIENTE", "PROMESSA"]

    refused = run("config", "set", "language", "fr")
    assert refused.code == 2
    assert "en" in refused.err and "it" in refused.err


# --- end to end: one agent's day, in both languages ---------------------------------

DAY = [
    ("add", "Maria Rossi", "call back with Finance's decision", "--due", "thu 12:00"),
    (
        "add",
        "ACME Logistics",
        "send the corrected invoice",
        "--due",
        "2026-11-24 17:30",
        "--allow-past",
    ),
    ("add", "Jonas Berg", "confirm the replacement", "--due", "fri"),
    ("contact", "1", "told her Finance is on it", "--via", "phone"),
    ("done", "3", "replacement shipped"),
    ("close", "1", "called her: refund on its way", "--via", "phone"),
]
READS = [
    ("list",),
    ("list", "--all"),
    ("show", "1"),
    ("status",),
    ("digest",),
    ("report",),
    ("undo", "--list"),
    ("customer", "Maria Rossi"),
]
REFUSED = [("close", "9", "told", "--via", "phone"), ("add", "X", "y", "--due", "someday")]


def agent_day(tmp_path: Path, locale: dict[str, str]) -> dict[str, Any]:
    """The same day of work in a fresh store under ``locale``: every command's output."""
    folder = tmp_path / locale["LANG"]
    folder.mkdir()
    config = folder / "config.toml"
    config.write_text('agent = "anna"\ntimezone = "Europe/Rome"\n', encoding="utf-8")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANGUAGE"))},
        "LOOPCLOSER_STORE": str(folder / "loops.json"),
        "LOOPCLOSER_CONFIG": str(config),
        "LOOPCLOSER_NOW": "2026-11-25T09:00:00Z",
        "COLUMNS": "100",
        **locale,
    }

    def loopcloser(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(EXECUTABLE), *args], env=env, capture_output=True, text=True, check=False
        )

    seen: dict[str, Any] = {}
    for args in DAY:
        text = loopcloser(*args)
        assert text.returncode == 0, text.stderr
        seen[" ".join(args)] = text.stdout
    for args in READS:
        text, data = loopcloser(*args), loopcloser(*args, "--json")
        assert text.returncode == 0 and data.returncode == 0, text.stderr + data.stderr
        seen[" ".join(args)] = text.stdout
        seen[" ".join(args) + " --json"] = without_uids(json.loads(data.stdout))
    for args in REFUSED:
        text, data = loopcloser(*args), loopcloser(*args, "--json")
        assert text.returncode == data.returncode != 0
        seen[" ".join(args)] = text.stderr
        seen[" ".join(args) + " --json"] = (data.returncode, json.loads(data.stderr))
    return seen


def without_uids(value: Any) -> Any:
    """The JSON with each loop's random uid left out: the one thing two stores differ in."""
    if isinstance(value, dict):
        return {key: without_uids(item) for key, item in value.items() if key != "uid"}
    if isinstance(value, list):
        return [without_uids(item) for item in value]
    return value


def test_the_same_day_in_italian_and_english_gives_the_same_json(tmp_path: Path) -> None:
    italian = agent_day(tmp_path, ITALIAN)
    english = agent_day(tmp_path, ENGLISH)

    data = [name for name in english if name.endswith("--json")]
    assert data and all(italian[name] == english[name] for name in data), [
        name for name in data if italian[name] != english[name]
    ]
    # add prints the new id alone, in any language.
    texts = [name for name in english if not name.endswith("--json") and name[:4] != "add "]
    assert all(italian[name] != english[name] for name in texts), [
        name for name in texts if italian[name] == english[name]
    ]
    # A few things an Italian agent reads, and the English beside them.
    assert "in ritardo" in italian["list"] and "overdue" in english["list"]
    assert "1 in ritardo" in italian["status"]
    assert "CLIENTE" in italian["report"] or "Cliente" in italian["report"]
    assert "ven 27 nov" in italian["show 1"] or "gio 26 nov" in italian["show 1"]
    assert "Thu 26 Nov" in english["show 1"]
    assert "#9" in italian["close 9 told --via phone"]
    assert "nessuna promessa #9" in italian["close 9 told --via phone"]


def test_the_digest_is_mailed_in_italian(
    run: Run, add: Any, smtp: tuple[Any, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    collector, port = smtp
    mail_settings(run, port)
    add("Maria Rossi", "call back about the refund")
    add("ACME Logistics", "send the corrected invoice", "--due", "2026-11-24 17:30", "--allow-past")
    monkeypatch.setenv("LANG", "it_IT.UTF-8")

    sent = run("digest", "--send", "email")
    assert sent.code == 0, sent.err

    [envelope] = collector.envelopes
    message: Message = email.message_from_bytes(envelope.content)
    subject = str(email.header.make_header(email.header.decode_header(message["Subject"])))
    body = next(
        part.get_payload(decode=True).decode()
        for part in message.walk()
        if part.get_content_type() == "text/plain"
    )
    assert "in ritardo" in subject or "in ritardo" in body
    assert "Maria Rossi" in body and "overdue" not in body


def test_a_script_reads_english_json_while_the_prompt_keeps_the_agents_language(
    run: Run, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LANG", "it_IT.UTF-8")
    made = run("add", "ACME", "send the invoice", "--due", "2026-11-24 17:30", "--allow-past",
               "--json")  # fmt: skip
    assert made.code == 0, made.err
    assert json.loads(made.out)["state"] == "open"
    refused = run("close", "9", "told", "--via", "phone", "--json")
    error = json.loads(refused.err)
    assert error["error"] == "not_found" and "#9" in error["message"], error
    assert "non" not in error["message"], "a script reads English"

    status = (home / "loops.json.status").read_text(encoding="utf-8")
    assert "1 in ritardo" in status, status
    assert run("status").out.strip() == "1 in ritardo"
    monkeypatch.setenv("LANG", "C.UTF-8")
    assert run("status").out.strip() == "1 overdue"


def test_dates_print_in_the_date_order_set(run: Run, add: Any) -> None:
    add("Maria Rossi", "call back", "--due", "thu 12:00")
    assert "Thu 26 Nov 12:00" in run("show", "1").out
    assert run("config", "set", "date_order", "month-first").code == 0
    assert "Thu Nov 26 12:00" in run("show", "1").out
