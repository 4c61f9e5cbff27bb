// Small helpers shared by the views. Text always goes in as text (textContent), never as HTML:
// request titles and messages are written by other people.

import { clearProblem, showProblem } from "./feedback.js";

export const $ = (id) => document.getElementById(id);

// h("li", {class: "x", dataset: {id}}, "text", child) -> a new element.
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null) continue;
    if (name === "class") element.className = value;
    else if (name === "dataset") setData(element, value);
    else if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value);
  }
  element.append(...children.flat().filter((child) => child !== null && child !== undefined));
  return element;
}

function setData(element, values) {
  for (const [key, value] of Object.entries(values)) {
    if (value !== undefined && value !== null) element.dataset[key] = value;
  }
}

const STATUS_LABELS = {
  REQUESTED: "Waiting",
  ACTIVE: "In progress",
  CLOSED: "Closed",
  CANCELLED: "Cancelled",
};

export function statusBadge(status) {
  return h("span", { class: "status", dataset: { status } }, STATUS_LABELS[status] ?? status);
}

const timeFormat = new Intl.DateTimeFormat(undefined, { timeStyle: "short" });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, {
  dateStyle: "medium",
  timeStyle: "short",
});

// "14:02" today, "25 Nov 2026, 14:02" otherwise.
export function when(timestamp) {
  const date = new Date(timestamp);
  const today = date.toDateString() === new Date().toDateString();
  return (today ? timeFormat : dateTimeFormat).format(date);
}

// A button that disables itself while its action runs, so a double click acts once, and shows
// what went wrong if it fails.
export function actionButton(label, action, { primary = false } = {}) {
  const button = h("button", { type: "button", class: primary ? "primary" : undefined }, label);
  button.addEventListener("click", () => runWhileDisabled(button, action));
  return button;
}

// Submitting `form` runs `action(form)`; the submit button is disabled meanwhile.
export function onSubmit(form, action) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    runWhileDisabled(form.querySelector("[type=submit]"), () => action(form));
  });
}

async function runWhileDisabled(button, action) {
  button.disabled = true;
  try {
    clearProblem();
    await action();
  } catch (error) {
    showProblem(error);
  } finally {
    button.disabled = false;
  }
}

// What a request's participants have read, from the request object: REST answers carry the
// caller's `unread_count`; socket frames only `last_seq` and `read_seqs`, from which it follows.
export function readKeyOf(request, userId) {
  if (request.user.id === userId) return "user";
  if (request.expert?.id === userId) return "expert";
  return null;
}

export function unreadCount(request, userId) {
  const key = readKeyOf(request, userId);
  if (!key || !request.read_seqs) return 0;
  return Math.max(0, request.last_seq - request.read_seqs[key]);
}

// `next` as the newest word on the request, keeping what only grows (last_seq, read positions)
// from `known` when `next` is older news (a frame overtaken by a fresher REST answer).
export function mergeRequest(known, next) {
  if (!known || known.id !== next.id) return next;
  const seqs = (request) => request.read_seqs ?? { user: 0, expert: 0 };
  const sameExpert = known.expert?.id === next.expert?.id;
  return {
    ...next,
    last_seq: Math.max(known.last_seq, next.last_seq),
    read_seqs: {
      user: Math.max(seqs(known).user, seqs(next).user),
      // A new expert starts from their own position, not the previous expert's.
      expert: sameExpert ? Math.max(seqs(known).expert, seqs(next).expert) : seqs(next).expert,
    },
  };
}
