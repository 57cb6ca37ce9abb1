// <mdg-agent-grid>: every agent with state, time in state, current contact, today's count and
// AHT; actions: force state, sign out, change work mode.
import { api, duration, esc } from "./api.js";
import { localized, t } from "./i18n.js";

class AgentGridElement extends HTMLElement {
  connectedCallback() {
    this.classList.add("panel");
    this._timer = setInterval(() => this._tick(), 1000);
    document.addEventListener("languagechange", () => this.render());
  }

  disconnectedCallback() {
    clearInterval(this._timer);
  }

  setReasons(reasons) {
    this.reasons = reasons.filter((r) => r.category !== "system");
  }

  update(agents) {
    this.agents = agents;
    this.render();
  }

  _tick() {
    for (const cell of this.querySelectorAll("[data-since]")) {
      cell.textContent = duration(Date.now() / 1000 - Number(cell.dataset.since));
    }
  }

  async _act(agentId, path, body) {
    const error = this.querySelector("#grid-error");
    error.textContent = "";
    try {
      await api(`/api/v1/agents/${encodeURIComponent(agentId)}/${path}`, { method: "POST", body });
    } catch (failure) {
      error.textContent = `${agentId}: ${failure.message}`;
    }
  }

  render() {
    const reasons = (this.reasons || []).map((r) => `<option value="${esc(r.code)}">${esc(localized(r))}</option>`).join("");
    const rows = (this.agents || []).map((a) => `
      <tr data-agent="${esc(a.agent_id)}">
        <th scope="row">${esc(a.name)} <span class="muted">${esc(a.agent_id)}</span></th>
        <td><span class="badge state-${esc(a.state)}" data-col="state">${esc(t("state." + a.state))}</span>
          ${a.reason ? `<span class="muted">${esc(a.reason)}</span>` : ""}</td>
        <td class="num" ${a.since ? `data-since="${a.since}"` : ""}></td>
        <td>${esc(a.contact_id || "")}</td>
        <td class="num" data-col="handled">${a.handled_today}</td>
        <td class="num">${a.aht_s === null ? "—" : duration(a.aht_s)}</td>
        <td><div class="row">
          <button type="button" data-act="available" ${a.state === "logged_out" ? "disabled" : ""}>${esc(t("state.available"))}</button>
          <select aria-label="${esc(t("grid.reason"))}">${reasons}</select>
          <button type="button" data-act="not_ready" ${a.state === "logged_out" ? "disabled" : ""}>${esc(t("state.not_ready"))}</button>
          <select data-mode aria-label="${esc(t("grid.work_mode"))}">
            ${["inbound", "outbound", "blended"].map((m) => `<option value="${m}" ${a.work_mode === m ? "selected" : ""}>${esc(t("mode." + m))}</option>`).join("")}
          </select>
          <button type="button" data-act="sign_out" class="danger" ${a.state === "logged_out" ? "disabled" : ""}>${esc(t("grid.sign_out"))}</button>
        </div></td>
      </tr>`).join("");
    this.innerHTML = `
      <h2>${esc(t("grid.title"))}</h2>
      <p class="error" id="grid-error" role="alert"></p>
      <table id="agent-table"><thead><tr><th>${esc(t("grid.agent"))}</th><th>${esc(t("grid.state"))}</th>
        <th class="num">${esc(t("grid.time"))}</th><th>${esc(t("grid.contact"))}</th>
        <th class="num">${esc(t("grid.handled"))}</th><th class="num">${esc(t("grid.aht"))}</th><th></th></tr></thead>
        <tbody>${rows}</tbody></table>`;
    for (const tr of this.querySelectorAll("tr[data-agent]")) {
      const id = tr.dataset.agent;
      tr.querySelector('[data-act="available"]').addEventListener("click", () => this._act(id, "state", { state: "available" }));
      tr.querySelector('[data-act="not_ready"]').addEventListener("click", () =>
        this._act(id, "state", { state: "not_ready", reason: tr.querySelector("select:not([data-mode])").value }));
      tr.querySelector('[data-act="sign_out"]').addEventListener("click", () => this._act(id, "sign-out"));
      tr.querySelector("select[data-mode]").addEventListener("change", (e) => this._act(id, "work-mode", { work_mode: e.target.value }));
    }
    this._tick();
  }
}
customElements.define("mdg-agent-grid", AgentGridElement);
