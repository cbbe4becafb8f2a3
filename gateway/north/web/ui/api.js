/* api.js: every call to gwd's REST API (/api/v1/, docs/api.md). The session
 * cookie is HttpOnly and sent by the browser; what changes something sends the
 * session's CSRF token in X-CSRF-Token, as the API requires. */
"use strict";

const session = {user: null, role: null, mustChange: false, csrf: null};

class ApiError extends Error {
  constructor(status, body) {
    super((body && body.error) || ("HTTP " + status));
    this.status = status;
    this.body = body;
  }
}

/* One call: method, path under /api/v1, an optional JSON body (or {raw, type}).
 * Resolves to the parsed JSON; rejects with ApiError carrying the status and body. */
async function api(method, path, body) {
  const headers = {};
  const init = {method, headers, credentials: "same-origin", cache: "no-store"};
  if (method !== "GET" && method !== "HEAD" && session.csrf) headers["X-CSRF-Token"] = session.csrf;
  if (body && body.raw !== undefined) {
    headers["Content-Type"] = body.type;
    init.body = body.raw;
  } else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const res = await fetch("/api/v1" + path, init);
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (e) { data = {text}; }
  if (res.status === 401 && path !== "/session") {
    session.user = null;
    location.hash = "#/login";
  }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

function remember(info) {
  session.user = info.user;
  session.role = info.role;
  session.mustChange = info.must_change;
  if (info.csrf_token) session.csrf = info.csrf_token;
}

/* The session the cookie still carries (after a reload); false when there is none. */
async function restoreSession() {
  try {
    remember(await api("GET", "/session"));
    return true;
  } catch (e) {
    return false;
  }
}
