// Talking to the server: JSON over fetch with the session cookie and the CSRF token.
let csrfToken = null;
let me = null;

export class ApiError extends Error {
  constructor(status, body) {
    super(body && body.message ? body.message : `HTTP ${status}`);
    this.status = status;
    this.errorId = body && body.error_id;
    this.details = (body && body.details) || [];
  }
}

/** Call the API; resolves to the parsed JSON (or null for 204), rejects with ApiError. */
export async function api(path, { method = "GET", body, form } = {}) {
  const headers = { Accept: "application/json" };
  const init = { method, headers, credentials: "same-origin" };
  if (method !== "GET" && csrfToken) headers["X-CSRF-Token"] = csrfToken;
  if (form) init.body = form;
  else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  if (response.status === 204) return null;
  const type = response.headers.get("content-type") || "";
  const data = type.includes("json") ? await response.json() : await response.text();
  if (!response.ok) throw new ApiError(response.status, typeof data === "object" ? data : null);
  return data;
}

/** The signed-in user (redirects to the sign-in page when there is none). */
export async function requireUser(roles) {
  try {
    me = await api("/api/v1/auth/me");
  } catch (error) {
    if (error.status === 401) {
      location.href = "/login?next=" + encodeURIComponent(location.pathname);
      return new Promise(() => {});
    }
    throw error;
  }
  csrfToken = me.csrf_token;
  if (roles && !roles.includes(me.role)) {
    location.href = landingPage(me.role);
    return new Promise(() => {});
  }
  return me;
}

export function rememberSignIn(user) {
  me = user;
  csrfToken = user.csrf_token;
}

export function currentUser() {
  return me;
}

/** Where a role starts its day. */
export function landingPage(role) {
  return role === "admin" ? "/admin" : role === "supervisor" ? "/supervisor" : "/agent";
}

export async function signOut() {
  try {
    await api("/api/v1/auth/sign-out", { method: "POST" });
  } finally {
    location.href = "/login";
  }
}

/** Seconds as m:ss (or h:mm:ss). */
export function duration(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${rest}` : `${m}:${rest}`;
}

/** Escape text for insertion into HTML. */
export function esc(value) {
  return String(value ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}
