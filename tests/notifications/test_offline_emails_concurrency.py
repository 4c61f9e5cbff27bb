"""Several processes run the worker at once: each streak is still emailed exactly once. Real
threads, each with its own PostgreSQL connection, claim rows with SKIP LOCKED."""

import pytest

from chat.services import message_post
from notifications.models import OfflineNotice
from tests.factories import ActiveRequestFactory
from tests.helpers.concurrency import returned, run_at_once
from tests.helpers.markers import requires_postgres
from tests.helpers.requests import assigned_expert
from tests.notifications.conftest import DELAY, run_job, time_passes

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]


def test_two_workers_running_the_job_at_once_send_one_email(smtp):
    request = ActiveRequestFactory.create()
    message_post(request_id=request.pk, sender=assigned_expert(request), content="Unplug it.")
    time_passes(DELAY + 1)

    handled = returned(run_at_once([run_job, run_job]))

    assert sorted(handled) == [0, 1]
    assert len(smtp.mailbox.emails()) == 1
    assert OfflineNotice.objects.get().emails_sent == 1


def test_four_workers_share_many_due_emails_and_send_each_once(smtp):
    requests = ActiveRequestFactory.create_batch(12)
    for request in requests:
        message_post(request_id=request.pk, sender=assigned_expert(request), content="Hi")
    time_passes(DELAY + 1)

    handled = returned(run_at_once([run_job] * 4))

    assert sum(handled) == 12
    recipients = sorted(email["To"] for email in smtp.mailbox.emails())
    assert recipients == sorted(request.requester.email for request in requests)
