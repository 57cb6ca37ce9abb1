// <mdg-recent-contacts>: the latest contacts of the tenant with a player for call recordings
// (GET /api/v1/contacts/{id}/recording: supervisors, admins and the handling agent only;
// every play is written to the audit log with the purpose chosen here).
import { api, esc } from "./api.js";
import { t, translate } from "./i18n.js";

class RecentContactsElement extends HTMLElement {
  connectedCallback() {
    this.classList.add("panel");
    this.innerHTML = `
      <h2 data-i18n="rec.title"></h2>
      <div class="row">
        <div data-grow><label for="rec-purpose" data-i18n="rec.purpose"></label><input id="rec-purpose" maxlength="200" value="quality_review"></div>
        <div><label>&nbsp;</label><button type="button" id="rec-refresh" data-i18n="rec.refresh"></button></div>
      </div>
      <table id="rec-table"></table>
      <p class="muted" id="rec-playing" role="status"></p>
      <audio id="rec-player" class="player" controls preload="none"></audio>`;
    translate(this);
    this.querySelector("#rec-refresh").addEventListener("click", () => this.refresh());
    const player = this.querySelector("#rec-player");
    player.addEventListener("error", () => {
      if (player.getAttribute("src")) this.querySelector("#rec-playing").textContent = t("rec.none");
    });
    document.addEventListener("languagechange", () => this.render());
    this.refresh();
  }

  async refresh() {
    try {
      const contacts = await api("/api/v1/contacts?limit=30");
      this.contacts = contacts.filter((c) => c.channel === "voice").reverse();
    } catch {
      this.contacts = [];
    }
    this.render();
  }

  play(contactId) {
    const purpose = this.querySelector("#rec-purpose").value.trim() || "quality_review";
    const player = this.querySelector("#rec-player");
    this.querySelector("#rec-playing").textContent = t("rec.playing", { id: contactId });
    player.dataset.contact = contactId;
    player.src = `/api/v1/contacts/${encodeURIComponent(contactId)}/recording?purpose=${encodeURIComponent(purpose)}`;
    player.play().catch(() => {});
  }

  render() {
    const table = this.querySelector("#rec-table");
    if (!table) return;
    const rows = this.contacts || [];
    table.innerHTML = `<thead><tr><th>${esc(t("rec.contact"))}</th><th>${esc(t("rec.started"))}</th><th>${esc(t("rec.queue"))}</th>
      <th>${esc(t("rec.agents"))}</th><th>${esc(t("rec.end"))}</th><th></th></tr></thead>
      <tbody>${rows.map((c) => `<tr data-contact="${esc(c.contact_id)}"><td>${esc(c.contact_id)}</td>
        <td>${esc(new Date(c.started_at * 1000).toLocaleString(document.documentElement.lang))}</td>
        <td>${esc(c.queues.join(", "))}</td><td>${esc(c.agents.join(", "))}</td><td>${esc(c.end_reason || "")}</td>
        <td><button type="button" data-play="${esc(c.contact_id)}">${esc(t("rec.play"))}</button></td></tr>`).join("")}</tbody>`;
    for (const button of table.querySelectorAll("button[data-play]")) {
      button.addEventListener("click", () => this.play(button.dataset.play));
    }
  }
}
customElements.define("mdg-recent-contacts", RecentContactsElement);
