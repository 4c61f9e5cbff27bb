"""The WebSocket protocol, both directions, and the only code that reads or writes frames.

- `chat.protocol.client`: every frame a client may send, one frozen dataclass per type, and
  `parse_frame`, which turns anything a client can get wrong into a `FrameError`.
- `chat.protocol.server`: every frame the server sends, one TypedDict per type, and the
  functions that build them.

Both are the single source of the protocol's documentation (docs/websocket.md) and of its
machine-readable description.
"""
