"""The words loopcloser speaks to people: English, or the language of a catalog.

Every text a person reads goes through ``_`` (``n_`` where a number changes the
words, ``p_`` where a short word needs its context, ``N_`` to mark a text that is
looked up later, where it is shown). The English text is the key, so English needs
no catalog and no lookup. The front end chooses the language once a run (``use``);
the rest only looks words up. What scripts read never passes here: JSON fields,
states, flags, error kinds and exit codes stay the same in every language.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from typing import Protocol

LANGUAGES = {"en": "English", "it": "italiano"}
"""The languages loopcloser speaks, by code; English is the default."""


class Catalog(Protocol):
    """What a gettext catalog offers (gettext.GNUTranslations)."""

    def gettext(self, message: str, /) -> str: ...
    def ngettext(self, singular: str, plural: str, n: int, /) -> str: ...
    def pgettext(self, context: str, message: str, /) -> str: ...


_catalog: Catalog | None = None
_language = "en"
_preferred: tuple[str, Catalog | None] = ("en", None)


def use(
    language: str, catalog: Catalog | None, *, prefer: tuple[str, Catalog | None] | None = None
) -> None:
    """Speak ``language`` from now on, with its ``catalog`` (None for English).

    ``prefer`` is the language the agent reads, when the run speaks another (English
    to a script): what the agent reads later, a prompt's status line, is in it.
    """
    global _catalog, _language, _preferred
    _catalog, _language = catalog, language
    _preferred = prefer or (language, catalog)


@contextmanager
def preferred() -> Iterator[None]:
    """Speak, for the while, the language the agent reads, whatever the run speaks."""
    global _catalog, _language
    was = _language, _catalog
    _language, _catalog = _preferred
    try:
        yield
    finally:
        _language, _catalog = was


def language() -> str:
    """The code of the language in use: "en" or "it"."""
    return _language


def _(message: str) -> str:
    """``message`` in the language in use."""
    return message if _catalog is None else _catalog.gettext(message)


def n_(singular: str, plural: str, count: int) -> str:
    """The form of ``singular``/``plural`` for ``count``, in the language in use."""
    if _catalog is None:
        return singular if count == 1 else plural
    return _catalog.ngettext(singular, plural, count)


def p_(context: str, message: str) -> str:
    """A short ``message`` that means one thing in ``context`` ("weekday", "Sat")."""
    return message if _catalog is None else _catalog.pgettext(context, message)


def N_(message: str) -> str:
    """Mark ``message`` for the catalog; it is looked up with ``_`` where it is shown."""
    return message


def from_locale(environ: Mapping[str, str]) -> str:
    """The language the locale asks for, as POSIX reads it: the first of ``LC_ALL``,
    ``LC_MESSAGES`` and ``LANG`` that is set decides ("it_IT.UTF-8": "it");
    a language loopcloser does not speak, or C and POSIX, mean English."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name, "")
        if value:
            code = value.split(".")[0].split("@")[0].split("_")[0].lower()
            return code if code in LANGUAGES else "en"
    return "en"


def NP_(context: str, message: str) -> str:
    """Mark a short ``message`` with its ``context`` for the catalog (looked up with p_)."""
    return message


WEEKDAYS = (NP_("weekday", "Mon"), NP_("weekday", "Tue"), NP_("weekday", "Wed"),
            NP_("weekday", "Thu"), NP_("weekday", "Fri"), NP_("weekday", "Sat"),
            NP_("weekday", "Sun"))  # fmt: skip
MONTHS = (NP_("month", "Jan"), NP_("month", "Feb"), NP_("month", "Mar"), NP_("month", "Apr"),
          NP_("month", "May"), NP_("month", "Jun"), NP_("month", "Jul"), NP_("month", "Aug"),
          NP_("month", "Sep"), NP_("month", "Oct"), NP_("month", "Nov"),
          NP_("month", "Dec"))  # fmt: skip
FULL_WEEKDAYS = (NP_("full weekday", "Monday"), NP_("full weekday", "Tuesday"),
                 NP_("full weekday", "Wednesday"), NP_("full weekday", "Thursday"),
                 NP_("full weekday", "Friday"), NP_("full weekday", "Saturday"),
                 NP_("full weekday", "Sunday"))  # fmt: skip
FULL_MONTHS = (NP_("full month", "January"), NP_("full month", "February"),
               NP_("full month", "March"), NP_("full month", "April"),
               NP_("full month", "May"), NP_("full month", "June"),
               NP_("full month", "July"), NP_("full month", "August"),
               NP_("full month", "September"), NP_("full month", "October"),
               NP_("full month", "November"), NP_("full month", "December"))  # fmt: skip


_day_first = True


def order_dates(day_first: bool) -> None:
    """Print dates day first ("Thu 27 Nov", the default) or month first ("Thu Nov 27"),
    as the ``date_order`` setting reads them."""
    global _day_first
    _day_first = day_first


def dated(moment: date, pattern: str) -> str:
    """``moment.strftime(pattern)`` with the weekday (``%a``, whole: ``%A``) and month
    (``%b``, whole: ``%B``) named in the language in use ("Thu 27 Nov" or "gio 27 nov"),
    whatever the C locale says, and the day before or after the month as the date
    order says."""
    if not _day_first:
        pattern = pattern.replace("%d %b", "%b %d")
    names = {
        "%a": ("weekday", WEEKDAYS[moment.weekday()]),
        "%b": ("month", MONTHS[moment.month - 1]),
        "%A": ("full weekday", FULL_WEEKDAYS[moment.weekday()]),
        "%B": ("full month", FULL_MONTHS[moment.month - 1]),
    }
    for directive, (context, name) in names.items():
        if directive in pattern:
            pattern = pattern.replace(directive, p_(context, name))
    return moment.strftime(pattern)
