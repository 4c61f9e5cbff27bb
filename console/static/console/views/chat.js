// The right column: one request, its conversation, and what can be done with it.
//
// History: the latest page over REST (GET requests/{id}/messages/?before=), then, for the
// customer and the expert of an ACTIVE request, the room joined with `after_seq` = the last
// message shown: the socket replays what came in between and continues live.
//
// Read marks: while a live conversation is on screen (and the tab visible), what it shows is
// marked read with a `read` frame; your messages say "Seen" once the other side's read
// position (the request's `read_seqs`, then their `read` frames and messages) reaches them.

import { ApiError } from "../api.js";
import { TYPING_REFRESH_MS, TypingSignal } from "../socket.js";
import {
  $,
  actionButton,
  h,
  mergeRequest,
  onSubmit,
  readKeyOf,
  statusBadge,
  when,
} from "./dom.js";
import { announce, showProblem } from "./feedback.js";

const HISTORY_PAGE = 50;
// A typing hint not refreshed within this long is stale (its "stopped" may have been lost).
const TYPING_STALE_MS = TYPING_REFRESH_MS * 2;
const ROLE_NAMES = { USER: "customer", EXPERT: "expert", ADMIN: "staff" };
// The timeline's entries (GET requests/{id}/timeline/) in words; `detail` depends on the event.
const TIMELINE_EVENTS = {
  created: () => "Opened",
  assigned: (detail) => `Assigned to ${detail.expert?.name}`,
  accepted: (detail) => `Accepted by ${detail.expert?.name}`,
  transferred: (detail) => `Transferred from ${detail.from?.name} to ${detail.to?.name}`,
  requeued: (detail) =>
    detail.reason === "first_response_timeout"
      ? `Back in the queue: no answer from ${detail.from?.name} in time`
      : `Back in the queue from ${detail.from?.name}`,
  closed: (detail) => (detail.reason === "inactivity" ? "Closed after inactivity" : "Closed"),
  cancelled: () => "Cancelled",
  reviewed: (detail) => `Rated ${detail.rating} out of 5`,
};
const TIMELINE_PAGE = 100;

// What the console holds of one request's chat. Kept until sign-out, so switching between
// requests shows each conversation as it was, and a joined room keeps receiving meanwhile.
class Conversation {
  messages = []; // acknowledged messages, by seq
  pending = new Map(); // client_id -> {content, failed}: sent, not acknowledged yet
  typing = new Map(); // user id -> the timer that hides their hint
  hasEarlier = false; // older messages exist on the server
  ready = false; // the latest history is loaded: the room may be joined
  live = false; // the room is joined

  constructor(request, socket) {
    this.request = request;
    this.typingSignal = new TypingSignal(socket, request.id);
  }

  get lastSeq() {
    return this.messages.at(-1)?.seq ?? 0;
  }

  // How far `userId` has read, as far as this console knows.
  readSeqOf(userId) {
    const key = readKeyOf(this.request, userId);
    return key ? (this.request.read_seqs?.[key] ?? 0) : 0;
  }

  // Moves a participant's read position forward (never back); true if it moved.
  moveRead(userId, seq) {
    const key = readKeyOf(this.request, userId);
    if (!key || seq <= this.readSeqOf(userId)) return false;
    const seqs = { user: 0, expert: 0, ...this.request.read_seqs, [key]: seq };
    const lastSeq = Math.max(this.request.last_seq, seq);
    this.request = { ...this.request, last_seq: lastSeq, read_seqs: seqs };
    return true;
  }

  // Adds a message in seq order; false if it is already there (history and replay overlap).
  store(message) {
    if (message.seq > this.lastSeq) {
      this.messages.push(message);
      return true;
    }
    if (this.messages.some((known) => known.seq === message.seq)) return false;
    this.messages.push(message);
    this.messages.sort((a, b) => a.seq - b.seq);
    return true;
  }
}

export class ChatView {
  #conversations = new Map(); // request id -> Conversation
  #current = null;
  #presence = new Map(); // user id -> the latest presence frame
  #reviews = new Map(); // request id -> rating given in this session (null: given before)

  constructor({ api, session, socket, changed }) {
    this.api = api;
    this.session = session;
    this.socket = socket;
    this.changed = changed;

    socket.addEventListener("new-message", ({ detail }) => this.#onMessage(detail.message));
    socket.addEventListener("typing", ({ detail }) => this.#onTyping(detail));
    socket.addEventListener("read", ({ detail }) => this.#onRead(detail));
    document.addEventListener("visibilitychange", () => this.#markRead(this.#current));
    socket.addEventListener("presence", ({ detail }) => {
      this.#presence.set(detail.user_id, detail);
      if (this.#current) this.#renderPeople();
    });
    socket.addEventListener("send-failed", ({ detail }) => this.#onSendFailed(detail));
    socket.addEventListener("error", ({ detail }) => this.#onError(detail));

    const text = $("composer-text");
    onSubmit($("composer"), () => this.#send());
    text.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        $("composer").requestSubmit();
      }
    });
    text.addEventListener("input", () => this.#current?.typingSignal.keystroke());
    text.addEventListener("blur", () => this.#current?.typingSignal.stop());
    onSubmit($("review-form"), (form) => this.#review(form));
    $("chat-earlier").addEventListener("click", () => this.#loadEarlier().catch(showProblem));
    $("chat-timeline").addEventListener("toggle", () => this.#loadTimeline().catch(showProblem));
  }

  get #me() {
    return this.session.user;
  }

  async open(request) {
    this.#current?.typingSignal.stop();
    let conversation = this.#conversations.get(request.id);
    if (!conversation) {
      conversation = new Conversation(request, this.socket);
      this.#conversations.set(request.id, conversation);
    }
    this.#current = conversation;
    $("chat-timeline").open = false;
    this.#render();
    $("chat").hidden = false;
    $("chat-placeholder").hidden = true;
    $("chat-title").focus({ preventScroll: true });
    $("chat").scrollIntoView({ block: "nearest" });
    if (!conversation.live) await this.#catchUp(conversation).catch(showProblem);
  }

  // A request changed. The room is joined when the request becomes ACTIVE with this user in
  // it, and left when it ends or is transferred away from them.
  update(request) {
    const conversation = this.#conversations.get(request.id);
    if (!conversation) return;
    const before = conversation.request;
    conversation.request = mergeRequest(conversation.request, request);
    if (before.status !== request.status || before.expert?.id !== request.expert?.id) {
      this.#follow(conversation);
      if (conversation === this.#current) {
        this.#announceStatus(request);
        this.#loadTimeline().catch(() => {}); // the entry for this change, if it is shown
      }
    }
    if (conversation === this.#current) this.#renderRequest();
  }

  reset() {
    this.#conversations.clear();
    this.#presence.clear();
    this.#reviews.clear();
    this.#current = null;
    $("chat").hidden = true;
    $("chat-placeholder").hidden = false;
  }

  #takesPart(request) {
    const me = this.#me.id;
    return request.user.id === me || request.expert?.id === me;
  }

  // The request as it is now, and the latest page of its history; then into the room if the
  // conversation is live.
  async #catchUp(conversation) {
    const request = await this.api.get(`requests/${conversation.request.id}/`);
    this.changed(request);
    if (request.last_seq > conversation.lastSeq) {
      const page = await this.api.get(`requests/${request.id}/messages/`, {
        before: request.last_seq + 1,
        limit: HISTORY_PAGE,
      });
      if ((page.results[0]?.seq ?? 0) > conversation.lastSeq + 1) {
        // Not adjacent to what is shown (or nothing is shown yet): a gap would go unnoticed,
        // so this page becomes the start.
        conversation.messages = [];
        conversation.hasEarlier = page.has_more;
      }
      page.results.forEach((message) => conversation.store(message));
    }
    conversation.ready = true;
    this.#follow(conversation);
    if (conversation === this.#current) this.#renderMessages();
    this.#markRead(conversation);
  }

  async #loadEarlier() {
    const conversation = this.#current;
    const page = await this.api.get(`requests/${conversation.request.id}/messages/`, {
      before: conversation.messages[0].seq,
      limit: HISTORY_PAGE,
    });
    page.results.forEach((message) => conversation.store(message));
    conversation.hasEarlier = page.has_more;
    this.#renderMessages();
  }

  #follow(conversation) {
    const { request } = conversation;
    const live = conversation.ready && request.status === "ACTIVE" && this.#takesPart(request);
    if (live && !conversation.live) this.socket.join(request.id, conversation.lastSeq);
    if (!live && conversation.live) {
      conversation.typingSignal.stop();
      this.socket.leave(request.id);
    }
    conversation.live = live;
  }

  #announceStatus(request) {
    const requester = request.user.id === this.#me.id;
    if (this.#me.role === "EXPERT" && !this.#takesPart(request)) {
      announce("The request is no longer yours: it went to another expert or back to the queue.");
      return;
    }
    const text = {
      REQUESTED: "The request is back in the queue, waiting for another expert.",
      ACTIVE: requester ? `${request.expert?.name} took your request.` : "The request is active.",
      CLOSED: `The request is closed.${requester ? " You can rate your expert below." : ""}`,
      CANCELLED: "The request was cancelled.",
    }[request.status];
    if (text) announce(text);
  }

  // --- socket events ----------------------------------------------------------------------

  #onMessage(message) {
    const conversation = this.#conversations.get(message.request_id);
    if (!conversation) return;
    const wasPending = conversation.pending.delete(message.client_id);
    this.#hideTyping(conversation, message.sender.id);
    const appended = message.seq > conversation.lastSeq;
    if (!conversation.store(message)) return;
    const { request } = conversation;
    conversation.request = { ...request, last_seq: Math.max(request.last_seq, message.seq) };
    // A sender has read up to what they sent (the server moved their position too).
    const seenMore = conversation.moveRead(message.sender.id, message.seq);
    if (seenMore && message.sender.id !== this.#me.id && conversation === this.#current) {
      this.#renderSeen();
    }
    this.changed(conversation.request);
    if (conversation !== this.#current) return;
    if (!appended) {
      this.#renderMessages();
      return;
    }
    // Added in place, not re-rendered: the log is aria-live, and a re-render would read the
    // whole conversation out again.
    const list = $("chat-messages");
    if (wasPending) {
      const clientId = CSS.escape(message.client_id);
      list.querySelector(`[data-state=pending][data-client-id="${clientId}"]`)?.remove();
    }
    const firstPending = list.querySelector(".message[data-state=pending]");
    list.insertBefore(this.#messageItem(message), firstPending);
    this.#scrollToEnd();
    this.#markRead(conversation);
  }

  #onRead({ request_id: requestId, user_id: userId, seq }) {
    const conversation = this.#conversations.get(requestId);
    if (!conversation?.moveRead(userId, seq)) return;
    this.changed(conversation.request);
    if (conversation === this.#current && userId !== this.#me.id) this.#renderSeen();
  }

  // What the open conversation shows on a visible page is read: say so once per new message,
  // on the socket while the room is joined, otherwise (a closed request) over REST.
  #markRead(conversation) {
    if (!conversation?.ready || conversation !== this.#current) return;
    if (document.visibilityState !== "visible" || !this.#takesPart(conversation.request)) return;
    const { id } = conversation.request;
    const seq = conversation.lastSeq;
    if (seq <= conversation.readSeqOf(this.#me.id)) return;
    if (conversation.live) this.socket.read(id, seq);
    else this.api.post(`requests/${id}/read/`, { seq }).catch(() => {});
    conversation.moveRead(this.#me.id, seq);
    this.changed(conversation.request);
  }

  #onError(frame) {
    const conversation = this.#conversations.get(frame.request_id);
    if (conversation && frame.ref === `join:${frame.request_id}`) {
      // Most likely the request was closed while the socket was down and the re-join came
      // too late: its current state says so better than the error.
      conversation.live = false;
      this.api.get(`requests/${frame.request_id}/`).then(this.changed, showProblem);
      if (frame.code === "not_active") return;
    }
    showProblem(frame.detail);
  }

  #onSendFailed({ clientId, requestId, detail }) {
    const conversation = this.#conversations.get(requestId);
    const pending = conversation?.pending.get(clientId);
    if (!pending) return;
    pending.failed = detail;
    if (conversation === this.#current) this.#renderMessages();
  }

  #onTyping({ request_id: requestId, user_id: userId, is_typing: isTyping }) {
    const conversation = this.#conversations.get(requestId);
    if (!conversation) return;
    clearTimeout(conversation.typing.get(userId));
    if (isTyping) {
      const timer = setTimeout(() => this.#hideTyping(conversation, userId), TYPING_STALE_MS);
      conversation.typing.set(userId, timer);
    } else {
      conversation.typing.delete(userId);
    }
    if (conversation === this.#current) this.#renderTyping();
  }

  #hideTyping(conversation, userId) {
    clearTimeout(conversation.typing.get(userId));
    if (conversation.typing.delete(userId) && conversation === this.#current) this.#renderTyping();
  }

  // --- actions ----------------------------------------------------------------------------

  // Files are uploaded first (REST), then the message carries their ids over the socket.
  async #send() {
    const conversation = this.#current;
    const text = $("composer-text");
    const picker = $("composer-file");
    const content = text.value.trim();
    const files = [...picker.files];
    if (!content && !files.length) return;
    conversation.typingSignal.stop();
    const attachments = [];
    for (const file of files) {
      attachments.push(await this.api.upload(conversation.request.id, file));
    }
    const ids = attachments.map((attachment) => attachment.id);
    const clientId = this.socket.send(conversation.request.id, content, ids);
    conversation.pending.set(clientId, { content, attachments, failed: null });
    text.value = "";
    picker.value = "";
    $("chat-messages").append(this.#pendingItem(clientId, conversation.pending.get(clientId)));
    this.#scrollToEnd();
  }

  // Downloads the file with the bearer token and hands it to the browser under its name.
  async #download(attachment) {
    const url = await this.api.fileUrl(attachment.url);
    h("a", { href: url, download: attachment.name }).click();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  }

  async #act(action) {
    const request = this.#current.request;
    this.changed(await this.api.post(`requests/${request.id}/${action}/`));
  }

  async #loadTimeline() {
    const request = this.#current?.request;
    if (!request || !$("chat-timeline").open) return;
    const page = await this.api.get(`requests/${request.id}/timeline/`, {
      page_size: TIMELINE_PAGE,
    });
    if (this.#current?.request.id !== request.id) return; // another request was opened meanwhile
    $("chat-timeline-list").replaceChildren(
      ...page.results.map((entry) => {
        const text = TIMELINE_EVENTS[entry.event]?.(entry.detail) ?? entry.event;
        const by = entry.actor ? ` by ${entry.actor.name}` : " automatically";
        const time = h("time", { datetime: entry.at }, when(entry.at));
        return h("li", { dataset: { event: entry.event } }, time, " ", text, by);
      }),
    );
  }

  async #review(form) {
    const request = this.#current.request;
    const data = new FormData(form);
    const rating = Number(data.get("rating"));
    try {
      const comment = data.get("comment");
      await this.api.post(`requests/${request.id}/review/`, { rating, comment });
    } catch (error) {
      // Reviewed already (in another tab, or before a reload): the form has no use any more.
      if (error instanceof ApiError && error.status === 409) this.#reviews.set(request.id, null);
      this.#renderRequest();
      throw error;
    }
    this.#reviews.set(request.id, rating);
    form.reset();
    this.#renderRequest();
    announce("Thank you for your review.");
  }

  // --- rendering --------------------------------------------------------------------------

  #render() {
    this.#renderRequest();
    this.#renderMessages();
  }

  #renderRequest() {
    const { request } = this.#current;
    const role = this.#me.role;
    const takesPart = this.#takesPart(request);
    $("chat-title").textContent = request.title;
    $("chat-status").replaceChildren(statusBadge(request.status));
    $("chat-description").textContent = request.description;
    $("chat-description").hidden = !request.description;
    this.#renderPeople();

    const actions = [];
    const requester = request.user.id === this.#me.id;
    if (request.status === "REQUESTED" && (requester || role === "ADMIN")) {
      actions.push(actionButton("Cancel request", () => this.#act("cancel")));
    }
    if (request.status === "ACTIVE" && (takesPart || role === "ADMIN")) {
      actions.push(actionButton("Close request", () => this.#act("close")));
    }
    if (request.status === "ACTIVE" && (request.expert?.id === this.#me.id || role === "ADMIN")) {
      // POST transfer/ without an expert: matching looks for someone else.
      actions.push(actionButton("Back to the queue", () => this.#act("transfer")));
    }
    $("chat-actions").replaceChildren(...actions);

    const reviewed = this.#reviews.has(request.id);
    $("composer").hidden = !(request.status === "ACTIVE" && takesPart);
    $("review-form").hidden = !(request.status === "CLOSED" && requester && !reviewed);
    $("chat-note").textContent = this.#note(request, { takesPart, reviewed });
    this.#renderTyping();
  }

  #note(request, { takesPart, reviewed }) {
    switch (request.status) {
      case "REQUESTED":
        return "Waiting for an expert. The chat opens as soon as one takes the request.";
      case "ACTIVE":
        if (takesPart) return "";
        if (this.#me.role === "EXPERT") return "This request is now with another expert.";
        return "Staff read along; only the customer and the expert write here.";
      case "CANCELLED":
        return "This request was cancelled.";
      default: {
        const rating = this.#reviews.get(request.id);
        if (rating) return `This request is closed. You rated it ${rating} out of 5. Thank you!`;
        if (reviewed) return "This request is closed, and you have reviewed it.";
        return "This request is closed.";
      }
    }
  }

  #renderPeople() {
    const { user, expert } = this.#current.request;
    const person = (label, who) =>
      h("li", {}, `${label}: `, h("strong", {}, who.name), " ", this.#presenceOf(who.id));
    $("chat-people").replaceChildren(
      person("Customer", user),
      expert ? person("Expert", expert) : h("li", {}, "No expert yet"),
    );
  }

  #presenceOf(userId) {
    const presence = this.#presence.get(userId);
    if (!presence || userId === this.#me.id) return null;
    const text = presence.is_online
      ? "online"
      : `offline${presence.last_seen_at ? `, last seen ${when(presence.last_seen_at)}` : ""}`;
    return h("span", { class: "presence", dataset: { online: String(presence.is_online) } }, text);
  }

  #renderTyping() {
    const { request, typing } = this.#current;
    const names = [request.user, request.expert]
      .filter((person) => person && typing.has(person.id))
      .map((person) => person.name);
    $("chat-typing").textContent = names.length ? `${names.join(" and ")} is typing…` : "";
  }

  #renderMessages() {
    const { messages, pending, hasEarlier } = this.#current;
    $("chat-earlier").hidden = !hasEarlier;
    $("chat-messages").replaceChildren(
      ...messages.map((message) => this.#messageItem(message)),
      ...[...pending].map(([clientId, entry]) => this.#pendingItem(clientId, entry)),
    );
    this.#scrollToEnd();
  }

  #messageItem(message) {
    const mine = message.sender.id === this.#me.id;
    return this.#item({
      mine,
      state: "sent",
      sender: mine ? "You" : `${message.sender.name} (${ROLE_NAMES[message.sender.role]})`,
      content: message.content,
      attachments: message.attachments,
      time: h("time", { datetime: message.created_at }, when(message.created_at)),
      stateText: mine ? (this.#seenByOthers(message.seq) ? "Seen" : "Sent") : null,
      data: { seq: message.seq, clientId: message.client_id },
    });
  }

  // Whether the other participant has read up to `seq` (for your own messages).
  #seenByOthers(seq) {
    const { request } = this.#current;
    const others = [request.user, request.expert].filter((who) => who && who.id !== this.#me.id);
    return others.some((who) => this.#current.readSeqOf(who.id) >= seq);
  }

  // "Sent" becomes "Seen" in place (a re-render would read the aria-live log out again).
  #renderSeen() {
    for (const item of $("chat-messages").querySelectorAll(".message.mine[data-state=sent]")) {
      const state = item.querySelector(".state");
      if (state && this.#seenByOthers(Number(item.dataset.seq))) state.textContent = "Seen";
    }
  }

  #pendingItem(clientId, { content, attachments, failed }) {
    return this.#item({
      mine: true,
      state: failed ? "failed" : "pending",
      sender: "You",
      content,
      attachments,
      stateText: failed ? `Not sent: ${failed}` : "Sending…",
      data: { clientId },
    });
  }

  #item({ mine, state, sender, content, attachments = [], time, stateText, data }) {
    return h(
      "li",
      { class: `message ${mine ? "mine" : "theirs"}`, dataset: { state, ...data } },
      h(
        "p",
        { class: "meta" },
        h("span", { class: "sender" }, sender),
        time ? [" ", time] : null,
        stateText ? [time ? " · " : " ", h("span", { class: "state" }, stateText)] : null,
      ),
      content ? h("p", { class: "content" }, content) : null,
      attachments.length
        ? h("ul", { class: "attachments" }, attachments.map((file) => this.#file(file)))
        : null,
    );
  }

  #file(attachment) {
    const { size } = attachment;
    const shown = size < 1024 ? `${size} B` : `${Math.ceil(size / 1024)} KB`;
    return h(
      "li",
      {},
      h(
        "button",
        {
          type: "button",
          class: "link attachment",
          onclick: () => this.#download(attachment).catch(showProblem),
        },
        attachment.name,
      ),
      ` (${shown})`,
    );
  }

  #scrollToEnd() {
    const list = $("chat-messages");
    list.scrollTop = list.scrollHeight;
  }
}
