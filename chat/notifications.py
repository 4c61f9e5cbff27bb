"""What sockets hear when a request changes: chat's handler of support's RequestChanged event,
subscribed in ChatConfig.ready(). It runs on commit only (core.events), so nobody hears of a
change that was rolled back; channel-layer failures are logged by `broadcast`, never raised into
the request that caused them."""

from typing import cast

from accounts.events import UserDeactivated
from chat.groups import (
    broadcast,
    close_event,
    frame_event,
    queue_event,
    queue_group,
    queue_seat_event,
    request_group,
    user_group,
)
from chat.protocol.server import (
    CLOSE_DEACTIVATED,
    RequestData,
    RequestQueuedFrame,
    RequestTakenFrame,
    request_queued_frame,
    request_taken_frame,
    request_updated_frame,
)
from support.events import ExpertQueueChanged, RequestChanged
from support.models import RequestStatus
from support.selectors import expert_queue_seat
from support.serializers import request_as_json


def notify_request_changed(event: RequestChanged) -> None:
    """`request-updated` to the requester, the expert, the expert it was just taken from and the
    room (whose sockets of that expert leave it on hearing it: chat.consumer); and to the online,
    available experts whose queue shows it: `request-queued` while it waits, `request-taken` once
    it is gone from the queue (taken by an expert, or cancelled)."""
    request = event.request
    payload = cast(RequestData, request_as_json(request))
    groups = [user_group(request.requester_id), request_group(request.pk)]
    involved = (request.expert_id, event.previous_expert_id)
    groups += [user_group(expert_id) for expert_id in involved if expert_id]
    broadcast(groups, frame_event(request_updated_frame(payload)))

    frame: RequestQueuedFrame | RequestTakenFrame
    if event.previous_expert_id and request.status == RequestStatus.ACTIVE:
        return  # handed from one expert to another: it was never in anyone's queue
    if request.status == RequestStatus.REQUESTED:
        frame = request_queued_frame(payload)
    elif request.status in (RequestStatus.ACTIVE, RequestStatus.CANCELLED):
        frame = request_taken_frame(request_id=str(request.pk))
    else:
        return
    # One broadcast to the experts whose queue shows it; each socket filters on its expert's
    # availability (chat.consumer), instead of one send per expert from here.
    taker = str(request.expert_id) if request.expert_id else None
    broadcast([queue_group(request.skill_id)], queue_event(frame, taker_id=taker))


def tell_sockets_of_queue_seat(event: ExpertQueueChanged) -> None:
    """An expert's skills or availability changed: their sockets, on every process, move to the
    right queue groups."""
    seat = expert_queue_seat(expert_id=event.expert_id)
    if seat is not None:
        broadcast([user_group(event.expert_id)], queue_seat_event(**seat))


def close_sockets_of_deactivated_user(event: UserDeactivated) -> None:
    """Every socket of the user, on every process, is closed with 4003."""
    broadcast([user_group(event.user_id)], close_event(code=CLOSE_DEACTIVATED))
