"""Delivery: the ways a message leaves loopcloser, and the secrets they need.

The terminal, a desktop notification or a command of the agent's own
(``notify``), mail through an SMTP server (``mail``), a webhook such as
Slack's (``webhook``), the mail account and webhook URL the settings name
(``sending``), what sends a reminder or a page by each way that
``core.ways_out`` lists (``ways_out``), and the secrets in the OS keyring or
the environment (``secrets``). It is handed text already rendered; it may
import ``loopcloser.core`` only, never the store, render or the use cases.
"""
