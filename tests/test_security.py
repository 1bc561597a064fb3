"""The customer's details stay the agent's, secrets stay secret, and no text reaches a shell.

- every file loopcloser creates (store, config, lock, index, export, handoff) is 0600, in
  folders it creates 0700, even under a permissive umask;
- doctor warns, with the fix, when others can read the store or replace it;
- a known SMTP password and webhook token, from the environment or the keyring, appear in
  no file, no output and no error, through failing deliveries too;
- no code path hands text to a shell.
"""

from __future__ import annotations

import ast
import json
import os
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, Session
from typer.testing import CliRunner

from loopcloser.cli.main import app
from tests.test_e2e import EXECUTABLE
from tests.test_mail import Collector, free_port
from tests.test_secrets import MemoryKeyring

# The test mail server takes a login without TLS on purpose; aiosmtpd warns about it.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

PASSWORD = "pw-7f3c9e1a-never-shown"
TOKEN = "tok-b41d0c77e2-secret"
SOURCE = Path(__file__).resolve().parents[1] / "loopcloser"


@pytest.fixture
def world(tmp_path: Path) -> dict[str, str]:
    """A user with an empty home: settings and store at the platform's default places."""
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    return {
        **{name: value for name, value in os.environ.items() if not name.startswith(
            ("LOOPCLOSER", "XDG_", "http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"))},
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_STATE_HOME": str(home / ".local" / "state"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "TMPDIR": str(tmp_path),
        "LOOPCLOSER_NOW": "2026-11-25T09:00:00Z",
        "NO_PROXY": "*",
        # Never the keyring of the machine running the tests.
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }  # fmt: skip


def loopcloser(
    env: dict[str, str], *args: str, umask: int = 0o022, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(EXECUTABLE), *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        umask=umask,
        timeout=120,
    )


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, f"{result.args}: {result.stderr}"
    return result


# --- private files -----------------------------------------------------------


@pytest.mark.parametrize("umask", [0o022, 0o000], ids=["umask-022", "umask-000"])
def test_every_file_is_private_in_private_folders_whatever_the_umask(
    world: dict[str, str], umask: int
) -> None:
    home = Path(world["HOME"])
    ok(loopcloser(world, "config", "set", "agent", "anna", umask=umask))
    for customer in ("Maria Rossi", "ACME"):
        ok(loopcloser(world, "add", customer, "call back", "--due", "today 11:00", umask=umask))
    for args in (("note", "1", "asked Finance"), ("done", "1"), ("undo",), ("list",),
                 ("export", "--format", "csv", "-o", str(home / "loops.csv")),
                 ("digest", "--markdown", "-o", str(home / "digest.md"))):  # fmt: skip
        ok(loopcloser(world, *args, umask=umask))
    later = {**world, "LOOPCLOSER_NOW": "2026-11-25T10:30:00Z"}
    ok(loopcloser(later, "remind", umask=umask))
    ok(loopcloser(later, "close", "2", "told them", umask=umask))
    evening = {**world, "LOOPCLOSER_NOW": "2026-11-25T18:00:00Z"}
    ok(loopcloser(evening, "archive", "--older-than", "1h", umask=umask))
    team = home / "team"
    team.mkdir(mode=0o700)
    in_team = {**world, "LOOPCLOSER_TEAM": str(team)}
    ok(loopcloser(in_team, "add", "Giulia", "send the form", "--due", "tomorrow", umask=umask))
    ok(loopcloser(in_team, "handoff", "1", "--to", "luca", "--note", "hers", "--new-agent",
                  umask=umask))  # fmt: skip

    made = {str(path.relative_to(home)): stat.S_IMODE(path.lstat().st_mode)
            for path in home.rglob("*")}  # fmt: skip
    files = {name: mode for name, mode in made.items() if not (home / name).is_dir()}
    folders = {name: mode for name, mode in made.items() if (home / name).is_dir()}
    data = ".local/share/loopcloser/"
    assert {f"{data}loops.json", f"{data}loops.json.lock", f"{data}.loops.json.open",
            f"{data}loops.json.remind.lock", f"{data}loops.archive/2026-11.json",
            ".config/loopcloser/config.toml", "loops.csv", "digest.md",
            "team/anna.json", "team/luca.json", "team/.handoffs.lock"} <= set(files)  # fmt: skip
    assert {name: mode for name, mode in files.items() if mode != 0o600} == {}
    assert {name: mode for name, mode in folders.items() if mode != 0o700} == {}


def test_doctor_warns_when_others_can_read_the_store_and_says_how_to_fix_it(
    world: dict[str, str],
) -> None:
    ok(loopcloser(world, "add", "Maria Rossi", "call back", "--due", "tomorrow"))
    store = Path(world["XDG_DATA_HOME"]) / "loopcloser" / "loops.json"
    assert findings(world)["permissions"]["ok"] is True
    for mode in (0o640, 0o604, 0o660, 0o644, 0o666):
        store.chmod(mode)
        permissions = findings(world)["permissions"]
        assert permissions["ok"] is False, oct(mode)
        assert "others can read customer details" in permissions["detail"]
        assert permissions["fix"] == f"chmod 600 {store}"
    warned = loopcloser(world, "doctor")
    assert warned.returncode == 5  # a script running doctor can tell
    assert "PROBLEM" in warned.stdout and f"chmod 600 {store}" in warned.stdout
    store.chmod(0o600)
    assert findings(world)["permissions"]["ok"] is True


def test_doctor_warns_when_anyone_can_replace_the_store(world: dict[str, str]) -> None:
    ok(loopcloser(world, "add", "Maria Rossi", "call back", "--due", "tomorrow"))
    folder = Path(world["XDG_DATA_HOME"]) / "loopcloser"
    assert findings(world)["folder"]["ok"] is True
    folder.chmod(0o777)
    found = findings(world)["folder"]
    assert found["ok"] is False and "anyone can replace" in found["detail"]
    assert found["fix"] == f"chmod 700 {folder}"
    folder.chmod(0o1777)  # the sticky bit: only the owner may replace their files
    assert findings(world)["folder"]["ok"] is True
    folder.chmod(0o770)  # a team shares its folder through a group
    assert findings(world)["folder"]["ok"] is True


def findings(env: dict[str, str]) -> dict[str, dict[str, Any]]:
    result = CliRunner().invoke(app, ["doctor", "--json"], env=env)
    checks = {check["name"]: check for check in json.loads(result.stdout)}
    # Exit 5 for a store or folder others may reach; 0 when all is well.
    unsafe = any(not checks[name]["ok"] for name in ("permissions", "folder"))
    assert result.exit_code == (5 if unsafe else 0), result.stderr
    return checks


# --- secrets -----------------------------------------------------------------


def refuse_every_login(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
) -> AuthResult:
    return AuthResult(success=False, handled=False)


@pytest.fixture
def mail_server() -> Iterator[int]:
    """An SMTP server on 127.0.0.1 that asks for a login and refuses every one."""
    port = free_port()
    controller = Controller(Collector(), hostname="127.0.0.1", port=port, auth_required=True,
                            auth_require_tls=False, authenticator=refuse_every_login)  # fmt: skip
    controller.start()
    yield port
    controller.stop()


class Forbidden(BaseHTTPRequestHandler):
    """A chat webhook that was revoked: 403 to every post."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(403)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def hook_server() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Forbidden)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def hook_url(port: int) -> str:
    return f"http://127.0.0.1:{port}/services/T000/B000/{TOKEN}?key={TOKEN}"


MAIL_SETTINGS = [("smtp_host", "127.0.0.1"), ("smtp_security", "none"), ("smtp_user", "anna"),
                 ("mail_from", "desk@example.com"), ("mail_to", "lead@example.com")]  # fmt: skip
# Everything a user might run around a failing delivery: each may print, log or write files.
AROUND = [("config", "list"), ("config", "list", "--json"), ("doctor",), ("doctor", "--json"),
          ("list",), ("show", "1", "--json"), ("export", "--format", "json"), ("status",),
          ("remind", "--dry-run")]  # fmt: skip
SENDS = [("digest", "--send", "email"), ("digest", "--send", "webhook", "--json"),
         ("digest", "--send", "email", "--html", "-o", "PAGE"),
         ("report", "--send", "webhook"), ("report", "--send", "email", "--json")]  # fmt: skip


def leaks(folder: Path, said: list[str]) -> list[str]:
    """Where the password or the token shows: files under ``folder``, and what was said."""
    found = [f"output {n}" for n, text in enumerate(said) if PASSWORD in text or TOKEN in text]
    for path in folder.rglob("*"):
        if path.is_file():
            content = path.read_bytes()
            if PASSWORD.encode() in content or TOKEN.encode() in content:
                found.append(str(path))
    return found


def test_secrets_from_the_environment_never_show_anywhere(
    world: dict[str, str], tmp_path: Path, mail_server: int, hook_server: int
) -> None:
    env = {**world, "LOOPCLOSER_SMTP_PASSWORD": PASSWORD,
           "LOOPCLOSER_WEBHOOK_URL": hook_url(hook_server)}  # fmt: skip
    said: list[str] = []
    config = Path(world["XDG_CONFIG_HOME"]) / "loopcloser" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(
        "".join(f'{key} = "{value}"\n' for key, value in MAIL_SETTINGS)
        + f'smtp_port = "{mail_server}"\n',
        encoding="utf-8",
    )
    ok(loopcloser(env, "add", "Maria Rossi", "call back", "--due", "today 11:00"))
    store = str(Path(world["XDG_DATA_HOME"]) / "loopcloser" / "loops.json")
    for number, args in enumerate(SENDS):
        extra = ("--store", store) if args[0] == "report" else ()
        args = tuple(str(tmp_path / "page.html") if arg == "PAGE" else arg for arg in args)
        debug = "1" if number % 2 else ""  # a traceback, if any, would show it
        result = loopcloser({**env, "LOOPCLOSER_DEBUG": debug}, *args, *extra)
        assert result.returncode == 6, result.stderr  # the delivery failed, in one line
        errors = [line for line in result.stderr.strip().split("\n") if "Wrote" not in line]
        assert len(errors) == 1 and "Traceback" not in result.stderr, result.stderr
        said += [result.stdout, result.stderr]
    for args in AROUND:
        result = CliRunner().invoke(app, list(args), env=env)
        assert result.exit_code == 0, f"{args}: {result.stderr}"
        said += [result.stdout, result.stderr]
    for name, value in (("smtp_password", PASSWORD), ("webhook_url", hook_url(hook_server))):
        result = loopcloser(env, "secret", "set", name, stdin=value + "\n")  # no keyring here
        assert result.returncode == 2 and "in the environment instead" in result.stderr
        said += [result.stdout, result.stderr]
    closed = {**env, "LOOPCLOSER_WEBHOOK_URL": hook_url(free_port())}  # nobody listens there
    result = loopcloser(closed, "digest", "--send", "webhook")
    assert result.returncode == 6
    said += [result.stdout, result.stderr]
    assert "refused the login for anna" in "".join(said)
    assert "answered HTTP 403" in "".join(said)
    assert leaks(tmp_path, said) == []


def test_secrets_from_the_keyring_never_show_anywhere(
    world: dict[str, str], tmp_path: Path, mail_server: int, hook_server: int,
    memory_keyring: MemoryKeyring,
) -> None:  # fmt: skip
    env: dict[str, str | None] = {**world, "PYTHON_KEYRING_BACKEND": None}
    env.update({name: None for name in os.environ if name.startswith("LOOPCLOSER")})
    env["LOOPCLOSER_NOW"] = world["LOOPCLOSER_NOW"]
    said: list[str] = []

    def run(*args: str, stdin: str | None = None, code: int = 0) -> None:
        result = CliRunner().invoke(app, list(args), env=env, input=stdin)
        assert result.exit_code == code, f"{args}: {result.stderr}"
        said.extend([result.stdout, result.stderr])

    run("secret", "set", "smtp_password", stdin=PASSWORD + "\n")
    run("secret", "set", "webhook_url", stdin=hook_url(hook_server) + "\n")
    assert set(memory_keyring.items.values()) == {PASSWORD, hook_url(hook_server)}
    for key, value in [*MAIL_SETTINGS, ("smtp_port", str(mail_server))]:
        run("config", "set", key, value)
    run("add", "Maria Rossi", "call back", "--due", "today 11:00")
    store = str(Path(world["XDG_DATA_HOME"]) / "loopcloser" / "loops.json")
    for args in SENDS:
        args = tuple(str(tmp_path / "page.html") if arg == "PAGE" else arg for arg in args)
        run(*args, *(("--store", store) if args[0] == "report" else ()), code=6)
    for args in AROUND:
        run(*args)
    assert "refused the login for anna" in "".join(said)
    assert leaks(tmp_path, said) == []


# --- no shell ----------------------------------------------------------------

SHELL_CALLS = {("os", "system"), ("os", "popen"), ("subprocess", "getoutput"),
               ("subprocess", "getstatusoutput"), ("pty", "spawn")}  # fmt: skip
RUNNERS = {"run", "Popen", "call", "check_call", "check_output"}


def shell_uses(path: Path) -> list[str]:
    """Calls in ``path`` that could hand text to a shell."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        where = f"{path.name}:{node.lineno}"
        function = node.func
        name = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", "")
        owner = getattr(function.value, "id", "") if isinstance(function, ast.Attribute) else ""
        if (owner, name) in SHELL_CALLS or name.startswith(("spawnl", "spawnv", "execl")):
            found.append(f"{where} {owner}.{name}")
        shell = [keyword.value for keyword in node.keywords if keyword.arg == "shell"]
        if shell and not (isinstance(shell[0], ast.Constant) and shell[0].value is False):
            found.append(f"{where} shell=")
        # A command given as one string is a command line for a shell to read.
        if name in RUNNERS and node.args and isinstance(node.args[0], ast.Constant | ast.JoinedStr
                                                        | ast.BinOp):  # fmt: skip
            found.append(f"{where} {name} with a string")
    return found


def test_no_code_path_hands_text_to_a_shell() -> None:
    sources = sorted(SOURCE.rglob("*.py"))
    assert len(sources) > 30
    assert [use for path in sources for use in shell_uses(path)] == []


def test_the_check_would_see_a_shell_if_there_were_one(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import os, subprocess\nos.system(x)\nsubprocess.run(x, shell=True)\n"
        "subprocess.Popen(f'notify {text}')\nsubprocess.run(['notify-send', text])\n",
        encoding="utf-8",
    )
    assert [use.split(" ", 1)[1] for use in shell_uses(sample)] == [
        "os.system", "shell=", "Popen with a string"]  # fmt: skip


DELIVERY = """
import json, sys
with open(sys.argv[1], "a", encoding="utf-8") as log:
    log.write(json.loads(sys.stdin.read())["message"] + "\\n")
"""


def test_a_hostile_customer_name_reaches_the_delivery_command_as_text(
    world: dict[str, str], tmp_path: Path
) -> None:
    script, log = tmp_path / "deliver.py", tmp_path / "delivered.txt"
    script.write_text(DELIVERY, encoding="utf-8")
    ok(loopcloser(world, "config", "set", "delivery", "command"))
    ok(loopcloser(world, "config", "set", "delivery_command", f"{sys.executable} {script} {log}"))
    hostile = f"$(touch {tmp_path}/pwned); `touch {tmp_path}/pwned2` | tee x & echo"
    ok(loopcloser(world, "add", hostile, "call back; rm -rf ~", "--due", "today 11:00"))
    ok(loopcloser({**world, "LOOPCLOSER_NOW": "2026-11-25T10:30:00Z"}, "remind"))
    assert hostile in log.read_text(encoding="utf-8")
    assert not (tmp_path / "pwned").exists() and not (tmp_path / "pwned2").exists()
