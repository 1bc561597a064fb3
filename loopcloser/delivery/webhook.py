"""Post a message to a Slack or Microsoft Teams incoming webhook with the standard library.

A webhook URL is a secret: messages show only its scheme://host, never the path or query.
Every post goes through ``payload``, which escapes Slack's markup, and follows no redirect.
"""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from typing import IO
from urllib.parse import urljoin, urlsplit

from loopcloser.core.errors import BadInput
from loopcloser.core.text import printable
from loopcloser.core.words import _
from loopcloser.delivery.notify import DeliveryFailed

SCHEMES = ("http", "https")


def payload(title: str, text: str) -> bytes:
    """Return the JSON body both Slack and Teams incoming webhooks accept, markup escaped.

    The title is put on one line in bold above the text (a page keeps its lines). Slack
    reads <...> as a mention or a link: a customer called "<!channel>" must not page the
    whole workspace, so everything posted, page or reminder, is escaped here, once.
    """
    message = f"*{chat_text(title)}*\n\n{text}"
    return json.dumps({"text": slack_escaped(message)}, ensure_ascii=False).encode("utf-8")


def slack_escaped(text: str) -> str:
    """Text with &, < and > as the entities Slack asks for, so it shows them as typed.

    Slack honours no backslash escape: a Markdown "\\<!here>" still pages everyone.
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def public_part(url: str, unreadable: str | None = None) -> str:
    """Return scheme://host[:port] of a URL, the only part safe to show; else ``unreadable``.

    ``unreadable`` is "the webhook" unless given, in the language in use.
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname or "?"
        port = parts.port
    except ValueError:
        return _("the webhook") if unreadable is None else unreadable
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{host}" + (f":{port}" if port else "")


def check_url(url: str) -> str:
    """Return the URL if it is one a webhook can have, else BadInput (never quoting it)."""
    try:
        parts = urlsplit(url)
        valid = parts.scheme in SCHEMES and bool(parts.hostname) and parts.port != 0
    except ValueError:
        valid = False
    if not valid:
        raise BadInput(
            _("the webhook URL is not an http or https URL"),
            hint=_("set the webhook URL your chat tool gave you (it starts with https://)"),
        )
    return url


def chat_text(text: str) -> str:
    """Text on one line of a chat message, control characters shown as escapes.

    Its markup is escaped later, with the rest of the message, by ``payload``.
    """
    return printable(" ".join(text.split()))


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """Hands a redirect back as the HTTP error it is, never following it.

    Chat webhooks do not redirect a post. Followed, a 301, 302 or 303 turns the post into
    a GET without the message (yet counted as sent), and a 307 or 308 sends the message
    again to a URL nobody stored, maybe on another host or in clear text.
    """

    def http_error_302(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: http.client.HTTPMessage,
    ) -> None:
        """Follow nothing, not even read the Location: the opener raises the 3xx as an HTTPError."""
        return None

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302


def post_webhook(url: str, title: str, text: str, timeout: float = 20) -> None:
    """POST the message to the webhook, or raise DeliveryFailed."""
    check_url(url)
    where = public_part(url)
    request = urllib.request.Request(
        url,
        data=payload(title, text),
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    location: str | None = None
    try:
        opener = urllib.request.build_opener(NoRedirect)
        with opener.open(request, timeout=timeout) as response:
            status = int(response.status)
    except urllib.error.HTTPError as error:
        status = error.code
        location = error.headers.get("Location") if error.headers else None
        error.close()
    except TimeoutError:
        raise DeliveryFailed(
            _("the webhook at {where} did not answer within {seconds:g} s").format(
                where=where, seconds=timeout
            ),
            hint=_("retry later, or check the webhook URL"),
        ) from None
    except urllib.error.URLError as error:
        reason = error.reason
        if isinstance(reason, TimeoutError):
            message = _("the webhook at {where} did not answer within {seconds:g} s").format(
                where=where, seconds=timeout
            )
        elif isinstance(reason, OSError) and reason.strerror:
            message = _("cannot reach the webhook at {where}: {reason}").format(
                where=where, reason=reason.strerror
            )
        else:
            message = _("cannot reach the webhook at {where}").format(where=where)
        raise DeliveryFailed(message, hint=_("check the webhook URL and the network")) from None
    except OSError as error:
        raise DeliveryFailed(
            _("cannot reach the webhook at {where}: {reason}").format(
                where=where, reason=error.strerror or type(error).__name__
            ),
            hint=_("check the webhook URL and the network"),
        ) from None
    except (http.client.HTTPException, ValueError) as error:
        # Their text may quote the URL, so only the type is shown.
        raise DeliveryFailed(
            _("the webhook at {where} failed ({error})").format(
                where=where, error=type(error).__name__
            ),
            hint=_("check the webhook URL, or retry later"),
        ) from None
    if 300 <= status < 400:
        raise DeliveryFailed(
            _(
                "the webhook at {where} answered HTTP {status}, a redirect to"
                " {target}, and loopcloser follows no redirect"
            ).format(where=where, status=status, target=redirect_target(url, location)),
            hint=_(
                "the webhook may have moved or been replaced:"
                " store the URL your chat tool gives now (loopcloser secret set webhook_url)"
            ),
        )
    if not 200 <= status < 300:
        raise DeliveryFailed(
            _("the webhook at {where} answered HTTP {status}").format(where=where, status=status),
            hint=hint_for(status),
        )


def redirect_target(url: str, location: str | None) -> str:
    """Where a redirect from ``url`` points, as scheme://host; "elsewhere" if it cannot be read."""
    elsewhere = _("elsewhere")
    if not location:
        return elsewhere
    try:
        target = urljoin(url, location)
    except ValueError:  # the server's Location is no URL
        return elsewhere
    # The server wrote it: a control character in it must not reach the terminal.
    return printable(public_part(target, unreadable=elsewhere))


def hint_for(status: int) -> str:
    """Return what to do about an HTTP error status from a webhook."""
    if status in (401, 403, 404, 410):
        return _("the webhook may have been removed or revoked: create a new one and store its URL")
    if status == 429 or status >= 500:
        return _("the chat service is busy or failing: retry later")
    return _("check the webhook URL; the service rejected the message")
