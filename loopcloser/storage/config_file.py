"""The settings file: a TOML file of the agent's settings, read and saved under a lock.

What each setting means and how it is checked is ``core.settings``; this module
reads the file, fills in what the machine says (the login name, the system's
time zone) and saves one setting at a time without losing another's.
"""

from __future__ import annotations

import os
from datetime import tzinfo
from pathlib import Path
from typing import Any

from loopcloser.core.errors import BadInput, StoreError
from loopcloser.core.settings import KEYS, Settings, check_hub, check_working_day, known
from loopcloser.core.words import N_, _, n_

APP = "loopcloser"


def default_agent() -> str:
    """The login name, as a sensible owner until the agent sets one."""
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "me"


def config_path(override: str | None = None) -> Path:
    """``override`` (LOOPCLOSER_CONFIG), else config.toml in the user config directory."""
    if override:
        return Path(override).expanduser()
    from platformdirs import user_config_path

    return user_config_path(APP) / "config.toml"


def read_file(path: Path) -> dict[str, str]:
    """The raw settings in the file; missing file means none."""
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as error:
        raise StoreError(
            _("cannot read config {path}: {reason}").format(
                path=path, reason=error.strerror or error
            ),
            hint=_("check the file's permissions, or point LOOPCLOSER_CONFIG elsewhere"),
        ) from None
    except UnicodeDecodeError:
        raise BadInput(
            _("config {path} is not UTF-8 text").format(path=path), hint=_(FIX_FILE)
        ) from None
    data: dict[str, Any] | None = plain_settings(raw)
    if data is None:
        import tomllib

        try:
            data = tomllib.loads(raw)
        except tomllib.TOMLDecodeError as error:
            raise BadInput(
                _("config {path} is not valid TOML: {error}").format(path=path, error=error),
                hint=_(FIX_FILE),
            ) from None
    unknown = sorted(set(data) - set(KEYS))
    if unknown:
        raise BadInput(
            n_(
                "config {path} has unknown setting {names}",
                "config {path} has unknown setting {names}",
                len(unknown),
            ).format(path=path, names=", ".join(unknown)),
            hint=_("known settings: {names}").format(names=", ".join(KEYS)),
        )
    for name, value in data.items():
        # A port is naturally written as a number in TOML: take it as text.
        if name == "smtp_port" and type(value) is int:
            data[name] = str(value)
            continue
        if not isinstance(value, str):
            raise BadInput(
                _("config {path}: {name} must be text in quotes").format(path=path, name=name),
                hint=_('e.g. {name} = "{default}"').format(name=name, default=KEYS[name].default()),
            )
    return data


FIX_FILE = N_("fix the file, or remove it to start again from the defaults")


def plain_settings(text: str) -> dict[str, str] | None:
    """The settings of a file of ``name = "text"`` lines (blank lines and comments
    between), as tomllib reads them; None for any other TOML, which tomllib reads.

    The file loopcloser writes, and almost any written by hand, is of this form: read
    here, it costs no import of tomllib and its regular expressions (~2 ms).
    """
    found: dict[str, str] = {}
    for line in text.split("\n"):  # TOML's line ends: "\n" and "\r\n", nothing else
        line = line.removesuffix("\r").strip(" \t")
        if not line.isprintable():  # control characters: tomllib says what is wrong
            return None
        if not line or line.startswith("#"):
            continue
        name, equals, value = line.partition("=")
        name, value = name.rstrip(" \t"), value.lstrip(" \t")
        bare = name.isascii() and name.replace("_", "a").replace("-", "a").isalnum()
        # A basic string without quotes or escapes inside; no comment after it.
        text_only = len(value) >= 2 and value[0] == value[-1] == '"'
        text_only = text_only and '"' not in value[1:-1] and "\\" not in value
        if not (equals and bare and text_only) or name in found:
            return None
        found[name] = value[1:-1]
    return found


def load(path: Path, team_override: str = "", hub_override: str = "") -> Settings:
    """Settings from the config file, each checked, defaults for the rest.

    ``team_override`` is a team folder given for this run (LOOPCLOSER_TEAM).
    """
    stored = read_file(path)
    values = {}
    for name, key in KEYS.items():
        try:
            if name in stored:
                values[name] = key.check(stored[name])
            else:
                # The login name is looked up only when no agent is set (getpass costs ~1 ms).
                values[name] = default_agent() if name == "agent" else key.default()
        except BadInput as error:
            hint = _("fix it with: loopcloser config set {name} VALUE").format(name=name)
            raise BadInput(
                _("config {path}: {message}").format(path=path, message=error.message), hint=hint
            ) from None
    check_working_day(values, path)
    if hub_override:
        check_hub(hub_override)
    return Settings(
        values, system_zone=local_zone(), team_override=team_override, hub_override=hub_override
    )


def local_zone() -> tzinfo:
    """The system's time zone, with its daylight-saving rules (not a fixed offset)."""
    from zoneinfo import ZoneInfo

    # zoneinfo reads TZ and /etc/localtime in ~0.1 ms; dateutil's tzlocal costs ~8 ms
    # to import, so it is only the fallback where neither exists (Windows).
    name = os.environ.get("TZ", "").lstrip(":")
    try:
        if name:
            return ZoneInfo(name)
        with open("/etc/localtime", "rb") as localtime:
            return ZoneInfo.from_file(localtime, key="localtime")
    except (OSError, ValueError, KeyError):  # ZoneInfoNotFoundError is a KeyError
        from dateutil.tz import tzlocal

        return tzlocal()


def save(name: str, value: str, path: Path) -> str:
    """Check and store one setting; returns the value as stored."""
    import tomli_w

    from loopcloser.storage.atomic import write_atomically
    from loopcloser.storage.store import exclusive

    checked = known(name).check(value)
    target = path
    # Read and rewritten under a lock: two settings saved at once both stay.
    with exclusive(target.with_name(f"{target.name}.lock"), 10.0, target):
        stored = read_file(target)
        stored[name] = checked
        defaults = {
            key: stored.get(key) or KEYS[key].default() for key in ("work_start", "work_end")
        }
        check_working_day(defaults, target)
        write_atomically(target, tomli_w.dumps(stored).encode("utf-8"))
    return checked
