"""Sending the digest and the report by mail and webhook, through the commands."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import keyring
import pytest
from aiosmtpd.controller import Controller

from tests.conftest import Run
from tests.test_mail import Collector, free_port
from tests.test_secrets import MemoryKeyring

Add = Callable[..., int]


@pytest.fixture
def smtp() -> Iterator[tuple[Collector, int]]:
    collector = Collector()
    port = free_port()
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    yield collector, port
    controller.stop()


def mail_settings(run: Run, port: int) -> None:
    for key, value in (("smtp_host", "127.0.0.1"), ("smtp_port", str(port)),
                       ("smtp_security", "none"), ("mail_from", "desk@example.com"),
                       ("mail_to", "lead@example.com, anna@example.com")):  # fmt: skip
        assert run("config", "set", key, value).code == 0


def test_the_digest_goes_by_mail_with_text_and_html(
    run: Run, add: Add, smtp: tuple[Collector, int]
) -> None:
    collector, port = smtp
    mail_settings(run, port)
    add("Maria Rossi", "call back", "--due", "today 11:00")
    result = run("digest", "--send", "email", now="2026-11-25T12:00:00Z")
    assert result.code == 0, result.err
    assert "Overdue" in result.out, "still printed"
    (envelope,) = collector.envelopes
    assert envelope.rcpt_tos == ["lead@example.com", "anna@example.com"]
    message = message_from_bytes(envelope.content)
    assert message["From"] == "desk@example.com"
    assert message["Subject"].startswith("loopcloser digest: Wednesday 25 November 2026")
    types = [part.get_content_type() for part in message.walk()]
    assert "text/plain" in types and "text/html" in types


def test_a_failed_mail_keeps_the_digest_and_exits_6(run: Run, add: Add, home: Path) -> None:
    mail_settings(run, free_port())  # nobody listens there
    add("Maria Rossi", "call back", "--due", "today 11:00")
    target = home / "digest.md"
    result = run("digest", "--markdown", "-o", str(target), "--send", "email")
    assert result.code == 6
    assert "127.0.0.1" in result.err
    assert target.read_text(encoding="utf-8").startswith("# Wednesday")


class Hook(BaseHTTPRequestHandler):
    bodies: ClassVar[list[bytes]] = []

    def do_POST(self) -> None:
        Hook.bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_the_report_goes_to_a_webhook_from_the_environment(
    run: Run, add: Add, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("LOOPCLOSER_WEBHOOK_URL", f"http://127.0.0.1:{server.server_port}/T0/secret")
    monkeypatch.delenv("HTTP_PROXY", raising=False)
    monkeypatch.setenv("NO_PROXY", "*")
    Hook.bodies = []
    add("Maria Rossi", "call back", "--due", "today 11:00")
    result = run("report", "--send", "webhook")
    server.shutdown()
    assert result.code == 0, result.err
    assert "secret" not in result.err, "the webhook URL is a secret"
    (body,) = Hook.bodies
    assert "Open loops since" in json.loads(body)["text"]


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
