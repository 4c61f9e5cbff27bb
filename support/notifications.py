"""What sockets hear when a request changes. Called from `transaction.on_commit` only, so nobody
hears of a change that was rolled back; channel-layer failures are logged by `broadcast`, never
raised into the request that caused them."""

from chat.groups import broadcast, frame_event, request_group, user_group
from support.models import RequestStatus, SupportRequest
from support.selectors import queue_watchers
from support.serializers import request_as_json


def notify_request_changed(request: SupportRequest) -> None:
    """`request-updated` to the requester, the expert and the room; and to the online, available
    experts whose queue shows it: `request-queued` while it waits, `request-taken` once it is
    gone from the queue (taken by an expert, or cancelled)."""
    payload = request_as_json(request)
    groups = [user_group(request.requester_id), request_group(request.pk)]
    if request.expert_id:
        groups.append(user_group(request.expert_id))
    broadcast(groups, frame_event({"type": "request-updated", "request": payload}))

    if request.status == RequestStatus.REQUESTED:
        frame = {"type": "request-queued", "request": payload}
    elif request.status in (RequestStatus.ACTIVE, RequestStatus.CANCELLED):
        frame = {"type": "request-taken", "request_id": str(request.pk)}
    else:
        return
    experts = queue_watchers(skill_id=request.skill_id).values_list("user_id", flat=True)
    broadcast(
        [user_group(expert_id) for expert_id in experts if expert_id != request.expert_id],
        frame_event(frame),
    )
