// <mdg-offer>: a contact ringing at the agent — caller, queue, what the IVR collected, wait.
import { api, duration, esc } from "./api.js";
import { t, translate } from "./i18n.js";

class OfferElement extends HTMLElement {
  connectedCallback() {
    this.classList.add("panel", "offer");
    this.setAttribute("role", "alert");
    this.innerHTML = `
      <h2 data-i18n="offer.title"></h2>
      <dl class="fields" id="offer-fields"></dl>
      <div class="row" data-gap="small">
        <button type="button" class="primary" id="answer" data-i18n="offer.answer" accesskey="a"></button>
        <button type="button" id="decline" data-i18n="offer.decline"></button>
      </div>
      <p class="error" id="offer-error" role="alert"></p>`;
    translate(this);
    this.querySelector("#answer").addEventListener("click", () => this._act("accept"));
    this.querySelector("#decline").addEventListener("click", () => this._act("reject"));
    this._timer = setInterval(() => this.render(), 1000);
    document.addEventListener("languagechange", () => this.render());
  }

  disconnectedCallback() {
    clearInterval(this._timer);
  }

  /** Show `contact` ({contact_id, from_address, queue_name, attributes, wait_started_at}), or hide. */
  show(contact) {
    this.contact = contact;
    this.classList.toggle("hidden", !contact);
    this.render();
    if (contact) this.querySelector("#answer").focus();
  }

  async _act(action) {
    if (!this.contact) return;
    const error = this.querySelector("#offer-error");
    error.textContent = "";
    try {
      await api(`/api/v1/contacts/${encodeURIComponent(this.contact.contact_id)}/${action}`, { method: "POST" });
    } catch (failure) {
      error.textContent = failure.message;
    }
  }

  render() {
    const list = this.querySelector("#offer-fields");
    if (!list || !this.contact) return;
    const c = this.contact;
    const waited = c.wait_started_at ? duration(Date.now() / 1000 - c.wait_started_at) : "—";
    const collected = Object.entries(c.attributes || {})
      .map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join("");
    list.innerHTML = `
      <dt>${esc(t("offer.caller"))}</dt><dd id="offer-caller">${esc(c.from_address || t("common.unknown"))}</dd>
      <dt>${esc(t("offer.queue"))}</dt><dd id="offer-queue">${esc(c.queue_name || c.queue_id || "")}</dd>
      <dt>${esc(t("offer.channel"))}</dt><dd>${esc(t("channel." + (c.channel || "voice")))}</dd>
      <dt>${esc(t("offer.waited"))}</dt><dd id="offer-wait">${esc(waited)}</dd>
      ${collected ? `<dt>${esc(t("offer.ivr"))}</dt><dd><dl class="fields">${collected}</dl></dd>` : ""}`;
  }
}
customElements.define("mdg-offer", OfferElement);
