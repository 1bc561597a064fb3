"""doctor on a healthy and on a broken setup."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.conftest import Run

Add = Callable[..., int]


def findings(run: Run, *args: str) -> dict[str, dict[str, object]]:
    result = run("doctor", "--json", *args)
    assert result.code == 0, result.err
    return {check["name"]: check for check in result.json()}


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
