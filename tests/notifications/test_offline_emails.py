"""A participant who is away gets one email per streak of unread messages, through a real SMTP
server (tests/helpers/smtp.py)."""

import pytest

from accounts.models import User
from chat.services import message_post, message_read
from notifications.models import OfflineNotice
from support.models import SupportRequest
from support.services import request_close
from tests.factories import ActiveRequestFactory, AdminFactory, ExpertFactory
from tests.helpers.requests import assigned_expert
from tests.helpers.smtp import body_of
from tests.notifications.conftest import DELAY, run_job, time_passes

pytestmark = pytest.mark.django_db


@pytest.fixture
def request_(db) -> SupportRequest:
    return ActiveRequestFactory.create(title="Printer on fire")


def say(request: SupportRequest, sender: User, *contents: str) -> None:
    for content in contents:
        message_post(request_id=request.pk, sender=sender, content=content)


def test_several_messages_to_an_offline_user_give_one_email_once_the_delay_has_passed(
    smtp, request_
):
    expert = assigned_expert(request_)
    say(request_, expert, "Unplug it.", "Then wait a minute.", "Is it\nstill\nburning?")
    time_passes(DELAY + 1)

    run_job()
    run_job()

    [email] = smtp.mailbox.emails()
    assert email["Subject"] == "3 new messages in «Printer on fire»"
    assert email["To"] == request_.requester.email
    assert email["From"] == "Expert Support <support@example.com>"
    assert email["Auto-Submitted"] == "auto-generated"
    body = body_of(email)
    assert f"from {expert.name}:" in body
    assert "    Is it\n    still\n    burning?" in body
    assert "Unplug it." not in body
    assert '{"email_notifications": false}' in body


def test_no_email_before_the_delay_has_passed(smtp, request_):
    say(request_, assigned_expert(request_), "Unplug it.")
    time_passes(DELAY - 10)

    run_job()

    assert smtp.mailbox.emails() == []
    time_passes(10)
    run_job()
    assert len(smtp.mailbox.emails()) == 1


def test_the_delay_counts_from_the_first_unread_message_not_the_last(smtp, request_):
    expert = assigned_expert(request_)
    say(request_, expert, "First")
    time_passes(DELAY - 5)
    say(request_, expert, "Second")
    time_passes(5)

    run_job()

    [email] = smtp.mailbox.emails()
    assert email["Subject"] == "2 new messages in «Printer on fire»"


def test_no_email_while_the_user_has_a_socket_open_and_one_once_they_leave(smtp, request_):
    User.objects.filter(pk=request_.requester_id).update(is_online=True)
    say(request_, assigned_expert(request_), "Unplug it.")
    time_passes(DELAY + 1)

    run_job()
    assert smtp.mailbox.emails() == []

    User.objects.filter(pk=request_.requester_id).update(is_online=False)
    time_passes(DELAY)
    run_job()
    assert len(smtp.mailbox.emails()) == 1


@pytest.mark.parametrize("change", [{"email_notifications": False}, {"is_active": False}])
def test_no_email_for_a_user_who_turned_them_off_or_was_deactivated(smtp, request_, change):
    User.objects.filter(pk=request_.requester_id).update(**change)
    say(request_, assigned_expert(request_), "Unplug it.")
    time_passes(DELAY + 1)

    run_job()

    assert smtp.mailbox.emails() == []
    assert OfflineNotice.objects.get().status == "DONE"


def test_no_email_once_the_user_has_read_the_messages(smtp, request_):
    say(request_, assigned_expert(request_), "Unplug it.", "Now.")
    message_read(request_id=request_.pk, user=request_.requester, seq=2)
    time_passes(DELAY + 1)

    run_job()

    assert smtp.mailbox.emails() == []


def test_no_second_email_until_the_user_has_read_what_the_first_told_of(smtp, request_):
    expert = assigned_expert(request_)
    say(request_, expert, "Unplug it.")
    time_passes(DELAY + 1)
    run_job()

    say(request_, expert, "Hello?", "Are you there?")
    time_passes(3 * DELAY)
    run_job()

    assert len(smtp.mailbox.emails()) == 1


def test_reading_then_new_messages_start_a_new_streak_with_its_own_email(smtp, request_):
    expert = assigned_expert(request_)
    say(request_, expert, "Unplug it.")
    time_passes(DELAY + 1)
    run_job()
    message_read(request_id=request_.pk, user=request_.requester, seq=1)

    say(request_, expert, "Did it work?")
    time_passes(DELAY + 1)
    run_job()

    first, second = smtp.mailbox.emails()
    assert first["Subject"] == "1 new message in «Printer on fire»"
    assert second["Subject"] == "1 new message in «Printer on fire»"
    assert "    Did it work?" in body_of(second)


def test_reading_exactly_what_the_email_told_of_starts_a_new_streak_with_what_came_after(
    smtp, request_
):
    expert = assigned_expert(request_)
    say(request_, expert, "Unplug it.")
    time_passes(DELAY + 1)
    run_job()
    say(request_, expert, "Did it work?")
    message_read(request_id=request_.pk, user=request_.requester, seq=1)
    time_passes(DELAY + 1)

    run_job()

    assert [email["Subject"] for email in smtp.mailbox.emails()] == [
        "1 new message in «Printer on fire»",
        "1 new message in «Printer on fire»",
    ]


def test_the_expert_is_emailed_too_and_nobody_about_their_own_messages(smtp, request_):
    expert = assigned_expert(request_)
    say(request_, request_.requester, "It is on fire")
    say(request_, expert, "Unplug it.")
    say(request_, request_.requester, "Done")
    time_passes(DELAY + 1)

    run_job()

    # The customer read the expert's message by answering it; the expert has one unread.
    [email] = smtp.mailbox.emails()
    assert email["To"] == expert.email
    assert email["Subject"] == "1 new message in «Printer on fire»"


def test_unread_messages_of_a_request_closed_since_are_still_emailed(smtp, request_):
    expert = assigned_expert(request_)
    say(request_, expert, "Fixed it, closing.")
    request_close(request_id=request_.pk, actor=expert)
    time_passes(DELAY + 1)

    run_job()

    assert len(smtp.mailbox.emails()) == 1


def test_staff_are_never_emailed(smtp):
    request = ActiveRequestFactory.create(requester=AdminFactory.create())
    say(request, assigned_expert(request), "Hello")
    time_passes(DELAY + 1)

    run_job()

    assert smtp.mailbox.emails() == []


def test_an_expert_who_no_longer_takes_part_is_not_emailed(smtp, request_):
    say(request_, request_.requester, "Hello?")
    SupportRequest.objects.filter(pk=request_.pk).update(
        expert=ExpertFactory.create(), expert_read_seq=0
    )
    time_passes(DELAY + 1)

    run_job()

    assert smtp.mailbox.emails() == []


def test_the_health_probe_reports_how_long_the_oldest_due_email_has_waited(smtp, client, request_):
    say(request_, assigned_expert(request_), "Unplug it.")
    time_passes(DELAY + 60)

    waited = client.get("/healthz").json()["worker"]["jobs"]["offline_emails"]

    assert 59 <= waited < 70
    run_job()
    assert client.get("/healthz").json()["worker"]["jobs"]["offline_emails"] is None


def test_with_email_off_nothing_is_recorded_or_sent(smtp, settings, request_):
    settings.EMAIL_ENABLED = False
    say(request_, assigned_expert(request_), "Unplug it.")
    time_passes(DELAY + 1)

    assert run_job() == 0
    assert not OfflineNotice.objects.exists()
    assert smtp.mailbox.emails() == []
