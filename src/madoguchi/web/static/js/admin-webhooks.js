// Admin: webhook endpoints for contact events (signed with HMAC-SHA256, retried with back-off)
// and their delivery log.
import { api, esc } from "./api.js";
import { t } from "./i18n.js";

const $ = (id) => document.getElementById(id);
let types = null;

export async function loadWebhooks() {
  if (!types) {
    types = await api("/api/v1/admin/webhook-event-types");
    $("hook-types").innerHTML = types.map((name) => `<label class="check"><input type="checkbox" value="${esc(name)}"> ${esc(name)}</label>`).join("");
    $("hook-form").addEventListener("submit", create);
    $("hook-log-refresh").addEventListener("click", loadWebhooks);
  }
  const hooks = await api("/api/v1/admin/webhooks");
  $("hook-table").innerHTML = `<thead><tr><th>URL</th><th>${esc(t("hooks.events"))}</th><th>${esc(t("hooks.secret"))}</th>
    <th>${esc(t("admin.active"))}</th><th></th></tr></thead>
    <tbody>${hooks.map((h) => `<tr data-hook="${h.id}"><td>${esc(h.url)}</td><td>${esc(h.event_types.join(", ") || t("hooks.all"))}</td>
      <td><code>${esc(h.secret_hint)}</code></td><td>${h.active ? "✓" : "—"}</td>
      <td class="row"><button type="button" data-toggle="${!h.active}">${esc(t(h.active ? "admin.deactivate" : "admin.activate"))}</button>
      <button type="button" class="danger" data-delete>${esc(t("hooks.delete"))}</button></td></tr>`).join("")}</tbody>`;
  for (const button of $("hook-table").querySelectorAll("button[data-toggle]")) {
    button.addEventListener("click", async () => {
      const id = button.closest("tr").dataset.hook;
      await api(`/api/v1/admin/webhooks/${id}`, { method: "PATCH", body: { active: button.dataset.toggle === "true" } });
      loadWebhooks();
    });
  }
  for (const button of $("hook-table").querySelectorAll("button[data-delete]")) {
    button.addEventListener("click", async () => {
      await api(`/api/v1/admin/webhooks/${button.closest("tr").dataset.hook}`, { method: "DELETE" });
      loadWebhooks();
    });
  }
  const log = await api("/api/v1/admin/webhook-deliveries?limit=100");
  $("hook-log").innerHTML = `<thead><tr><th>#</th><th>${esc(t("hooks.endpoint"))}</th><th>${esc(t("hooks.event"))}</th>
    <th>${esc(t("hooks.status"))}</th><th class="num">${esc(t("hooks.attempts"))}</th><th>HTTP</th><th>${esc(t("hooks.error"))}</th><th>${esc(t("hooks.next"))}</th><th></th></tr></thead>
    <tbody>${log.map((d) => `<tr><td>${d.id}</td><td>${d.webhook_id}</td><td>${esc(d.event_type)} #${d.event_id}</td>
      <td><span class="badge hook-${esc(d.status)}">${esc(t("hooks." + d.status))}</span></td><td class="num">${d.attempts}</td>
      <td>${d.response_status ?? ""}</td><td>${esc(d.error)}</td>
      <td>${d.next_attempt_at && d.status === "pending" ? esc(new Date(d.next_attempt_at).toLocaleTimeString(document.documentElement.lang)) : ""}</td>
      <td>${d.status === "failed" ? `<button type="button" data-retry="${d.id}">${esc(t("hooks.retry"))}</button>` : ""}</td></tr>`).join("")}</tbody>`;
  for (const button of $("hook-log").querySelectorAll("button[data-retry]")) {
    button.addEventListener("click", async () => {
      try {
        await api(`/api/v1/admin/webhook-deliveries/${button.dataset.retry}/retry`, { method: "POST" });
      } catch (failure) {
        $("hook-error").textContent = failure.message;
      }
      loadWebhooks();
    });
  }
}

async function create(event) {
  event.preventDefault();
  $("hook-error").textContent = "";
  $("hook-secret").textContent = "";
  const body = {
    url: $("hook-url").value.trim(),
    event_types: [...$("hook-types").querySelectorAll("input:checked")].map((box) => box.value),
    description: $("hook-description").value.trim(),
  };
  try {
    const made = await api("/api/v1/admin/webhooks", { method: "POST", body });
    $("hook-secret").textContent = t("hooks.secret_once", { secret: made.secret });
    event.target.reset();
    loadWebhooks();
  } catch (failure) {
    $("hook-error").textContent = failure.details.length ? failure.details.map((d) => `${d.field}: ${d.message}`).join("; ") : failure.message;
  }
}
