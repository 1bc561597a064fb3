"""loopcloser: track the promises you make to customers until they have been told."""

__version__ = "0.1.0"
