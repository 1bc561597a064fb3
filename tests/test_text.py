"""Text made safe for a person's screen and for a spreadsheet, and read back exactly."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from loopcloser.core.text import ESCAPES, FORMULA_STARTS, cell_value, inert_cell, printable

CELLS = st.text(alphabet=st.sampled_from(["'", "=", "+", "-", "@", "\t", "\r", "a", " ", "1"]))


@given(st.one_of(CELLS, st.text()))
def test_a_cell_never_starts_a_formula_and_reads_back_exactly(text: str) -> None:
    cell = inert_cell(text)
    assert not cell.startswith(FORMULA_STARTS)
    assert cell_value(cell) == text


def test_only_cells_a_spreadsheet_would_run_change() -> None:
    assert inert_cell("Maria Rossi") == "Maria Rossi"
    assert inert_cell("=1+1") == "'=1+1"
    assert inert_cell("'=1+1") == "''=1+1"
    assert inert_cell("'plain") == "'plain"


def test_control_characters_are_shown_escaped_never_obeyed() -> None:
    assert printable("\x1b[2Jcleared\u202e") == "\\x1b[2Jcleared\\u202e"


@given(st.text())
def test_every_character_printable_escapes_is_escaped_the_one_way(text: str) -> None:
    # Text Python counts as printable is returned whole, without the lookup: it holds
    # none of the characters that are escaped.
    assert printable(text) == text.translate(ESCAPES)
    assert not any(chr(code).isprintable() for code in ESCAPES)
