"""Send one email through an SMTP server with the standard library.

Failures become DeliveryFailed naming host:port; the password never appears anywhere.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from loopcloser.core.errors import BadInput
from loopcloser.core.words import _
from loopcloser.delivery.notify import DeliveryFailed

SECURITIES = ("starttls", "tls", "none")


def build_message(
    sender: str, recipients: list[str], subject: str, text: str, html: str | None
) -> EmailMessage:
    """Return the message: plain text, plus an HTML alternative when given."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message


def send_mail(
    *,
    host: str,
    port: int,
    security: str,
    user: str | None,
    password: str | None,
    sender: str,
    recipients: list[str],
    subject: str,
    text: str,
    html: str | None,
    timeout: float = 20,
) -> None:
    """Send the message to every recipient, or raise DeliveryFailed."""
    message = checked_message(security, sender, recipients, subject, text, html)
    try:
        transmit(host, port, security, user, password, message, sender, recipients, timeout)
    except (smtplib.SMTPException, OSError, UnicodeError) as error:
        attempt = Attempt(f"{host}:{port}", security, user, password, sender, timeout)
        raise failure(error, attempt) from None


def checked_message(
    security: str, sender: str, recipients: list[str], subject: str, text: str, html: str | None
) -> EmailMessage:
    """The message to send, or BadInput when the settings cannot make one."""
    if security not in SECURITIES:
        raise BadInput(
            _("'{security}' is not an SMTP security mode").format(security=security),
            hint=_("use one of: {choices}").format(choices=", ".join(SECURITIES)),
        )
    if not recipients:
        raise BadInput(
            _("the email has no recipients"), hint=_("give at least one recipient address")
        )
    try:
        return build_message(sender, recipients, subject, text, html)
    except (ValueError, TypeError):
        raise BadInput(
            _("the mail sender or recipients cannot be written in a mail header"),
            hint=_("check mail_from and mail_to"),
        ) from None


@dataclass(frozen=True)
class Attempt:
    """What a failed send tried: enough to say what went wrong, never the password."""

    where: str  # host:port
    security: str
    user: str | None
    password: str | None  # only to scrub it from the server's words
    sender: str
    timeout: float


def failure(error: BaseException, attempt: Attempt) -> DeliveryFailed:
    """What went wrong with a send, in one line and a hint; the password never shows."""
    where, password = attempt.where, attempt.password
    ports = _("check the security mode and port (starttls: 587, tls: 465)")
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return DeliveryFailed(
            _("the mail server {where} refused the login for {user}").format(
                where=where, user=attempt.user
            ),
            hint=_(
                "check the SMTP user and password (loopcloser keeps the password in the keyring)"
            ),
        )
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        refused = ", ".join(sorted(error.recipients))
        return DeliveryFailed(
            _("the mail server {where} refused the recipients: {refused}").format(
                where=where, refused=refused
            ),
            hint=_("check the addresses, or ask the server's administrator"),
        )
    if isinstance(error, smtplib.SMTPSenderRefused):
        return DeliveryFailed(
            _("the mail server {where} refused the sender {sender}").format(
                where=where, sender=attempt.sender
            ),
            hint=_("use a sender address the server lets this user send as"),
        )
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return DeliveryFailed(
            _("the mail server {where} does not support what {security} needs").format(
                where=where, security=attempt.security
            ),
            hint=ports,
        )
    if isinstance(error, smtplib.SMTPException):
        return DeliveryFailed(
            _("the mail server {where} failed: {reason}").format(
                where=where, reason=scrub(smtp_reason(error), password)
            ),
            hint=_("retry later, or check the server settings"),
        )
    if isinstance(error, ssl.SSLError):
        return DeliveryFailed(
            _("the TLS handshake with {where} failed").format(where=where), hint=ports
        )
    if isinstance(error, TimeoutError):
        return DeliveryFailed(
            _("the mail server {where} did not answer within {seconds:g} s").format(
                where=where, seconds=attempt.timeout
            ),
            hint=_("check the host and port, or retry later"),
        )
    if isinstance(error, OSError):
        return DeliveryFailed(
            _("cannot reach the mail server {where}: {reason}").format(
                where=where, reason=scrub(os_reason(error), password)
            ),
            hint=_("check the host and port, and that the server is running"),
        )
    # A UnicodeError: never the error's own text, which would quote the character and
    # where it sits, and that may be in the password.
    return DeliveryFailed(
        _(
            "the mail to {where} failed: a host name, login or password has characters"
            " the mail protocol cannot carry"
        ).format(where=where),
        hint=_("check smtp_host and smtp_user; an SMTP password must be plain ASCII"),
    )


def transmit(
    host: str,
    port: int,
    security: str,
    user: str | None,
    password: str | None,
    message: EmailMessage,
    sender: str,
    recipients: list[str],
    timeout: float,
) -> None:
    """Connect, secure, log in and send; smtplib's errors propagate."""
    context = ssl.create_default_context()
    client: smtplib.SMTP
    if security == "tls":
        client = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
    else:
        client = smtplib.SMTP(host, port, timeout=timeout)
    with client:
        if security == "starttls":
            client.starttls(context=context)
        if user:
            client.login(user, password or "")
        refused = client.send_message(message, from_addr=sender, to_addrs=recipients)
    if refused:
        raise smtplib.SMTPRecipientsRefused(refused)


def smtp_reason(error: smtplib.SMTPException) -> str:
    """Return a one-line reason for an SMTP error: its code and server text, if any."""
    code = getattr(error, "smtp_code", None)
    raw = getattr(error, "smtp_error", b"")
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    text = " ".join(text.split())
    if code is not None:
        return f"{code} {text}".strip()
    return " ".join(str(error).split()) or type(error).__name__


def os_reason(error: OSError) -> str:
    """Return a one-line reason for a network error."""
    return " ".join((error.strerror or type(error).__name__).split())


def scrub(text: str, password: str | None) -> str:
    """Return text with the password masked, should a server ever echo it."""
    return text.replace(password, "***") if password else text
