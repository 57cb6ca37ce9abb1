// The supervisor wallboard: refreshed from /api/v1/wallboard whenever a live event arrives
// (batched), and every few seconds for the clocks.
import "./agent-grid.js";
import { api, requireUser, signOut } from "./api.js";
import { preferredLanguage, setLanguage, t } from "./i18n.js";
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

// Move an agent between skills (and so queues) now: routing's SetAgentSkills, no restart.
document.getElementById("move-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const error = document.getElementById("move-error");
  const status = document.getElementById("move-status");
  error.textContent = "";
  status.textContent = "";
  const skills = {};
  for (const part of document.getElementById("move-skills").value.split(",")) {
    const [skill, level] = part.split(":").map((s) => s.trim());
    if (skill) skills[skill] = Number(level || 1);
  }
  const agent = document.getElementById("move-agent").value.trim();
  try {
    await api(`/api/v1/agents/${encodeURIComponent(agent)}/skills`, { method: "PUT", body: { skills } });
    status.textContent = t("move.done", { agent });
  } catch (failure) {
    error.textContent = failure.details && failure.details.length ? failure.details.map((d) => `${d.field}: ${d.message}`).join("; ") : failure.message;
  }
});

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
