"""Webhooks are posted to a real HTTP server on 127.0.0.1; errors never show the URL's path."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from loopcloser.core.errors import BadInput
from loopcloser.delivery.notify import DeliveryFailed
from loopcloser.delivery.webhook import post_webhook

TOKEN_PATH = "/services/T000/B000/XXXXsecrettoken"


class Received:
    """What the test server saw, and the status it answers with."""

    def __init__(self) -> None:
        self.status = 200
        self.delay = 0.0
        self.requests: list[dict[str, Any]] = []


Serve = Callable[[], tuple[Received, str]]


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep urllib from sending 127.0.0.1 through a proxy set in the environment."""
    for name in ("http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.setenv("no_proxy", "*")


@pytest.fixture
def serve() -> Iterator[Serve]:
    """Start an HTTP server on 127.0.0.1 in a thread; stop it after the test."""
    servers: list[ThreadingHTTPServer] = []

    def start() -> tuple[Received, str]:
        received = Received()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                received.requests.append(
                    {
                        "path": self.path,
                        "content_type": self.headers.get("Content-Type"),
                        "body": self.rfile.read(length),
                    }
                )
                time.sleep(received.delay)
                body = b"ok" if received.status < 300 else b"invalid_payload"
                with contextlib.suppress(OSError):  # the client may have given up
                    self.send_response(received.status)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(server)
        return received, f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_posts_json_both_slack_and_teams_accept(serve: Serve) -> None:
    received, base = serve()
    post_webhook(base + TOKEN_PATH, "Loop 7 is overdue", "Maria: refund — due «today»", timeout=5)
    [request] = received.requests
    assert request["path"] == TOKEN_PATH
    assert request["content_type"].startswith("application/json")
    assert json.loads(request["body"]) == {
        "text": "*Loop 7 is overdue*\n\nMaria: refund — due «today»"
    }


@pytest.mark.parametrize("status", [400, 404, 500])
def test_an_error_status_fails_without_the_path(serve: Serve, status: int) -> None:
    received, base = serve()
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


def test_a_closed_port_fails(serve: Serve) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started = time.monotonic()
    with pytest.raises(DeliveryFailed) as caught:
        post_webhook(f"http://127.0.0.1:{port}{TOKEN_PATH}?key=abc", "title", "text", timeout=5)
    assert time.monotonic() - started < 3
    assert caught.value.message.startswith(f"cannot reach the webhook at http://127.0.0.1:{port}")
    assert "secrettoken" not in str(caught.value) and "key=abc" not in str(caught.value)


def test_a_slow_server_times_out(serve: Serve) -> None:
    received, base = serve()
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
