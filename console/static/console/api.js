// The REST API (/api/, docs/accounts.md and docs/requests.md): JSON in and out, errors turned
// into sentences a person can act on.

const API_ROOT = "/api/";

// A failed call. `message` is written for the person using the console; `status` and `body`
// are the server's answer (status 0: the server could not be reached).
export class ApiError extends Error {
  constructor(status, body, message) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

// One call. `token` is the access token, or nothing for the sign-in endpoints.
export async function call(path, { method = "GET", body, params, token } = {}) {
  const url = new URL(API_ROOT + path, location.origin);
  for (const [name, value] of Object.entries(params ?? {})) {
    if (value !== undefined && value !== "") url.searchParams.set(name, value);
  }
  const headers = { Accept: "application/json" };
  // A file goes as multipart/form-data, whose Content-Type (with its boundary) fetch writes.
  const isForm = body instanceof FormData;
  if (body !== undefined && !isForm) headers["Content-Type"] = "application/json";
  if (token) headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(url, {
      method,
      headers,
      body: body === undefined || isForm ? body : JSON.stringify(body),
      // Tokens only. A session cookie from /admin/ would make the API demand a CSRF token.
      credentials: "omit",
    });
  } catch {
    throw new ApiError(0, null, "The server could not be reached. Check your connection.");
  }
  const text = await response.text();
  const data = text ? parseJson(text) : null;
  if (!response.ok) {
    throw new ApiError(response.status, data, describeFailure(response, data));
  }
  return data;
}

function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

// DRF answers `{"detail": "..."}` or field errors `{"title": ["..."], ...}` (docs/accounts.md,
// "Errors"); both become one readable sentence.
function describeFailure(response, body) {
  if (response.status >= 500) {
    return `The server had a problem (${response.status}). Try again in a moment.`;
  }
  if (body && typeof body.detail === "string") {
    const wait = response.headers.get("Retry-After");
    return wait ? `${body.detail} Try again in ${wait} seconds.` : body.detail;
  }
  if (body && typeof body === "object") {
    return Object.entries(body)
      .map(([field, problems]) => {
        const text = [problems].flat().join(" ");
        return field === "non_field_errors" ? text : `${fieldLabel(field)}: ${text}`;
      })
      .join(" ");
  }
  return `The request failed (${response.status} ${response.statusText}).`;
}

function fieldLabel(field) {
  const words = field.replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

// Calls on behalf of the signed-in person. An answer of 401 means the access token expired
// (a sleeping laptop misses the scheduled renewal): renew it once and try again.
export class Api {
  constructor(session) {
    this.session = session;
  }

  get(path, params) {
    return this.#authorized(path, { params });
  }

  post(path, body = {}) {
    return this.#authorized(path, { method: "POST", body });
  }

  patch(path, body) {
    return this.#authorized(path, { method: "PATCH", body });
  }

  // Upload a file into a request's chat (docs/requests.md, "Attachments"): the attachment.
  upload(requestId, file) {
    const form = new FormData();
    form.append("file", file);
    return this.#authorized(`requests/${requestId}/attachments/`, { method: "POST", body: form });
  }

  // An attachment's file, fetched with the bearer token (a plain link cannot send it), as a
  // blob URL for a link or an image. Revoke it when it is no longer shown.
  async fileUrl(url) {
    const fetchFile = () =>
      fetch(url, {
        headers: { Authorization: `Bearer ${this.session.access}` },
        credentials: "omit",
      });
    let response = await fetchFile();
    if (response.status === 401) {
      await this.session.renew();
      response = await fetchFile();
    }
    if (!response.ok) {
      throw new ApiError(response.status, null, "The file could not be downloaded.");
    }
    return URL.createObjectURL(await response.blob());
  }

  async #authorized(path, options) {
    try {
      return await call(path, { ...options, token: this.session.access });
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 401) throw error;
      await this.session.renew();
      return call(path, { ...options, token: this.session.access });
    }
  }
}
