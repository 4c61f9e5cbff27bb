"""Messages carrying attachments over REST: attachment_ids on POST messages/, `attachments` on
every message; each upload attached once, only by its uploader, only in its own request."""

import uuid
from functools import partial

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from chat.attachments.services import attachment_upload
from chat.models import Attachment, Message
from chat.services import message_post
from core.errors import InvalidInput
from support.models import SupportRequest
from tests.factories import ActiveRequestFactory, AdminFactory
from tests.helpers.api import client_for
from tests.helpers.attachments import PDF, PNG
from tests.helpers.concurrency import run_at_once
from tests.helpers.markers import requires_postgres

pytestmark = pytest.mark.django_db


@pytest.fixture
def chat() -> SupportRequest:
    return ActiveRequestFactory.create()


def uploaded(request: SupportRequest, uploader=None, content: bytes = PNG, name="shot.png"):
    return attachment_upload(
        request_id=request.pk,
        uploader=uploader or request.requester,
        file=SimpleUploadedFile(name, content),
    )


def url(request) -> str:
    return reverse("request-messages", kwargs={"request_id": request.pk})


def post(request, body, user=None):
    return client_for(user or request.requester).post(url(request), body, format="json")


def test_a_message_carries_its_attachments_and_content_may_be_empty(chat):
    first, second = uploaded(chat), uploaded(chat, content=PDF, name="bill.pdf")

    response = post(chat, {"attachment_ids": [str(first.pk), str(second.pk)]})

    assert response.status_code == 201, response.data
    assert response.data["content"] == ""
    assert response.data["attachments"] == [
        {
            "id": str(first.pk),
            "name": "shot.png",
            "size": len(PNG),
            "content_type": "image/png",
            "url": f"/api/attachments/{first.pk}/download/",
        },
        {
            "id": str(second.pk),
            "name": "bill.pdf",
            "size": len(PDF),
            "content_type": "application/pdf",
            "url": f"/api/attachments/{second.pk}/download/",
        },
    ]
    message = Message.objects.get()
    assert set(message.attachments.all()) == {first, second}


def test_content_and_attachments_together(chat):
    attachment = uploaded(chat)

    response = post(chat, {"content": " see this ", "attachment_ids": [str(attachment.pk)]})

    assert response.data["content"] == "see this"
    assert len(response.data["attachments"]) == 1


def test_a_message_without_attachments_has_an_empty_list(chat):
    response = post(chat, {"content": "hi"})

    assert response.data["attachments"] == []


@pytest.mark.parametrize("body", [{}, {"content": " "}, {"content": "", "attachment_ids": []}])
def test_without_attachments_content_is_still_required(chat, body):
    response = post(chat, body)

    assert response.status_code == 400
    assert "content" in response.data


def test_history_lists_attachments_with_a_fixed_number_of_queries(chat, django_assert_num_queries):
    for n in range(6):
        ids = [str(uploaded(chat).pk) for _ in range(n % 3)]
        assert post(chat, {"content": f"m{n}", "attachment_ids": ids}).status_code == 201
    client = client_for(chat.expert)

    # Authentication, the request, the messages with their senders, their attachments.
    with django_assert_num_queries(4):
        response = client.get(url(chat))

    counts = [len(message["attachments"]) for message in response.data["results"]]
    assert counts == [0, 1, 2, 0, 1, 2]


def refused(response) -> bool:
    return response.status_code == 400 and "attachment_ids" in response.data


def nothing_stored_and_unattached(chat, *attachments) -> bool:
    chat.refresh_from_db()
    return (
        not Message.objects.filter(request=chat).exists()
        and chat.last_seq == 0
        and all(Attachment.objects.get(pk=a.pk).message_id is None for a in attachments)
    )


def test_an_unknown_attachment_is_refused_and_nothing_is_stored(chat):
    mine = uploaded(chat)

    response = post(chat, {"content": "x", "attachment_ids": [str(mine.pk), str(uuid.uuid4())]})

    assert refused(response)
    assert nothing_stored_and_unattached(chat, mine)


def test_someone_elses_upload_is_refused(chat):
    theirs = uploaded(chat, uploader=chat.expert)

    assert refused(post(chat, {"content": "x", "attachment_ids": [str(theirs.pk)]}))
    assert nothing_stored_and_unattached(chat, theirs)


def test_an_upload_into_another_request_is_refused(chat):
    other = ActiveRequestFactory.create(requester=chat.requester)
    elsewhere = uploaded(other)

    assert refused(post(chat, {"content": "x", "attachment_ids": [str(elsewhere.pk)]}))
    assert nothing_stored_and_unattached(chat, elsewhere)


def test_an_attachment_is_attached_once(chat):
    attachment = uploaded(chat)
    assert post(chat, {"attachment_ids": [str(attachment.pk)]}).status_code == 201

    again = post(chat, {"content": "again", "attachment_ids": [str(attachment.pk)]})

    assert refused(again)
    assert Message.objects.filter(request=chat).count() == 1


@pytest.mark.parametrize(
    "ids",
    [
        "six",
        "twice",
        "not uuids",
        "not a list",
    ],
)
def test_malformed_attachment_ids_are_400(chat, ids):
    attachments = [str(uploaded(chat).pk) for _ in range(6)]
    value = {
        "six": attachments,
        "twice": [attachments[0], attachments[0]],
        "not uuids": ["42"],
        "not a list": attachments[0],
    }[ids]

    assert refused(post(chat, {"content": "x", "attachment_ids": value}))
    assert not Message.objects.exists()


def test_five_attachments_are_fine(chat):
    ids = [str(uploaded(chat).pk) for _ in range(5)]

    assert post(chat, {"attachment_ids": ids}).status_code == 201


def test_staff_who_do_not_take_part_cannot_attach(chat):
    attachment = uploaded(chat)

    response = post(chat, {"attachment_ids": [str(attachment.pk)]}, user=AdminFactory.create())

    assert response.status_code in (400, 403)
    assert nothing_stored_and_unattached(chat, attachment)


def test_a_resend_with_the_same_client_id_answers_the_original_with_its_attachments(chat):
    attachment = uploaded(chat)
    body = {"client_id": "c-1", "attachment_ids": [str(attachment.pk)]}

    first, again = post(chat, body), post(chat, body)

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.data == first.data
    assert again.data["attachments"][0]["id"] == str(attachment.pk)


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_messages_racing_for_one_attachment_exactly_one_gets_it():
    chat = ActiveRequestFactory.create()
    attachment = uploaded(chat)
    sends = [
        partial(
            message_post,
            request_id=chat.pk,
            sender=chat.requester,
            content=f"race {n}",
            attachment_ids=[attachment.pk],
        )
        for n in range(6)
    ]

    results = run_at_once(sends)

    won = [result for result in results if isinstance(result, tuple)]
    lost = [result for result in results if isinstance(result, InvalidInput)]
    assert (len(won), len(lost)) == (1, 5), results
    message, created = won[0]
    assert created
    attachment.refresh_from_db()
    assert attachment.message_id == message.pk
    # The losers stored nothing, and left no gap in the seqs.
    assert list(Message.objects.filter(request=chat).values_list("seq", flat=True)) == [1]
    chat.refresh_from_db()
    assert chat.last_seq == 1
