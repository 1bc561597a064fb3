"""The one registry of ways out, and everything that reads it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from loopcloser.cli.reports import SendOption
from loopcloser.core.errors import BadInput
from loopcloser.core.settings import KEYS, check_delivery
from loopcloser.core.ways_out import (
    WAYS_OUT,
    Cargo,
    WayOut,
    carrying,
    check_way,
    in_words,
    names,
)
from loopcloser.delivery.sending import MailAccount, reminder_mail, reminder_subject
from loopcloser.delivery.ways_out import WAYS, Way, ready
from loopcloser.delivery.webhook import chat_text, payload
from tests.conftest import Run
from tests.factories import settings
from tests.test_notify import FakeReminder

REMINDER = FakeReminder(
    42, "due:42", "due", "#42 Maria Rossi: due now: refund", datetime(2026, 11, 25, 10, tzinfo=UTC)
)


def test_every_way_out_has_one_implementation_in_delivery() -> None:
    assert list(WAYS) == [way.name for way in WAYS_OUT]


@pytest.mark.parametrize("way", WAYS_OUT, ids=lambda way: way.name)
def test_each_implementation_carries_what_the_registry_says(way: WayOut) -> None:
    implementation = WAYS[way.name]
    sends_reminders = implementation.send_reminder is not Way.send_reminder
    sends_pages = implementation.send_page is not Way.send_page
    assert sends_reminders == (Cargo.REMINDERS in way.carries)
    assert sends_pages == (Cargo.PAGES in way.carries)


def test_every_way_carries_something_and_has_a_description() -> None:
    for way in WAYS_OUT:
        assert way.carries and way.description and way.name == way.name.lower()


def test_the_delivery_setting_takes_exactly_the_ways_that_carry_reminders() -> None:
    for way in WAYS_OUT:
        if Cargo.REMINDERS in way.carries:
            assert check_delivery(f" {way.name.upper()} ") == way.name
        else:
            with pytest.raises(BadInput):
                check_delivery(way.name)
    assert KEYS["delivery"].help.endswith(in_words(names(Cargo.REMINDERS)))


def test_send_takes_exactly_the_ways_that_carry_pages() -> None:
    option = SendOption.__metadata__[0]
    assert option.metavar == "|".join(names(Cargo.PAGES))
    assert in_words(names(Cargo.PAGES)) in option.help
    for way in WAYS_OUT:
        if Cargo.PAGES in way.carries:
            assert option.callback(way.name) == way.name
        else:
            with pytest.raises(BadInput):
                option.callback(way.name)


def test_a_way_that_cannot_carry_it_is_refused_with_those_that_can() -> None:
    with pytest.raises(BadInput) as caught:
        check_way("desktop", Cargo.PAGES)
    assert caught.value.message == "'desktop' is not a way to send pages (the digest, the report)"
    assert caught.value.hint == "use one of: email, webhook"
    assert [way.name for way in carrying(Cargo.PAGES)] == ["email", "webhook"]


def test_lists_read_as_a_sentence() -> None:
    assert in_words(["email"]) == "email"
    assert in_words(["terminal", "desktop", "email"]) == "terminal, desktop or email"


def test_ready_refuses_a_page_by_a_way_that_only_carries_reminders() -> None:
    with pytest.raises(BadInput, match="not a way to send pages"):
        ready("terminal", Cargo.PAGES, settings())


def test_email_is_not_ready_without_host_sender_and_recipients() -> None:
    with pytest.raises(BadInput) as caught:
        ready("email", Cargo.REMINDERS, settings(smtp_host="mail.example.com"))
    assert caught.value.message.endswith("not set: mail_from, mail_to")
    assert caught.value.hint == "set each, e.g. loopcloser config set mail_from desk@example.com"


def test_a_mail_account_never_shows_its_password() -> None:
    account = MailAccount("mail.example.com", 587, "starttls", "anna", "hunter2", "a@x", ("b@x",))
    assert "hunter2" not in repr(account)


def test_a_reminder_mail_names_the_customer_and_what_is_due() -> None:
    assert reminder_subject(REMINDER) == "loopcloser: #42 Maria Rossi: due now: refund"
    body = reminder_mail(REMINDER, "anna", ZoneInfo("Europe/Rome"))
    assert body.startswith("#42 Maria Rossi: due now: refund\n\n")
    assert "loopcloser show 42" in body and "Wed 25 Nov 2026 11:00" in body


def test_a_long_or_broken_line_makes_a_one_line_subject() -> None:
    long = FakeReminder(1, "k", "due", "#1 X: " + "word " * 60 + "\nnext", REMINDER.at)
    subject = reminder_subject(long)
    assert "\n" not in subject and len(subject) <= len("loopcloser: ") + 120


def test_chat_text_shows_markup_and_control_characters_as_typed() -> None:
    line = chat_text("<!here> A&B\nnext\x1b[31m")
    assert line == "<!here> A&B next\\x1b[31m", "escaped once, by the payload"
    posted = json.loads(payload("t", line))["text"]
    assert posted == "*t*\n\n&lt;!here&gt; A&amp;B next\\x1b[31m"


def test_help_and_config_list_name_the_ways_from_the_registry(run: Run) -> None:
    assert "|".join(names(Cargo.PAGES)) in run("digest", "--help").out
    listed = run("config", "list").out
    assert in_words(names(Cargo.REMINDERS)) in listed
