"""Run loopcloser as ``python -m loopcloser``."""

from loopcloser.cli import main

main()
