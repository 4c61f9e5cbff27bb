// The one WebSocket (docs/websocket.md): every request the person takes part in travels on it.
//
// It reconnects on its own with jittered backoff, re-joins its rooms with `after_seq` so no
// message is lost or shown twice, and re-sends unacknowledged messages with their `client_id`
// (the server answers a repeat with the original message instead of storing it twice).
//
// Every server frame is dispatched as an event named after its type ("new-message",
// "presence", ...; detail: the frame). Besides those: "status" (detail: {state, retryIn,
// reason}) and "send-failed" (detail: {clientId, requestId, detail}) for a message the server
// refused for good.

const SOCKET_PATH = "/ws/";
const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 30_000;
// A socket that stayed up this long was healthy: the next drop starts the backoff afresh.
const HEALTHY_AFTER_MS = 60_000;
const CLOSE_TOKEN_EXPIRED = 4001;
// Refusals worth repeating after a pause; the others mean the message can never be stored.
const RETRYABLE = new Set(["rate_limited", "server_error"]);

export class SupportSocket extends EventTarget {
  #ws = null;
  #rooms = new Map(); // request id -> highest seq seen
  #pending = new Map(); // client_id -> the send-message frame, until its new-message arrives
  #backoff = FIRST_RETRY_MS;
  #retryTimer = null;
  #openedAt = null;
  #running = false;

  constructor(session) {
    super();
    this.session = session;
    // A renewed access token is handed to the open socket before the old one expires;
    // otherwise the server closes it with 4001.
    session.addEventListener("renewed", (event) => {
      this.#send({ type: "authenticate", token: event.detail });
    });
  }

  start() {
    this.#running = true;
    this.#backoff = FIRST_RETRY_MS;
    this.#connect();
  }

  stop() {
    this.#running = false;
    clearTimeout(this.#retryTimer);
    this.#ws?.close(1000);
    this.#ws = null;
    this.#rooms.clear();
    this.#pending.clear();
  }

  // Receive a request's messages from now on, and again after every reconnect: first the ones
  // after `afterSeq` (the last one already shown), then live ones.
  join(requestId, afterSeq) {
    if (this.#rooms.has(requestId)) return;
    this.#rooms.set(requestId, afterSeq);
    this.#sendJoin(requestId);
  }

  leave(requestId) {
    if (this.#rooms.delete(requestId)) {
      this.#send({ type: "leave-request", request_id: requestId, ref: `leave:${requestId}` });
    }
  }

  // Post a message, with the ids of files uploaded for it; returns its client_id, which the
  // acknowledging new-message carries.
  send(requestId, content, attachmentIds = []) {
    const clientId = newClientId();
    // The client_id doubles as the ref, so an error frame names the message it refuses.
    const frame = {
      type: "send-message",
      request_id: requestId,
      content,
      client_id: clientId,
      ref: clientId,
    };
    if (attachmentIds.length) frame.attachment_ids = attachmentIds;
    this.#pending.set(clientId, frame);
    this.#send(frame);
    return clientId;
  }

  // Say the request is read up to `seq`. Not kept for a reconnect: the next message or
  // opening the conversation again says it anew.
  read(requestId, seq) {
    this.#send({ type: "read", request_id: requestId, seq });
  }

  typing(requestId, isTyping) {
    this.#send({ type: "typing", request_id: requestId, is_typing: isTyping });
  }

  #connect() {
    this.#status("connecting");
    // Browsers cannot set headers on a WebSocket: the token travels as a subprotocol, never in
    // the URL (URLs end up in histories and proxy logs).
    const url = new URL(SOCKET_PATH, location.href);
    url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(url, ["bearer", this.session.access]);
    this.#ws = ws;
    this.#openedAt = null;
    ws.addEventListener("open", () => this.#onOpen());
    ws.addEventListener("message", (event) => this.#onFrame(JSON.parse(event.data)));
    ws.addEventListener("close", (event) => {
      if (this.#ws === ws) this.#onClose(event);
    });
  }

  #onOpen() {
    this.#openedAt = Date.now();
    for (const requestId of this.#rooms.keys()) this.#sendJoin(requestId);
    for (const frame of this.#pending.values()) this.#send(frame);
    this.#status("open");
  }

  #onClose(event) {
    this.#ws = null;
    if (!this.#running) return;
    const lasted = this.#openedAt === null ? 0 : Date.now() - this.#openedAt;
    // 4001 is the only close of the 4000s that asks for a new token; the others are the
    // server's decisions, not retried on their own (two tabs must never take turns closing
    // each other's sockets).
    if (event.code >= 4000 && event.code !== CLOSE_TOKEN_EXPIRED) {
      this.#running = false;
      this.#status("stopped", { reason: event.reason || `closed by the server (${event.code})` });
      return;
    }
    if (lasted > HEALTHY_AFTER_MS) this.#backoff = FIRST_RETRY_MS;
    // Jitter: after a server restart, thousands of clients must not come back as one wave.
    const delay = this.#backoff * (0.5 + Math.random() / 2);
    this.#backoff = Math.min(this.#backoff * 2, MAX_RETRY_MS);
    // A refused handshake looks like a socket that closed before opening; an expired token is
    // the usual cause, so renew it first. If the refresh token is dead too, the session ends.
    const renewFirst = event.code === CLOSE_TOKEN_EXPIRED || this.#openedAt === null;
    this.#status("retrying", { retryIn: delay });
    this.#retryTimer = setTimeout(async () => {
      if (renewFirst) await this.session.renew().catch(() => {});
      if (this.#running && this.session.access) this.#connect();
    }, delay);
  }

  #onFrame(frame) {
    if (frame.type === "new-message") {
      const message = frame.message;
      const seen = this.#rooms.get(message.request_id) ?? 0;
      // Replays after a reconnect can overlap what was already shown; seq tells.
      if (message.seq <= seen) return;
      this.#rooms.set(message.request_id, message.seq);
      this.#pending.delete(message.client_id);
    } else if (frame.type === "error" && this.#isAboutPendingMessage(frame)) {
      return;
    } else if (frame.type === "error" && frame.ref === `leave:${frame.request_id}`) {
      // Already out of the room: a transfer took this user out of it. Nothing to undo.
      return;
    } else if (frame.type === "error" && frame.ref === `join:${frame.request_id}`) {
      // The room cannot be joined (closed, or not ours): stop re-joining it on reconnect.
      this.#rooms.delete(frame.request_id);
    }
    this.dispatchEvent(new CustomEvent(frame.type, { detail: frame }));
  }

  // A refused send-message: tried again after a pause if the refusal is temporary, otherwise
  // reported as "send-failed".
  #isAboutPendingMessage(frame) {
    const pending = this.#pending.get(frame.ref);
    if (!pending) return false;
    if (RETRYABLE.has(frame.code)) {
      const wait = (frame.retry_after ?? 1) * 1000;
      setTimeout(() => this.#pending.has(frame.ref) && this.#send(pending), wait);
      return true;
    }
    this.#pending.delete(frame.ref);
    const detail = { clientId: frame.ref, requestId: pending.request_id, detail: frame.detail };
    this.dispatchEvent(new CustomEvent("send-failed", { detail }));
    return true;
  }

  #sendJoin(requestId) {
    const afterSeq = this.#rooms.get(requestId);
    const ref = `join:${requestId}`;
    this.#send({ type: "join-request", request_id: requestId, after_seq: afterSeq, ref });
  }

  // Frames sent while the socket is down are not lost: joins and pending messages are sent
  // again on open, and a typing hint is stale by then anyway.
  #send(frame) {
    if (this.#ws?.readyState === WebSocket.OPEN) this.#ws.send(JSON.stringify(frame));
  }

  #status(state, extra = {}) {
    this.dispatchEvent(new CustomEvent("status", { detail: { state, ...extra } }));
  }
}

// Typing hints, thinned: "started" at most every few seconds while keys keep coming, and one
// "stopped" once they pause (or the message is sent). The server relays them and drops
// extras; the other side hides a hint that is not refreshed in time.
export const TYPING_REFRESH_MS = 3_000;
const TYPING_PAUSE_MS = 2_500;

export class TypingSignal {
  #lastStarted = 0;
  #pauseTimer = null;

  constructor(socket, requestId) {
    this.socket = socket;
    this.requestId = requestId;
  }

  keystroke() {
    const now = Date.now();
    if (now - this.#lastStarted > TYPING_REFRESH_MS) {
      this.#lastStarted = now;
      this.socket.typing(this.requestId, true);
    }
    clearTimeout(this.#pauseTimer);
    this.#pauseTimer = setTimeout(() => this.stop(), TYPING_PAUSE_MS);
  }

  stop() {
    clearTimeout(this.#pauseTimer);
    if (this.#lastStarted === 0) return;
    this.#lastStarted = 0;
    this.socket.typing(this.requestId, false);
  }
}

// A random id for client_id. crypto.randomUUID() exists only on https:// and localhost pages,
// and the console may be opened over plain http on a LAN address.
function newClientId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return "c-" + Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}
