"""When the SMTP server fails, the email is tried again later (NOTIFY_RETRY_DELAYS), and sent
once when it recovers; a message that arrives while the job decides is never left without a
look."""

from datetime import timedelta

import pytest
from django.utils import timezone

from chat.services import message_post, message_read
from notifications import sending
from notifications.models import OfflineNotice
from support.models import SupportRequest
from tests.factories import ActiveRequestFactory
from tests.helpers.requests import assigned_expert
from tests.helpers.smtp import free_port
from tests.notifications.conftest import DELAY, run_job, time_passes

pytestmark = pytest.mark.django_db

REFUSAL = "451 4.3.0 Try again later"


@pytest.fixture
def request_(db) -> SupportRequest:
    request = ActiveRequestFactory.create(title="Printer on fire")
    message_post(request_id=request.pk, sender=assigned_expert(request), content="Unplug it.")
    return request


def test_an_smtp_refusal_is_tried_again_after_the_first_delay_then_sent_once(smtp, request_):
    smtp.mailbox.refuse_with = REFUSAL
    time_passes(DELAY + 1)

    run_job()

    notice = OfflineNotice.objects.get()
    assert (notice.status, notice.attempts, notice.emails_sent) == ("PENDING", 1, 0)
    assert "451" in notice.last_error
    assert notice.run_after > timezone.now() + timedelta(seconds=25)
    assert smtp.mailbox.emails() == []

    smtp.mailbox.refuse_with = None
    run_job()
    assert smtp.mailbox.emails() == []  # not due again yet
    time_passes(30)
    run_job()

    assert len(smtp.mailbox.emails()) == 1
    notice.refresh_from_db()
    assert (notice.status, notice.attempts, notice.emails_sent) == ("DONE", 0, 1)
    assert notice.last_error == ""


def test_an_smtp_server_that_cannot_be_reached_counts_as_a_failed_try(smtp, settings, request_):
    settings.EMAIL_PORT = free_port()  # nothing listens there
    time_passes(DELAY + 1)

    run_job()

    notice = OfflineNotice.objects.get()
    assert (notice.status, notice.attempts) == ("PENDING", 1)
    assert "ConnectionRefusedError" in notice.last_error


def test_once_every_retry_failed_the_next_message_starts_over(smtp, request_):
    smtp.mailbox.refuse_with = REFUSAL
    time_passes(DELAY + 1)
    for _ in range(3):  # the first try and one per NOTIFY_RETRY_DELAYS (30, 120)
        run_job()
        time_passes(120)
    assert OfflineNotice.objects.get().status == "FAILED"
    assert smtp.mailbox.refused == 3

    smtp.mailbox.refuse_with = None
    message_post(request_id=request_.pk, sender=assigned_expert(request_), content="Hello?")
    notice = OfflineNotice.objects.get()
    assert (notice.status, notice.attempts) == ("PENDING", 0)
    time_passes(DELAY + 1)
    run_job()

    [email] = smtp.mailbox.emails()
    assert email["Subject"] == "2 new messages in «Printer on fire»"


def test_a_message_stored_while_the_job_decides_to_rest_gets_its_own_look(
    smtp, request_, monkeypatch
):
    expert = assigned_expert(request_)
    message_read(request_id=request_.pk, user=request_.requester, seq=1)
    time_passes(DELAY + 1)
    decide = sending._next_step

    def decide_as_a_message_arrives(notice, now):
        step = decide(notice, now)  # everything is read: the row would rest
        message_post(request_id=request_.pk, sender=expert, content="One more thing")
        monkeypatch.undo()
        return step

    monkeypatch.setattr(sending, "_next_step", decide_as_a_message_arrives)
    run_job()

    assert OfflineNotice.objects.get().status == "PENDING"
    time_passes(DELAY + 1)
    run_job()
    [email] = smtp.mailbox.emails()
    assert email["Subject"] == "1 new message in «Printer on fire»"
