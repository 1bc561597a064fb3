"""The ``loopcloser`` command line: parse arguments, call the core, hand results to render."""

from loopcloser.commands import coordination, history, loops, setup  # noqa: F401 (registers)
from loopcloser.commands.base import app

__all__ = ["app", "main"]


def main() -> None:
    """Entry point of the ``loopcloser`` executable."""
    app()
