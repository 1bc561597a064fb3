"""Sending the digest and the report by mail and webhook, through the commands."""

from __future__ import annotations

import json
from collections.abc import Callable
from email import message_from_bytes
from pathlib import Path

import keyring
import pytest

from loopcloser.core.ways_out import Cargo, names
from tests.conftest import Run, WebhookServe, mail_settings
from tests.test_mail import Collector, free_port
from tests.test_secrets import MemoryKeyring

Add = Callable[..., int]


def test_the_digest_goes_by_mail_with_text_and_html(run: Run, add: Add, mailbox: Collector) -> None:
    add("Maria Rossi", "call back", "--due", "today 11:00")
    result = run("digest", "--send", "email", now="2026-11-25T12:00:00Z")
    assert result.code == 0, result.err
    assert "Overdue" in result.out, "still printed"
    (envelope,) = mailbox.envelopes
    assert envelope.rcpt_tos == ["lead@example.com", "anna@example.com"]
    message = message_from_bytes(envelope.content)
    assert message["From"] == "desk@example.com"
    assert message["Subject"].startswith("loopcloser digest: Wednesday 25 November 2026")
    types = [part.get_content_type() for part in message.walk()]
    assert "text/plain" in types and "text/html" in types


def test_the_mailed_digest_text_keeps_to_80_columns_with_every_word(
    run: Run, add: Add, mailbox: Collector
) -> None:
    customer = "Northwind Traders International Holdings"
    promise = "get the outage credit approved by Finance and report back to the customer"
    add(customer, promise, "--due", "today 11:00")
    assert run("digest", "--send", "email", now="2026-11-25T12:00:00Z").code == 0
    (envelope,) = mailbox.envelopes
    message = message_from_bytes(envelope.content)
    (text,) = [part for part in message.walk() if part.get_content_type() == "text/plain"]
    body = text.get_payload(decode=True).decode("utf-8")
    assert max(len(line) for line in body.splitlines()) <= 80, body
    assert set(f"{customer} {promise}".split()) <= set(body.split()), "every word, whole"


def test_a_failed_mail_keeps_the_digest_and_exits_6(run: Run, add: Add, home: Path) -> None:
    mail_settings(run, free_port())  # nobody listens there
    add("Maria Rossi", "call back", "--due", "today 11:00")
    target = home / "digest.md"
    result = run("digest", "--markdown", "-o", str(target), "--send", "email")
    assert result.code == 6
    assert "127.0.0.1" in result.err
    assert target.read_text(encoding="utf-8").startswith("# Wednesday")


def test_the_report_goes_to_a_webhook_from_the_environment(
    run: Run, add: Add, webhook_server: WebhookServe, monkeypatch: pytest.MonkeyPatch
) -> None:
    received, base = webhook_server()
    monkeypatch.setenv("LOOPCLOSER_WEBHOOK_URL", f"{base}/T0/secret")
    add("Maria Rossi", "call back", "--due", "today 11:00")
    result = run("report", "--send", "webhook")
    assert result.code == 0, result.err
    assert "secret" not in result.err, "the webhook URL is a secret"
    (request,) = received.requests
    assert "Open loops since" in json.loads(request["body"])["text"]


def test_a_way_out_that_cannot_carry_a_page_is_refused_before_the_page(run: Run, add: Add) -> None:
    add("Maria Rossi", "call back", "--due", "today 11:00")
    result = run("digest", "--send", "desktop")
    assert result.code == 2
    assert result.out == "", "refused before the digest is printed"
    assert f"use one of: {', '.join(names(Cargo.PAGES))}" in result.err
    assert "email" in result.err and "webhook" in result.err
    assert run("report", "--send", "terminal").code == 2


def test_secret_set_stores_in_the_keyring_and_never_prints_it(
    run: Run, memory_keyring: MemoryKeyring
) -> None:
    result = run("secret", "set", "smtp_password", stdin="hunter2-not-shown\n")
    assert result.code == 0, result.err
    assert "hunter2" not in result.out + result.err
    assert keyring.get_password("loopcloser", "smtp_password") == "hunter2-not-shown"
    assert run("secret", "set", "colour", stdin="x\n").code == 2


def test_without_a_keyring_the_error_names_the_environment_variable(run: Run) -> None:
    from keyring.backends import fail

    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        result = run("secret", "set", "webhook_url", stdin="https://hooks.example/x\n")
    finally:
        keyring.set_keyring(previous)
    assert result.code == 2
    assert "LOOPCLOSER_WEBHOOK_URL" in result.err
    assert "hooks.example" not in result.err
