// <mdg-agent-state>: the agent's routing state, time in it, and the buttons to change it.
import { api, duration, esc } from "./api.js";
import { localized, t, translate } from "./i18n.js";

class AgentStateElement extends HTMLElement {
  constructor() {
    super();
    this.state = "logged_out";
    this.reason = null;
    this.since = Date.now() / 1000;
    this.reasons = [];
  }

  connectedCallback() {
    this.classList.add("panel");
    this.innerHTML = `
      <h2 data-i18n="state.title"></h2>
      <p><span class="badge" id="state-badge"></span> <span class="muted" id="state-time"></span></p>
      <div class="row">
        <button type="button" class="primary" id="go-available" data-i18n="state.available"></button>
        <select id="reason" aria-label="reason"></select>
        <button type="button" id="go-not-ready" data-i18n="state.not_ready"></button>
      </div>
      <div class="row" data-gap="small">
        <button type="button" id="start-work" data-i18n="state.start_work"></button>
        <button type="button" id="end-work" data-i18n="state.end_work"></button>
      </div>
      <p class="error" id="state-error" role="alert"></p>`;
    translate(this);
    this.querySelector("#go-available").addEventListener("click", () =>
      this._do("/api/v1/agents/me/state", { state: "available" }));
    this.querySelector("#go-not-ready").addEventListener("click", () =>
      this._do("/api/v1/agents/me/state", { state: "not_ready", reason: this.querySelector("#reason").value }));
    this.querySelector("#start-work").addEventListener("click", () =>
      this._do("/api/v1/agents/me/login", { available: false }));
    this.querySelector("#end-work").addEventListener("click", () => this._do("/api/v1/agents/me/logout"));
    document.addEventListener("languagechange", () => this.render());
    this._timer = setInterval(() => this._tick(), 1000);
    this.render();
  }

  disconnectedCallback() {
    clearInterval(this._timer);
  }

  setReasons(reasons) {
    this.reasons = reasons.filter((r) => r.category !== "system");
    this.render();
  }

  update(state, reason, since) {
    this.state = state;
    this.reason = reason;
    this.since = since ?? Date.now() / 1000;
    this.render();
  }

  async _do(path, body) {
    const error = this.querySelector("#state-error");
    error.textContent = "";
    try {
      await api(path, { method: "POST", body });
    } catch (failure) {
      error.textContent = failure.message;
    }
  }

  _tick() {
    const time = this.querySelector("#state-time");
    if (time) time.textContent = duration(Date.now() / 1000 - this.since);
  }

  render() {
    const badge = this.querySelector("#state-badge");
    if (!badge) return;
    const reason = this.reasons.find((r) => r.code === this.reason);
    badge.className = `badge state-${this.state}`;
    badge.textContent = t(`state.${this.state}`) + (this.reason ? ` — ${reason ? localized(reason) : this.reason}` : "");
    const select = this.querySelector("#reason");
    const chosen = select.value;
    select.innerHTML = this.reasons.map((r) => `<option value="${esc(r.code)}">${esc(localized(r))}</option>`).join("");
    if (chosen) select.value = chosen;
    const out = this.state === "logged_out";
    const busy = ["on_contact", "reserved"].includes(this.state);
    this.querySelector("#start-work").disabled = !out;
    this.querySelector("#end-work").disabled = out || busy;
    this.querySelector("#go-available").disabled = out || this.state === "available" || busy;
    this.querySelector("#go-not-ready").disabled = out || this.state === "not_ready";
    this._tick();
  }
}
customElements.define("mdg-agent-state", AgentStateElement);
