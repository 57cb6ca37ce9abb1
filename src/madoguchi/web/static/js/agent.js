// The agent desktop: wires the live stream to the desk's custom elements.
// The server is the source of truth: after a reload or a network blip the snapshot (or the
// replayed events) restore the agent's state, the ringing or connected contact and wrap-up.
import { api, requireUser, signOut } from "./api.js";
import "./agent-state.js";
import "./call-controls.js";
import { preferredLanguage, setLanguage } from "./i18n.js";
import "./offer.js";
import "./screen-pop.js";
import "./softphone.js";
import { LiveStream } from "./stream.js";
import "./talk-script.js";
import "./wrap-up.js";

await setLanguage(preferredLanguage());
const me = await requireUser(["agent", "supervisor", "admin"]);
document.getElementById("who").textContent = `${me.display_name} (${me.agent_id || me.username})`;
document.getElementById("sign-out").addEventListener("click", signOut);

const $ = (id) => document.getElementById(id);
const stateEl = $("state");
const offerEl = $("offer");
const controlsEl = $("controls");
const wrapEl = $("wrap-up");
const popEl = $("screen-pop");
const scriptEl = $("script");
scriptEl.agentName = me.display_name;

const [codes, queues] = await Promise.all([api("/api/v1/codes"), api("/api/v1/queues")]);
stateEl.setReasons(codes.not_ready_reasons);
wrapEl.setDispositions(codes.dispositions);
controlsEl.setQueues(queues);
const queueById = Object.fromEntries(queues.map((q) => [q.id, q]));
popEl.addEventListener("customer", (e) => wrapEl.setCustomer(e.detail.customer ? e.detail.customer.id : null));

/** What the desk shows about the agent's work: one contact at a time on the desktop. */
const desk = { contactId: null, phase: null, queueId: null };

async function loadContact(contactId) {
  try {
    return await api(`/api/v1/contacts/${encodeURIComponent(contactId)}?purpose=screen_pop`);
  } catch {
    return null;
  }
}

function offerView(detail, queueId, contactId) {
  const j = (detail && detail.journey) || {};
  const queue = queueById[queueId] || {};
  return {
    contact_id: contactId,
    from_address: j.from_address || null,
    channel: (detail && detail.channel) || j.channel,
    queue_id: queueId,
    queue_name: queue.name ? (document.documentElement.lang === "en" ? queue.name.en : queue.name.ja) : queueId,
    attributes: j.attributes || {},
    wait_started_at: j.first_queued_at || j.created_at || (detail && detail.started_at),
  };
}

async function showOffer(contactId, queueId) {
  Object.assign(desk, { contactId, phase: "offered", queueId });
  const detail = await loadContact(contactId);
  if (!queueId && detail && detail.queues.length) queueId = detail.queues[detail.queues.length - 1];
  offerEl.show(offerView(detail, queueId, contactId));
  const j = (detail && detail.journey) || {};
  const number = (j.attributes || {}).customer_number;
  popEl.lookup({ phone: j.from_address, number, customer_id: j.customer_id, contact_id: contactId });
  scriptEl.load(queueId, contactId);
}

function showConnected(contactId, queueId, since, phase = "connected") {
  Object.assign(desk, { contactId, phase, queueId: queueId || desk.queueId });
  offerEl.show(null);
  wrapEl.show(null);
  controlsEl.show(contactId, phase, since);
}

function showWrapUp(contactId, queueId, endedAt) {
  const acw = (queueById[queueId] || {}).after_contact_work_s;
  Object.assign(desk, { contactId, phase: "acw", queueId });
  offerEl.show(null);
  controlsEl.show(null);
  wrapEl.show(contactId, acw ? endedAt + acw : null, popEl.customerId);
}

function clearDesk() {
  Object.assign(desk, { contactId: null, phase: null, queueId: null });
  offerEl.show(null);
  controlsEl.show(null);
  wrapEl.show(null);
}

async function applySnapshot(snapshot) {
  const view = snapshot.agents.find((a) => a.agent_id === me.agent_id);
  clearDesk();
  if (!view) {
    stateEl.update("logged_out", null);
    return;
  }
  stateEl.update(view.state, view.reason, view.since);
  const id = view.offer || (view.contacts || [])[0] || (view.wrap_up || [])[0];
  if (!id) return;
  const detail = await loadContact(id);
  const queues = (detail && detail.queues) || [];
  const queueId = queues[queues.length - 1];
  if (view.offer === id) {
    showOffer(id, queueId);
    return;
  }
  if ((view.contacts || []).includes(id)) {
    const steps = ((detail && detail.journey && detail.journey.journey) || []);
    const last = steps.filter((s) => ["ContactConnected", "ContactHeld", "ContactResumed"].includes(s.kind)).pop();
    const connected = steps.filter((s) => s.kind === "ContactConnected").pop();
    showConnected(id, queueId, connected ? connected.at : view.since, last && last.kind === "ContactHeld" ? "held" : "connected");
  } else {
    showWrapUp(id, queueId, view.since);
  }
  const j = (detail && detail.journey) || {};
  popEl.lookup({ phone: j.from_address, number: (j.attributes || {}).customer_number, customer_id: j.customer_id, contact_id: id });
  scriptEl.load(queueId, id);
}

function applyEvent(e) {
  switch (e.type) {
    case "AgentStateChanged":
      stateEl.update(e.state, e.reason, e.at);
      if (e.state === "available" || e.state === "logged_out") {
        if (desk.phase === "acw") clearDesk();
      }
      break;
    case "ContactOffered":
      showOffer(e.contact_id, e.queue_id);
      break;
    case "ContactOfferTimedOut":
    case "ContactOfferRejected":
    case "ContactAbandoned":
      if (desk.contactId === e.contact_id) clearDesk();
      break;
    case "ContactConnected":
      showConnected(e.contact_id, e.queue_id, e.at);
      break;
    case "ContactHeld":
      showConnected(e.contact_id, desk.queueId, e.at, "held");
      break;
    case "ContactResumed":
      showConnected(e.contact_id, desk.queueId, e.at, "connected");
      break;
    case "ContactTransferred":
      if (e.from_agent === me.agent_id) showWrapUp(e.contact_id, e.from_queue, e.at);
      break;
    case "ContactEnded":
      if (e.agent_id === me.agent_id) showWrapUp(e.contact_id, e.queue_id, e.at);
      break;
    case "ContactWrappedUp":
      if (desk.contactId === e.contact_id) {
        clearDesk();
        popEl.clear();
        scriptEl.load(null, null);
      }
      break;
    default:
      break;
  }
}

const live = new LiveStream();
live.addEventListener("snapshot", (e) => applySnapshot(e.detail));
live.addEventListener("event", (e) => applyEvent(e.detail));
live.addEventListener("connection", (e) => {
  const badge = $("connection");
  badge.textContent = e.detail.connected ? "● live" : "○ reconnecting…";
  badge.classList.toggle("down", !e.detail.connected);
});
live.start();
document.body.dataset.ready = "true";
