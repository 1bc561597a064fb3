"""What loopcloser sends out cannot be turned against its reader, and no secret goes along.

- every program loopcloser runs (the delivery command, notify-send, crontab,
  systemctl) gets this environment without a secret loopcloser knows of.
"""

from __future__ import annotations

import ast
import json
import shlex
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from loopcloser.services import schedule
from tests.conftest import Run

Add = Callable[..., int]

SOURCE = Path(__file__).resolve().parents[1] / "loopcloser"
# Wednesday 25 November 2026, 11:00 in Rome: a loop due "today 11:00" is due.
DUE = "2026-11-25T10:00:00Z"


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


RUNNERS = {"run", "Popen", "call", "check_call", "check_output"}


def runs_without_a_clean_environment(path: Path) -> list[str]:
    """Calls in ``path`` that start a program without ``env=child_environment()``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
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
        "subprocess.run(['c'], env=child_environment())\n",
        encoding="utf-8",
    )
    assert [call.split(" ")[1] for call in runs_without_a_clean_environment(sample)] == [
        "subprocess.run",
        "subprocess.Popen",
    ]
