"""What loopcloser sends out cannot be turned against its reader, and no secret goes along.

- every webhook post escapes Slack's markup (&, <, >), so no customer name pages a
  workspace (<!channel>, <!here>, <@U...>) or plants a link, and nothing is escaped twice;
- a webhook that answers with a redirect is not followed, to another host, port or
  scheme or anywhere else: nothing reaches the other end, and the error says why;
- every program loopcloser runs (the delivery command, notify-send, crontab,
  systemctl) gets this environment without a secret loopcloser knows of.
"""

from __future__ import annotations

import ast
import datetime as dt
import ipaddress
import json
import re
import shlex
import socket
import ssl
import sys
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from loopcloser.core.errors import ExitCode
from loopcloser.delivery.notify import DeliveryFailed
from loopcloser.delivery.webhook import payload, post_webhook
from loopcloser.services import schedule
from tests.conftest import Run, WebhookServe
from tests.test_security import RUNNERS

Add = Callable[..., int]

SOURCE = Path(__file__).resolve().parents[1] / "loopcloser"
# Wednesday 25 November 2026, 11:00 in Rome: a loop due "today 11:00" is due.
DUE = "2026-11-25T10:00:00Z"
# Every form of Slack's markup that acts on its own: mentions, a channel, a link.
MARKUP = (
    "<!channel> <!here|here> <!everyone> <@U024BE7LH> <#C024BE7LH|general>"
    " <https://evil.example|win> & Co"
)
# Outside an entity Slack decodes, no &, < or > may reach it.
RAW_MARKUP = re.compile(r"[<>]|&(?!amp;|lt;|gt;)")


def posted_text(received: Any) -> str:
    (request,) = received.requests
    return str(json.loads(request["body"])["text"])


# --- Slack's markup is escaped in every post ------------------------------------------


def test_the_payload_escapes_slacks_markup_in_the_title_and_the_text() -> None:
    text = json.loads(payload(f"Digest for {MARKUP}", f"line one {MARKUP}\nline two"))["text"]
    assert RAW_MARKUP.search(text) is None, text
    assert "&lt;!channel&gt;" in text and "&lt;@U024BE7LH&gt;" in text and "&amp; Co" in text
    assert text.count("\n") == 3, "the page keeps its lines"


AGENT = "<!here> & <@U024BE7LH>"
# What posts to a webhook, and the text each post must show (as text, not as markup).
POSTS = {
    "digest": (
        ("digest", "--send", "webhook"),
        # The Markdown page keeps its backslashes, which Slack shows but does not act on.
        ["&lt;!channel", "&lt;!everyone", "&lt;@U024BE7LH", "&lt;https://evil.example"],
    ),
    # The agent's name in the by-agent table, its Markdown backslashes kept.
    "report": (("report", "--send", "webhook"), ["\\&lt;!here\\&gt; &amp; \\&lt;@U024BE7LH\\&gt;"]),
    "reminder": (
        ("remind",),
        [
            "*Reminder for &lt;!here&gt; &amp; &lt;@U024BE7LH&gt;*\n\n",
            "&lt;!channel&gt; &lt;!here|",
        ],
    ),
}


@pytest.mark.parametrize(("args", "shown"), POSTS.values(), ids=POSTS.keys())
def test_nothing_posted_to_a_webhook_pages_anyone(
    args: tuple[str, ...],
    shown: list[str],
    run: Run,
    add: Add,
    webhook_server: WebhookServe,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    received, base = webhook_server()
    monkeypatch.setenv("LOOPCLOSER_WEBHOOK_URL", base + "/hook")
    assert run("config", "set", "agent", AGENT).code == 0
    assert run("config", "set", "delivery", "webhook").code == 0
    add(MARKUP, "refund <!everyone>", "--due", "today 11:00")
    result = run(*args, now=DUE)
    assert result.code == 0, result.err
    text = posted_text(received)
    assert RAW_MARKUP.search(text) is None, text
    assert "&amp;lt;" not in text and "&amp;amp;" not in text, "escaped once"
    assert [fragment for fragment in shown if fragment not in text] == [], text


# --- no redirect is followed ----------------------------------------------------------


class Tripwire:
    """A TCP port on 127.0.0.1 that records every connection made to it, whatever is said."""

    def __init__(self) -> None:
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.socket.getsockname()[1]
        self.connections: list[bytes] = []
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self) -> None:
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                return
            with connection:
                connection.settimeout(1)
                try:
                    self.connections.append(connection.recv(4096))
                except OSError:
                    self.connections.append(b"")

    def close(self) -> None:
        self.socket.close()


class Redirector:
    """A webhook on 127.0.0.1 that answers every post with a redirect to ``location``."""

    def __init__(self, status: int, location: str | None, context: ssl.SSLContext | None) -> None:
        self.posts: list[bytes] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                owner.posts.append(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
                self.send_response(status)
                if location is not None:
                    self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        if context is not None:
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        scheme = "https" if context else "http"
        self.base = f"{scheme}://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def certificate_for_localhost(folder: Path) -> tuple[Path, Path]:
    """A certificate authority and a certificate for 127.0.0.1 it signed: the CA, the chain."""
    x509 = pytest.importorskip("cryptography.x509")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = dt.datetime.now(dt.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "loopcloser test CA")])

    def signed(builder: Any, public: Any, ca: bool) -> Any:
        unused = ("content_commitment", "key_encipherment", "data_encipherment",
                  "key_agreement", "encipher_only", "decipher_only")  # fmt: skip
        usage = x509.KeyUsage(
            digital_signature=not ca, key_cert_sign=ca, crl_sign=ca, **dict.fromkeys(unused, False)
        )
        issuer = x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key())
        return (
            builder.issuer_name(ca_name)
            .public_key(public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .add_extension(usage, critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
            .add_extension(issuer, critical=False)
            .sign(ca_key, hashes.SHA256())
        )

    authority = signed(x509.CertificateBuilder().subject_name(ca_name), ca_key.public_key(), True)
    leaf = signed(
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False),
        key.public_key(),
        False,
    )
    pem = serialization.Encoding.PEM
    ca_file, chain = folder / "ca.pem", folder / "server.pem"
    ca_file.write_bytes(authority.public_bytes(pem))
    chain.write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        + leaf.public_bytes(pem)
    )
    return ca_file, chain


@pytest.fixture
def tls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ssl.SSLContext:
    """A server context for 127.0.0.1 whose authority this test's clients trust."""
    ca_file, chain = certificate_for_localhost(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))  # OpenSSL's own variable
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(chain)
    return context


Servers = Callable[..., Redirector]


@pytest.fixture
def redirector(no_proxy: None) -> Iterator[Servers]:
    started: list[Redirector] = []

    def start(
        status: int, location: str | None, context: ssl.SSLContext | None = None
    ) -> Redirector:
        started.append(Redirector(status, location, context))
        return started[-1]

    yield start
    for server in started:
        server.close()


@pytest.fixture
def tripwire() -> Iterator[Tripwire]:
    wire = Tripwire()
    yield wire
    wire.close()


REDIRECTS = [301, 302, 303, 307, 308]
TOKEN_PATH = "/services/T000/B000/redirectsecret"


def refused(post: Callable[[], None], to: str) -> DeliveryFailed:
    """The failure of a post that was redirected to ``to``, checked for its form."""
    with pytest.raises(DeliveryFailed) as caught:
        post()
    error = caught.value
    assert error.exit_code == ExitCode.DELIVERY
    assert "\n" not in error.message and error.hint
    assert "redirect" in error.message and to in error.message, error.message
    for shown in (error.message, error.hint):
        assert "redirectsecret" not in shown and "/services" not in shown
    assert error.__cause__ is None and error.__context__ is None
    return error


# Each to another port (host:port is the host), some to another scheme too.
ROUTES = {"another-port": ("http", "http"), "https-to-http": ("https", "http"),
          "http-to-https": ("http", "https")}  # fmt: skip


@pytest.mark.parametrize("status", REDIRECTS)
@pytest.mark.parametrize(("scheme", "to_scheme"), ROUTES.values(), ids=ROUTES.keys())
def test_a_redirect_elsewhere_is_not_followed(
    status: int,
    scheme: str,
    to_scheme: str,
    redirector: Servers,
    tripwire: Tripwire,
    request: pytest.FixtureRequest,
) -> None:
    context = request.getfixturevalue("tls") if scheme == "https" else None
    elsewhere = f"{to_scheme}://127.0.0.1:{tripwire.port}"
    origin = redirector(status, elsewhere + TOKEN_PATH, context)
    assert origin.base.startswith(f"{scheme}://")
    refused(lambda: post_webhook(origin.base + TOKEN_PATH, "t", "hello", timeout=5), elsewhere)
    assert len(origin.posts) == 1, "the post reached the webhook, once"
    assert tripwire.connections == [], "nothing may reach the other end"


@pytest.mark.parametrize("status", [302, 307])
def test_a_redirect_on_the_same_host_is_refused_too(status: int, redirector: Servers) -> None:
    # A redirected post either turns into a GET that drops the message (301-303) or re-sends
    # it to a URL nobody stored (307, 308); chat webhooks never redirect.
    origin = redirector(status, "/services/T000/B000/moved")
    refused(lambda: post_webhook(origin.base + TOKEN_PATH, "t", "hello", timeout=5), origin.base)
    assert len(origin.posts) == 1, "posted once, not again at the new path"


@pytest.mark.parametrize("location", [None, "http://[::1/x", "http://127.0.0.1:99999/x"])
def test_a_redirect_to_no_readable_address_is_refused_all_the_same(
    location: str | None, redirector: Servers
) -> None:
    origin = redirector(301, location)
    error = refused(lambda: post_webhook(origin.base + TOKEN_PATH, "t", "x", timeout=5), "")
    assert error.message.endswith("a redirect to elsewhere, and loopcloser follows no redirect")


def test_a_redirected_page_exits_6_in_one_line(
    run: Run, add: Add, redirector: Servers, tripwire: Tripwire, monkeypatch: pytest.MonkeyPatch
) -> None:
    origin = redirector(308, f"http://127.0.0.1:{tripwire.port}{TOKEN_PATH}")
    monkeypatch.setenv("LOOPCLOSER_WEBHOOK_URL", origin.base + TOKEN_PATH)
    add("Maria Rossi", "refund", "--due", "today 11:00")
    result = run("digest", "--send", "webhook", now=DUE)
    assert result.code == 6, result.err
    [line] = result.err.strip().splitlines()
    assert "redirect" in line and "redirectsecret" not in result.err
    assert tripwire.connections == []


# --- no secret reaches a program loopcloser runs -----------------------------------------

SECRETS = {
    "LOOPCLOSER_SMTP_PASSWORD": "pw-smtp",
    "LOOPCLOSER_WEBHOOK_URL": "https://hooks.example.com/services/T0/B0/tok",
    "LOOPCLOSER_HUB_PASSWORD": "pw-hub",
    "LOOPCLOSER_HUB_TOKEN": "tok-hub",
    "LOOPCLOSER_API_SECRET": "sec-api",
    "LOOPCLOSER_OLD_SMTP_PASSWORD_2": "pw-old",
    "loopcloser_smtp_password": "pw-lower",
    "PYTHON_KEYRING_BACKEND": "keyrings.cryptfile.cryptfile.CryptFileKeyring",
    "KEYRING_PROPERTY_KEYRING_KEY": "pw-keyring-property",
    "KEYRING_CRYPTFILE_PASSWORD": "pw-cryptfile",
}
KEPT = {
    "HOME": "/home/anna",
    "LANG": "it_IT.UTF-8",
    "DBUS_SESSION_BUS_ADDRESS": "unix:path=/run/user/1000/bus",
    "LOOPCLOSER_LOCK_TIMEOUT": "10",  # not a secret: a program may run loopcloser itself
}
# A program that writes the environment it was given, as JSON, to the file in its argv.
DUMP_ENVIRONMENT = """\
import json, os, sys
with open(sys.argv[1], "w", encoding="utf-8") as out:
    json.dump(dict(os.environ), out)
sys.stdin.read()
"""


def secrets_and_more(monkeypatch: pytest.MonkeyPatch, path: str) -> None:
    """Set every secret variable, and the ordinary ones a program needs."""
    for name, value in {**SECRETS, **KEPT, "PATH": path}.items():
        monkeypatch.setenv(name, value)


def assert_no_secret_in(dumped: Path, path: str) -> None:
    environment = json.loads(dumped.read_text(encoding="utf-8"))
    assert sorted(set(SECRETS) & set(environment)) == []
    assert [value for value in environment.values() if value in SECRETS.values()] == []
    assert {name: environment.get(name) for name in KEPT} == KEPT
    assert environment["PATH"] == path


def fake_program(folder: Path, name: str, dumped: Path) -> Path:
    """A program called ``name`` in ``folder`` that dumps its environment to ``dumped``."""
    folder.mkdir(exist_ok=True)
    program = folder / name
    program.write_text(
        f"#!{sys.executable}\n" + DUMP_ENVIRONMENT.replace("sys.argv[1]", repr(str(dumped))),
        encoding="utf-8",
    )
    program.chmod(0o755)
    return program


def test_the_delivery_command_gets_no_secret(
    run: Run, add: Add, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script, dumped = tmp_path / "dump.py", tmp_path / "environment.json"
    script.write_text(DUMP_ENVIRONMENT, encoding="utf-8")
    assert run("config", "set", "delivery", "command").code == 0
    command = shlex.join([sys.executable, str(script), str(dumped)])
    assert run("config", "set", "delivery_command", command).code == 0
    add("Maria Rossi", "refund", "--due", "today 11:00")
    path = f"{tmp_path / 'bin'}:/usr/bin:/bin"
    secrets_and_more(monkeypatch, path)
    result = run("remind", now=DUE)
    assert result.code == 0, result.err
    assert_no_secret_in(dumped, path)


def test_notify_send_gets_no_secret_but_the_session_bus(
    run: Run, add: Add, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dumped = tmp_path / "environment.json"
    fake_program(tmp_path / "bin", "notify-send", dumped)
    assert run("config", "set", "delivery", "desktop").code == 0
    add("Maria Rossi", "refund", "--due", "today 11:00")
    secrets_and_more(monkeypatch, str(tmp_path / "bin"))
    result = run("remind", now=DUE)
    assert result.code == 0, result.err
    assert_no_secret_in(dumped, str(tmp_path / "bin"))


def test_crontab_gets_no_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dumped = tmp_path / "environment.json"
    fake_program(tmp_path / "bin", "crontab", dumped)
    secrets_and_more(monkeypatch, str(tmp_path / "bin"))
    schedule.crontab(["-l"])
    assert_no_secret_in(dumped, str(tmp_path / "bin"))


def test_systemctl_gets_no_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dumped = tmp_path / "environment.json"
    fake_program(tmp_path / "bin", "systemctl", dumped)
    secrets_and_more(monkeypatch, str(tmp_path / "bin"))
    units = schedule.systemd_units("/usr/bin/loopcloser", 5, {})
    schedule.install_systemd(units, tmp_path / "units")
    assert_no_secret_in(dumped, str(tmp_path / "bin"))


def test_the_environment_without_secrets_keeps_everything_else() -> None:
    from loopcloser.delivery.secrets import child_environment

    given = {**SECRETS, **KEPT, "PATH": "/usr/bin", "LOOPCLOSER_STORE": "/x", "KEYRINGS": "y"}
    assert child_environment(given) == {
        **KEPT,
        "PATH": "/usr/bin",
        "LOOPCLOSER_STORE": "/x",
        "KEYRINGS": "y",
    }


def runs_without_a_clean_environment(path: Path) -> list[str]:
    """Calls in ``path`` that start a program without ``env=child_environment()``.

    Runners imported by name are named too: a bare ``run(...)`` could not be told apart.
    """
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module == "subprocess":
            found.append(f"{path.name}:{node.lineno} from subprocess import")
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if getattr(node.func.value, "id", "") != "subprocess" or node.func.attr not in RUNNERS:
            continue
        env = [keyword.value for keyword in node.keywords if keyword.arg == "env"]
        clean = (
            env
            and isinstance(env[0], ast.Call)
            and getattr(env[0].func, "id", getattr(env[0].func, "attr", "")) == "child_environment"
        )
        if not clean:
            found.append(f"{path.name}:{node.lineno} subprocess.{node.func.attr}")
    return found


def test_every_program_loopcloser_runs_gets_the_environment_without_secrets() -> None:
    sources = sorted(SOURCE.rglob("*.py"))
    assert len(sources) > 30
    assert [call for path in sources for call in runs_without_a_clean_environment(path)] == []


def test_the_check_would_see_a_program_run_with_every_secret(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import subprocess\nsubprocess.run(['a'])\nsubprocess.Popen(['b'], env=os.environ)\n"
        "subprocess.run(['c'], env=child_environment())\nfrom subprocess import run\n",
        encoding="utf-8",
    )
    assert {call.split(" ", 1)[1] for call in runs_without_a_clean_environment(sample)} == {
        "subprocess.run",
        "subprocess.Popen",
        "from subprocess import",
    }
