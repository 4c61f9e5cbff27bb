"""A message to a customer who has no socket open reaches them by email: two real server
processes, each running the worker, and a real SMTP server. Exactly one email arrives, and none
while the customer has a socket open."""

import asyncio

from tests.e2e.client import Socket
from tests.e2e.scenario import E2E, active_pair, in_db
from tests.helpers.smtp import body_of, smtp_server

pytestmark = E2E

# Longer than NOTIFY_OFFLINE_AFTER (1 s) plus a few runs of the job (every second), so that a
# second email, were one to be sent, would have arrived too.
QUIET_SECONDS = 4


def _title_and_customer_email(request_id) -> tuple[str, str]:
    from support.models import SupportRequest

    request = SupportRequest.objects.select_related("requester").get(pk=request_id)
    return request.title, request.requester.email


async def test_a_message_to_an_offline_customer_is_emailed_once(launch_servers):
    with smtp_server() as smtp:
        server_a, _server_b = launch_servers(
            2, EMAIL_URL=smtp.url, NOTIFY_OFFLINE_AFTER="1", WORKER_IN_SERVER="true"
        )
        pair = await active_pair()
        expert = await Socket.open(server_a, pair.expert_token)
        try:
            await expert.join(pair.request_id)
            await expert.say(pair.request_id, "Your printer needs a new fuser.")
            await expert.expect("new-message")

            await asyncio.to_thread(smtp.mailbox.wait_for, 1, 15)
            await asyncio.sleep(QUIET_SECONDS)
        finally:
            await expert.close()
        emails = smtp.mailbox.emails()
        title, customer_email = await in_db(_title_and_customer_email, pair.request_id)

    [email] = emails
    assert email["To"] == customer_email
    assert email["Subject"] == f"1 new message in «{title}»"
    assert "    Your printer needs a new fuser." in body_of(email)


async def test_a_customer_with_a_socket_open_is_emailed_only_once_they_have_left(launch_servers):
    with smtp_server() as smtp:
        server_a, server_b = launch_servers(
            2, EMAIL_URL=smtp.url, NOTIFY_OFFLINE_AFTER="1", WORKER_IN_SERVER="true"
        )
        pair = await active_pair()
        expert = await Socket.open(server_a, pair.expert_token)
        customer = await Socket.open(server_b, pair.user_token)
        try:
            await expert.join(pair.request_id)
            await expert.say(pair.request_id, "Still there?")
            await expert.expect("new-message")
            await asyncio.sleep(QUIET_SECONDS)
            assert smtp.mailbox.emails() == []

            await customer.close()
            emails = await asyncio.to_thread(smtp.mailbox.wait_for, 1, 15)
        finally:
            await customer.close()
            await expert.close()

    [email] = emails
    assert "    Still there?" in body_of(email)
