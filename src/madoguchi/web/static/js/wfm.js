// Staffing and cost calculators (supervisors and admins): /api/v1/wfm/staffing and /wfm/cost,
// the same Erlang C/A and cost functions as `madoguchi wfm`.
import { api, esc, requireUser, signOut } from "./api.js";
import { language, preferredLanguage, setLanguage, t } from "./i18n.js";

await setLanguage(preferredLanguage());
const me = await requireUser(["supervisor", "admin"]);
document.getElementById("who").textContent = me.display_name;
document.getElementById("sign-out").addEventListener("click", signOut);
const $ = (id) => document.getElementById(id);
const num = (id) => Number($(id).value);
const pct = (x) => (x == null ? "—" : `${(x * 100).toFixed(1)}%`);
const secs = (x) => (x == null ? "∞" : `${x.toFixed(1)} s`);
const yen = (x) => (x == null ? "—" : `¥${Math.round(x).toLocaleString(language())}`);
const count = (x) => Math.round(x).toLocaleString(language());

function problem(target, failure) {
  $(target).textContent = failure.details && failure.details.length
    ? failure.details.map((d) => `${d.field}: ${d.message}`).join("; ")
    : failure.message;
}

let lastStaffing = null;
let lastCost = null;

async function staffing(event) {
  if (event) event.preventDefault();
  $("staffing-error").textContent = "";
  const query = new URLSearchParams({
    calls: num("st-calls"), interval_min: num("st-interval"), aht_s: num("st-aht"),
    service_level: num("st-sl") / 100, answer_time_s: num("st-t"), shrinkage: num("st-shrink") / 100,
  });
  if ($("st-patience").value) query.set("patience_s", num("st-patience"));
  try {
    lastStaffing = await api(`/api/v1/wfm/staffing?${query}`);
    renderStaffing();
  } catch (failure) {
    problem("staffing-error", failure);
  }
}

function renderStaffing() {
  const r = lastStaffing;
  if (!r) return;
  $("staffing-result").innerHTML = `
    <div class="kpis">
      <div class="kpi"><div class="value" id="st-agents">${r.agents}</div><div class="label">${esc(t("wfm.agents"))}</div></div>
      <div class="kpi"><div class="value" id="st-scheduled">${r.scheduled_agents}</div><div class="label">${esc(t("wfm.scheduled"))}</div></div>
      <div class="kpi"><div class="value" id="st-result-sl">${pct(r.service_level)}</div><div class="label">${esc(t("wfm.expected_sl"))}</div></div>
      <div class="kpi"><div class="value" id="st-asa">${secs(r.asa_s)}</div><div class="label">ASA</div></div>
      <div class="kpi"><div class="value" id="st-occupancy">${pct(r.occupancy)}</div><div class="label">${esc(t("wfm.occupancy"))}</div></div>
      ${r.abandonment == null ? "" : `<div class="kpi"><div class="value">${pct(r.abandonment)}</div><div class="label">${esc(t("wfm.abandonment"))}</div></div>`}
    </div>
    <p class="muted">${esc(t("wfm.load", { erlangs: r.load_erlangs.toFixed(2), model: r.model === "erlang_a" ? "Erlang A" : "Erlang C" }))}</p>
    <table><thead><tr><th class="num">${esc(t("wfm.agents"))}</th><th class="num">${esc(t("wfm.expected_sl"))}</th><th class="num">ASA</th><th class="num">${esc(t("wfm.occupancy"))}</th></tr></thead>
    <tbody>${r.around.map((row) => `<tr${row.agents === r.agents ? ' class="chosen"' : ""}><td class="num">${row.agents}</td>
      <td class="num">${pct(row.service_level)}</td><td class="num">${secs(row.asa_s)}</td><td class="num">${pct(row.occupancy)}</td></tr>`).join("")}</tbody></table>
    <p class="muted">${esc(t("wfm.around_hint"))}</p>`;
}

async function cost(event) {
  if (event) event.preventDefault();
  $("cost-error").textContent = "";
  const query = new URLSearchParams({
    monthly_calls: num("co-calls"), outsourcing_price_per_call: num("co-price"), aht_s: num("co-aht"),
    open_hours_per_day: num("co-hours"), days_per_month: num("co-days"), agent_wage_per_hour: num("co-wage"),
    seat_per_month: num("co-seat"), shrinkage: num("co-shrink") / 100,
  });
  try {
    lastCost = await api(`/api/v1/wfm/cost?${query}`);
    renderCost();
  } catch (failure) {
    problem("cost-error", failure);
  }
}

function renderCost() {
  const r = lastCost;
  if (!r) return;
  const cheaper = r.saving >= 0 ? t("wfm.in_house_cheaper", { amount: yen(r.saving) }) : t("wfm.outsourcing_cheaper", { amount: yen(-r.saving) });
  const breakEven = r.break_even_calls == null ? t("wfm.never") : t("wfm.calls_per_month", { n: count(r.break_even_calls) });
  $("cost-result").innerHTML = `
    <div class="kpis">
      <div class="kpi"><div class="value" id="co-per-contact">${yen(r.per_contact)}</div><div class="label">${esc(t("wfm.per_contact"))}</div></div>
      <div class="kpi"><div class="value">${yen(r.outsourcing_per_contact)}</div><div class="label">${esc(t("wfm.outsourcing_per_contact"))}</div></div>
      <div class="kpi"><div class="value" id="co-break-even">${esc(breakEven)}</div><div class="label">${esc(t("wfm.break_even"))}</div></div>
      <div class="kpi"><div class="value">${r.peak_agents}</div><div class="label">${esc(t("wfm.peak_agents"))}</div></div>
    </div>
    <p id="co-verdict"><strong>${esc(cheaper)}</strong></p>
    <table><tbody>
      <tr><th>${esc(t("wfm.wages"))}</th><td class="num">${yen(r.wages)}</td></tr>
      <tr><th>${esc(t("wfm.seats"))}</th><td class="num">${yen(r.seats)}</td></tr>
      <tr><th>${esc(t("wfm.telephony"))}</th><td class="num">${yen(r.telephony)}</td></tr>
      <tr><th>${esc(t("wfm.total"))}</th><td class="num">${yen(r.total)}</td></tr>
      <tr><th>${esc(t("wfm.outsourcing_total"))}</th><td class="num">${yen(r.outsourcing_total)}</td></tr>
      <tr><th>${esc(t("wfm.agent_hours"))}</th><td class="num">${count(r.agent_hours)}</td></tr>
      <tr><th>${esc(t("wfm.supervisors"))}</th><td class="num">${r.supervisors}</td></tr>
    </tbody></table>`;
}

$("staffing-form").addEventListener("submit", staffing);
$("cost-form").addEventListener("submit", cost);
document.addEventListener("languagechange", () => {
  renderStaffing();
  renderCost();
});
await Promise.all([staffing(), cost()]);
document.body.dataset.ready = "true";
