"""Sending a page (the digest, the report) by mail or to a chat webhook, as configured."""

from __future__ import annotations

from typing import TYPE_CHECKING

from loopcloser.core.errors import BadInput

if TYPE_CHECKING:
    from loopcloser.core.settings import Settings

METHODS = ("email", "webhook")


def send_page(
    method: str, conf: Settings, subject: str, text: str, html: str, markdown: str
) -> str:
    """Send one page; returns where it went. Secrets come from the keyring or the environment."""
    from loopcloser.delivery.secrets import env_var, get_secret

    if method == "email":
        from loopcloser.delivery.mail import send_mail

        if not conf["smtp_host"] or not conf["mail_from"] or not conf["mail_to"]:
            raise BadInput(
                "mail needs smtp_host, mail_from and mail_to",
                hint="set them with: loopcloser config set smtp_host mail.example.com (and so on)",
            )
        user = conf["smtp_user"] or None
        password = get_secret("smtp_password") if user else None
        if user and not password:
            raise BadInput(
                "no SMTP password is stored",
                hint=f"loopcloser secret set smtp_password, or set {env_var('smtp_password')}",
            )
        recipients = [address.strip() for address in conf["mail_to"].split(",") if address.strip()]
        send_mail(
            host=conf["smtp_host"],
            port=int(conf["smtp_port"]),
            security=conf["smtp_security"],
            user=user,
            password=password,
            sender=conf["mail_from"],
            recipients=recipients,
            subject=subject,
            text=text,
            html=html,
        )
        return ", ".join(recipients)
    if method == "webhook":
        from loopcloser.delivery.webhook import post_webhook, public_part

        url = get_secret("webhook_url")
        if not url:
            raise BadInput(
                "no webhook URL is stored",
                hint=f"loopcloser secret set webhook_url, or set {env_var('webhook_url')}",
            )
        post_webhook(url, subject, markdown)
        return public_part(url)
    raise BadInput(f"cannot send by '{method}'", hint=f"use --send {' or --send '.join(METHODS)}")
