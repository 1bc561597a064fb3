"""Services: the use cases, each a function of one run's context.

Adding and changing loops (``loops``), handing one over (``handoff``),
reminding (``remind``), importing (``importing``), the right to erasure
(``forget``), undo, a customer's history (``customers``), the digest and the
team report (``pages``), the demo, the health checks (``doctor``) and
installing the reminder timer (``schedule``). The run's settings, now and
store come in a ``context.Context`` built by the command line; nothing here
reads the clock or the environment. It may import core, storage, render and
delivery, never the command line.
"""
