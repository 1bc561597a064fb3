"""Text shown to a person, made safe: no control characters, one line, a bounded width."""

from __future__ import annotations

# C0 and C1 control characters and DEL: printed raw, they could recolour the terminal,
# retitle it or move the cursor. They are shown as escapes instead, never obeyed.
ESCAPES = {code: f"\\x{code:02x}" for code in [*range(32), *range(127, 160)]}
ESCAPES.update({ord("\n"): "\\n", ord("\t"): "\\t", ord("\r"): "\\r"})
# Direction overrides and isolates, and the Unicode line breaks: printed raw, a customer's
# name could make a row read backwards or break a table's line.
ESCAPES.update(
    {
        code: f"\\u{code:04x}"
        for code in [0x2028, 0x2029, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
    }
)


# What may never be inside a name that is one line: the control characters, and the
# line and paragraph separators a terminal or a file would break a line at.
LINE_BREAKERS = frozenset(chr(code) for code in [*range(32), *range(127, 160), 0x2028, 0x2029])
MAX_NAME = 100
"""The longest agent name: it names a file in a team folder, and a column in reports."""


def one_line_name(text: str) -> bool:
    """Whether ``text`` is a non-empty name of one line, within MAX_NAME characters."""
    return bool(text.strip()) and len(text) <= MAX_NAME and not LINE_BREAKERS & set(text)


def printable(text: str) -> str:
    """Text safe to show on a terminal: control characters become visible escapes.

    Every character ESCAPES names is one Python counts as not printable, so text that
    is all printable (most of it) is returned as it is, without a lookup per character.
    """
    return text if text.isprintable() else text.translate(ESCAPES)


def one_line(text: str, width: int = 60) -> str:
    """Text squeezed onto one line of a table, cut with an ellipsis if long."""
    flat = printable(" ".join(text.split()))
    return flat if len(flat) <= width else flat[: width - 1] + "…"


# A spreadsheet reads a cell starting with one of these as a formula (OWASP's list for
# CSV injection): a customer named "=HYPERLINK(...)" must stay text when a lead opens
# the export. Such a cell gets a leading apostrophe, which spreadsheets hide.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert_cell(text: str) -> str:
    """A CSV cell that no spreadsheet runs as a formula; :func:`cell_value` takes it back.

    Apostrophes already in front of a formula start are escaped the same way, so that
    every cell reads back exactly.
    """
    return "'" + text if text.lstrip("'").startswith(FORMULA_STARTS) else text


def cell_value(cell: str) -> str:
    """The text of a cell written by :func:`inert_cell`."""
    if cell.startswith("'") and cell[1:].lstrip("'").startswith(FORMULA_STARTS):
        return cell[1:]
    return cell


def folded(text: str) -> str:
    """Text as a search compares it: any case, accents dropped (``niccolo`` finds Niccolò)."""
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def cell_width(text: str) -> int:
    """Columns ``text`` takes on a terminal: wide (CJK) characters take two, accents none."""
    if text.isascii():
        return len(text)
    from unicodedata import combining, east_asian_width

    return sum(0 if combining(c) else 2 if east_asian_width(c) in "WF" else 1 for c in text)
