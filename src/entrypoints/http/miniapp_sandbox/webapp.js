/*
 * A stand-in for Telegram's WebApp (telegram-web-app.js), served only by a Starport running
 * the sandbox: the Mini App then works in a plain browser. `SandboxTelegram.start()` makes a
 * sandbox user, gets initData for them signed with the sandbox bot's token (as Telegram would
 * give it), and resolves with `Telegram.WebApp`. openInvoice shows a payment sheet and pays
 * through the sandbox Telegram, as that user; openLink opens a window (Crypto Pay's sandbox
 * payment page).
 */
(function () {
  const origin = new URL(document.currentScript.src).origin;
  const control = `${origin}/sandbox/telegram/_sandbox`;

  async function post(url, body) {
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    const data = await response.json();
    if (!response.ok || data.ok === false) {
      throw new Error((data.error && (data.error.message || data.error)) || response.statusText);
    }
    return data;
  }

  // Telegram's payment sheet, in short: Pay or Cancel.
  function sheet(text) {
    return new Promise((resolve) => {
      const box = document.createElement("div");
      box.id = "sandbox-invoice";
      box.setAttribute("role", "dialog");
      box.style.cssText = "position:fixed;inset:auto 0 0 0;padding:1rem;background:#fff;"
        + "box-shadow:0 -2px 12px rgba(0,0,0,.2);font:16px system-ui,sans-serif;color:#17212b";
      const label = document.createElement("p");
      label.textContent = text;
      const pay = document.createElement("button");
      pay.textContent = "Pay";
      const cancel = document.createElement("button");
      cancel.textContent = "Cancel";
      cancel.style.marginLeft = ".5rem";
      pay.onclick = () => { box.remove(); resolve(true); };
      cancel.onclick = () => { box.remove(); resolve(false); };
      box.append(label, pay, cancel);
      document.body.append(box);
    });
  }

  const webApp = {
    initData: "",
    initDataUnsafe: {},
    version: "9.0",
    platform: "unknown", // as Telegram's script says outside a Telegram client
    colorScheme: "light",
    themeParams: {},
    isExpanded: true,
    ready() {},
    expand() {},
    close() { window.close(); },
    openLink(url) { window.open(url, "_blank"); },
    openTelegramLink(url) { window.open(url, "_blank"); },
    openInvoice(url, callback) {
      const userId = webApp.initDataUnsafe.user.id;
      sheet(`Sandbox Telegram: pay this invoice as user ${userId}?`).then(async (confirmed) => {
        if (!confirmed) return "cancelled";
        try {
          const { result } = await post(`${control}/users/${userId}/pay`, { invoice_link: url });
          return result.status === "paid" ? "paid" : "failed";
        } catch (error) {
          console.error("sandbox payment:", error);
          return "failed";
        }
      }).then((status) => callback && callback(status));
    },
  };

  window.Telegram = { WebApp: webApp };
  window.SandboxTelegram = {
    async start({ userId, firstName }) {
      await post(`${control}/users`, { id: userId, first_name: firstName, started: true });
      const minted = await post(`${origin}/sandbox/miniapp/init-data`,
                                { id: userId, firstName });
      webApp.initData = minted.initData;
      webApp.initDataUnsafe = Object.fromEntries(new URLSearchParams(minted.initData));
      webApp.initDataUnsafe.user = minted.user;
      webApp.initDataUnsafe.auth_date = Number(webApp.initDataUnsafe.auth_date);
      return webApp;
    },
  };
})();
