"""Email through a real in-process SMTP server on 127.0.0.1; failures never show the password."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from loopcloser.core.errors import BadInput
from loopcloser.delivery.mail import send_mail
from loopcloser.delivery.notify import DeliveryFailed

PASSWORD = "pa55-w0rd-never-shown"
# The test server takes AUTH without TLS on purpose; aiosmtpd warns about it.
PLAIN_AUTH = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


def free_port() -> int:
    """Return a port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


class Collector:
    """An aiosmtpd handler that keeps every envelope and refuses addresses at refused.test."""

    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address.endswith("@refused.test"):
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted"


Authenticator = Callable[[SMTP, Session, Envelope, str, Any], AuthResult]
Serve = Callable[..., tuple[Collector, int]]


@pytest.fixture
def serve() -> Iterator[Serve]:
    """Start SMTP servers on 127.0.0.1 on demand; stop them after the test."""
    controllers: list[Controller] = []

    def start(authenticator: Authenticator | None = None) -> tuple[Collector, int]:
        handler = Collector()
        port = free_port()
        options: dict[str, Any] = {}
        if authenticator is not None:
            options = {
                "auth_required": True,
                "auth_require_tls": False,
                "authenticator": authenticator,
            }
        controller = Controller(handler, hostname="127.0.0.1", port=port, **options)
        controller.start()
        controllers.append(controller)
        return handler, port

    yield start
    for controller in controllers:
        controller.stop()


def send(port: int, **overrides: Any) -> None:
    """Send a standard test message to 127.0.0.1:port, with overrides."""
    arguments: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": port,
        "security": "none",
        "user": None,
        "password": None,
        "sender": "anna@support.example",
        "recipients": ["maria@customer.example", "ops@support.example"],
        "subject": "Your refund: done",
        "text": "Hello Maria,\nthe refund is on its way.",
        "html": "<p>Hello Maria,<br>the refund is <b>on its way</b>.</p>",
        "timeout": 5,
    }
    arguments.update(overrides)
    send_mail(**arguments)


def parsed(envelope: Envelope) -> EmailMessage:
    """Return the message the server received."""
    content = envelope.original_content or envelope.content
    assert isinstance(content, bytes)
    message = message_from_bytes(content, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def test_sends_headers_envelope_and_both_parts(serve: Serve) -> None:
    handler, port = serve()
    send(port)
    [envelope] = handler.envelopes
    assert envelope.mail_from == "anna@support.example"
    assert envelope.rcpt_tos == ["maria@customer.example", "ops@support.example"]
    message = parsed(envelope)
    assert message["From"] == "anna@support.example"
    assert message["To"] == "maria@customer.example, ops@support.example"
    assert message["Subject"] == "Your refund: done"
    assert message["Message-ID"] and message["Date"]
    assert message.get_content_type() == "multipart/alternative"
    parts = list(message.iter_parts())
    assert [part.get_content_type() for part in parts] == ["text/plain", "text/html"]
    plain, html = (part.get_content() for part in parts)
    assert isinstance(plain, str) and isinstance(html, str)
    assert plain.replace("\r\n", "\n").strip() == "Hello Maria,\nthe refund is on its way."
    assert "<b>on its way</b>" in html


def test_plain_text_only_without_html(serve: Serve) -> None:
    handler, port = serve()
    send(port, html=None, subject="Grüße", text="Grüße aus Rom")
    message = parsed(handler.envelopes[0])
    assert message.get_content_type() == "text/plain"
    assert message["Subject"] == "Grüße"
    content = message.get_content()
    assert isinstance(content, str) and content.strip() == "Grüße aus Rom"


def accepting(logins: list[tuple[str, str]]) -> Authenticator:
    """An authenticator that takes every login and notes it in ``logins``."""

    def accept(
        server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        logins.append((data.login.decode(), data.password.decode()))
        return AuthResult(success=True)

    return accept


@PLAIN_AUTH
def test_logs_in_when_a_user_is_given(serve: Serve) -> None:
    logins: list[tuple[str, str]] = []
    handler, port = serve(accepting(logins))
    send(port, user="anna", password=PASSWORD)
    assert logins == [("anna", PASSWORD)]
    assert len(handler.envelopes) == 1


@PLAIN_AUTH
def test_a_refused_login_never_shows_the_password(serve: Serve) -> None:
    def refuse(
        server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        return AuthResult(success=False, handled=False)

    handler, port = serve(refuse)
    with pytest.raises(DeliveryFailed) as caught:
        send(port, user="anna", password=PASSWORD)
    error = caught.value
    assert error.message == f"the mail server 127.0.0.1:{port} refused the login for anna"
    assert error.hint and "password" in error.hint
    assert error.exit_code == 6
    assert PASSWORD not in f"{error} {error.hint} {error!r}"
    assert error.__cause__ is None and error.__suppress_context__
    assert handler.envelopes == []


def test_refused_recipients_are_named(serve: Serve) -> None:
    handler, port = serve()
    with pytest.raises(DeliveryFailed) as caught:
        send(port, recipients=["ghost@refused.test"])
    assert caught.value.message == (
        f"the mail server 127.0.0.1:{port} refused the recipients: ghost@refused.test"
    )
    assert handler.envelopes == []


def test_a_closed_port_fails_quickly() -> None:
    port = free_port()
    started = time.monotonic()
    with pytest.raises(DeliveryFailed) as caught:
        send(port, user="anna", password=PASSWORD)
    assert time.monotonic() - started < 3
    assert caught.value.message.startswith(f"cannot reach the mail server 127.0.0.1:{port}")
    assert caught.value.hint and "host and port" in caught.value.hint
    assert PASSWORD not in f"{caught.value} {caught.value!r}"


def test_bad_settings_are_bad_input() -> None:
    with pytest.raises(BadInput) as security:
        send(1, security="ssl")
    assert security.value.hint == "use one of: starttls, tls, none"
    with pytest.raises(BadInput) as nobody:
        send(1, recipients=[])
    assert "no recipients" in nobody.value.message


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_a_password_the_protocol_cannot_carry_is_a_delivery_failure_that_quotes_nothing(
    serve: Serve,
) -> None:
    def accept(
        server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        return AuthResult(success=True)

    _, port = serve(accept)
    with pytest.raises(DeliveryFailed) as caught:
        send(port, user="anna", password="pässwörd")
    text = f"{caught.value} {caught.value.hint}"
    assert "ä" not in text and "ö" not in text and "position" not in text
    assert caught.value.exit_code == 6
