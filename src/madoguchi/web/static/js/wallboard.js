// <mdg-wallboard>: per-queue and total figures; <mdg-alerts>: what needs a supervisor now.
import { duration, esc } from "./api.js";
import { localized, t } from "./i18n.js";

const pct = (v) => (v === null || v === undefined ? "—" : `${Math.round(v * 100)}%`);
const secs = (v) => (v === null || v === undefined ? "—" : duration(v));

class WallboardElement extends HTMLElement {
  connectedCallback() {
    this.classList.add("panel");
    document.addEventListener("languagechange", () => this.render());
    this.render();
  }

  update(board) {
    this.board = board;
    this.render();
  }

  render() {
    const b = this.board;
    if (!b) {
      this.innerHTML = `<h2>${esc(t("board.queues"))}</h2><p class="muted">…</p>`;
      return;
    }
    const total = b.total;
    const kpi = (id, label, value, bad = false) =>
      `<div class="kpi${bad ? " bad" : ""}"><div class="value" id="${id}">${esc(value)}</div><div class="label">${esc(label)}</div></div>`;
    const row = (q, name) => `
      <tr data-queue="${esc(q.id)}">
        <th scope="row">${esc(name)}</th>
        <td class="num" data-col="waiting">${q.waiting}</td>
        <td class="num" data-col="longest">${secs(q.longest_wait_s)}</td>
        <td class="num${q.service_level_today !== null && q.service_level_today < q.target.fraction ? " error" : ""}">${pct(q.service_level_today)}</td>
        <td class="num">${pct(q.service_level_15m)}</td>
        <td class="num">${secs(q.asa_s)}</td>
        <td class="num">${pct(q.abandon_rate)}</td>
        <td class="num" data-col="answered">${q.answered}</td>
        <td class="num">${q.agents.available || 0} / ${q.agents.on_contact || 0} / ${q.agents.after_contact_work || 0} / ${q.agents.not_ready || 0}</td>
      </tr>`;
    this.innerHTML = `
      <h2>${esc(t("board.total"))}</h2>
      <div class="kpis">
        ${kpi("total-waiting", t("board.waiting"), total.waiting, total.waiting > 0 && total.longest_wait_s > b.long_wait_limit_s)}
        ${kpi("total-longest", t("board.longest"), secs(total.longest_wait_s))}
        ${kpi("total-sl-today", t("board.sl_today"), pct(total.service_level_today))}
        ${kpi("total-sl-15", t("board.sl_15m"), pct(total.service_level_15m))}
        ${kpi("total-asa", t("board.asa"), secs(total.asa_s))}
        ${kpi("total-abandon", t("board.abandon"), pct(total.abandon_rate))}
        ${kpi("total-answered", t("board.answered"), total.answered)}
        ${kpi("total-available", t("state.available"), total.agents.available || 0)}
      </div>
      <h2 data-gap="large">${esc(t("board.queues"))}</h2>
      <table id="queue-table">
        <thead><tr><th>${esc(t("board.queue"))}</th><th class="num">${esc(t("board.waiting"))}</th>
        <th class="num">${esc(t("board.longest"))}</th><th class="num">${esc(t("board.sl_today"))}</th>
        <th class="num">${esc(t("board.sl_15m"))}</th><th class="num">${esc(t("board.asa"))}</th>
        <th class="num">${esc(t("board.abandon"))}</th><th class="num">${esc(t("board.answered"))}</th>
        <th class="num">${esc(t("board.agents_by_state"))}</th></tr></thead>
        <tbody>${b.queues.map((q) => row(q, localized(q.name))).join("")}</tbody>
      </table>`;
  }
}
customElements.define("mdg-wallboard", WallboardElement);

class AlertsElement extends HTMLElement {
  update(alerts) {
    this.setAttribute("role", "status");
    this.innerHTML = alerts
      .map((a) => `<div class="alert" data-kind="${esc(a.kind)}">${esc(t(`alert.${a.kind}`, {
        queue: localized(a.queue_name) || a.queue_id || "",
        value: a.kind === "service_level" ? pct(a.value) : secs(a.value),
        limit: a.kind === "service_level" ? pct(a.limit) : secs(a.limit),
      }))}</div>`)
      .join("");
  }
}
customElements.define("mdg-alerts", AlertsElement);
