// <mdg-campaign-cti>: the agent's outbound desk in preview mode — the next record, dial or skip,
// the dial's result, the disposition (appointment: date, time, rep; refused → do-not-call;
// callback: time and agent) — and the outbound CTI panel: when we last called this number, who
// spoke, what was said, and when the next call is due.
import { api, ApiError, esc } from "./api.js";
import { language, t, translate } from "./i18n.js";

const BUILTIN = ["sale", "appointment", "refused", "callback", "wrong_number", "no_contact", "third_party", "completed"];
const RESULTS = ["answered", "no_answer", "busy", "machine", "rejected", "invalid_number"];

function when(iso) {
  if (!iso) return "—";
  return new Date(iso).toLocaleString(language() === "en" ? "en-GB" : "ja-JP", { timeZone: "Asia/Tokyo" });
}

function message(error) {
  if (!(error instanceof ApiError)) return String(error);
  return [error.message, ...error.details.map((d) => `${d.field}: ${d.message}`)].join(" / ");
}

class CampaignCtiElement extends HTMLElement {
  connectedCallback() {
    this.classList.add("panel");
    this.innerHTML = `
      <h2 data-i18n="ob.preview"></h2>
      <div class="row">
        <select id="cti-campaign"></select>
        <button type="button" class="primary" id="cti-next" data-i18n="ob.next"></button>
      </div>
      <p id="cti-status" class="muted" role="status"></p>
      <section id="cti-record" class="hidden">
        <dl class="fields" id="cti-fields"></dl>
        <div class="row" id="cti-dial-buttons">
          <button type="button" class="primary" id="cti-dial" data-i18n="ob.dial"></button>
          <button type="button" id="cti-skip" data-i18n="ob.skip"></button>
          <button type="button" class="danger" id="cti-dnc" data-i18n="ob.add_dnc"></button>
        </div>
        <div class="row hidden" id="cti-results">
          ${RESULTS.map((r) => `<button type="button" data-result="${r}" data-i18n="ob.result.${r}"></button>`).join("")}
        </div>
        <form id="cti-disposition" class="hidden">
          <label for="cti-code" data-i18n="ob.disposition"></label>
          <select id="cti-code" required></select>
          <div id="cti-appointment" class="hidden row">
            <input type="date" id="cti-app-date"><input type="time" id="cti-app-time">
            <input id="cti-app-rep" maxlength="64" data-i18n-attr="placeholder:ob.rep">
          </div>
          <div id="cti-callback" class="hidden row">
            <input type="datetime-local" id="cti-cb-at">
            <input id="cti-cb-agent" maxlength="64" data-i18n-attr="placeholder:ob.callback_agent">
          </div>
          <label for="cti-notes" data-i18n="ob.notes"></label>
          <textarea id="cti-notes" rows="3" maxlength="4000"></textarea>
          <button type="submit" class="primary" data-i18n="ob.save_disposition"></button>
        </form>
      </section>
      <section id="cti-panel" class="hidden">
        <h2 data-i18n="ob.history"></h2>
        <p id="cti-dnc-badge" class="alert hidden"></p>
        <dl class="fields" id="cti-summary"></dl>
        <ol class="timeline" id="cti-calls"></ol>
        <ol class="timeline" id="cti-notes-list"></ol>
      </section>`;
    translate(this);
    this.querySelector("#cti-next").addEventListener("click", () => this.next());
    this.querySelector("#cti-dial").addEventListener("click", () => this.dial());
    this.querySelector("#cti-skip").addEventListener("click", () => this.skip());
    this.querySelector("#cti-dnc").addEventListener("click", () => this.addDnc());
    this.querySelector("#cti-results").addEventListener("click", (e) => {
      const button = e.target.closest("button[data-result]");
      if (button) this.result(button.dataset.result);
    });
    const code = this.querySelector("#cti-code");
    code.addEventListener("change", () => {
      this.querySelector("#cti-appointment").classList.toggle("hidden", code.value !== "appointment");
      this.querySelector("#cti-callback").classList.toggle("hidden", code.value !== "callback");
    });
    this.querySelector("#cti-disposition").addEventListener("submit", (e) => { e.preventDefault(); this.dispose(); });
    this.loadCampaigns().catch(() => {});
  }

  _status(text) {
    this.querySelector("#cti-status").textContent = text;
  }

  get campaign() {
    return this.campaigns?.find((c) => c.key === this.querySelector("#cti-campaign").value);
  }

  async loadCampaigns() {
    this.campaigns = (await api("/api/v1/campaigns")).filter((c) => c.status === "running");
    this.querySelector("#cti-campaign").innerHTML = this.campaigns
      .map((c) => `<option value="${esc(c.key)}">${esc(c.name)}</option>`).join("");
    this._status(this.campaigns.length ? "" : t("ob.none_running"));
  }

  async next() {
    const campaign = this.campaign;
    if (!campaign) return;
    try {
      const preview = await api(`/api/v1/campaigns/${encodeURIComponent(campaign.key)}/preview`);
      this.record = preview.record;
      this.attempt = null;
      this.querySelector("#cti-record").classList.toggle("hidden", !preview.record);
      this.querySelector("#cti-panel").classList.toggle("hidden", !preview.record);
      if (!preview.record) {
        this._status(t(`ob.reason.${preview.reason}`));
        return;
      }
      this._status(preview.callback_id ? t("ob.is_callback") : "");
      this._showRecord();
      await this.loadPanel(preview.record.number);
    } catch (error) {
      this._status(message(error));
    }
  }

  _showRecord() {
    const r = this.record;
    const attrs = Object.entries(r.attributes).map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join("");
    this.querySelector("#cti-fields").innerHTML = `
      <dt>${esc(t("ob.name"))}</dt><dd>${esc(r.name || "—")}</dd>
      <dt>${esc(t("ob.number"))}</dt><dd>${esc(r.number)}</dd>
      <dt>${esc(t("ob.attempts"))}</dt><dd>${r.attempts}</dd>${attrs}`;
    this.querySelector("#cti-dial-buttons").classList.remove("hidden");
    this.querySelector("#cti-results").classList.add("hidden");
    this.querySelector("#cti-disposition").classList.add("hidden");
    const codes = [...new Set([...(this.campaign?.dispositions || []), ...BUILTIN])];
    this.querySelector("#cti-code").innerHTML = `<option value="">${esc(t("ob.choose"))}</option>` +
      codes.map((c) => `<option value="${esc(c)}">${esc(t(`ob.code.${c}`) === `ob.code.${c}` ? c : t(`ob.code.${c}`))}</option>`).join("");
  }

  /** The CTI panel for `number`: last call, who spoke, what was said, next call, do-not-call. */
  async loadPanel(number) {
    const panel = await api(`/api/v1/outbound/cti?number=${encodeURIComponent(number)}`);
    const badge = this.querySelector("#cti-dnc-badge");
    badge.classList.toggle("hidden", !panel.do_not_call);
    if (panel.do_not_call) badge.textContent = t("ob.on_dnc", { reason: panel.do_not_call.reason });
    const last = panel.last_call;
    const next = panel.next_call;
    this.querySelector("#cti-summary").innerHTML = `
      <dt>${esc(t("ob.customer"))}</dt><dd>${esc(panel.customer_name || "—")}</dd>
      <dt>${esc(t("ob.last_call"))}</dt><dd>${last ? esc(`${when(last.at)} · ${last.agent_id || "—"}`) : "—"}</dd>
      <dt>${esc(t("ob.next_call"))}</dt><dd>${next ? esc(`${when(next.at)} · ${t(`ob.next.${next.kind}`)}${next.agent_id ? ` · ${next.agent_id}` : ""}`) : "—"}</dd>`;
    this.querySelector("#cti-calls").innerHTML = panel.calls.map((c) => `<li>
      <strong>${esc(when(c.at))}</strong> ${esc(c.agent_id || "—")} · ${esc(c.outcome ? t(`ob.result.${c.outcome}`) : t("ob.ringing"))}
      ${c.disposition ? ` · <span class="badge">${esc(c.disposition)}</span>` : ""}
      ${c.notes ? `<div>${esc(c.notes)}</div>` : ""}</li>`).join("");
    this.querySelector("#cti-notes-list").innerHTML = panel.notes.map((n) => `<li>
      <strong>${esc(when(n.at))}</strong> ${esc(n.author)}<div>${esc(n.text)}</div></li>`).join("");
  }

  async dial() {
    const key = this.campaign.key;
    try {
      const out = await api(`/api/v1/campaigns/${encodeURIComponent(key)}/records/${encodeURIComponent(this.record.key)}/dial`, { method: "POST" });
      if (!out.placed) {
        this._status(t("ob.not_dialled", { reason: t(`ob.block.${out.blocked_reason}`) }));
        this.querySelector("#cti-record").classList.add("hidden");
        return;
      }
      this.attempt = out.attempt_id;
      this.dialedAt = Date.now();
      this.querySelector("#cti-dial-buttons").classList.add("hidden");
      if (out.over_trunk) {
        // the server places the call from this seat; its result comes back on the attempt
        this._status(t("ob.trunk_ringing", { number: out.number }));
        await this.follow(out.attempt_id, out.number);
        return;
      }
      this._status(t("ob.dialling", { number: out.number }));
      this.querySelector("#cti-results").classList.remove("hidden");
    } catch (error) {
      this._status(message(error));
    }
  }

  async follow(attemptId, number) {
    const deadline = Date.now() + 180_000;
    let answeredPolls = 0;
    while (Date.now() < deadline && this.attempt === attemptId) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      const attempt = await api(`/api/v1/attempts/${attemptId}`);
      if (!attempt.outcome) continue;
      if (attempt.outcome === "answered" && !attempt.connected && ++answeredPolls < 6) continue;
      if (attempt.outcome === "answered") {
        this.answeredAt = Date.now();
        this.querySelector("#cti-disposition").classList.remove("hidden");
        this._status(t("ob.trunk_talking", { number }));
      } else {
        this._status(t("ob.trunk_result", { number, result: t(`ob.result.${attempt.outcome}`) }));
        await this.loadPanel(number);
      }
      return;
    }
    if (this.attempt === attemptId) this._status(t("ob.trunk_lost"));
  }

  async skip() {
    const key = this.campaign.key;
    try {
      await api(`/api/v1/campaigns/${encodeURIComponent(key)}/records/${encodeURIComponent(this.record.key)}/skip`, { method: "POST" });
      await this.next();
    } catch (error) {
      this._status(message(error));
    }
  }

  async addDnc() {
    if (!this.record) return;
    try {
      await api("/api/v1/dnc", { method: "POST", body: { number: this.record.number, reason: "request" } });
      this._status(t("ob.dnc_added", { number: this.record.number }));
      await this.loadPanel(this.record.number);
    } catch (error) {
      this._status(message(error));
    }
  }

  async result(outcome) {
    try {
      const ringS = Math.min(3600, (Date.now() - this.dialedAt) / 1000);
      await api(`/api/v1/attempts/${this.attempt}/result`, { method: "POST", body: { outcome, ring_s: ringS } });
      this.querySelector("#cti-results").classList.add("hidden");
      if (outcome === "answered") {
        this.answeredAt = Date.now();
        this.querySelector("#cti-disposition").classList.remove("hidden");
        this._status(t("ob.talking"));
      } else {
        this._status(t("ob.result_saved"));
        await this.loadPanel(this.record.number);
      }
    } catch (error) {
      this._status(message(error));
    }
  }

  async dispose() {
    const code = this.querySelector("#cti-code").value;
    const body = { code, notes: this.querySelector("#cti-notes").value, talk_s: Math.min(86400, (Date.now() - this.answeredAt) / 1000) };
    if (code === "appointment") {
      body.appointment = {
        date: this.querySelector("#cti-app-date").value,
        time: this.querySelector("#cti-app-time").value,
        rep: this.querySelector("#cti-app-rep").value.trim(),
      };
    }
    if (code === "callback") {
      const local = this.querySelector("#cti-cb-at").value; // the center's clock: Asia/Tokyo
      body.callback = { at: local ? `${local}:00+09:00` : null, agent_id: this.querySelector("#cti-cb-agent").value.trim() || null };
    }
    try {
      const out = await api(`/api/v1/attempts/${this.attempt}/disposition`, { method: "POST", body });
      this.querySelector("#cti-disposition").reset();
      this.querySelector("#cti-disposition").classList.add("hidden");
      this._status(out.do_not_call_added ? t("ob.refused_saved") : t("ob.disposition_saved"));
      await this.loadPanel(this.record.number);
    } catch (error) {
      this._status(message(error));
    }
  }
}
customElements.define("mdg-campaign-cti", CampaignCtiElement);
