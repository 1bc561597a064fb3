"""Render: how results look, in every format a person or a program reads.

Lists and a loop's page on a terminal and as JSON for scripts (``tables``),
the morning digest and the team report as text, Markdown, HTML and JSON
(``digest``, ``report``), exports as JSON, JSON Lines and CSV (``export``),
and an iCalendar file (``ics``). Each takes a result already built and returns
or prints it; nothing here reads a store or sends anything. It may import
``loopcloser.core`` only, and rich only when writing to a terminal.
"""
