// The example Mini App: lists the packages, buys one with Telegram Stars, a card or Crypto Pay,
// waits for Starport to confirm the payment and shows the balance. Built on starport.js.
import { Starport, StarportError } from "./starport.js";

const TELEGRAM_SCRIPT = "https://telegram.org/js/telegram-web-app.js";
const METHODS = {
  telegram_stars: (price) => `${price} Stars`,
  telegram_payments: (price) => `${price.amount} ${price.currency}`,
  cryptopay: (price) => `${price.amount} ${price.currency} (Crypto Pay)`,
};
const $ = (id) => document.getElementById(id);
const baseUrl = document.querySelector('meta[name="starport-url"]').content || location.origin;

function loadScript(src) {
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = src;
    script.onload = resolve;
    script.onerror = () => reject(new Error(`could not load ${src}`));
    document.head.append(script);
  });
}

// Telegram opens a Mini App with its launch data in the URL's fragment (#tgWebAppData=...):
// only then is Telegram's script worth loading. Elsewhere, a Starport running the sandbox
// serves a stand-in for it; a production one does not, and the page says where to open it.
async function telegramWebApp() {
  if (location.hash.includes("tgWebAppData")) {
    await loadScript(TELEGRAM_SCRIPT);
    return window.Telegram.WebApp;
  }
  try {
    await loadScript(`${baseUrl}/sandbox/miniapp/webapp.js`);
  } catch {
    return null;
  }
  const params = new URLSearchParams(location.search);
  return window.SandboxTelegram.start({
    userId: Number(params.get("user") || 10001),
    firstName: params.get("name") || "Sandbox",
  });
}

function say(text, kind = "") {
  $("status").textContent = text;
  $("status").className = kind;
}

async function showBalance(starport) {
  const { balance } = await starport.getBalance();
  $("balance").textContent = `${balance} credits`;
}

function showPackages(starport, webApp, packages) {
  const list = $("packages");
  list.replaceChildren();
  for (const pkg of packages) {
    const item = document.createElement("li");
    item.className = "package";
    const title = document.createElement("h2");
    title.textContent = pkg.title;
    const about = document.createElement("p");
    about.textContent = `${pkg.credits} credits${pkg.description ? ` · ${pkg.description}` : ""}`;
    const buy = document.createElement("div");
    buy.className = "buy";
    for (const [method, price] of Object.entries(pkg.prices)) {
      if (!METHODS[method]) continue;
      const button = document.createElement("button");
      button.textContent = METHODS[method](price);
      button.dataset.package = pkg.id;
      button.dataset.method = method;
      button.addEventListener("click", () => purchase(starport, webApp, pkg, method));
      buy.append(button);
    }
    item.append(title, about, buy);
    list.append(item);
  }
}

function busy(on) {
  for (const button of document.querySelectorAll("#packages button")) button.disabled = on;
}

async function purchase(starport, webApp, pkg, method) {
  busy(true);
  try {
    say("Opening the invoice…");
    const session = await starport.createSession({ packageId: pkg.id, paymentMethod: method,
                                                   idempotencyKey: crypto.randomUUID() });
    const opened = await starport.openInvoice(session, webApp);
    if (opened === "cancelled" || opened === "failed") {
      say(opened === "cancelled" ? "Payment cancelled." : "The payment failed.", "error");
      return;
    }
    say("Waiting for the payment…");
    const done = await starport.waitForSession(session.sessionId);
    if (done.status === "paid") {
      say(`Paid: ${done.credits} credits added.`, "done");
    } else {
      say(`Payment ${done.status}${done.failureReason ? `: ${done.failureReason}` : ""}.`,
          "error");
    }
    await showBalance(starport);
  } catch (error) {
    say(error instanceof StarportError ? error.message : String(error), "error");
  } finally {
    busy(false);
  }
}

async function main() {
  let webApp;
  try {
    webApp = await telegramWebApp();
  } catch (error) {
    say(`Telegram's WebApp could not start: ${error.message}`, "error");
    return;
  }
  if (!webApp || !webApp.initData) {
    say("Open this page from the bot in Telegram.", "error");
    return;
  }
  webApp.ready();
  webApp.expand();
  const starport = new Starport({ baseUrl, initData: webApp.initData });
  const user = webApp.initDataUnsafe.user || {};
  $("who").textContent = user.first_name ? `Hello, ${user.first_name}` : "";
  try {
    await showBalance(starport);
    showPackages(starport, webApp, await starport.listPackages());
    say("Choose a package.");
  } catch (error) {
    say(error.message, "error");
  }
}

main();
