// The browser console: a client of the public REST API and WebSocket, like any other.
//
//   api.js      REST calls and readable errors      session.js  sign-in and tokens
//   socket.js   the WebSocket: reconnect, resume    views/      what is on the page
//
// Every change to a request, whether a socket frame or the answer to an action, goes through
// `changed`, so the list and the open conversation always agree.

import { Api } from "./api.js";
import { Session } from "./session.js";
import { SupportSocket } from "./socket.js";
import { AccountBar } from "./views/account.js";
import { ChatView } from "./views/chat.js";
import { $ } from "./views/dom.js";
import { clearProblem, showProblem } from "./views/feedback.js";
import { RequestsView } from "./views/requests.js";
import { SignInView } from "./views/signin.js";

const session = new Session();
const api = new Api(session);
const socket = new SupportSocket(session);

const changed = (request) => {
  if (!session.user) return; // a frame that arrived as the person signed out
  requests.update(request);
  chat.update(request);
};
const open = (request) => {
  requests.select(request.id);
  return chat.open(request);
};
const account = new AccountBar({ api, session, socket });
const requests = new RequestsView({ api, session, socket, open, changed });
const chat = new ChatView({ api, session, socket, changed });
const signIn = new SignInView({ session, signedIn: () => enter() });

socket.addEventListener("request-updated", ({ detail }) => changed(detail.request));
// Frames sent while the socket was down (or not yet open) are gone: reload what they would
// have changed.
socket.addEventListener("status", ({ detail }) => {
  if (detail.state === "open") requests.reload().catch(showProblem);
});
session.addEventListener("ended", ({ detail }) => leave(detail));

async function enter() {
  clearProblem();
  signIn.hide();
  account.show();
  $("workspace").hidden = false;
  socket.start();
  await requests.show().catch(showProblem);
}

function leave(reason) {
  socket.stop();
  chat.reset();
  requests.reset();
  account.hide();
  $("workspace").hidden = true;
  signIn.show();
  if (reason) showProblem(reason);
}

if (await session.resume()) {
  enter();
} else {
  signIn.show();
}
