"""A customer and an expert on two different server processes chat as if on one."""

from tests.e2e.client import Socket, api_json
from tests.e2e.scenario import E2E, active_pair, in_db

pytestmark = E2E


def _stored_contents(request_id) -> list[tuple[int, str]]:
    from chat.models import Message

    return list(
        Message.objects.filter(request_id=request_id).order_by("seq").values_list("seq", "content")
    )


async def test_user_on_one_process_and_expert_on_another_chat_both_ways(two_servers):
    server_a, server_b = two_servers
    pair = await active_pair()
    user = await Socket.open(server_a, pair.user_token)
    expert = await Socket.open(server_b, pair.expert_token)
    try:
        joined = await user.join(pair.request_id)
        await expert.join(pair.request_id)
        assert joined["last_seq"] == 0

        await user.say(pair.request_id, "My printer is on fire", client_id="u-1")
        heard_by_expert = await expert.expect("new-message")
        ack_to_user = await user.expect("new-message")
        await expert.say(pair.request_id, "Unplug it first")
        heard_by_user = await user.expect("new-message")
        ack_to_expert = await expert.expect("new-message")

        assert heard_by_expert == ack_to_user
        assert heard_by_user == ack_to_expert
        first, second = heard_by_expert["message"], heard_by_user["message"]
        assert first["seq"] == 1
        assert first["content"] == "My printer is on fire"
        assert first["client_id"] == "u-1"
        assert first["request_id"] == str(pair.request_id)
        assert first["sender"]["id"] == str(pair.user_id)
        assert first["sender"]["role"] == "USER"
        assert {"id", "created_at"} <= first.keys()
        assert second["seq"] == 2
        assert second["sender"]["id"] == str(pair.expert_id)
        assert second["sender"]["role"] == "EXPERT"
        assert await in_db(_stored_contents, pair.request_id) == [
            (1, "My printer is on fire"),
            (2, "Unplug it first"),
        ]
    finally:
        await user.close()
        await expert.close()


async def test_typing_is_relayed_across_processes_to_the_other_side_only(two_servers):
    server_a, server_b = two_servers
    pair = await active_pair()
    user = await Socket.open(server_a, pair.user_token)
    expert = await Socket.open(server_b, pair.expert_token)
    try:
        await user.join(pair.request_id)
        await expert.join(pair.request_id)

        await user.send({"type": "typing", "request_id": str(pair.request_id), "is_typing": True})
        typing = await expert.expect("typing")

        assert typing["request_id"] == str(pair.request_id)
        assert typing["is_typing"] is True
        assert typing["user_id"] == str(pair.user_id)
        # The sender hears nothing back: a round trip that surely arrived after any echo proves it.
        await user.send({"type": "no-such-frame", "ref": "barrier"})
        await user.expect("error", ref="barrier")
        assert not [frame for frame in user.frames if frame["type"] == "typing"]
    finally:
        await user.close()
        await expert.close()


async def test_repeated_send_with_the_same_client_id_is_answered_with_the_original(two_servers):
    server_a, server_b = two_servers
    pair = await active_pair()
    user = await Socket.open(server_a, pair.user_token)
    try:
        await user.join(pair.request_id)
        await user.say(pair.request_id, "Once only", client_id="retry-me")
        original = (await user.expect("new-message"))["message"]

        # A client that reconnects to another process and resends, not knowing it got through.
        await user.close()
        user = await Socket.open(server_b, pair.user_token)
        await user.join(pair.request_id, after_seq=original["seq"])
        await user.say(pair.request_id, "Once only", client_id="retry-me")
        answer = (await user.expect("new-message"))["message"]

        assert answer == original
        assert await in_db(_stored_contents, pair.request_id) == [(1, "Once only")]
    finally:
        await user.close()


async def test_read_marks_cross_processes_and_the_request_counts_what_is_unread(two_servers):
    server_a, server_b = two_servers
    pair = await active_pair()
    user = await Socket.open(server_a, pair.user_token)
    expert = await Socket.open(server_b, pair.expert_token)
    request_path = f"/api/requests/{pair.request_id}/"
    try:
        await user.join(pair.request_id)
        await expert.join(pair.request_id)
        for n in range(3):
            await user.say(pair.request_id, f"Line {n}")
        await expert.wait_for_messages(pair.request_id, 3, timeout=5)
        unread = await api_json(server_b, request_path, token=pair.expert_token)
        assert (unread["unread_count"], unread["read_seqs"]) == (3, {"user": 3, "expert": 0})

        await expert.send({"type": "read", "request_id": str(pair.request_id), "seq": 2, "ref": 1})
        assert (await expert.expect("read", ref=1))["seq"] == 2
        mark = await user.expect("read")
        assert (mark["user_id"], mark["seq"]) == (str(pair.expert_id), 2)

        # Over REST, on the other process: the expert's socket hears its own read too.
        body = {"seq": 3}
        read = await api_json(server_a, f"{request_path}read/", token=pair.expert_token, body=body)
        assert read == {"request_id": str(pair.request_id), "seq": 3}
        assert (await expert.expect("read", seq=3))["user_id"] == str(pair.expert_id)
        assert (await user.expect("read", seq=3))["user_id"] == str(pair.expert_id)
        caught_up = await api_json(server_a, request_path, token=pair.expert_token)
        assert caught_up["unread_count"] == 0
    finally:
        await user.close()
        await expert.close()
