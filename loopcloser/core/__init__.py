"""The core: loopcloser's rules, pure.

Loops, their events and the one function that applies an event
(``model``); the time words agents write and the working calendar
(``when``); when a reminder is due (``reminders``); the facts of the
morning digest and the team report (``digest``, ``metrics``); what each
setting means (``settings``); loops as stored documents (``documents``);
reading and planning an import (``importing``); safe text (``text``); and
the errors with their exit codes (``errors``). Nothing here reads the
clock, the environment or a file: ``now`` and the time zone come in as
arguments. It may import only ``loopcloser.core`` and the standard library
(plus dateutil's parser for dates), never typer, rich, tinydb, keyring or psycopg.
"""
