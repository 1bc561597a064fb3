"""Reminders by mail and to a webhook, through ``remind``, against real local servers."""

from __future__ import annotations

import json
from collections.abc import Callable
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest

from loopcloser.core.ways_out import Cargo, names
from tests.conftest import Run, WebhookServe, mail_settings
from tests.test_mail import Collector, free_port

Add = Callable[..., int]

# Wednesday 25 November 2026, 11:00 in Rome: the loops below are due now.
DUE = "2026-11-25T10:00:00Z"
LATER = "2026-11-25T10:05:00Z"


def reminded(run: Run, loop_id: int) -> int:
    """How many reminders the loop's history records as fired."""
    events = run("show", str(loop_id), "--json").json()["events"]
    return sum(event["kind"] == "reminded" for event in events)


def mail_of(collector: Collector) -> EmailMessage:
    """The one mail the server received."""
    (envelope,) = collector.envelopes
    message = message_from_bytes(envelope.content, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def test_a_due_reminder_is_mailed_and_recorded_as_fired(
    run: Run, add: Add, mailbox: Collector
) -> None:
    assert run("config", "set", "delivery", "email").code == 0
    loop_id = add("Maria Rossi", "refund the double charge", "--due", "today 11:00")
    result = run("remind", now=DUE)
    assert result.code == 0, result.err
    assert result.out == "", "a mailed reminder is not printed too"
    message = mail_of(mailbox)
    assert message["Subject"] == "loopcloser: #1 Maria Rossi: due now: refund the double charge"
    assert message["To"] == "lead@example.com, anna@example.com"
    assert message.get_content_type() == "text/plain"
    body = message.get_content()
    assert "#1 Maria Rossi: due now: refund the double charge" in body
    assert "loopcloser show 1" in body
    assert "Wed 25 Nov 2026 11:00" in body, "when it came due, in the agent's time zone"
    assert reminded(run, loop_id) == 1
    assert run("remind", now=LATER).code == 0
    assert len(mailbox.envelopes) == 1, "fired once, ever"


def test_with_the_mail_server_down_remind_exits_6_and_fires_on_the_next_run(
    run: Run, add: Add, smtp: tuple[Collector, int]
) -> None:
    collector, port = smtp
    mail_settings(run, free_port())  # nobody listens there
    run("config", "set", "delivery", "email")
    loop_id = add("Maria Rossi", "refund the double charge", "--due", "today 11:00")
    result = run("remind", now=DUE)
    assert result.code == 6
    assert "cannot reach the mail server 127.0.0.1" in result.err
    assert reminded(run, loop_id) == 0, "not recorded: it fires again"
    run("config", "set", "smtp_port", str(port))  # the server is back
    assert run("remind", now=LATER).code == 0
    assert "refund the double charge" in mail_of(collector)["Subject"]
    assert reminded(run, loop_id) == 1


def test_remind_json_still_mails_and_prints_what_fired(
    run: Run, add: Add, mailbox: Collector
) -> None:
    run("config", "set", "delivery", "email")
    add("Maria Rossi", "refund the double charge", "--due", "today 11:00")
    result = run("remind", "--json", now=DUE)
    assert result.code == 0, result.err
    assert [reminder["kind"] for reminder in result.json()] == ["due"]
    assert len(mailbox.envelopes) == 1


def test_email_without_the_mail_settings_says_which_are_missing(run: Run, add: Add) -> None:
    run("config", "set", "delivery", "email")
    loop_id = add("Maria Rossi", "refund", "--due", "today 11:00")
    result = run("remind", now=DUE)
    assert result.code == 2
    assert "smtp_host, mail_from, mail_to" in result.err
    assert "loopcloser config set smtp_host" in result.err
    assert reminded(run, loop_id) == 0


def test_a_due_reminder_is_posted_to_the_webhook_and_recorded_as_fired(
    run: Run, add: Add, webhook_server: WebhookServe, monkeypatch: pytest.MonkeyPatch
) -> None:
    received, base = webhook_server()
    monkeypatch.setenv("LOOPCLOSER_WEBHOOK_URL", f"{base}/services/T0/secret-token")
    assert run("config", "set", "delivery", "webhook").code == 0
    loop_id = add("Maria Rossi", "refund the double charge", "--due", "today 11:00")
    result = run("remind", now=DUE)
    assert result.code == 0, result.err
    (request,) = received.requests
    assert request["path"] == "/services/T0/secret-token"
    assert json.loads(request["body"]) == {
        "text": "*Reminder for anna*\n\n#1 Maria Rossi: due now: refund the double charge"
    }
    assert reminded(run, loop_id) == 1
    assert run("remind", now=LATER).code == 0
    assert len(received.requests) == 1, "fired once, ever"


def test_with_the_webhook_down_remind_exits_6_and_fires_on_the_next_run(
    run: Run, add: Add, webhook_server: WebhookServe, monkeypatch: pytest.MonkeyPatch
) -> None:
    run("config", "set", "delivery", "webhook")
    loop_id = add("Maria Rossi", "refund the double charge", "--due", "today 11:00")
    down = f"http://127.0.0.1:{free_port()}/services/T0/secret-token"
    monkeypatch.setenv("LOOPCLOSER_WEBHOOK_URL", down)
    result = run("remind", now=DUE)
    assert result.code == 6
    assert "cannot reach the webhook at http://127.0.0.1" in result.err
    assert "secret-token" not in result.err, "the webhook URL is a secret"
    assert reminded(run, loop_id) == 0
    received, base = webhook_server()
    received.status = 503
    monkeypatch.setenv("LOOPCLOSER_WEBHOOK_URL", f"{base}/services/T0/secret-token")
    refused = run("remind", now=LATER)
    assert refused.code == 6 and "HTTP 503" in refused.err
    assert reminded(run, loop_id) == 0
    received.status = 200
    assert run("remind", now="2026-11-25T10:10:00Z").code == 0
    assert "refund the double charge" in json.loads(received.requests[-1]["body"])["text"]
    assert reminded(run, loop_id) == 1


def test_a_customer_named_like_a_chat_mention_is_posted_as_text(
    run: Run, add: Add, webhook_server: WebhookServe, monkeypatch: pytest.MonkeyPatch
) -> None:
    received, base = webhook_server()
    monkeypatch.setenv("LOOPCLOSER_WEBHOOK_URL", base + "/hook")
    run("config", "set", "delivery", "webhook")
    add("<!channel> & Co", "refund", "--due", "today 11:00")
    assert run("remind", now=DUE).code == 0
    text = json.loads(received.requests[0]["body"])["text"]
    assert "&lt;!channel&gt; &amp; Co" in text and "<!channel>" not in text


@pytest.mark.usefixtures("memory_keyring")
def test_webhook_without_a_url_says_how_to_give_one(
    run: Run, add: Add, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LOOPCLOSER_WEBHOOK_URL", raising=False)
    run("config", "set", "delivery", "webhook")
    add("Maria Rossi", "refund", "--due", "today 11:00")
    result = run("remind", now=DUE)
    assert result.code == 2
    assert "no webhook URL is stored" in result.err
    assert "loopcloser secret set webhook_url, or set LOOPCLOSER_WEBHOOK_URL" in result.err


def test_the_delivery_setting_takes_every_way_that_carries_reminders(run: Run) -> None:
    for name in names(Cargo.REMINDERS):
        result = run("config", "set", "delivery", name)
        assert (result.code, result.out) == (0, f"delivery = {name}\n"), result.err
    refused = run("config", "set", "delivery", "nonsense")
    assert refused.code == 2
    assert "'nonsense' is not a way to send reminders" in refused.err
    assert "use one of: terminal, desktop, command, email, webhook" in refused.err


def test_install_with_terminal_delivery_names_the_other_ways(run: Run) -> None:
    printed = run("remind", "--install", "cron")
    assert "config set delivery desktop (or command, email or webhook)" in printed.err
