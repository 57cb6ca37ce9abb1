// <mdg-call-controls>: hold, resume, transfer (queue, agent, supervisor), consult, hang up.
//
// Consult (warm transfer): "Consult" puts the caller on hold (music) and connects this agent's
// softphone to the colleague's, so the two talk (POST /contacts/{id}/consult); "Complete
// transfer" hands the call to them (a direct offer with the screen pop; when they accept, the
// caller talks to them), "Back to caller" ends the consult and resumes. When the colleague has
// no softphone connected (or is on a call) the caller is still put on hold and the page says
// the consult has no audio: brief them another way (a SIP phone's consult call bridges them).
import { api, duration, esc } from "./api.js";
import { localized, t, translate } from "./i18n.js";

class CallControlsElement extends HTMLElement {
  connectedCallback() {
    this.classList.add("panel");
    this.innerHTML = `
      <h2 data-i18n="controls.title"></h2>
      <p><span class="badge" id="call-phase"></span> <span class="muted" id="call-time"></span></p>
      <div class="row">
        <button type="button" id="hold" data-i18n="controls.hold"></button>
        <button type="button" id="resume" data-i18n="controls.resume"></button>
        <button type="button" class="danger" id="hang-up" data-i18n="controls.hang_up"></button>
      </div>
      <label for="transfer-queue" data-i18n="controls.transfer_queue"></label>
      <div class="row"><select id="transfer-queue"></select><button type="button" id="do-transfer-queue" data-i18n="controls.transfer"></button></div>
      <label for="transfer-agent" data-i18n="controls.transfer_agent"></label>
      <div class="row"><input id="transfer-agent" autocomplete="off"><button type="button" id="do-transfer-agent" data-i18n="controls.transfer"></button></div>
      <div class="row" data-gap="small"><button type="button" id="to-supervisor" data-i18n="controls.to_supervisor"></button></div>
      <label for="consult-agent" data-i18n="controls.consult_agent"></label>
      <div class="row"><input id="consult-agent" autocomplete="off"><button type="button" id="consult" data-i18n="controls.consult"></button></div>
      <div class="row hidden" id="consulting" data-gap="small">
        <span class="badge" id="consult-badge"></span>
        <button type="button" class="primary" id="consult-complete" data-i18n="controls.consult_complete"></button>
        <button type="button" id="consult-cancel" data-i18n="controls.consult_cancel"></button>
      </div>
      <p class="error" id="controls-error" role="alert"></p>`;
    translate(this);
    const on = (id, f) => this.querySelector(id).addEventListener("click", f);
    on("#hold", () => this._post("hold"));
    on("#resume", () => this._post("resume"));
    on("#hang-up", () => this._post("end"));
    on("#do-transfer-queue", () => this._post("transfer", { to_queue: this.querySelector("#transfer-queue").value }));
    on("#do-transfer-agent", () => this._post("transfer", { to_agent: this.querySelector("#transfer-agent").value.trim() }));
    on("#to-supervisor", () => this._post("transfer", { to_supervisor: true }));
    on("#consult", () => this._consult());
    on("#consult-complete", async () => {
      if (await this._post("transfer", { to_agent: this.consultWith })) this._endConsult();
    });
    on("#consult-cancel", async () => {
      if (await this._post("resume")) this._endConsult();
    });
    this._timer = setInterval(() => this._tick(), 1000);
    document.addEventListener("languagechange", () => this.render());
  }

  disconnectedCallback() {
    clearInterval(this._timer);
  }

  setQueues(queues) {
    this.queues = queues;
    this.render();
  }

  /** Show the call `contact_id` in `phase` ("connected" or "held") since `since`, or hide. */
  show(contactId, phase, since) {
    if (contactId !== this.contactId) this.consultWith = null;
    this.contactId = contactId;
    this.phase = phase;
    this.since = since ?? Date.now() / 1000;
    this.classList.toggle("hidden", !contactId);
    this.render();
  }

  async _post(action, body) {
    const error = this.querySelector("#controls-error");
    error.textContent = "";
    try {
      await api(`/api/v1/contacts/${encodeURIComponent(this.contactId)}/${action}`, { method: "POST", body });
      return true;
    } catch (failure) {
      error.textContent = failure.details && failure.details.length ? failure.details.map((d) => `${d.field}: ${d.message}`).join("; ") : failure.message;
      return false;
    }
  }

  async _consult() {
    const colleague = this.querySelector("#consult-agent").value.trim();
    if (!colleague) return;
    const error = this.querySelector("#controls-error");
    error.textContent = "";
    try {
      await api(`/api/v1/contacts/${encodeURIComponent(this.contactId)}/consult`, { method: "POST", body: { agent_id: colleague } });
      this.consultAudio = true;
    } catch (failure) {
      if (!(failure.errorId || "").startsWith("consult-")) {
        error.textContent = failure.details && failure.details.length ? failure.details.map((d) => `${d.field}: ${d.message}`).join("; ") : failure.message;
        return;
      }
      if (this.phase !== "held" && !(await this._post("hold"))) return;
      this.consultAudio = false;
      error.textContent = t("controls.consult_no_audio", { reason: failure.message });
    }
    this.consultWith = colleague;
    this.render();
  }

  _endConsult() {
    this.consultWith = null;
    this.render();
  }

  _tick() {
    const time = this.querySelector("#call-time");
    if (time && this.contactId) time.textContent = duration(Date.now() / 1000 - this.since);
  }

  render() {
    const phase = this.querySelector("#call-phase");
    if (!phase) return;
    phase.textContent = t(`controls.${this.phase || "connected"}`);
    this.querySelector("#hold").disabled = this.phase !== "connected";
    this.querySelector("#resume").disabled = this.phase !== "held";
    this.querySelector("#consulting").classList.toggle("hidden", !this.consultWith);
    this.querySelector("#consult-badge").textContent = this.consultWith
      ? t(this.consultAudio ? "controls.consulting_audio" : "controls.consulting", { agent: this.consultWith })
      : "";
    this.querySelector("#consult").disabled = Boolean(this.consultWith);
    const select = this.querySelector("#transfer-queue");
    select.innerHTML = (this.queues || []).map((q) => `<option value="${esc(q.id)}">${esc(localized(q.name))}</option>`).join("");
    this._tick();
  }
}
customElements.define("mdg-call-controls", CallControlsElement);
