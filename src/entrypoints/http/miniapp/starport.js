/**
 * starport.js: Starport's host API from a Telegram Mini App, on top of fetch.
 * One ES module, no dependencies, no build step: copy it into your Mini App.
 *
 *   import { Starport } from "./starport.js";
 *
 *   const webApp = window.Telegram.WebApp;          // https://telegram.org/js/telegram-web-app.js
 *   const starport = new Starport({ baseUrl: "https://pay.example.com", initData: webApp.initData });
 *   const packages = await starport.listPackages();  // [{id, title, credits, prices: {...}}]
 *   const session = await starport.createSession({ packageId: "starter",
 *                                                  paymentMethod: "telegram_stars" });
 *   const opened = await starport.openInvoice(session, webApp);  // "paid", "cancelled"...
 *   if (opened !== "cancelled" && opened !== "failed") {
 *     const done = await starport.waitForSession(session.sessionId);  // done.status === "paid"
 *   }
 *   const { balance } = await starport.getBalance();
 *
 * Every request carries `Authorization: tma <initData>`: Starport checks Telegram's signature
 * and acts for that Telegram user only (or the host user it is linked to). A page served from
 * another origin than Starport's needs that origin in STARPORT_CORS_ORIGINS.
 *
 * Credits are granted by Starport when the payment provider confirms the payment, never by the
 * page: Telegram's "paid" in openInvoice's callback only means "ask Starport now", which is
 * what waitForSession does.
 */

/** Statuses after which a session no longer changes by itself. */
export const FINISHED = ["paid", "failed", "expired", "cancelled", "refunded"];

/** An error answer of the API: `status` (HTTP), `code` (e.g. "invalid_init_data"), message. */
export class StarportError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = "StarportError";
    this.status = status;
    this.code = code;
  }
}

export class Starport {
  /**
   * @param {object} options
   * @param {string} [options.baseUrl] Starport's URL, e.g. "https://pay.example.com" ("" for
   *   the page's own origin)
   * @param {string} options.initData Telegram.WebApp.initData, unchanged
   * @param {typeof fetch} [options.fetch] another fetch (tests)
   */
  constructor({ baseUrl = "", initData, fetch = globalThis.fetch.bind(globalThis) }) {
    if (!initData) {
      throw new Error("initData is empty: open the page from Telegram (Telegram.WebApp.initData)");
    }
    this.baseUrl = baseUrl.replace(/\/+$/, "");
    this.initData = initData;
    this.fetch = fetch;
  }

  /** The Telegram user id this initData speaks for. */
  get telegramUserId() {
    const user = new URLSearchParams(this.initData).get("user");
    return user ? JSON.parse(user).id : null;
  }

  async request(method, path, body, headers = {}) {
    const response = await this.fetch(this.baseUrl + path, {
      method,
      headers: {
        Authorization: `tma ${this.initData}`,
        ...(body === undefined ? {} : { "Content-Type": "application/json" }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      const error = data.error || {};
      throw new StarportError(response.status, error.code || "http_error",
                              error.message || `HTTP ${response.status}`);
    }
    return data;
  }

  /** What is on sale: prices by payment method ("telegram_stars": 50, "cryptopay": {...}). */
  listPackages() {
    return this.request("GET", "/api/packages");
  }

  /**
   * Open a payment session for this user. paymentMethod: "telegram_stars", "cryptopay" or
   * "telegram_payments". idempotencyKey (optional): a retry with the same key gets the same
   * session back instead of a second one.
   */
  createSession({ packageId, paymentMethod, idempotencyKey }) {
    const headers = idempotencyKey ? { "Idempotency-Key": idempotencyKey } : {};
    return this.request("POST", "/api/payments/create-session", { packageId, paymentMethod },
                        headers);
  }

  getSession(sessionId) {
    return this.request("GET", `/api/payments/sessions/${encodeURIComponent(sessionId)}`);
  }

  /**
   * Show the session's invoice. Telegram Stars and cards: Telegram's payment sheet
   * (WebApp.openInvoice); resolves with its status: "paid", "cancelled", "failed" or
   * "pending". Crypto Pay: Crypto Bot's Mini App inside Telegram (openTelegramLink), its web
   * page elsewhere (openLink); resolves with "opened" at once: Crypto Pay says nothing back.
   * @param {object} [options]
   * @param {"auto"|"telegram"|"web"} [options.cryptoPay] where a Crypto Pay invoice opens
   */
  openInvoice(session, webApp, { cryptoPay = "auto" } = {}) {
    if (session.invoiceLink) {
      return new Promise((resolve) => webApp.openInvoice(session.invoiceLink, resolve));
    }
    const inTelegram = cryptoPay === "telegram"
      || (cryptoPay === "auto" && webApp.platform && webApp.platform !== "unknown");
    if (inTelegram && session.miniAppUrl) {
      webApp.openTelegramLink(session.miniAppUrl);
    } else {
      webApp.openLink(session.webAppUrl || session.payUrl);
    }
    return Promise.resolve("opened");
  }

  /**
   * Ask Starport until the session is paid, failed, expired or cancelled (or timeoutMs has
   * passed: the session is then returned as it stands, still open).
   */
  async waitForSession(sessionId, { intervalMs = 1500, timeoutMs = 10 * 60 * 1000,
                                    onUpdate, signal } = {}) {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const session = await this.getSession(sessionId);
      if (onUpdate) onUpdate(session);
      if (FINISHED.includes(session.status) || Date.now() >= until) return session;
      if (signal && signal.aborted) throw signal.reason;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }

  /** {userId, balance, debt} of this user (a Mini App reads only its own). */
  getBalance(userId = this.telegramUserId) {
    return this.request("GET", `/api/users/${encodeURIComponent(userId)}/balance`);
  }
}
