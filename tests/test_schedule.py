"""Scheduling ``loopcloser remind``: cron lines, systemd units, and installing them."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from loopcloser.core.errors import BadInput, StoreError
from loopcloser.services.schedule import (
    MARKER,
    SERVICE,
    TIMER,
    cron_line,
    install_cron,
    install_systemd,
    systemd_units,
    systemd_user_dir,
)

EXE = "/opt/loop closer/bin/loopcloser"
ENV = {"LOOPCLOSER_STORE": "/home/o'brien/my loops/loops.json", "LOOPCLOSER_CONFIG": "/c/cfg.toml"}


def test_cron_line_quotes_paths_with_spaces_and_quotes() -> None:
    line = cron_line(EXE, 5, ENV, "/home/o'brien/log dir/remind.log")
    assert line.startswith("*/5 * * * * ")
    assert line.endswith(MARKER)
    command = line.removeprefix("*/5 * * * * ")
    words = shlex.split(command, comments=True)
    assert words == [
        "umask",
        "077;",
        "LOOPCLOSER_CONFIG=/c/cfg.toml",
        "LOOPCLOSER_STORE=/home/o'brien/my loops/loops.json",
        EXE,
        "remind",
        ">>",
        "/home/o'brien/log dir/remind.log",
        "2>&1",
    ]


def test_cron_line_runs_in_a_shell_as_intended(tmp_path: Path) -> None:
    exe = tmp_path / "my bin" / "it's loopcloser"
    exe.parent.mkdir()
    exe.write_text(
        '#!/bin/sh\nprintf \'%s|%s\\n\' "$LOOPCLOSER_STORE" "$1"\necho oops >&2\n',
        encoding="utf-8",
    )
    exe.chmod(0o755)
    log = tmp_path / "a log's file.log"
    line = cron_line(str(exe), 5, {"LOOPCLOSER_STORE": "/x/it's $HOME `x`"}, str(log))
    command = line.removeprefix("*/5 * * * * ")
    subprocess.run(["/bin/sh", "-c", command], check=True)
    assert log.read_text() == "/x/it's $HOME `x`|remind\noops\n"


def test_cron_line_escapes_percent_for_cron() -> None:
    line = cron_line(EXE, 5, {"LOOPCLOSER_STORE": "/x/100%/loops.json"}, "/log")
    assert "100\\%" in line
    assert "%" not in line.replace("\\%", "")


@pytest.mark.parametrize("every", [0, 60, -5, True])
def test_cron_interval_must_be_1_to_59_minutes(every: int) -> None:
    with pytest.raises(BadInput):
        cron_line(EXE, every, {}, "/log")


def test_cron_refuses_relative_executable_and_line_breaks() -> None:
    with pytest.raises(BadInput):
        cron_line("loopcloser", 5, {}, "/log")
    with pytest.raises(BadInput):
        cron_line(EXE, 5, {"LOOPCLOSER_STORE": "/x\n* * * * * evil"}, "/log")
    with pytest.raises(BadInput):
        cron_line(EXE, 5, {"BAD NAME": "x"}, "/log")


@pytest.fixture
def fake_crontab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A ``crontab`` on PATH that keeps the table in a file; says "no crontab" when empty."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    table = tmp_path / "crontab.txt"
    script = bin_dir / "crontab"
    script.write_text(
        f"#!{sys.executable}\n"
        "import pathlib, sys\n"
        f"table = pathlib.Path({str(table)!r})\n"
        "if sys.argv[1:] == ['-l']:\n"
        "    if not table.exists():\n"
        "        sys.stderr.write('no crontab for anna\\n')\n"
        "        sys.exit(1)\n"
        "    sys.stdout.write(table.read_text())\n"
        "elif sys.argv[1:] == ['-']:\n"
        "    table.write_text(sys.stdin.read())\n"
        "else:\n"
        "    sys.exit(2)\n",
        encoding="utf-8",
    )
    script.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    return table


def test_installing_twice_leaves_one_loopcloser_line(fake_crontab: Path) -> None:
    fake_crontab.write_text("MAILTO=anna\n0 3 * * * /usr/bin/backup\n")
    install_cron(cron_line(EXE, 5, ENV, "/log"))
    second = cron_line(EXE, 10, ENV, "/log")
    returned = install_cron(second)
    table = fake_crontab.read_text()
    assert returned == table
    assert table.splitlines() == ["MAILTO=anna", "0 3 * * * /usr/bin/backup", second]
    assert table.endswith("\n")


def test_install_into_no_crontab_starts_an_empty_one(fake_crontab: Path) -> None:
    line = cron_line(EXE, 5, {}, "/log")
    install_cron(line)
    assert fake_crontab.read_text() == line + "\n"


def test_install_marks_a_line_without_the_marker(fake_crontab: Path) -> None:
    install_cron("*/5 * * * * /usr/bin/loopcloser remind")
    install_cron("*/7 * * * * /usr/bin/loopcloser remind")
    assert fake_crontab.read_text() == f"*/7 * * * * /usr/bin/loopcloser remind {MARKER}\n"


def test_crontab_that_fails_otherwise_is_reported(
    fake_crontab: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    script = broken / "crontab"
    script.write_text("#!/bin/sh\necho 'you are not allowed to use cron' >&2\nexit 1\n")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", str(broken))
    with pytest.raises(StoreError, match="not allowed"):
        install_cron(cron_line(EXE, 5, {}, "/log"))


def test_missing_crontab_is_bad_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(BadInput, match="crontab is not installed") as caught:
        install_cron(cron_line(EXE, 5, {}, "/log"))
    assert caught.value.hint == "use --install systemd, or install cron"


def test_systemd_units_hold_executable_environment_and_schedule() -> None:
    units = systemd_units(EXE, 15, {**ENV, "ODD": 'a "b" \\c 50% $HOME'})
    assert set(units) == {SERVICE, TIMER}
    service, timer = units[SERVICE], units[TIMER]
    assert "Type=oneshot\n" in service
    assert f'ExecStart="{EXE}" remind\n' in service
    assert f'Environment="LOOPCLOSER_STORE={ENV["LOOPCLOSER_STORE"]}"\n' in service
    assert 'Environment="LOOPCLOSER_CONFIG=/c/cfg.toml"\n' in service
    assert 'Environment="ODD=a \\"b\\" \\\\c 50%% $HOME"\n' in service
    assert "OnCalendar=*:0/15\n" in timer
    assert "Persistent=true\n" in timer
    assert "WantedBy=timers.target\n" in timer


def test_systemd_exec_start_escapes_specifiers_and_variables() -> None:
    units = systemd_units("/opt/100% $real/loopcloser", 5, {})
    assert 'ExecStart="/opt/100%% $$real/loopcloser" remind\n' in units[SERVICE]


def test_install_systemd_writes_both_units(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))
    units = systemd_units(EXE, 5, ENV)
    directory = tmp_path / "systemd" / "user"
    paths = install_systemd(units, directory)
    assert sorted(paths) == [directory / SERVICE, directory / TIMER]
    for path in paths:
        assert path.read_text(encoding="utf-8") == units[path.name]


def test_systemd_units_go_under_xdg_config_home_else_dot_config(tmp_path: Path) -> None:
    assert systemd_user_dir(str(tmp_path / "xdg")) == tmp_path / "xdg" / "systemd" / "user"
    assert systemd_user_dir(None) == Path.home() / ".config" / "systemd" / "user"
    assert systemd_user_dir("") == Path.home() / ".config" / "systemd" / "user"


def test_install_systemd_enables_the_timer_when_systemctl_exists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "calls.txt"
    systemctl = bin_dir / "systemctl"
    systemctl.write_text(f'#!/bin/sh\necho "$*" >> {shlex.quote(str(calls))}\n')
    systemctl.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    install_systemd(systemd_units(EXE, 5, {}), tmp_path / "units")
    assert calls.read_text().splitlines() == [
        "--user daemon-reload",
        f"--user enable --now {TIMER}",
    ]
