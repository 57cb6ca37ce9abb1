// <mdg-softphone>: the WebRTC softphone in the page.
//
// Interface (for the telephony wiring):
//   element.connect()      — microphone → RTCPeerConnection (PCMU preferred, so the server's
//                            aiortc gets 8 kHz frames and bridges to SIP without resampling);
//                            the offer (ICE gathered) is POSTed to /api/v1/softphone/session and
//                            the server's answer applied. One audio session lasts the whole shift.
//   element.disconnect()   — DELETE /api/v1/softphone/session and close the connection.
//   element.sendDigit("5") — keypad tones as data-channel messages {"digit": "5"}
//                            (aiortc does not negotiate telephone-event).
//   A page reload reconnects by itself when the phone was connected (sessionStorage flag
//   "mdg-softphone"; the server replaces the old session and keeps the call attached).
//   events: "softphone-state" with detail.state in idle | connecting | connected | failed | unavailable
// The server side is the `softphone` hook of create_app (madoguchi.api.softphone).
import { api } from "./api.js";
import { t, translate } from "./i18n.js";

const REMEMBER_KEY = "mdg-softphone";

class SoftphoneElement extends HTMLElement {
  connectedCallback() {
    this.classList.add("panel");
    this.state = "idle";
    this.innerHTML = `
      <h2 data-i18n="phone.title"></h2>
      <p><span class="badge" id="phone-state"></span></p>
      <div class="row">
        <button type="button" id="phone-connect" data-i18n="phone.connect"></button>
        <button type="button" id="phone-disconnect" data-i18n="phone.disconnect"></button>
      </div>
      <div class="row" id="keypad" data-gap="small"></div>
      <audio id="phone-audio" autoplay></audio>`;
    const keypad = this.querySelector("#keypad");
    for (const digit of "123456789*0#") {
      const key = document.createElement("button");
      key.type = "button";
      key.textContent = digit;
      key.addEventListener("click", () => this.sendDigit(digit));
      keypad.append(key);
    }
    translate(this);
    this.querySelector("#phone-connect").addEventListener("click", () => this.connect());
    this.querySelector("#phone-disconnect").addEventListener("click", () => this.disconnect());
    document.addEventListener("languagechange", () => this._render());
    this._render();
    if (sessionStorage.getItem(REMEMBER_KEY) === "connected") this.connect();
  }

  async connect() {
    if (this.pc) return;
    this._set("connecting");
    try {
      const media = await navigator.mediaDevices.getUserMedia({ audio: true });
      const pc = new RTCPeerConnection();
      this.pc = pc;
      const transceiver = pc.addTransceiver(media.getAudioTracks()[0], { direction: "sendrecv" });
      const codecs = RTCRtpReceiver.getCapabilities("audio").codecs;
      const pcmu = codecs.filter((c) => c.mimeType.toLowerCase() === "audio/pcmu");
      if (pcmu.length && transceiver.setCodecPreferences) {
        transceiver.setCodecPreferences([...pcmu, ...codecs.filter((c) => !pcmu.includes(c))]);
      }
      this.keypad = pc.createDataChannel("keypad");
      pc.addEventListener("track", (e) => {
        this.querySelector("#phone-audio").srcObject = e.streams[0] || new MediaStream([e.track]);
      });
      pc.addEventListener("connectionstatechange", () => {
        if (pc.connectionState === "connected") {
          sessionStorage.setItem(REMEMBER_KEY, "connected");
          this._set("connected");
        }
        if (["failed", "closed"].includes(pc.connectionState)) this._set("failed");
      });
      await pc.setLocalDescription(await pc.createOffer());
      await this._iceGathered(pc);
      const answer = await api("/api/v1/softphone/session", {
        method: "POST",
        body: { type: "offer", sdp: pc.localDescription.sdp },
      });
      await pc.setRemoteDescription(answer);
    } catch (failure) {
      this._close();
      if (failure.errorId === "softphone-unavailable") sessionStorage.removeItem(REMEMBER_KEY);
      this._set(failure.errorId === "softphone-unavailable" ? "unavailable" : "failed");
    }
  }

  async disconnect() {
    sessionStorage.removeItem(REMEMBER_KEY);
    this._close();
    this._set("idle");
    try {
      await api("/api/v1/softphone/session", { method: "DELETE" });
    } catch {
      /* already gone */
    }
  }

  sendDigit(digit) {
    if (this.keypad && this.keypad.readyState === "open") this.keypad.send(JSON.stringify({ digit }));
  }

  _iceGathered(pc) {
    if (pc.iceGatheringState === "complete") return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => {
        if (pc.iceGatheringState === "complete") {
          pc.removeEventListener("icegatheringstatechange", check);
          resolve();
        }
      };
      pc.addEventListener("icegatheringstatechange", check);
      setTimeout(resolve, 3000);
    });
  }

  _close() {
    if (this.pc) {
      for (const sender of this.pc.getSenders()) if (sender.track) sender.track.stop();
      this.pc.close();
    }
    this.pc = null;
    this.keypad = null;
  }

  _set(state) {
    this.state = state;
    this._render();
    this.dispatchEvent(new CustomEvent("softphone-state", { detail: { state }, bubbles: true }));
  }

  _render() {
    const badge = this.querySelector("#phone-state");
    if (!badge) return;
    badge.textContent = t(`phone.${this.state}`);
    this.querySelector("#phone-connect").disabled = !["idle", "failed", "unavailable"].includes(this.state);
    this.querySelector("#phone-disconnect").disabled = ["idle", "unavailable"].includes(this.state);
  }
}
customElements.define("mdg-softphone", SoftphoneElement);
