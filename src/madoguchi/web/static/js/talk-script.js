// <mdg-talk-script>: the queue's talk script — what to say, and answers to expected replies;
// off-script questions escalate to the supervisor.
import { api, esc } from "./api.js";
import { language, t, translate } from "./i18n.js";

class TalkScriptElement extends HTMLElement {
  connectedCallback() {
    this.classList.add("panel");
    this.innerHTML = `<h2 data-i18n="script.title"></h2><div id="script-body"><p class="muted" data-i18n="script.none"></p></div>`;
    translate(this);
    document.addEventListener("languagechange", () => this.render());
  }

  /** Load the script of `queueId` for the contact `contactId` (null hides it). */
  async load(queueId, contactId) {
    this.contactId = contactId;
    this.steps = [];
    this.current = null;
    if (queueId) {
      try {
        const script = await api(`/api/v1/scripts/${encodeURIComponent(queueId)}`);
        this.steps = script.steps;
        this.current = this.steps.length ? this.steps[0].id : null;
      } catch {
        this.steps = [];
      }
    }
    this.render();
  }

  _text(ja, en) {
    const text = language() === "en" ? en || ja : ja || en;
    return (text || "").replaceAll("{name}", this.agentName || "");
  }

  render() {
    const body = this.querySelector("#script-body");
    if (!body) return;
    const step = (this.steps || []).find((s) => s.id === this.current);
    if (!step) {
      body.innerHTML = `<p class="muted">${esc(t("script.none"))}</p>`;
      return;
    }
    const branches = step.branches.map((b, i) => `
      <li><button type="button" data-branch="${i}">${esc(this._text(b.when_ja, b.when_en))}</button>
      ${b.answer_ja || b.answer_en ? `<div class="muted">→ ${esc(this._text(b.answer_ja, b.answer_en))}</div>` : ""}</li>`).join("");
    body.innerHTML = `
      <div class="script-step" id="script-step" data-step="${esc(step.id)}">
        <p class="say">${esc(this._text(step.say_ja, step.say_en))}</p>
        ${branches ? `<p class="muted">${esc(t("script.if_customer_says"))}</p><ul>${branches}</ul>` : ""}
      </div>
      <div class="row" data-gap="small">
        <button type="button" id="script-restart">${esc(t("script.restart"))}</button>
        <button type="button" id="script-escalate">${esc(t("script.escalate"))}</button>
      </div>
      <p class="error" id="script-error" role="alert"></p>`;
    for (const button of body.querySelectorAll("button[data-branch]")) {
      button.addEventListener("click", () => {
        const branch = step.branches[Number(button.dataset.branch)];
        if (branch.escalate) this._escalate();
        else if (branch.next) {
          this.current = branch.next;
          this.render();
        }
      });
    }
    body.querySelector("#script-restart").addEventListener("click", () => {
      this.current = this.steps[0].id;
      this.render();
    });
    body.querySelector("#script-escalate").addEventListener("click", () => this._escalate());
  }

  async _escalate() {
    if (!this.contactId) return;
    try {
      await api(`/api/v1/contacts/${encodeURIComponent(this.contactId)}/transfer`, { method: "POST", body: { to_supervisor: true } });
    } catch (failure) {
      this.querySelector("#script-error").textContent = failure.message;
    }
  }
}
customElements.define("mdg-talk-script", TalkScriptElement);
