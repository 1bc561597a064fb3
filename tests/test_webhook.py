"""Webhooks are posted to a real HTTP server on 127.0.0.1; errors never show the URL's path."""

from __future__ import annotations

import json
import socket
import time

import pytest

from loopcloser.core.errors import BadInput
from loopcloser.delivery.notify import DeliveryFailed
from loopcloser.delivery.webhook import post_webhook
from tests.conftest import WebhookServe

TOKEN_PATH = "/services/T000/B000/XXXXsecrettoken"


# urllib must reach 127.0.0.1 directly, whatever proxy the environment names.
pytestmark = pytest.mark.usefixtures("no_proxy")


def test_posts_json_both_slack_and_teams_accept(webhook_server: WebhookServe) -> None:
    received, base = webhook_server()
    post_webhook(base + TOKEN_PATH, "Loop 7 is overdue", "Maria: refund — due «today»", timeout=5)
    [request] = received.requests
    assert request["path"] == TOKEN_PATH
    assert request["content_type"].startswith("application/json")
    assert json.loads(request["body"]) == {
        "text": "*Loop 7 is overdue*\n\nMaria: refund — due «today»"
    }


@pytest.mark.parametrize("status", [400, 404, 500])
def test_an_error_status_fails_without_the_path(webhook_server: WebhookServe, status: int) -> None:
    received, base = webhook_server()
    received.status = status
    with pytest.raises(DeliveryFailed) as caught:
        post_webhook(base + TOKEN_PATH, "title", "text", timeout=5)
    error = caught.value
    assert error.message == f"the webhook at {base} answered HTTP {status}"
    assert error.hint
    assert error.exit_code == 6
    for shown in (str(error), error.hint, repr(error)):
        assert "secrettoken" not in shown and "/services" not in shown
    assert error.__cause__ is None and error.__context__ is None


def test_a_closed_port_fails(webhook_server: WebhookServe) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started = time.monotonic()
    with pytest.raises(DeliveryFailed) as caught:
        post_webhook(f"http://127.0.0.1:{port}{TOKEN_PATH}?key=abc", "title", "text", timeout=5)
    assert time.monotonic() - started < 3
    assert caught.value.message.startswith(f"cannot reach the webhook at http://127.0.0.1:{port}")
    assert "secrettoken" not in str(caught.value) and "key=abc" not in str(caught.value)


def test_a_slow_server_times_out(webhook_server: WebhookServe) -> None:
    received, base = webhook_server()
    received.delay = 1.0
    with pytest.raises(DeliveryFailed) as caught:
        post_webhook(base + TOKEN_PATH, "title", "text", timeout=0.2)
    assert caught.value.message == f"the webhook at {base} did not answer within 0.2 s"
    assert "secrettoken" not in str(caught.value)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://hooks.example.com/services/secrettoken",
        "file:///etc/passwd",
        "hooks.example.com/services/secrettoken",
        "https:///services/secrettoken",
        "http://127.0.0.1:notaport/secrettoken",
        "",
    ],
)
def test_only_http_urls_are_accepted(url: str) -> None:
    with pytest.raises(BadInput) as caught:
        post_webhook(url, "title", "text")
    assert "secrettoken" not in str(caught.value)
    assert caught.value.hint
