"""Settings: what each one means, how its value is checked, and the values in force.

Pure: the config file is read and written by ``storage.config_file``, and what
depends on the machine (the login name, the system's time zone, LOOPCLOSER_TEAM)
is handed in by whoever builds :class:`Settings`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, time, timedelta, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from loopcloser.core.errors import BadInput
from loopcloser.core.text import MAX_NAME, one_line_name
from loopcloser.core.ways_out import Cargo, check_way
from loopcloser.core.words import N_, NP_, _

if TYPE_CHECKING:
    from loopcloser.core.reminders import Rules
    from loopcloser.core.when import Calendar

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# As stored and typed (--via phone); marked so that a text a person reads can name each
# one in words, with p_("channel", name).
CHANNELS = (NP_("channel", "phone"), NP_("channel", "email"), NP_("channel", "chat"),
            NP_("channel", "social"), NP_("channel", "in-person"), NP_("channel", "video"),
            NP_("channel", "sms"), NP_("channel", "letter"))  # fmt: skip


def check_agent(value: str) -> str:
    """An agent name: one line of text, without control characters or line separators."""
    value = value.strip()
    if not one_line_name(value):
        raise BadInput(
            _(
                "the agent name must be one line of 1 to {max} characters, without"
                " control characters or line and paragraph separators"
            ).format(max=MAX_NAME),
            hint=_("e.g. anna"),
        )
    return value


def check_timezone(value: str) -> str:
    """An IANA zone name such as Europe/Rome, or empty for the system's zone."""
    value = value.strip()
    if value:
        zone_of(value)
    return value


def check_clock(value: str) -> str:
    """A time of day as HH:MM."""
    match = re.fullmatch(r"(\d{1,2})[:.](\d{2})", value.strip())
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise BadInput(
            _("'{value}' is not a time of day").format(value=value),
            hint=_("write it as HH:MM, e.g. 17:30"),
        )
    return f"{int(match[1]):02d}:{match[2]}"


def check_workdays(value: str) -> str:
    """Working days as a comma-separated list or range of mon..sun."""
    days: list[str] = []
    for part in value.lower().replace(" ", "").split(","):
        first, _dash, last = part.partition("-")
        if first not in WEEKDAYS or (last and last not in WEEKDAYS):
            raise BadInput(
                _("'{value}' is not a list of weekdays").format(value=value),
                hint=_("for example mon-fri or mon,tue,thu"),
            )
        start, end = WEEKDAYS.index(first), WEEKDAYS.index(last or first)
        # A range may wrap past Sunday: "sun-thu" is Sunday to Thursday.
        span = WEEKDAYS[start : end + 1] if start <= end else WEEKDAYS[start:] + WEEKDAYS[: end + 1]
        days.extend(day for day in span if day not in days)
    if not days:
        raise BadInput(_("at least one working day is needed"), hint=_("for example mon-fri"))
    return ",".join(sorted(days, key=WEEKDAYS.index))


def check_date_order(value: str) -> str:
    """day-first (30/11) or month-first (11/30)."""
    value = value.strip().lower()
    if value not in ("day-first", "month-first"):
        raise BadInput(
            _("'{value}' is not a date order").format(value=value),
            hint=_("use day-first or month-first"),
        )
    return value


def check_channel(value: str) -> str:
    """A channel name, one of CHANNELS."""
    value = value.strip().lower()
    if value not in CHANNELS:
        raise BadInput(
            _("'{value}' is not a channel").format(value=value),
            hint=_("use one of: {names}").format(names=", ".join(CHANNELS)),
        )
    return value


def check_folder(value: str) -> str:
    """A folder path (~ expanded when used), or empty for none."""
    value = value.strip()
    if "\n" in value:
        raise BadInput(_("a folder path must be one line"), hint=_("e.g. /srv/loopcloser/team"))
    return value


OFF = ("off", "no", "none", "never", "")


def check_durations(value: str) -> str:
    """Comma-separated intervals (2h, 1d), or off."""
    from loopcloser.core.when import format_duration, parse_duration

    value = value.strip().lower()
    if value in OFF:
        return "off"
    return ",".join(format_duration(parse_duration(part)) for part in value.split(","))


def check_duration_or_off(value: str) -> str:
    """One interval (3d, 4h), or off."""
    checked = check_durations(value)
    if "," in checked:
        raise BadInput(
            _("'{value}' is more than one interval").format(value=value),
            hint=_("give one, e.g. 3d, or off"),
        )
    return checked


def check_clock_or_off(value: str) -> str:
    """A time of day HH:MM, or off."""
    return "off" if value.strip().lower() in OFF else check_clock(value)


def check_yes_no(value: str) -> str:
    """yes or no."""
    value = value.strip().lower()
    if value in ("yes", "true", "on", "1"):
        return "yes"
    if value in ("no", "false", "off", "0"):
        return "no"
    raise BadInput(_("'{value}' is not yes or no").format(value=value), hint=_("use yes or no"))


def check_delivery(value: str) -> str:
    """A way out that can carry reminders (``core.ways_out``)."""
    return check_way(value, Cargo.REMINDERS)


def check_command(value: str) -> str:
    """A command line that splits into words (it is never run through a shell)."""
    import shlex

    try:
        shlex.split(value)
    except ValueError as error:
        raise BadInput(
            _("cannot read the command: {error}").format(error=error), hint=_("check its quotes")
        ) from None
    return value.strip()


def check_text(value: str) -> str:
    """One line of text, or empty."""
    if "\n" in value:
        raise BadInput(_("the value must be one line"), hint=_("remove the line break"))
    return value.strip()


def check_hub(value: str) -> str:
    """A libpq connection string for the team hub, or empty; never one holding a password.

    The settings file is no place for a password: it belongs in the keyring (secret
    hub_password), LOOPCLOSER_HUB_PASSWORD, or libpq's own ~/.pgpass.
    """
    from urllib.parse import urlsplit

    value = check_text(value)
    hint = _("drop it from the URL and keep it in the keyring: loopcloser secret set hub_password")
    if value.startswith(("postgresql://", "postgres://")):
        try:
            password = urlsplit(value).password
        except ValueError:
            raise BadInput(
                _("'{value}' is not a hub URL").format(value=value),
                hint=_("e.g. postgresql://anna@db/loops"),
            ) from None
        if password or "password=" in value.lower():
            raise BadInput(_("the hub URL holds a password"), hint=hint)
    elif value and re.search(r"(^|\s)password\s*=", value, re.IGNORECASE):
        raise BadInput(_("the hub connection string holds a password"), hint=hint)
    elif value and "=" not in value:
        raise BadInput(
            _("'{value}' is not a hub URL").format(value=value),
            hint=_("e.g. postgresql://anna@db.example/loops"),
        )
    return value


def check_seconds(value: str) -> str:
    """A wait in whole seconds, 1 to 120."""
    value = value.strip().removesuffix("s")
    if not value.isdigit() or not 1 <= int(value) <= 120:
        raise BadInput(
            _("'{value}' is not a wait of 1 to 120 seconds").format(value=value), hint=_("e.g. 5")
        )
    return str(int(value))


def check_port(value: str) -> str:
    """A TCP port number."""
    value = value.strip()
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise BadInput(
            _("'{value}' is not a port").format(value=value),
            hint=_("e.g. 587 for STARTTLS or 465 for TLS"),
        )
    return str(int(value))


def check_language(value: str) -> str:
    """A language loopcloser speaks ("it", "en"), or empty: the locale's."""
    from loopcloser.core.words import LANGUAGES

    value = value.strip().lower()
    if value and value not in LANGUAGES:
        raise BadInput(
            _("'{value}' is not a language loopcloser speaks").format(value=value),
            hint=_("use one of: {names}, or empty for the locale's (LANG)").format(
                names=", ".join(LANGUAGES)
            ),
        )
    return value


def check_security(value: str) -> str:
    """starttls, tls or none."""
    value = value.strip().lower()
    if value not in ("starttls", "tls", "none"):
        raise BadInput(
            _("'{value}' is not a security mode").format(value=value),
            hint=_("use starttls, tls or none"),
        )
    return value


class Key(NamedTuple):
    """One setting: its default, how it is checked and what it means."""

    default: Callable[[], str]
    check: Callable[[str], str]
    help: str
    """What it means, marked for the catalog: looked up with ``_`` where shown."""


KEYS: dict[str, Key] = {
    # The login name stands in until the agent sets one: the loader knows it.
    "agent": Key(lambda: "me", check_agent, N_("your name, the owner of the loops you add")),
    "timezone": Key(
        lambda: "", check_timezone, N_("IANA time zone, e.g. Europe/Rome (empty: system)")
    ),
    "work_start": Key(lambda: "09:00", check_clock, N_("start of the working day, HH:MM")),
    "work_end": Key(lambda: "17:30", check_clock, N_("end of the working day (eod), HH:MM")),
    "work_days": Key(
        lambda: "mon,tue,wed,thu,fri", check_workdays, N_("working days, e.g. mon-fri")
    ),
    "language": Key(
        lambda: "",
        check_language,
        N_("it or en: the language loopcloser speaks (empty: from LANG, LC_MESSAGES, LC_ALL)"),
    ),
    "date_order": Key(
        lambda: "day-first", check_date_order, N_("how 3/4 reads: day-first or month-first")
    ),
    "default_channel": Key(
        lambda: "phone", check_channel, N_("channel used when --via is not given")
    ),
    "team": Key(
        lambda: "", check_folder, N_("team folder: one store per agent, AGENT.json (empty: none)")
    ),
    "remind_before": Key(
        lambda: "2h",
        check_durations,
        N_("remind this much working time before a due, e.g. 2h or 8h,2h (off: never)"),
    ),
    "remind_at_due": Key(lambda: "yes", check_yes_no, N_("remind when a due arrives: yes or no")),
    "overdue_morning": Key(
        lambda: "09:00",
        check_clock_or_off,
        N_("remind each working morning at HH:MM while overdue"),
    ),
    "update_every": Key(
        lambda: "off",
        check_duration_or_off,
        N_("default update cadence for the customer, e.g. 3d"),
    ),
    "untold_after": Key(
        lambda: "4h", check_duration_or_off, N_("remind when done but untold for this long")
    ),
    "archive_after": Key(
        # A day: the store every write rewrites then holds the open loops and about a
        # day of finished ones, however long it has been used.
        lambda: "1d",
        check_duration_or_off,
        N_("move loops closed or cancelled this long ago to the archive (off: never)"),
    ),
    "delivery": Key(
        lambda: "terminal",
        check_delivery,
        # Fixed words, so that the catalog can hold them: they name every way out that
        # carries reminders (core.ways_out), as tests/test_ways_out.py checks.
        N_("reminders go by terminal, desktop, command, email or webhook"),
    ),
    "smtp_host": Key(lambda: "", check_text, N_("SMTP server for digest/report --send email")),
    "smtp_port": Key(lambda: "587", check_port, N_("SMTP port (587 STARTTLS, 465 TLS, 25 none)")),
    "smtp_security": Key(lambda: "starttls", check_security, N_("starttls, tls or none")),
    "smtp_user": Key(
        lambda: "", check_text, N_("SMTP login (its password: loopcloser secret set)")
    ),
    "mail_from": Key(lambda: "", check_text, N_("sender address of mailed digests and reports")),
    "mail_to": Key(lambda: "", check_text, N_("recipients, comma-separated")),
    "hub": Key(
        lambda: "",
        check_hub,
        N_("the team hub: a libpq URL without password, e.g. postgresql://anna@db/loops"),
    ),
    "hub_timeout": Key(
        lambda: "5", check_seconds, N_("seconds to wait for the hub before working offline")
    ),
    "delivery_command": Key(
        lambda: "",
        check_command,
        N_("with delivery = command: a program given each reminder as JSON"),
    ),
}


class Settings:
    """The effective settings: file values over defaults.

    ``system_zone`` is the machine's zone, used when ``timezone`` is empty;
    ``team_override`` a team folder given for this run (LOOPCLOSER_TEAM). Settings
    are equal when they say the same, whatever machine they were read on. Not a
    dataclass: one is made at every start, and a dataclass costs a millisecond.
    """

    __slots__ = ("hub_override", "system_zone", "team_override", "values")

    def __init__(
        self,
        values: dict[str, str],
        system_zone: tzinfo = UTC,
        team_override: str = "",
        hub_override: str = "",
    ) -> None:
        self.values = values
        self.system_zone = system_zone
        self.team_override = team_override
        self.hub_override = hub_override

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Settings):
            return NotImplemented
        said = (self.values, self.team_override, self.hub_override)
        return said == (other.values, other.team_override, other.hub_override)

    __hash__ = None  # type: ignore[assignment]  # its values are a dict

    def __repr__(self) -> str:
        return (
            f"Settings({self.values!r}, team_override={self.team_override!r},"
            f" hub_override={self.hub_override!r})"
        )

    def __getitem__(self, name: str) -> str:
        return self.values[name]

    @property
    def team(self) -> Path | None:
        """The team folder: the one given for this run, else the ``team`` setting, else None."""
        folder = self.team_override or self.values["team"]
        return Path(folder).expanduser() if folder else None

    @property
    def hub(self) -> str | None:
        """The team hub's URL: the one given for this run, else the ``hub`` setting."""
        return self.hub_override or self.values["hub"] or None

    @property
    def tz(self) -> tzinfo:
        """The time zone in which dates are read and shown."""
        name = self.values["timezone"]
        return zone_of(name) if name else self.system_zone

    @property
    def cadence(self) -> timedelta | None:
        """The default update cadence for loops without their own (None: none)."""
        return interval(self.values["update_every"])

    @property
    def archive_after(self) -> timedelta | None:
        """How long a finished loop stays in the store before the archive (None: for ever)."""
        return interval(self.values["archive_after"])

    def rules(self) -> Rules:
        """The reminder defaults, from the remind_* settings."""
        from loopcloser.core.reminders import Rules
        from loopcloser.core.when import parse_duration

        before = self.values["remind_before"]
        morning = self.values["overdue_morning"]
        return Rules(
            before_due=() if before == "off" else tuple(map(parse_duration, before.split(","))),
            at_due=self.values["remind_at_due"] == "yes",
            overdue_morning=None if morning == "off" else time.fromisoformat(morning),
            update_every=self.cadence,
            untold_after=interval(self.values["untold_after"]),
        )

    def calendar(self) -> Calendar:
        """The working calendar that date words are read against."""
        from loopcloser.core.when import Calendar

        start, end = (time.fromisoformat(self.values[name]) for name in ("work_start", "work_end"))
        days = frozenset(WEEKDAYS.index(day) for day in self.values["work_days"].split(","))
        return Calendar(
            tz=self.tz,
            day_first=self.values["date_order"] == "day-first",
            work_start=start,
            work_end=end,
            work_days=days,
        )


INTERVAL_UNITS = {
    "m": timedelta(minutes=1),
    "h": timedelta(hours=1),
    "d": timedelta(days=1),
    "w": timedelta(weeks=1),
}


def interval(value: str) -> timedelta | None:
    """An interval setting's value (None: off).

    A checked value is written as format_duration writes it ("90m", "36h", "1d"): read
    here, every command that opens a store (archive_after) is spared core.when's import.
    """
    if value == "off":
        return None
    count, unit = value[:-1], value[-1:]
    plain = count.isascii() and count.isdigit() and len(count) <= 6
    if plain and unit in INTERVAL_UNITS and int(count) > 0:
        return int(count) * INTERVAL_UNITS[unit]
    from loopcloser.core.when import parse_duration

    return parse_duration(value)


def check_working_day(values: dict[str, str], path: Path) -> None:
    """The working day must start before it ends, or eod would come before 9 o'clock."""
    if values["work_start"] >= values["work_end"]:
        raise BadInput(
            _("config {path}: the working day starts ({start}) at or after it ends ({end})").format(
                path=path, start=values["work_start"], end=values["work_end"]
            ),
            hint=_("set work_start before work_end, e.g. 09:00 and 17:30"),
        )


def zone_of(name: str) -> tzinfo:
    """The tzinfo for an IANA name."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: "America", a folder
        raise BadInput(
            _("'{name}' is not a time zone").format(name=name),
            hint=_("use an IANA name such as Europe/Rome or UTC"),
        ) from None


def known(name: str) -> Key:
    """The setting called ``name``, or BadInput listing the known ones."""
    if name not in KEYS:
        raise BadInput(
            _("unknown setting '{name}'").format(name=name),
            hint=_("known settings: {names}").format(names=", ".join(KEYS)),
        )
    return KEYS[name]
