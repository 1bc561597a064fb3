"""Plain tables that fit a width: long cells wrap between words, and when even that is
too wide, the least needed columns go.

A header is never wrapped or cut, and a word is cut (with an ellipsis) only when it
alone is wider than its column could ever be.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from loopcloser.core.text import cell_width, printable

GAP = "  "
"""Between two columns."""
TEXT_WIDTH = 80
"""The width of a page as text when no terminal says otherwise, and of a mail's text."""


@dataclass(frozen=True)
class Column:
    """A column of a text table: its header, its cells, and how it gives way when narrow."""

    header: str
    cells: Sequence[str]
    drop: int | None = None
    """When it is left out of a narrow page (1 first); None: never left out."""
    wraps: bool = False
    """Whether its cells may wrap onto more lines (between words) when narrow."""
    name: str = ""
    """What a note calls it when it is left out."""

    @property
    def natural(self) -> int:
        """Its width with nothing wrapped."""
        return max([cell_width(self.header), *map(cell_width, self.cells)])

    @property
    def snug(self) -> int:
        """The width it wraps to while every word stays whole (one of 20 columns at most)."""
        if not self.wraps:
            return self.natural
        longest = max((cell_width(word) for cell in self.cells for word in cell.split()), default=0)
        return max(cell_width(self.header), min(self.natural, longest, 20))

    @property
    def narrowest(self) -> int:
        """The width it may shrink to, its longest words cut: its header always stays whole."""
        if not self.wraps:
            return self.natural
        return max(cell_width(self.header), min(self.snug, 8))


def fitted_table(columns: Sequence[Column], width: int | None) -> tuple[list[str], list[Column]]:
    """A plain table within ``width`` (any width when None), and the columns it left out.

    Wrapping columns narrow first, the widest first, down to their longest word; then
    columns are left out by their ``drop`` order; then, only if they must, wrapping
    columns narrow down to what their header needs, their longest words cut. A header
    is never cut.
    """
    shown = list(columns)
    left_out: list[Column] = []
    widths = [column.natural for column in shown]

    def total() -> int:
        return sum(widths) + len(GAP) * (len(widths) - 1)

    while width is not None and total() > width:
        droppable = [index for index, column in enumerate(shown) if column.drop is not None]
        snug = [index for index, column in enumerate(shown) if widths[index] > column.snug]
        narrow = [index for index, column in enumerate(shown) if widths[index] > column.narrowest]
        if snug:
            widths[max(snug, key=lambda at: widths[at])] -= 1
        elif droppable:
            index = min(droppable, key=lambda at: shown[at].drop or 0)
            left_out.append(shown.pop(index))
            widths.pop(index)
        elif narrow:
            widths[max(narrow, key=lambda at: widths[at])] -= 1
        else:
            break  # narrower than the headers themselves: the lines run over
    rows = [[column.header for column in shown]]
    rows += [[column.cells[row] for column in shown] for row in range(len(shown[0].cells))]
    lines: list[str] = []
    for row in rows:
        wrapped = [wrap(cell, size) for cell, size in zip(row, widths, strict=True)]
        for depth in range(max(map(len, wrapped))):
            parts = [part[depth] if depth < len(part) else "" for part in wrapped]
            padded = [
                cell + " " * (size - cell_width(cell))
                for cell, size in zip(parts, widths, strict=True)
            ]
            lines.append(GAP.join(padded).rstrip())
    return lines, left_out


def wrap(text: str, width: int) -> list[str]:
    """Text in lines of at most ``width`` columns, broken between words only.

    A word longer than the line is shortened with an ellipsis rather than split.
    """
    lines: list[str] = []
    line = ""
    for word in text.split():
        if cell_width(word) > width:
            word = cut(word, width)
        joined = f"{line} {word}" if line else word
        if line and cell_width(joined) > width:
            lines.append(line)
            joined = word
        line = joined
    return [*lines, line]


def cut(word: str, width: int) -> str:
    """A word shortened to ``width`` columns, its end an ellipsis."""
    kept = ""
    for character in word:
        if cell_width(kept + character) > width - 1:
            break
        kept += character
    return kept + "…"


def flat(text: str) -> str:
    """Text on one line, whole (a cell that wraps shows all of it)."""
    return printable(" ".join(text.split()))
