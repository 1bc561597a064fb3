"""Storage: where loops and settings are kept, so that nothing acknowledged is ever lost.

The store file (``store``: TinyDB documents, atomic writes, a lock around
every read-modify-write, the index of open loops, the archive), crash-safe
writing (``atomic``), where a store lives and the one way to open it, which
first finishes a handoff a crash interrupted (``location``), the team folder
and its handoffs (``team``), and the settings file (``config_file``). It may
import ``loopcloser.core`` only: never the use cases above it, never render
or delivery beside it.
"""
