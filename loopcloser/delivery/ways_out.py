"""What sends by each way out: one class per name of ``core.ways_out``.

A way is made ready from the settings once per run (notify-send found, the command
split, the mail account and password or the webhook URL read); making it ready
fails with the problem and its fix, which is also how doctor tells whether the
chosen delivery can work. A way carries only what ``core.ways_out`` says it does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from loopcloser.core.ways_out import Cargo, check_way
from loopcloser.core.words import _
from loopcloser.delivery.notify import (
    command_argv,
    desktop_sender,
    run_command,
    send_desktop,
    write_reminders,
)
from loopcloser.delivery.sending import (
    mail_account,
    reminder_mail,
    reminder_subject,
    reminder_title,
    webhook_url,
)

if TYPE_CHECKING:
    from loopcloser.core.settings import Settings
    from loopcloser.delivery.notify import ReminderLike


@dataclass(frozen=True)
class Page:
    """One page (the digest, the report) rendered each way a way out may want it."""

    subject: str
    text: str
    html: str
    markdown: str


class Way:
    """A way out made ready from the settings."""

    detail: str
    """What it reaches, safe to show: never a password or a webhook's path."""

    def __init__(self, conf: Settings) -> None:
        """Make the way ready from the settings, or raise what it lacks with the fix."""
        raise NotImplementedError

    def send_reminder(self, reminder: ReminderLike) -> None:
        """Deliver one reminder, or raise DeliveryFailed."""
        raise NotImplementedError  # core.ways_out says it carries none; check_way refuses first

    def send_page(self, page: Page) -> str:
        """Send one page and return where it went, or raise DeliveryFailed."""
        raise NotImplementedError  # as above


class Terminal(Way):
    """One line per reminder on standard output."""

    def __init__(self, conf: Settings) -> None:
        self.detail = _("terminal")

    def send_reminder(self, reminder: ReminderLike) -> None:
        """Print the reminder's line."""
        write_reminders([reminder])


class Desktop(Way):
    """A desktop notification per reminder, through notify-send."""

    def __init__(self, conf: Settings) -> None:
        self.program = desktop_sender()
        self.detail = _("desktop via {program}").format(program=self.program)

    def send_reminder(self, reminder: ReminderLike) -> None:
        """Show the reminder as a notification."""
        send_desktop(self.program, reminder)


class Command(Way):
    """The agent's own program, run once per reminder with it as JSON on stdin."""

    def __init__(self, conf: Settings) -> None:
        self.argv = command_argv(conf["delivery_command"])
        self.detail = _("command {program}").format(program=self.argv[0])

    def send_reminder(self, reminder: ReminderLike) -> None:
        """Run the program for the reminder."""
        run_command(self.argv, reminder)


class Email(Way):
    """Mail through the SMTP settings: one mail per reminder, or the page as text and HTML."""

    def __init__(self, conf: Settings) -> None:
        self.account = mail_account(conf)
        self.agent, self.tz = conf["agent"], conf.tz
        self.detail = _("email to {recipients} via {host}:{port}").format(
            recipients=self.account.to, host=self.account.host, port=self.account.port
        )

    def send_reminder(self, reminder: ReminderLike) -> None:
        """Mail the reminder: the customer and what is due in the subject, plain text below."""
        body = reminder_mail(reminder, self.agent, self.tz)
        self.account.send(reminder_subject(reminder), body, None)

    def send_page(self, page: Page) -> str:
        """Mail the page; returns its recipients."""
        self.account.send(page.subject, page.text, page.html)
        return self.account.to


class Webhook(Way):
    """A post to the Slack or Teams webhook whose URL is the webhook_url secret."""

    def __init__(self, conf: Settings) -> None:
        from loopcloser.delivery.webhook import public_part

        self.url = webhook_url(conf)
        self.agent = conf["agent"]
        self.where = public_part(self.url)
        self.detail = _("webhook at {where}").format(where=self.where)

    def send_reminder(self, reminder: ReminderLike) -> None:
        """Post the reminder's line under whose reminder it is."""
        from loopcloser.delivery.webhook import chat_text, post_webhook

        post_webhook(self.url, reminder_title(self.agent), chat_text(reminder.message))

    def send_page(self, page: Page) -> str:
        """Post the page as Markdown; returns the webhook's scheme://host."""
        from loopcloser.delivery.webhook import post_webhook

        post_webhook(self.url, page.subject, page.markdown)
        return self.where


# Every name of core.ways_out.WAYS_OUT, and only those (the tests hold the two together).
WAYS: dict[str, type[Way]] = {
    "terminal": Terminal,
    "desktop": Desktop,
    "command": Command,
    "email": Email,
    "webhook": Webhook,
}


def ready(name: str, cargo: Cargo, conf: Settings) -> Way:
    """The way out ``name`` made ready to carry ``cargo``; an error says what it lacks."""
    return WAYS[check_way(name, cargo)](conf)


def send_page(name: str, conf: Settings, page: Page) -> str:
    """Send one page by the way out ``name``; returns where it went."""
    return ready(name, Cargo.PAGES, conf).send_page(page)


def reminder_sender(conf: Settings) -> Callable[[ReminderLike], None]:
    """What delivers each reminder the way the ``delivery`` setting says.

    The way is made ready at the first reminder: a run with nothing to say looks for
    no program and reads no password (a scheduled run may have no keyring to ask).
    """
    made: list[Way] = []

    def send(reminder: ReminderLike) -> None:
        if not made:
            made.append(ready(conf["delivery"], Cargo.REMINDERS, conf))
        made[0].send_reminder(reminder)

    return send
