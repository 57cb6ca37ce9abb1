// The outbound page: <mdg-campaigns> for supervisors (campaigns, list and do-not-call imports,
// reports) beside the agent's preview dialling with its CTI panel (<mdg-campaign-cti>).
import { api, ApiError, esc, requireUser, signOut } from "./api.js";
import "./campaign-cti.js";
import { preferredLanguage, setLanguage, t, translate } from "./i18n.js";

const TYPES = ["sales", "appointment", "survey", "reminder", "collection", "notice"];
const MODES = ["preview", "progressive", "predictive", "agentless"];
const MOVES = { draft: ["start", "stop"], running: ["pause", "stop"], paused: ["start", "stop"], stopped: [] };

/** Every problem of a failed request, one line each (CSV rows name their line). */
export function problems(error) {
  if (!(error instanceof ApiError)) return [String(error)];
  return error.details.length ? error.details.map((d) => `${d.field}: ${d.message}`) : [error.message];
}

class CampaignsElement extends HTMLElement {
  connectedCallback() {
    this.classList.add("panel");
    this.innerHTML = `
      <h2 data-i18n="ob.campaigns"></h2>
      <table><thead><tr>
        <th data-i18n="ob.key"></th><th data-i18n="ob.name"></th><th data-i18n="ob.mode"></th>
        <th data-i18n="ob.status"></th><th class="num" data-i18n="ob.records"></th><th></th>
      </tr></thead><tbody id="campaign-rows"></tbody></table>
      <form id="create-form">
        <h2 data-i18n="ob.create"></h2>
        <div class="row">
          <input id="new-key" required maxlength="64" pattern="[A-Za-z0-9][A-Za-z0-9_\\-]*" data-i18n-attr="placeholder:ob.key">
          <input id="new-name" required maxlength="200" data-i18n-attr="placeholder:ob.name">
          <select id="new-type">${TYPES.map((v) => `<option value="${v}" data-i18n="ob.type.${v}"></option>`).join("")}</select>
          <select id="new-mode">${MODES.map((v) => `<option value="${v}" data-i18n="ob.mode.${v}"></option>`).join("")}</select>
          <button class="primary" type="submit" data-i18n="ob.create_button"></button>
        </div>
        <div class="row hidden" id="agentless-fields">
          <input id="new-message" maxlength="1000" data-i18n-attr="placeholder:ob.message">
          <input id="new-question" maxlength="500" data-i18n-attr="placeholder:ob.question">
          <label><span data-i18n="ob.lines"></span> <input id="new-lines" type="number" min="1" max="500" value="2"></label>
        </div>
      </form>
      <h2 data-i18n="ob.import_list"></h2>
      <form id="list-form" class="row">
        <select id="list-campaign" required></select>
        <input type="file" id="list-file" accept=".csv,text/csv" required>
        <button type="submit" data-i18n="ob.import"></button>
      </form>
      <h2 data-i18n="ob.import_dnc"></h2>
      <form id="dnc-form" class="row">
        <input type="file" id="dnc-file" accept=".csv,text/csv" required>
        <button type="submit" data-i18n="ob.import"></button>
      </form>
      <p id="campaign-message" class="muted" role="status"></p>
      <ul id="campaign-problems" class="problems"></ul>
      <div id="report"></div>`;
    translate(this);
    this.querySelector("#create-form").addEventListener("submit", (e) => { e.preventDefault(); this._create(); });
    const mode = this.querySelector("#new-mode");
    const agentless = () => {
      const on = mode.value === "agentless";
      this.querySelector("#agentless-fields").classList.toggle("hidden", !on);
      this.querySelector("#new-message").required = on;
    };
    mode.addEventListener("change", agentless);
    this.querySelector("#create-form").addEventListener("reset", () => setTimeout(agentless));
    this.querySelector("#list-form").addEventListener("submit", (e) => { e.preventDefault(); this._importList(); });
    this.querySelector("#dnc-form").addEventListener("submit", (e) => { e.preventDefault(); this._importDnc(); });
    this.querySelector("#campaign-rows").addEventListener("click", (e) => this._action(e));
    document.addEventListener("languagechange", () => this.refresh().catch(() => {}));
    this.refresh().catch(() => {});
  }

  _say(message, list = []) {
    this.querySelector("#campaign-message").textContent = message;
    this.querySelector("#campaign-problems").innerHTML = list.map((p) => `<li>${esc(p)}</li>`).join("");
  }

  async refresh() {
    const rows = await api("/api/v1/campaigns");
    this.querySelector("#campaign-rows").innerHTML = rows.map((c) => `
      <tr><td>${esc(c.key)}</td><td>${esc(c.name)}</td><td>${esc(t(`ob.mode.${c.mode}`))}</td>
      <td><span class="badge">${esc(t(`ob.status.${c.status}`))}</span></td><td class="num">${c.records}</td>
      <td class="row">${MOVES[c.status].map((m) => `<button type="button" data-move="${m}" data-key="${esc(c.key)}">${esc(t(`ob.${m}`))}</button>`).join("")}
      <button type="button" data-report="${esc(c.key)}">${esc(t("ob.report"))}</button></td></tr>`).join("");
    this.querySelector("#list-campaign").innerHTML = rows
      .filter((c) => c.status !== "stopped")
      .map((c) => `<option value="${esc(c.key)}">${esc(c.key)} — ${esc(c.name)}</option>`).join("");
  }

  async _create() {
    const body = {
      key: this.querySelector("#new-key").value.trim(),
      name: this.querySelector("#new-name").value.trim(),
      type: this.querySelector("#new-type").value,
      mode: this.querySelector("#new-mode").value,
    };
    if (body.mode === "agentless") {
      // what the automated call says; the keypad question has a default when left empty
      const question = this.querySelector("#new-question").value.trim();
      body.rules = {
        message: this.querySelector("#new-message").value.trim(),
        lines: Number(this.querySelector("#new-lines").value) || 2,
        ...(question ? { question } : {}),
      };
    }
    try {
      await api("/api/v1/campaigns", { method: "POST", body });
      this.querySelector("#create-form").reset();
      this._say(t("ob.created", { key: body.key }));
      await this.refresh();
    } catch (error) {
      this._say(t("ob.failed"), problems(error));
    }
  }

  async _upload(path, input) {
    const form = new FormData();
    form.append("file", input.files[0]);
    return api(path, { method: "POST", form });
  }

  async _importList() {
    const key = this.querySelector("#list-campaign").value;
    try {
      const report = await this._upload(`/api/v1/campaigns/${encodeURIComponent(key)}/list`, this.querySelector("#list-file"));
      this._say(t("ob.list_imported", { added: report.added, listed: report.already_listed, dnc: report.on_do_not_call }));
      await this.refresh();
    } catch (error) {
      this._say(t("ob.rejected"), problems(error));
    }
  }

  async _importDnc() {
    try {
      const report = await this._upload("/api/v1/dnc/import", this.querySelector("#dnc-file"));
      this._say(t("ob.dnc_imported", { added: report.added, listed: report.already_listed }));
    } catch (error) {
      this._say(t("ob.rejected"), problems(error));
    }
  }

  async _action(event) {
    const button = event.target.closest("button");
    if (!button) return;
    try {
      if (button.dataset.move) {
        await api(`/api/v1/campaigns/${encodeURIComponent(button.dataset.key)}/${button.dataset.move}`, { method: "POST" });
        await this.refresh();
        document.getElementById("cti")?.loadCampaigns?.();
      } else if (button.dataset.report) {
        this._renderReport(await api(`/api/v1/campaigns/${encodeURIComponent(button.dataset.report)}/report`));
      }
    } catch (error) {
      this._say(t("ob.failed"), problems(error));
    }
  }

  _renderReport(report) {
    const pct = (x) => `${(x * 100).toFixed(1)}%`;
    const hours = Object.entries(report.hours).concat([[t("ob.total"), report.total]]);
    const agents = Object.entries(report.agents);
    this.querySelector("#report").innerHTML = `
      <h2>${esc(t("ob.report_of", { key: report.campaign }))}</h2>
      <p class="muted">${esc(t("ob.penetration", { done: report.records_attempted, size: report.list_size, pct: pct(report.penetration) }))}</p>
      <table><thead><tr><th>${esc(t("ob.hour"))}</th><th class="num">${esc(t("ob.attempts"))}</th>
        <th class="num">${esc(t("ob.connects"))}</th><th class="num">${esc(t("ob.rpc"))}</th>
        <th class="num">${esc(t("ob.abandon"))}</th><th class="num">${esc(t("ob.blocked"))}</th></tr></thead>
      <tbody>${hours.map(([hour, f]) => `<tr><td>${esc(hour)}</td><td class="num">${f.attempts}</td>
        <td class="num">${f.connects}</td><td class="num">${f.right_party_contacts}</td>
        <td class="num">${pct(f.abandon_rate)}</td><td class="num">${f.blocked}</td></tr>`).join("")}</tbody></table>
      <table><thead><tr><th>${esc(t("ob.agent"))}</th><th class="num">${esc(t("ob.connects"))}</th>
        <th class="num">${esc(t("ob.talk_min"))}</th><th class="num">${esc(t("ob.appointments"))}</th>
        <th class="num">${esc(t("ob.contracts"))}</th></tr></thead>
      <tbody>${agents.map(([agent, f]) => `<tr><td>${esc(agent)}</td><td class="num">${f.connects}</td>
        <td class="num">${(f.talk_s / 60).toFixed(1)}</td><td class="num">${f.appointments}</td>
        <td class="num">${f.contracts}</td></tr>`).join("")}</tbody></table>${this._agentlessTable(report.total)}`;
  }

  /** The results of automated calls (confirmed, change requested, no input…), when any. */
  _agentlessTable(total) {
    const rows = Object.entries(total.outcomes || {}).filter(([code]) => code.startsWith("agentless:"));
    if (!rows.length) return "";
    return `<table id="agentless-results"><thead><tr><th>${esc(t("ob.agentless_result"))}</th>
      <th class="num">${esc(t("ob.calls"))}</th></tr></thead>
      <tbody>${rows.map(([code, n]) => `<tr><td>${esc(t(`ob.agentless.${code.slice(10)}`))}</td>
        <td class="num">${n}</td></tr>`).join("")}</tbody></table>`;
  }
}
customElements.define("mdg-campaigns", CampaignsElement);

await setLanguage(preferredLanguage());
const me = await requireUser(["agent", "supervisor", "admin"]);
document.getElementById("who").textContent = me.display_name;
document.getElementById("sign-out").addEventListener("click", signOut);
if (me.role !== "agent") {
  document.getElementById("campaigns").classList.remove("hidden");
  document.getElementById("to-board").classList.remove("hidden");
}
document.getElementById("cti").classList.toggle("hidden", !me.agent_id);
