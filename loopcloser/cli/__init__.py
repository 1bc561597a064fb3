"""The command line: the typer app, thin commands on one context per run.

Each command parses its arguments, builds the run's context once
(``context``: the settings, now, the store asked for and the output mode,
the only place the environment and the clock are read), calls a use case and
hands the result to one output path (``output``). The app and how every
failure becomes one line and an exit code is ``app``; ``main`` is the entry;
commands are grouped by module (``loops``, ``coordination``, ``reminders``,
``reports``, ``exchange``, ``history``, ``setup``); TAB completion is
``completion``. It may import every layer below it; nothing imports it.
"""
