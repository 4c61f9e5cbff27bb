// The left column: what each role works from.
//   customer: "Ask for help" (POST requests/) and their requests, with Cancel while waiting;
//   expert:   the queue (GET requests/queue/, kept live by request-queued / request-taken),
//             Accept, and the requests assigned to them;
//   staff:    the figures (GET admin/stats/), every request with a status filter, and Assign
//             (to an expert from GET experts/), Cancel, Close.
// Opening a request hands it to the chat panel (`open`); every change to a request, from the
// socket or from an action here, goes through `changed` so both columns stay in step.

import {
  $,
  actionButton,
  h,
  mergeRequest,
  onSubmit,
  statusBadge,
  unreadCount,
  when,
} from "./dom.js";
import { announce, showProblem } from "./feedback.js";

const PAGE_SIZE = 100;

export class RequestsView {
  #requests = new Map(); // id -> request, the main list
  #queue = new Map(); // id -> request, experts only
  #experts = []; // staff only: who a waiting request can be assigned to
  #selected = null;

  constructor({ api, session, socket, open, changed }) {
    this.api = api;
    this.session = session;
    this.open = open;
    this.changed = changed;

    onSubmit($("new-request-form"), (form) => this.#create(form));
    const reload = () => this.reload().catch(showProblem);
    $("requests-refresh").addEventListener("click", reload);
    $("queue-refresh").addEventListener("click", reload);
    $("requests-status").addEventListener("change", reload);

    socket.addEventListener("request-queued", ({ detail }) => {
      this.#queue.set(detail.request.id, detail.request);
      this.#renderQueue();
      announce(`New request waiting: “${detail.request.title}”.`);
    });
    socket.addEventListener("request-taken", ({ detail }) => {
      this.#queue.delete(detail.request_id);
      this.#renderQueue();
    });
  }

  get #me() {
    return this.session.user;
  }

  // Lay out the column for the signed-in role and load everything it shows.
  async show() {
    const role = this.#me.role;
    $("new-request").hidden = role !== "USER";
    $("queue").hidden = role !== "EXPERT";
    $("stats").hidden = role !== "ADMIN";
    $("requests-filter").hidden = role !== "ADMIN";
    $("requests-title").textContent = {
      USER: "Your requests",
      EXPERT: "Assigned to you",
      ADMIN: "All requests",
    }[role];
    if (role === "USER") await this.#loadSkills();
    await this.reload();
  }

  // Everything from the server again: on sign-in, on the Refresh buttons, and after the socket
  // reconnects (frames sent while it was down are gone).
  async reload() {
    const role = this.#me.role;
    const status = role === "ADMIN" ? $("requests-status").value : undefined;
    const [page, queue] = await Promise.all([
      this.api.get("requests/", { status, page_size: PAGE_SIZE }),
      role === "EXPERT" ? this.api.get("requests/queue/", { page_size: PAGE_SIZE }) : null,
      role === "ADMIN" ? this.#loadStaffData() : null,
    ]);
    this.#requests = new Map(page.results.map((request) => [request.id, request]));
    $("requests-more").hidden = page.count <= page.results.length;
    $("requests-more").textContent = `Showing the newest ${page.results.length} of ${page.count}.`;
    this.#renderList();
    if (queue) {
      this.#queue = new Map(queue.results.map((request) => [request.id, request]));
      this.#renderQueue();
    }
  }

  // A request changed (a socket frame or an action's answer).
  update(request) {
    const mine = this.#belongsInList(request);
    if (this.#me.role === "EXPERT" && mine && !this.#requests.has(request.id)) {
      announce(`“${request.title}” is now assigned to you.`);
    }
    if (mine) this.#requests.set(request.id, mergeRequest(this.#requests.get(request.id), request));
    else this.#requests.delete(request.id);
    if (request.status !== "REQUESTED" && this.#queue.delete(request.id)) this.#renderQueue();
    this.#renderList();
    if (this.#me.role === "ADMIN") this.#loadStats().catch(() => {});
  }

  select(requestId) {
    this.#selected = requestId;
    this.#renderList();
  }

  reset() {
    this.#requests.clear();
    this.#queue.clear();
    this.#selected = null;
    $("request-list").replaceChildren();
    $("queue-list").replaceChildren();
    $("new-request-form").reset();
    $("requests-status").value = "";
  }

  #belongsInList(request) {
    const me = this.#me;
    if (me.role === "USER") return request.user.id === me.id;
    if (me.role === "EXPERT") return request.expert?.id === me.id;
    const status = $("requests-status").value;
    return !status || request.status === status;
  }

  // --- customer ---------------------------------------------------------------------------

  async #loadSkills() {
    const skills = await this.api.get("skills/", { page_size: PAGE_SIZE });
    $("request-skill").replaceChildren(
      h("option", { value: "" }, "Any expert"),
      ...skills.results.map((skill) => h("option", { value: skill.name }, skill.name)),
    );
  }

  async #create(form) {
    const data = new FormData(form);
    const request = await this.api.post("requests/", {
      title: data.get("title"),
      description: data.get("description"),
      skill: data.get("skill") || null,
    });
    form.reset();
    this.changed(request);
    this.open(request);
    announce(
      request.status === "ACTIVE"
        ? `${request.expert.name} is on it.`
        : "Your request is waiting for an expert.",
    );
  }

  // --- expert -----------------------------------------------------------------------------

  #renderQueue() {
    const items = [...this.#queue.values()].map((request) =>
      h(
        "li",
        { class: "request", dataset: { id: request.id } },
        h("p", { class: "title" }, request.title),
        h("p", { class: "meta" }, describe(request)),
        request.description ? h("p", { class: "description" }, request.description) : null,
        h(
          "div",
          { class: "item-actions" },
          actionButton("Accept", () => this.#accept(request), { primary: true }),
        ),
      ),
    );
    $("queue-list").replaceChildren(...items);
    $("queue-empty").hidden = items.length > 0;
  }

  async #accept(request) {
    const accepted = await this.api.post(`requests/${request.id}/accept/`);
    this.changed(accepted);
    this.open(accepted);
  }

  // --- staff ------------------------------------------------------------------------------

  #loadStaffData() {
    return Promise.all([this.#loadStats(), this.#loadExperts()]);
  }

  async #loadStats() {
    const stats = await this.api.get("admin/stats/?by_expert=false");
    const figures = [
      ["Waiting", stats.requests.REQUESTED],
      ["In progress", stats.requests.ACTIVE],
      ["Closed", stats.requests.CLOSED],
      ["Cancelled", stats.requests.CANCELLED],
      ["Experts online", `${stats.experts_online} of ${stats.experts}`],
      ["Customers", stats.users],
      ["Messages", stats.messages],
      ["Average rating", stats.average_rating ?? "none yet"],
    ];
    $("stats-figures").replaceChildren(
      ...figures.map(([name, value]) =>
        h("div", {}, h("dt", {}, name), h("dd", {}, String(value))),
      ),
    );
  }

  async #loadExperts() {
    this.#experts = (await this.api.get("experts/", { page_size: PAGE_SIZE })).results;
  }

  // Who can take this request: experts with its skill (or anyone, for a request without one).
  // The server checks again and explains a refusal.
  #assignControls(request) {
    const skill = request.skill?.toLowerCase();
    const candidates = this.#experts.filter(
      (expert) => !skill || expert.skills.some((name) => name.toLowerCase() === skill),
    );
    if (candidates.length === 0) return [h("p", { class: "hint" }, "No expert has this skill.")];
    const selectId = `assign-${request.id}`;
    const select = h(
      "select",
      { id: selectId },
      candidates.map((expert) =>
        h(
          "option",
          { value: expert.id },
          `${expert.name} (${expert.is_online ? "online" : "offline"}, ` +
            `${expert.active_requests}/${expert.max_active_requests} busy)`,
        ),
      ),
    );
    const assign = async () => {
      const assigned = await this.api.post(`requests/${request.id}/assign/`, {
        expert_id: select.value,
      });
      await this.#loadExperts(); // their load changed
      this.changed(assigned);
    };
    return [
      h("div", { class: "assign" }, h("label", { for: selectId }, "Assign to"), select),
      actionButton("Assign", assign),
    ];
  }

  // --- the list ---------------------------------------------------------------------------

  #renderList() {
    const role = this.#me.role;
    const requests = [...this.#requests.values()].sort((a, b) =>
      b.created_at.localeCompare(a.created_at),
    );
    const items = requests.map((request) => {
      const waiting = request.status === "REQUESTED";
      const actions = [];
      if (waiting && role === "ADMIN") actions.push(...this.#assignControls(request));
      if (waiting && role !== "EXPERT") {
        actions.push(actionButton("Cancel request", () => this.#act(request, "cancel")));
      }
      return h(
        "li",
        {
          class: "request",
          dataset: { id: request.id },
          "aria-current": request.id === this.#selected ? "true" : undefined,
        },
        h(
          "button",
          { type: "button", class: "open", onclick: () => this.open(request) },
          request.title,
        ),
        h(
          "p",
          { class: "meta" },
          statusBadge(request.status),
          " ",
          describe(request),
          this.#unreadBadge(request),
        ),
        actions.length ? h("div", { class: "item-actions" }, actions) : null,
      );
    });
    $("request-list").replaceChildren(...items);
    $("requests-empty").hidden = items.length > 0;
  }

  #unreadBadge(request) {
    const unread = unreadCount(request, this.#me.id);
    if (!unread || request.id === this.#selected) return null;
    return [" ", h("span", { class: "unread" }, `${unread} new`)];
  }

  async #act(request, action) {
    this.changed(await this.api.post(`requests/${request.id}/${action}/`));
  }
}

// "Ada Lovelace → Grace Hopper · printers · 14:02"
function describe(request) {
  const { user, expert } = request;
  const people = expert ? `${user.name} → ${expert.name}` : user.name;
  return [people, request.skill, when(request.created_at)].filter(Boolean).join(" · ");
}
