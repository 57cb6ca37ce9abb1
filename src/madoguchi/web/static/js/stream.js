// The live event stream: register → snapshot (or replay after a drop) → events.
// Reconnects by itself and resumes from the last event it saw, so a network blip loses nothing.
// Events come in array frames ([{id, event}, ...], the events since the server's last send, in
// order); control messages (snapshot, resumed, lagged, pong) are objects with a type.

export class LiveStream extends EventTarget {
  constructor(path = "/api/v1/stream") {
    super();
    this.path = path;
    this.lastEventId = null;
    this.socket = null;
    this.retry = 0;
    this.closed = false;
    this.connected = false;
  }

  start() {
    this.closed = false;
    this._connect();
    this._ping = setInterval(() => this._send({ type: "ping" }), 20000);
    return this;
  }

  stop() {
    this.closed = true;
    clearInterval(this._ping);
    if (this.socket) this.socket.close();
  }

  _send(message) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }

  _connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}${this.path}`);
    this.socket = socket;
    socket.addEventListener("open", () => {
      socket.send(JSON.stringify({ type: "register", last_event_id: this.lastEventId }));
    });
    socket.addEventListener("message", (message) => this._receive(JSON.parse(message.data)));
    socket.addEventListener("close", (closing) => {
      this._setConnected(false);
      if (this.closed) return;
      if (closing.code === 4001) {
        location.href = "/login?next=" + encodeURIComponent(location.pathname);
        return;
      }
      const delay = Math.min(5000, 250 * 2 ** this.retry++);
      setTimeout(() => this._connect(), delay);
    });
  }

  _receive(message) {
    if (Array.isArray(message)) {
      for (const item of message) {
        if (this.lastEventId !== null && item.id <= this.lastEventId) continue;
        this.lastEventId = item.id;
        this.dispatchEvent(new CustomEvent("event", { detail: { id: item.id, ...item.event } }));
      }
      return;
    }
    switch (message.type) {
      case "snapshot":
        this.lastEventId = message.last_event_id;
        this.retry = 0;
        this._setConnected(true);
        this.dispatchEvent(new CustomEvent("snapshot", { detail: message }));
        break;
      case "resumed":
        this.retry = 0;
        this._setConnected(true);
        this.dispatchEvent(new CustomEvent("resumed", { detail: message }));
        break;
      case "lagged":
        // too far behind to replay: start over from a fresh snapshot
        this.lastEventId = null;
        break;
      default:
        break;
    }
  }

  _setConnected(value) {
    if (this.connected === value) return;
    this.connected = value;
    this.dispatchEvent(new CustomEvent("connection", { detail: { connected: value } }));
  }
}
