// The supervisor wallboard: refreshed from /api/v1/wallboard whenever a live event arrives
// (batched), and every few seconds for the clocks.
import "./agent-grid.js";
import { api, requireUser, signOut } from "./api.js";
import { preferredLanguage, setLanguage } from "./i18n.js";
import "./recent-contacts.js";
import { LiveStream } from "./stream.js";
import "./wallboard.js";

await setLanguage(preferredLanguage());
const me = await requireUser(["supervisor", "admin"]);
document.getElementById("who").textContent = me.display_name;
document.getElementById("sign-out").addEventListener("click", signOut);

const board = document.getElementById("wallboard");
const grid = document.getElementById("agent-grid");
const alerts = document.getElementById("alerts");
grid.setReasons((await api("/api/v1/codes")).not_ready_reasons);

let pending = null;
async function refresh() {
  pending = null;
  try {
    const data = await api("/api/v1/wallboard");
    board.update(data);
    grid.update(data.agents);
    alerts.update(data.alerts);
    document.body.dataset.lastEventId = String(data.last_event_id);
  } catch {
    /* the connection badge shows the outage */
  }
}
function soon() {
  if (!pending) pending = setTimeout(refresh, 100);
}

const live = new LiveStream();
live.addEventListener("snapshot", soon);
live.addEventListener("resumed", soon);
live.addEventListener("event", soon);
live.addEventListener("connection", (e) => {
  const badge = document.getElementById("connection");
  badge.textContent = e.detail.connected ? "● live" : "○ reconnecting…";
  badge.classList.toggle("down", !e.detail.connected);
});
live.start();
setInterval(refresh, 5000);
setInterval(() => document.getElementById("recent-contacts").refresh(), 15000);
await refresh();
document.body.dataset.ready = "true";
