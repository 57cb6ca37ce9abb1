// <mdg-wrap-up>: after-contact work — disposition, notes, follow-up task, ACW countdown.
import { api, duration, esc } from "./api.js";
import { localized, t, translate } from "./i18n.js";

class WrapUpElement extends HTMLElement {
  connectedCallback() {
    this.classList.add("panel");
    this.innerHTML = `
      <h2 data-i18n="wrap.title"></h2>
      <p><span data-i18n="wrap.remaining"></span> <span class="countdown" id="acw-countdown"></span></p>
      <form id="wrap-form">
        <label for="disposition" data-i18n="wrap.disposition"></label>
        <select id="disposition" required></select>
        <label for="notes" data-i18n="wrap.notes"></label>
        <textarea id="notes" rows="4" maxlength="4000"></textarea>
        <label><input type="checkbox" id="need-follow-up" data-inline> <span data-i18n="wrap.follow_up"></span></label>
        <div id="follow-up-fields" class="hidden">
          <label for="follow-up-due" data-i18n="wrap.due"></label>
          <input type="date" id="follow-up-due">
          <label for="follow-up-text" data-i18n="wrap.task"></label>
          <input id="follow-up-text" maxlength="1000">
        </div>
        <p class="error" id="wrap-error" role="alert"></p>
        <button class="primary" type="submit" id="finish-wrap-up" data-i18n="wrap.submit"></button>
      </form>`;
    translate(this);
    const followUp = this.querySelector("#need-follow-up");
    followUp.addEventListener("change", () =>
      this.querySelector("#follow-up-fields").classList.toggle("hidden", !followUp.checked));
    this.querySelector("#wrap-form").addEventListener("submit", (e) => {
      e.preventDefault();
      this._submit();
    });
    this._timer = setInterval(() => this._tick(), 500);
    document.addEventListener("languagechange", () => this._renderCodes());
  }

  disconnectedCallback() {
    clearInterval(this._timer);
  }

  setDispositions(codes) {
    this.codes = codes;
    this._renderCodes();
  }

  /** Start wrap-up of `contactId`; the after-contact work ends at `endsAt` (epoch s) or never. */
  show(contactId, endsAt, customerId) {
    this.contactId = contactId;
    this.endsAt = endsAt;
    this.customerId = customerId ?? null;
    this.classList.toggle("hidden", !contactId);
    if (contactId) {
      this.querySelector("#wrap-form").reset();
      this.querySelector("#follow-up-fields").classList.add("hidden");
      this.querySelector("#wrap-error").textContent = "";
      this.querySelector("#disposition").focus();
    }
    this._tick();
  }

  setCustomer(customerId) {
    this.customerId = customerId ?? null;
  }

  _renderCodes() {
    const select = this.querySelector("#disposition");
    if (!select) return;
    select.innerHTML = `<option value="">${esc(t("wrap.choose"))}</option>` +
      (this.codes || []).map((c) => `<option value="${esc(c.code)}">${esc(localized(c))}</option>`).join("");
  }

  _tick() {
    const out = this.querySelector("#acw-countdown");
    if (!out) return;
    out.textContent = this.endsAt ? duration(this.endsAt - Date.now() / 1000) : "—";
  }

  async _submit() {
    const error = this.querySelector("#wrap-error");
    const body = {
      disposition: this.querySelector("#disposition").value,
      notes: this.querySelector("#notes").value,
    };
    if (this.customerId) body.customer_id = this.customerId;
    if (this.querySelector("#need-follow-up").checked) {
      body.follow_up = { due: this.querySelector("#follow-up-due").value, text: this.querySelector("#follow-up-text").value };
    }
    try {
      await api(`/api/v1/contacts/${encodeURIComponent(this.contactId)}/wrap-up`, { method: "POST", body });
      error.textContent = "";
    } catch (failure) {
      error.textContent = failure.details.length
        ? failure.details.map((d) => `${d.field}: ${d.message}`).join("; ")
        : failure.message;
    }
  }
}
customElements.define("mdg-wrap-up", WrapUpElement);
