// Administration: users, configuration (view, and editing in admin-config-edit.js), talk
// scripts, customer CSV import and export, webhooks (admin-webhooks.js), audit log.
import { loadConfigEdit } from "./admin-config-edit.js";
import { loadWebhooks } from "./admin-webhooks.js";
import { api, esc, requireUser, signOut } from "./api.js";
import { localized, preferredLanguage, setLanguage, t } from "./i18n.js";

await setLanguage(preferredLanguage());
const me = await requireUser(["admin"]);
document.getElementById("who").textContent = me.display_name;
document.getElementById("sign-out").addEventListener("click", signOut);
const $ = (id) => document.getElementById(id);

const loaders = {
  users: loadUsers,
  config: loadConfig,
  edit: loadConfigEdit,
  scripts: loadScripts,
  import: () => {},
  webhooks: loadWebhooks,
  audit: loadAudit,
};
function showTab(name) {
  for (const tab of document.querySelectorAll("[role=tab]")) tab.setAttribute("aria-selected", String(tab.dataset.tab === name));
  for (const panel of document.querySelectorAll("[role=tabpanel]")) panel.classList.toggle("hidden", panel.id !== `tab-${name}`);
  loaders[name]();
}
for (const tab of document.querySelectorAll("[role=tab]")) tab.addEventListener("click", () => showTab(tab.dataset.tab));

async function loadUsers() {
  const users = await api("/api/v1/admin/users");
  $("user-table").innerHTML = `<thead><tr><th>${esc(t("admin.username"))}</th><th>${esc(t("admin.display_name"))}</th>
    <th>${esc(t("admin.role"))}</th><th>${esc(t("admin.agent_id"))}</th><th>${esc(t("admin.active"))}</th><th></th></tr></thead>
    <tbody>${users.map((u) => `<tr data-user="${u.id}"><td>${esc(u.username)}</td><td>${esc(u.display_name)}</td>
      <td>${esc(t("role." + u.role))}</td><td>${esc(u.agent_id || "")}</td><td>${u.active ? "✓" : "—"}</td>
      <td><button type="button" data-active="${!u.active}">${esc(t(u.active ? "admin.deactivate" : "admin.activate"))}</button></td></tr>`).join("")}</tbody>`;
  for (const button of $("user-table").querySelectorAll("button[data-active]")) {
    button.addEventListener("click", async () => {
      const id = button.closest("tr").dataset.user;
      await api(`/api/v1/admin/users/${id}`, { method: "PATCH", body: { active: button.dataset.active === "true" } });
      loadUsers();
    });
  }
}

$("user-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  $("user-error").textContent = "";
  const body = {
    username: $("new-username").value.trim(),
    display_name: $("new-name").value.trim(),
    role: $("new-role").value,
    password: $("new-password").value,
  };
  if ($("new-agent").value.trim()) body.agent_id = $("new-agent").value.trim();
  try {
    await api("/api/v1/admin/users", { method: "POST", body });
    e.target.reset();
    loadUsers();
  } catch (failure) {
    $("user-error").textContent = failure.details.length ? failure.details.map((d) => `${d.field}: ${d.message}`).join("; ") : failure.message;
  }
});

let config = null;
async function loadConfig() {
  config = config || (await api("/api/v1/admin/config"));
  const table = (head, rows) => `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join("")}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join("")}</tr>`).join("")}</tbody></table>`;
  $("config-body").innerHTML = `
    <h3>${esc(t("cfg.queues"))}</h3>${table(["id", "name", "skills", "SL", "hours", "policy", "ACW"], config.queues.map((q) => [q.id, localized(q.name),
      q.skills.map((s) => `${s.skill}≥${s.min}`).join(", "), `${Math.round(q.service_level.fraction * 100)}/${q.service_level.seconds}s`,
      q.hours || "24h", q.policy, `${q.after_contact_work_s}s`]))}
    <h3>${esc(t("cfg.skills"))}</h3>${table(["id", "name"], config.skills.map((s) => [s.id, localized(s.name)]))}
    <h3>${esc(t("cfg.hours"))}</h3>${config.calendars.map((c) => `<h4>${esc(c.id)} (${esc(c.timezone)})</h4>
      ${table(["mon", "tue", "wed", "thu", "fri", "sat", "sun"], [Object.values(c.weekly)])}
      ${table(["date", "hours", "name"], c.exceptions_next_60_days.map((x) => [x.date, x.hours, x.name]))}`).join("")}
    <h3>${esc(t("cfg.teams"))}</h3>${table(["id", "name", "supervisor", "mode"], config.teams.map((x) => [x.id, localized(x.name), x.supervisor || "", x.work_mode]))}
    <h3>${esc(t("cfg.agents"))}</h3>${table(["id", "name", "team", "skills", "ext"], config.agents.map((a) => [a.id, a.name, a.team || "",
      a.skills.map((s) => `${s.skill}:${s.level}`).join(", "), a.extension || ""]))}
    <h3>${esc(t("cfg.dispositions"))}</h3>${table(["code", "name", "category"], config.dispositions.map((d) => [d.code, localized(d.name), d.category]))}
    <h3>${esc(t("cfg.reasons"))}</h3>${table(["code", "name"], config.not_ready_reasons.map((d) => [d.code, localized(d.name)]))}`;
}

async function loadScripts() {
  config = config || (await api("/api/v1/admin/config"));
  const select = $("script-queue");
  if (!select.options.length) {
    select.innerHTML = config.queues.map((q) => `<option value="${esc(q.id)}">${esc(localized(q.name))}</option>`).join("");
    select.addEventListener("change", loadScripts);
  }
  const script = await api(`/api/v1/scripts/${encodeURIComponent(select.value)}`);
  $("script-json").value = JSON.stringify(script.steps, null, 2);
}

$("script-save").addEventListener("click", async () => {
  $("script-error").textContent = "";
  let steps;
  try {
    steps = JSON.parse($("script-json").value);
  } catch (error) {
    $("script-error").textContent = error.message;
    return;
  }
  const queue = $("script-queue").value;
  try {
    await api(`/api/v1/admin/scripts/${encodeURIComponent(queue)}`, { method: "PUT", body: { queue_id: queue, steps } });
  } catch (failure) {
    $("script-error").textContent = failure.details.length ? failure.details.map((d) => `${d.field}: ${d.message}`).join("; ") : failure.message;
  }
});

$("import-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const dryRun = e.submitter && e.submitter.dataset.action === "check";
  const form = new FormData();
  form.append("file", $("import-file").files[0]);
  const out = $("import-result");
  try {
    const report = await api(`/api/v1/admin/customers/import?dry_run=${dryRun}`, { method: "POST", form });
    out.innerHTML = `<p>${esc(t(dryRun ? "admin.checked" : "admin.imported", { n: report.imported }))}</p>`;
  } catch (failure) {
    out.innerHTML = `<p class="error">${esc(t("admin.rejected"))} ${esc(failure.message)}</p>
      <ul id="import-errors">${failure.details.map((d) => `<li>${esc(d.field)} — ${esc(d.message)}</li>`).join("")}</ul>`;
  }
});

$("export-form").addEventListener("submit", (e) => {
  e.preventDefault();
  location.href = `/api/v1/admin/customers/export?purpose=${encodeURIComponent($("export-purpose").value)}`;
});

async function loadAudit() {
  const entries = await api("/api/v1/admin/audit?limit=200");
  $("audit-table").innerHTML = `<thead><tr><th>at</th><th>user</th><th>action</th><th>target</th><th>purpose</th><th>client</th></tr></thead>
    <tbody>${entries.map((a) => `<tr><td>${esc(new Date(a.at).toLocaleString(document.documentElement.lang))}</td><td>${esc(a.username)}</td>
      <td>${esc(a.action)}</td><td>${esc(a.target)}</td><td>${esc(a.purpose)}</td><td>${esc(a.client)}</td></tr>`).join("")}</tbody>`;
}

showTab("users");
document.body.dataset.ready = "true";
