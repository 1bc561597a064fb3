"""Run loopcloser as ``python -m loopcloser``."""

from loopcloser.entry import main

main()
