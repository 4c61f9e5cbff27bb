// The top bar once signed in: who you are, the expert's availability switch (PATCH me/), the
// state of the live connection, and Sign out.

import { $ } from "./dom.js";
import { clearProblem, showProblem } from "./feedback.js";

const ROLE_LABELS = { USER: "Customer", EXPERT: "Expert", ADMIN: "Staff" };

export class AccountBar {
  constructor({ api, session, socket }) {
    this.api = api;
    this.session = session;
    $("available").addEventListener("change", (event) => this.#setAvailable(event.target));
    $("sign-out").addEventListener("click", () => session.signOut().catch(() => {}));
    $("reconnect").addEventListener("click", () => socket.start());
    socket.addEventListener("status", ({ detail }) => this.#showConnection(detail));
  }

  show() {
    const user = this.session.user;
    $("me-name").textContent = user.name || user.email;
    $("me-name").title = user.email;
    $("me-role").textContent = ROLE_LABELS[user.role] ?? user.role;
    $("availability").hidden = !user.expert;
    $("available").checked = Boolean(user.expert?.is_available);
    $("account").hidden = false;
  }

  hide() {
    $("account").hidden = true;
  }

  // Turning available may bring work at once: matching gives waiting requests to experts who
  // become eligible, and the socket then reports them (request-updated).
  async #setAvailable(checkbox) {
    checkbox.disabled = true;
    try {
      clearProblem();
      this.session.user = await this.api.patch("me/", { is_available: checkbox.checked });
    } catch (error) {
      checkbox.checked = !checkbox.checked;
      showProblem(error);
    } finally {
      checkbox.disabled = false;
    }
  }

  #showConnection({ state, retryIn, reason }) {
    const text = {
      connecting: "Connecting…",
      open: "Live",
      retrying: `Connection lost. Retrying in ${Math.ceil((retryIn ?? 0) / 1000)} s…`,
      stopped: `Disconnected: ${reason}.`,
    }[state];
    $("connection").dataset.state = state;
    $("connection-text").textContent = text;
    $("reconnect").hidden = state !== "stopped";
  }
}
