"""Sending by mail or to a chat webhook, as configured: the account, the URL, a reminder's words.

Pages (the digest, the report) and reminders go out through the same account and
URL, read once from the settings and the keyring (or the environment).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from loopcloser.core.errors import BadInput
from loopcloser.core.text import one_line, printable
from loopcloser.core.words import _, dated

if TYPE_CHECKING:
    from datetime import tzinfo

    from loopcloser.core.settings import Settings
    from loopcloser.delivery.notify import ReminderLike

# What mail needs set, each with an example value for the hint.
MAIL_SETTINGS = {
    "smtp_host": "mail.example.com",
    "mail_from": "desk@example.com",
    "mail_to": "you@example.com",
}
# Long enough for "#ID CUSTOMER: due in 2h: " and the start of the promise; the body has it all.
SUBJECT_WIDTH = 120


@dataclass(frozen=True)
class MailAccount:
    """The SMTP server and addresses the settings name; the password never shows in a repr."""

    host: str
    port: int
    security: str
    user: str | None
    password: str | None = field(repr=False)
    sender: str
    recipients: tuple[str, ...]

    @property
    def to(self) -> str:
        """The recipients, as a mail's To line shows them."""
        return ", ".join(self.recipients)

    def send(self, subject: str, text: str, html: str | None) -> None:
        """Send one mail to every recipient, or raise DeliveryFailed."""
        from loopcloser.delivery.mail import send_mail

        send_mail(
            host=self.host,
            port=self.port,
            security=self.security,
            user=self.user,
            password=self.password,
            sender=self.sender,
            recipients=list(self.recipients),
            subject=subject,
            text=text,
            html=html,
        )


def mail_account(conf: Settings) -> MailAccount:
    """The mail account the settings describe, with its password; BadInput says what is missing."""
    from loopcloser.delivery.secrets import env_var, get_secret

    missing = [name for name in MAIL_SETTINGS if not conf[name]]
    if missing:
        first = missing[0]
        if missing[1:]:
            hint = _("set each, e.g. loopcloser config set {name} {example}")
        else:
            hint = _("set it, e.g. loopcloser config set {name} {example}")
        raise BadInput(
            _("mail needs smtp_host, mail_from and mail_to; not set: {names}").format(
                names=", ".join(missing)
            ),
            hint=hint.format(name=first, example=MAIL_SETTINGS[first]),
        )
    user = conf["smtp_user"] or None
    password = get_secret("smtp_password") if user else None
    if user and not password:
        raise BadInput(
            _("no SMTP password is stored"),
            hint=_("loopcloser secret set smtp_password, or set {variable}").format(
                variable=env_var("smtp_password")
            ),
        )
    recipients = tuple(address.strip() for address in conf["mail_to"].split(",") if address.strip())
    return MailAccount(
        host=conf["smtp_host"],
        port=int(conf["smtp_port"]),
        security=conf["smtp_security"],
        user=user,
        password=password,
        sender=conf["mail_from"],
        recipients=recipients,
    )


def webhook_url(conf: Settings) -> str:
    """The webhook URL from the keyring or the environment; BadInput when none or not a URL."""
    from loopcloser.delivery.secrets import env_var, get_secret
    from loopcloser.delivery.webhook import check_url

    url = get_secret("webhook_url")
    if not url:
        raise BadInput(
            _("no webhook URL is stored"),
            hint=_("loopcloser secret set webhook_url, or set {variable}").format(
                variable=env_var("webhook_url")
            ),
        )
    return check_url(url)


def reminder_subject(reminder: ReminderLike) -> str:
    """A reminder's mail subject: its one line, which names the customer and what is due."""
    return f"loopcloser: {one_line(reminder.message, SUBJECT_WIDTH)}"


def reminder_mail(reminder: ReminderLike, agent: str, tz: tzinfo) -> str:
    """A reminder's mail body, plain text: the reminder, when it came due, where to see it."""
    came = dated(reminder.at.astimezone(tz), "%a %d %b %Y %H:%M")
    see = _("See the loop with: loopcloser show {id}").format(id=reminder.loop_id)
    whose = _("A reminder for {agent} from loopcloser remind; it came due {moment}.").format(
        agent=printable(agent), moment=came
    )
    return f"{printable(reminder.message)}\n\n{see}\n\n{whose}\n"


def reminder_title(agent: str) -> str:
    """The bold first line of a reminder posted to a chat: whose reminder it is.

    The webhook's payload puts it on one line and escapes its markup, as all it posts.
    """
    return _("Reminder for {agent}").format(agent=agent)
