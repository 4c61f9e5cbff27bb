// Who is signed in, and their tokens (docs/accounts.md, "Auth flow").
//
// The access token lives in memory only. The refresh token is also kept in sessionStorage, so
// that reloading the tab does not sign you out: sessionStorage belongs to one tab (a customer
// and an expert can be signed in side by side in two tabs) and is cleared when the tab closes.
// Neither token is ever put in a URL or written to the console.
//
// Events: "renewed" (detail: the new access token) and "ended" (detail: why, or null when the
// person signed out).

import { ApiError, call } from "./api.js";

const REFRESH_KEY = "expert-support-console.refresh";
const SESSION_EXPIRED = "Your session has expired. Please sign in again.";
// Renew this long before the access token expires, or at three quarters of its life if that
// comes first (short-lived tokens).
const RENEW_MARGIN_MS = 60_000;
// When a renewal fails because the server cannot be reached, try again after this long.
const RENEW_RETRY_MS = 5_000;

export class Session extends EventTarget {
  access = null;
  refresh = null;
  user = null;
  #renewing = null;
  #renewTimer = null;

  async signIn(email, password) {
    this.#begin(await call("auth/login/", { method: "POST", body: { email, password } }));
  }

  async register(name, email, password) {
    this.#begin(await call("auth/register/", { method: "POST", body: { name, email, password } }));
  }

  // Picks up the sign-in of this tab after a reload; false when there is none (or it expired).
  async resume() {
    this.refresh = sessionStorage.getItem(REFRESH_KEY);
    if (!this.refresh) return false;
    try {
      await this.renew();
      this.user = await call("me/", { token: this.access });
      return true;
    } catch {
      this.#clear();
      return false;
    }
  }

  // Trade the refresh token for a new pair. Concurrent callers share one renewal: the server
  // rotates refresh tokens, so a second call with the same token would be refused and sign the
  // person out.
  renew() {
    this.#renewing ??= this.#renew().finally(() => {
      this.#renewing = null;
    });
    return this.#renewing;
  }

  async #renew() {
    let pair;
    try {
      pair = await call("auth/refresh/", { method: "POST", body: { refresh: this.refresh } });
    } catch (error) {
      if (error instanceof ApiError && error.status !== 0 && error.status < 500) {
        this.#end(SESSION_EXPIRED);
        throw new ApiError(error.status, error.body, SESSION_EXPIRED);
      }
      this.#schedule(RENEW_RETRY_MS);
      throw error;
    }
    this.#keep(pair);
    this.dispatchEvent(new CustomEvent("renewed", { detail: this.access }));
  }

  async signOut() {
    try {
      await call("auth/logout/", {
        method: "POST",
        body: { refresh: this.refresh },
        token: this.access,
      });
    } finally {
      // Signed out locally whatever the server said: the access token dies within minutes.
      this.#end(null);
    }
  }

  #begin({ user, access, refresh }) {
    this.user = user;
    this.#keep({ access, refresh });
  }

  #keep({ access, refresh }) {
    this.access = access;
    this.refresh = refresh;
    sessionStorage.setItem(REFRESH_KEY, refresh);
    // Timed on the token's own clock (exp - iat) rather than against Date.now(): a device whose
    // clock is off would otherwise renew too late, or over and over.
    const { exp, iat = Date.now() / 1000 } = claims(access);
    const lifetime = (exp - iat) * 1000;
    this.#schedule(Math.max(1000, Math.min(lifetime - RENEW_MARGIN_MS, lifetime * 0.75)));
  }

  #schedule(delay) {
    clearTimeout(this.#renewTimer);
    // A failed renewal has already been handled in #renew (retried or signed out).
    this.#renewTimer = setTimeout(() => this.renew().catch(() => {}), delay);
  }

  #end(reason) {
    const wasSignedIn = this.refresh !== null;
    this.#clear();
    if (wasSignedIn) this.dispatchEvent(new CustomEvent("ended", { detail: reason }));
  }

  #clear() {
    clearTimeout(this.#renewTimer);
    this.access = this.refresh = this.user = null;
    sessionStorage.removeItem(REFRESH_KEY);
  }
}

// The payload of a JWT (base64url-encoded JSON). Read for its timestamps only; the server is
// the one that checks signatures.
function claims(token) {
  const payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
  return JSON.parse(atob(payload));
}
