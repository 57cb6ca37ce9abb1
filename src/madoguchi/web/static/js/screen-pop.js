// <mdg-screen-pop>: the customer found by caller number or customer number, with history.
import { api, esc } from "./api.js";
import { t, translate } from "./i18n.js";

class ScreenPopElement extends HTMLElement {
  connectedCallback() {
    this.classList.add("panel");
    this.innerHTML = `
      <h2 data-i18n="pop.title"></h2>
      <form class="row" id="pop-search">
        <input id="pop-query" data-i18n-attr="placeholder:pop.search_hint;aria-label:pop.search_hint" data-grow>
        <button type="submit" data-i18n="pop.search"></button>
      </form>
      <div id="pop-body"><p class="muted" data-i18n="pop.empty"></p></div>`;
    translate(this);
    this.querySelector("#pop-search").addEventListener("submit", (e) => {
      e.preventDefault();
      const q = this.querySelector("#pop-query").value.trim();
      if (!q) return;
      const byPhone = /^[+0-9()\-\s]{6,}$/.test(q);
      this.lookup(byPhone ? { phone: q } : { number: q }, "search");
    });
    document.addEventListener("languagechange", () => this.render());
  }

  /** Look up by {phone, number, customer_id, contact_id}; the server audits the read. */
  async lookup(keys, purpose = "screen_pop") {
    const params = new URLSearchParams({ purpose });
    for (const [k, v] of Object.entries(keys)) {
      if (v === undefined || v === null || v === "") continue;
      if (k === "customer_id" && !/^[1-9][0-9]*$/.test(String(v))) continue;
      params.set(k, v);
    }
    try {
      this.data = await api(`/api/v1/screen-pop?${params}`);
    } catch (failure) {
      this.data = { error: failure.message };
    }
    this.render();
    this.dispatchEvent(new CustomEvent("customer", { detail: { customer: this.data && this.data.customer } }));
  }

  clear() {
    this.data = null;
    this.render();
  }

  get customerId() {
    return this.data && this.data.customer ? this.data.customer.id : null;
  }

  render() {
    const body = this.querySelector("#pop-body");
    if (!body) return;
    const d = this.data;
    if (!d) {
      body.innerHTML = `<p class="muted">${esc(t("pop.empty"))}</p>`;
      return;
    }
    if (d.error) {
      body.innerHTML = `<p class="error">${esc(d.error)}</p>`;
      return;
    }
    if (!d.customer) {
      body.innerHTML = `<p id="pop-not-found">${esc(t("pop.not_found"))}</p>`;
      return;
    }
    const c = d.customer;
    const fields = Object.entries(c.fields || {}).map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join("");
    const follow = d.follow_ups.map((f) => `<li>${esc(f.due)} — ${esc(f.text)} <span class="muted">(${esc(f.assigned_to)})</span></li>`).join("");
    const items = d.timeline.map((i) => `
      <li data-kind="${esc(i.kind)}"><strong>${esc(new Date(i.at).toLocaleString(document.documentElement.lang))}</strong>
        ${esc(t("kind." + i.kind))}${i.channel ? " · " + esc(t("channel." + i.channel)) : ""}
        ${i.disposition ? ` · <span class="badge">${esc(i.disposition)}</span>` : ""}
        ${i.agent || i.author ? ` · ${esc(i.agent || i.author)}` : ""}
        ${i.text ? `<div>${esc(i.text)}</div>` : ""}
        ${i.kind === "contact" && i.channel === "voice" && i.contact_id ? `<button type="button" class="play-recording" data-rec="${esc(i.contact_id)}">${esc(t("rec.play"))}</button>` : ""}</li>`).join("");
    const others = d.candidates.length
      ? `<p class="muted">${esc(t("pop.candidates", { n: d.candidates.length }))}: ${d.candidates
          .map((o) => `<button type="button" class="pick" data-id="${o.id}">${esc(o.name)}</button>`).join(" ")}</p>`
      : "";
    body.innerHTML = `
      <h3 id="pop-name">${esc(c.name)} <span class="muted">${esc(c.name_kana)}</span></h3>
      ${others}
      <dl class="fields">
        <dt>${esc(t("pop.number"))}</dt><dd id="pop-number">${esc(c.customer_number)}</dd>
        <dt>${esc(t("pop.phone"))}</dt><dd>${esc(c.phone || "")}</dd>
        <dt>${esc(t("pop.email"))}</dt><dd>${esc(c.email || "")}</dd>
        <dt>${esc(t("pop.address"))}</dt><dd>${esc(c.address)}</dd>
        ${fields}
      </dl>
      <h3>${esc(t("pop.follow_ups"))}</h3>
      ${follow ? `<ul id="pop-follow-ups">${follow}</ul>` : `<p class="muted">—</p>`}
      <h3>${esc(t("pop.history"))}</h3>
      ${items ? `<ol class="timeline" id="pop-timeline">${items}</ol>` : `<p class="muted">—</p>`}
      <p class="muted" id="pop-rec-status" role="status"></p>
      <audio id="pop-player" class="player hidden" controls preload="none"></audio>`;
    // call recordings: the server lets an agent hear only the calls they handled (else 404)
    const player = body.querySelector("#pop-player");
    player.addEventListener("error", () => {
      if (player.getAttribute("src")) body.querySelector("#pop-rec-status").textContent = t("rec.none");
    });
    for (const play of body.querySelectorAll("button.play-recording")) {
      play.addEventListener("click", () => {
        body.querySelector("#pop-rec-status").textContent = t("rec.playing", { id: play.dataset.rec });
        player.classList.remove("hidden");
        player.src = `/api/v1/contacts/${encodeURIComponent(play.dataset.rec)}/recording?purpose=customer_service`;
        player.play().catch(() => {});
      });
    }
    for (const pick of body.querySelectorAll("button.pick")) {
      pick.addEventListener("click", () => this.lookup({ customer_id: pick.dataset.id }, "screen_pop"));
    }
  }
}
customElements.define("mdg-screen-pop", ScreenPopElement);
