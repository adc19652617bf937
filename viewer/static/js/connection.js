// A websocket that reconnects by itself: exponential backoff (0.5 s doubling up to 10 s), the wait shown on the
// page through onStatus, and a hook (onOpen) so the page can resume its seat with the stored token.

export class GameSocket {
  constructor(path, { onMessage, onStatus, onOpen }) {
    this.path = path;
    this.onMessage = onMessage;
    this.onStatus = onStatus;
    this.onOpen = onOpen;
    this.attempt = 0;
    this.ws = null;
    this.stopped = false;
    this.timer = null;
  }

  url() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    return `${scheme}//${location.host}${this.path}`;
  }

  connect() {
    if (this.stopped) return;
    this.onStatus({ state: this.attempt ? "reconnecting" : "connecting", attempt: this.attempt });
    const ws = new WebSocket(this.url());
    this.ws = ws;
    ws.addEventListener("open", () => {
      this.attempt = 0;
      this.onStatus({ state: "connected" });
      if (this.onOpen) this.onOpen();
    });
    ws.addEventListener("message", (event) => {
      let obj;
      try {
        obj = JSON.parse(event.data);
      } catch {
        this.onStatus({ state: "error", message: "the server sent something that is not JSON" });
        return;
      }
      this.onMessage(obj);
    });
    ws.addEventListener("close", () => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.stopped) return;
      this.scheduleReconnect();
    });
  }

  scheduleReconnect() {
    const delay = Math.min(10000, 500 * 2 ** this.attempt);
    this.attempt += 1;
    const due = performance.now() + delay;
    const countdown = () => {
      const left = Math.max(0, due - performance.now());
      this.onStatus({ state: "waiting", attempt: this.attempt, seconds: Math.ceil(left / 1000) });
      if (left <= 0) {
        this.timer = null;
        this.connect();
      } else {
        this.timer = setTimeout(countdown, Math.min(left, 1000));
      }
    };
    countdown();
  }

  /** Drop this connection and open a fresh one at once (the server then sends the whole game again). */
  resync() {
    if (this.stopped) return;
    this.attempt = 0;
    if (this.ws) this.ws.close();  // the close handler reconnects
    else this.connect();
  }

  get open() { return this.ws !== null && this.ws.readyState === WebSocket.OPEN; }

  send(obj) {
    if (!this.open) return false;
    this.ws.send(JSON.stringify(obj));
    return true;
  }

  /**
   * The stream is complete (a replay's result arrived): never reconnect, but leave the socket for the server
   * or the page's unload to close (closing it from here races the server's own close on some servers).
   */
  settle() {
    this.stopped = true;
  }

  /** Stop for good: the room is gone or the page shows something else. */
  stop() {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      ws.close();
    }
  }
}
