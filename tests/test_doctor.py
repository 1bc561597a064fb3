"""doctor on a healthy and on a broken setup."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Run, mail_settings

Add = Callable[..., int]


def findings(run: Run, *args: str) -> dict[str, dict[str, object]]:
    result = run("doctor", "--json", *args)
    checks = {check["name"]: check for check in result.json()}
    # A script can tell: 0 when all is well, else the code of the first problem.
    problems = [name for name, check in checks.items() if not check["ok"]]
    assert result.code == (EXIT[problems[0]] if problems else 0), (problems, result.err)
    return checks


EXIT = {"store": 5, "permissions": 5, "folder": 5, "lock": 5, "config": 2}
EXIT |= {"keyring": 6, "delivery": 6}


def test_a_healthy_store_passes(run: Run, add: Add) -> None:
    add()
    checks = findings(run)
    for name in ("store", "permissions", "lock", "config", "delivery"):
        assert checks[name]["ok"] is True, checks[name]
    assert "holds 1 loop" in str(checks["store"]["detail"])


def test_a_broken_setup_is_reported_with_fixes(run: Run, add: Add, home: Path) -> None:
    add()
    store = home / "loops.json"
    store.chmod(0o644)
    run("config", "set", "delivery", "command")
    run("config", "set", "delivery_command", "no-such-notifier --json")
    checks = findings(run)
    assert checks["permissions"]["ok"] is False
    assert checks["permissions"]["fix"] == f"chmod 600 {store}"
    assert checks["delivery"]["ok"] is False and checks["delivery"]["fix"]
    store.write_text("{broken", encoding="utf-8")
    broken = findings(run)["store"]
    assert broken["ok"] is False and "not valid JSON" in str(broken["detail"])
    (home / "config.toml").write_text("agent = \n", encoding="utf-8")
    assert findings(run, "--store", str(store))["config"]["ok"] is False
    assert "PROBLEM" in run("doctor").out


def test_exit_codes_follow_the_first_problem(run: Run, add: Add, home: Path) -> None:
    add()
    assert run("doctor").code == 0
    run("config", "set", "delivery", "command")
    run("config", "set", "delivery_command", "no-such-notifier")
    assert run("doctor").code == 6
    (home / "loops.json").chmod(0o644)
    assert run("doctor").code == 5


def test_no_keyring_is_a_problem_only_when_a_mail_login_needs_one(
    run: Run, add: Add, monkeypatch: pytest.MonkeyPatch
) -> None:
    import keyring
    import keyring.backends.fail

    add()
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    try:
        monkeypatch.delenv("LOOPCLOSER_SMTP_PASSWORD", raising=False)
        assert findings(run)["keyring"]["ok"] is True
        run("config", "set", "smtp_user", "anna@example.com")
        missing = findings(run)["keyring"]
        assert missing["ok"] is False and "LOOPCLOSER_SMTP_PASSWORD" in str(missing["fix"])
        monkeypatch.setenv("LOOPCLOSER_SMTP_PASSWORD", "from the environment")
        assert findings(run)["keyring"]["ok"] is True
    finally:
        keyring.set_keyring(previous)


def test_email_delivery_is_checked_for_the_mail_settings(run: Run, add: Add) -> None:
    add()
    run("config", "set", "delivery", "email")
    lacking = findings(run)["delivery"]
    assert lacking["ok"] is False
    assert "not set: smtp_host, mail_from, mail_to" in str(lacking["detail"])
    assert "loopcloser config set smtp_host" in str(lacking["fix"])
    mail_settings(run, 2525)
    ready = findings(run)["delivery"]
    assert ready["ok"] is True, ready
    assert ready["detail"] == "email to lead@example.com, anna@example.com via 127.0.0.1:2525"


@pytest.mark.usefixtures("memory_keyring")
def test_webhook_delivery_is_checked_for_the_url_which_stays_secret(
    run: Run, add: Add, monkeypatch: pytest.MonkeyPatch
) -> None:
    add()
    monkeypatch.delenv("LOOPCLOSER_WEBHOOK_URL", raising=False)
    run("config", "set", "delivery", "webhook")
    lacking = findings(run)["delivery"]
    assert lacking["ok"] is False
    assert "loopcloser secret set webhook_url" in str(lacking["fix"])
    monkeypatch.setenv("LOOPCLOSER_WEBHOOK_URL", "https://hooks.example.com/T0/secret-token")
    ready = findings(run)["delivery"]
    assert (ready["ok"], ready["detail"]) == (True, "webhook at https://hooks.example.com")
    assert "secret-token" not in run("doctor").out
