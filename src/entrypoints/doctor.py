"""`starport doctor`: everything an operator gets wrong, checked against the real services (or
the sandbox), one line per check. A failed check names the setting or the command that fixes
it; the exit code is 1 when any check failed."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx

from starport.adapters.telegram.currencies import limits
from starport.adapters.telegram.errors import TelegramBadRequest, TelegramForbidden
from starport.adapters.telegram.invoices import LabeledPrice
from starport.domain.errors import DomainError
from starport.domain.money import CryptoAmount, FiatAmount, minor_units
from starport.domain.providers import Provider
from starport.entrypoints.checks import database_state
from starport.entrypoints.config import StarportConfig
from starport.entrypoints.failures import known_failure
from starport.entrypoints.runtime import Runtime
from starport.entrypoints.telegram.bot_commands import BOT_COMMANDS
from starport.entrypoints.telegram.polling import ALLOWED_UPDATES

TIMEOUT = 10.0
OK, WARN, FAIL, SKIP = "ok", "warn", "FAIL", "skip"
# Said here once, not by each of these as well:
QUIET = ("starport.adapters.telegram.client", "starport.adapters.cryptopay.transport", "httpx")
# What perks need of the bot in the channel: invite links, and removing those who left.
CHANNEL_RIGHTS = ("can_invite_users", "can_restrict_members")


@dataclass(frozen=True)
class Check:
    status: str  # OK, WARN or FAIL
    name: str
    detail: str

    def line(self) -> str:
        return f"{self.status:4}  {self.name}: {self.detail}"


Probe = Callable[[StarportConfig, Runtime], Awaitable[list[Check]]]


def _database(config: StarportConfig) -> list[Check]:
    if config.starport_repository != "sql":
        return [Check(WARN, "database", "STARPORT_REPOSITORY=memory: nothing is kept across "
                                        "restarts")]
    current, head = database_state(config)
    if current != head:
        return [Check(FAIL, "database", f"at migration {current or 'none'}, this Starport needs "
                                        f"{head}: run `starport db upgrade`")]
    return [Check(OK, "database", f"reachable, at the latest migration ({head})")]


async def _catalog(config: StarportConfig, runtime: Runtime) -> list[Check]:
    enabled = [Provider(name) for name in config.providers]
    packages = runtime.deps.catalog.active()
    if not packages:
        return [Check(FAIL, "catalog", f"no package on sale in {config.starport_catalog}")]
    checks = []
    for provider in enabled:
        priced = []
        for package in packages:
            try:
                package.price_for(provider)
                priced.append(package.id)
            except DomainError:
                pass
        status = OK if priced else FAIL
        detail = (f"{len(priced)} of {len(packages)} packages can be bought with {provider}"
                  if priced else f"no package has a price for {provider} (PAYMENT_PROVIDERS "
                                 f"enables it): add one to STARPORT_CATALOG")
        checks.append(Check(status, f"catalog ({provider})", detail))
    return checks


async def _bot(config: StarportConfig, runtime: Runtime) -> list[Check]:
    me = await runtime.telegram.get_me()
    username = me.get("username", "")
    checks = [Check(OK, "bot token", f"valid: @{username} (id {me.get('id')})")]
    wanted = config.telegram_bot_username
    if wanted and wanted.lstrip("@").lower() != username.lower():
        checks.append(Check(FAIL, "bot username", f"TELEGRAM_BOT_USERNAME is {wanted}, the "
                                                  f"token is @{username}'s: deep links would "
                                                  f"open the wrong bot"))
    return checks


async def _webhook(config: StarportConfig, runtime: Runtime) -> list[Check]:
    info = await runtime.telegram.get_webhook_info()
    url = info.get("url") or ""
    if not config.starport_public_url:
        if url:
            return [Check(FAIL, "webhook", f"set to {url}, but STARPORT_PUBLIC_URL is not set: "
                                           "set it, or `starport telegram delete-webhook` to "
                                           "poll")]
        return [Check(WARN, "webhook", "none (STARPORT_PUBLIC_URL not set): only `starport "
                                       "poll` receives updates")]
    expected = f"{config.starport_public_url.rstrip('/')}/api/telegram/webhook"
    checks = []
    if url != expected:
        checks.append(Check(FAIL, "webhook", f"set to {url or 'nothing'}, expected {expected}: "
                                             f"run `starport telegram set-webhook {expected}`"))
    else:
        checks.append(Check(OK, "webhook", f"{url} (its secret cannot be read back: set it "
                                           "with `starport telegram set-webhook`)"))
    allowed = info.get("allowed_updates")
    missing = sorted(set(ALLOWED_UPDATES) - set(allowed)) if allowed else []
    if missing:
        checks.append(Check(FAIL, "webhook updates", f"{', '.join(missing)} not delivered: run "
                                                     f"`starport telegram set-webhook`"))
    pending = int(info.get("pending_update_count") or 0)
    error, when = info.get("last_error_message"), info.get("last_error_date")
    recent = bool(error and when and time.time() - int(when) < 3600)
    detail = f"{pending} pending" + (f"; last error {error!r}" if error else "")
    checks.append(Check(WARN if recent or pending > 100 else OK, "webhook deliveries", detail))
    return checks


async def _commands(config: StarportConfig, runtime: Runtime) -> list[Check]:
    if config.starport_bot_mode == "payments":
        return [Check(OK, "bot commands", "STARPORT_BOT_MODE=payments: your own bot's")]
    found = {c.get("command") for c in await runtime.telegram.get_my_commands()}
    missing = [name for name, _ in BOT_COMMANDS if name not in found]
    if missing:
        return [Check(WARN, "bot commands", f"/{', /'.join(missing)} not in the menu: run "
                                            "`starport telegram set-commands`")]
    return [Check(OK, "bot commands", "the menu lists every command")]


async def _menu_button(config: StarportConfig, runtime: Runtime) -> list[Check]:
    wanted = config.starport_miniapp_url
    if config.starport_bot_mode == "payments":
        return [Check(OK, "menu button", "STARPORT_BOT_MODE=payments: your own bot's")]
    if not wanted:
        return [Check(OK, "menu button", "STARPORT_MINIAPP_URL not set: the menu button opens "
                                         "no Mini App")]
    button = await runtime.telegram.get_chat_menu_button()
    url = (button.get("web_app") or {}).get("url")
    if button.get("type") != "web_app" or url != wanted:
        found = url or button.get("type")
        return [Check(WARN, "menu button", f"opens {found}, not STARPORT_MINIAPP_URL ({wanted}): "
                                           "run `starport telegram set-commands`")]
    return [Check(OK, "menu button", f"{button.get('text')!r} opens {wanted}")]


async def _channel(config: StarportConfig, runtime: Runtime) -> list[Check]:
    channel = config.telegram_channel_id
    if channel is None:
        return [Check(OK, "channel", "TELEGRAM_CHANNEL_ID not set: no paid-channel perks")]
    me = await runtime.telegram.get_me()
    member = await runtime.telegram.get_chat_member(channel, int(me["id"]))
    if member.get("status") == "creator":
        return [Check(OK, "channel", f"the bot owns {channel}")]
    if member.get("status") != "administrator":
        return [Check(FAIL, "channel", f"the bot is {member.get('status')} in {channel}: make "
                                       f"it an administrator")]
    lacking = [right for right in CHANNEL_RIGHTS if not member.get(right)]
    if lacking:
        return [Check(FAIL, "channel", f"the bot lacks {', '.join(lacking)} in {channel}")]
    return [Check(OK, "channel", f"the bot administers {channel} with the rights perks need")]


async def _support(config: StarportConfig, runtime: Runtime) -> list[Check]:
    """The support chat is a group the bot can post in (agents answer by replying there)."""
    chat_id = config.starport_support_chat_id
    if config.starport_bot_mode == "payments":
        return [Check(OK, "support chat", "STARPORT_BOT_MODE=payments: support is your own "
                                          "bot's")]
    if chat_id is None:
        return [Check(OK, "support chat", "STARPORT_SUPPORT_CHAT_ID not set: /support says "
                                          "where to write (STARPORT_SUPPORT_CONTACT)")]
    chat = await runtime.telegram.get_chat(chat_id)
    if chat.get("type") not in ("group", "supergroup"):
        return [Check(FAIL, "support chat", f"{chat_id} is a {chat.get('type')}, not a group: "
                                            f"agents could not reply there")]
    me = await runtime.telegram.get_me()
    try:
        member = await runtime.telegram.get_chat_member(chat_id, int(me["id"]))
    except (TelegramBadRequest, TelegramForbidden):  # Telegram's word for "not a member"
        member = {"status": "left"}
    status, title = member.get("status"), chat.get("title", chat_id)
    posts = status in ("creator", "administrator", "member") or (
        status == "restricted" and member.get("is_member") and member.get("can_send_messages"))
    if not posts:
        return [Check(FAIL, "support chat", f"the bot is {status} in {title!r} ({chat_id}): "
                                            f"add it to the group, able to send messages")]
    return [Check(OK, "support chat", f"the bot is {status} in {title!r} ({chat_id}): users' "
                                      f"messages are relayed there")]


async def _cryptopay(config: StarportConfig, runtime: Runtime) -> list[Check]:
    if "cryptopay" not in config.providers or runtime.cryptopay is None:
        return []
    app = await runtime.cryptopay.get_me()
    checks = [Check(OK, "crypto pay token", f"valid: app {app.name!r}"),
              await _cryptopay_assets(config, runtime)]
    if not config.starport_public_url:
        checks.append(Check(WARN, "crypto pay webhook", "STARPORT_PUBLIC_URL not set: Crypto "
                                                        "Pay cannot reach the webhook"))
        return checks
    url = f"{config.starport_public_url.rstrip('/')}/healthz"
    async with httpx.AsyncClient(timeout=TIMEOUT, trust_env=False) as http:
        answer = await http.get(url)
    checks.append(Check(OK if answer.status_code == 200 else FAIL, "crypto pay webhook",
                        f"{config.starport_public_url} answers ({answer.status_code}); set "
                        f"{config.starport_public_url.rstrip('/')}/api/cryptopay/webhook as the "
                        f"app's webhook in @CryptoBot"))
    return checks


async def _cryptopay_assets(config: StarportConfig, runtime: Runtime) -> Check:
    """Every Crypto Pay price in an asset or a fiat currency Crypto Pay has (getCurrencies),
    and CRYPTOPAY_ACCEPTED_ASSETS its crypto assets."""
    currencies = await runtime.cryptopay.get_currencies()
    crypto = {c.code for c in currencies if not c.is_fiat}
    fiat = {c.code for c in currencies if c.is_fiat}
    problems = []
    for package in runtime.deps.catalog.active():
        price = package.prices.get(Provider.CRYPTOPAY)
        if isinstance(price, CryptoAmount) and price.asset not in crypto:
            problems.append(f"package {package.id}: Crypto Pay has no asset {price.asset}")
        elif isinstance(price, FiatAmount) and price.code not in fiat:
            problems.append(f"package {package.id}: Crypto Pay prices nothing in {price.code}")
    unknown = [code for code in config.accepted_assets if code not in crypto]
    if unknown:
        problems.append(f"CRYPTOPAY_ACCEPTED_ASSETS: Crypto Pay has no asset {unknown[0]} "
                        f"(it has {', '.join(sorted(crypto))})")
    if problems:
        return Check(FAIL, "crypto pay assets", "; ".join(problems))
    return Check(OK, "crypto pay assets", "every Crypto Pay price and accepted asset is one "
                                          "Crypto Pay has")


async def _cards(config: StarportConfig, runtime: Runtime) -> list[Check]:
    """The payment provider's token, as Telegram judges it: an invoice link for the smallest
    amount of the first card price (a link is only a link: nothing is charged)."""
    if "telegram_payments" not in config.providers:
        return []
    prices = [p.prices[Provider.TELEGRAM_PAYMENTS] for p in runtime.deps.catalog.active()
              if Provider.TELEGRAM_PAYMENTS in p.prices]
    if not prices:
        return []  # the catalog check says so
    known = limits(prices[0].currency)
    amount = known.min_amount if known is not None else minor_units(prices[0])
    try:
        await runtime.telegram.create_invoice_link(
            title="Starport doctor", description="checks the payment provider token",
            payload="starport-doctor", prices=[LabeledPrice("check", amount)],
            currency=prices[0].currency,
            provider_token=config.telegram_payments_provider_token)
    except TelegramBadRequest as exc:
        return [Check(FAIL, "card payments", f"Telegram refused TELEGRAM_PAYMENTS_PROVIDER_TOKEN "
                                             f"({exc.description}): copy it again from "
                                             f"@BotFather > Payments")]
    return [Check(OK, "card payments", f"Telegram takes the payment provider token "
                                       f"({prices[0].currency} invoices)")]


# (name, probe, the check it needs to have passed: the Bot API checks need a working token)
PROBES: list[tuple[str, Probe, str | None]] = [
    ("catalog", _catalog, None), ("bot token", _bot, None), ("webhook", _webhook, "bot token"),
    ("bot commands", _commands, "bot token"), ("menu button", _menu_button, "bot token"),
    ("channel", _channel, "bot token"), ("support chat", _support, "bot token"),
    ("crypto pay", _cryptopay, None), ("card payments", _cards, "bot token"),
]


async def run_checks(config: StarportConfig, runtime: Runtime) -> list[Check]:
    quiet = [logging.getLogger(name) for name in QUIET]
    levels = [logger.level for logger in quiet]
    for logger in quiet:
        logger.setLevel(logging.CRITICAL)
    try:
        return await _run(config, runtime)
    finally:
        for logger, level in zip(quiet, levels, strict=True):
            logger.setLevel(level)


async def _run(config: StarportConfig, runtime: Runtime) -> list[Check]:
    try:
        checks = await asyncio.to_thread(_database, config)
    except Exception as exc:
        checks = [Check(FAIL, "database", _reason(exc))]
    failed: set[str] = set()
    for name, probe, needs in PROBES:
        if needs in failed:
            checks.append(Check(SKIP, name, f"needs the {needs} check to pass"))
            continue
        try:
            checks += await asyncio.wait_for(probe(config, runtime), TIMEOUT * 2)
        except Exception as exc:
            failed.add(name)
            checks.append(Check(FAIL, name, _reason(exc)))
    return checks


def _reason(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return f"no answer in {TIMEOUT * 2:g} s"
    return known_failure(exc) or f"{type(exc).__name__}: {exc}"


def hint(config: StarportConfig, checks: list[Check]) -> str | None:
    """In sandbox mode the emulators live in `starport serve`: say so when they do not answer."""
    down = any(c.status == FAIL and c.name == "bot token" for c in checks)
    if config.sandbox and down:
        return ("the sandbox Telegram lives in `starport serve` (or `make run`): start it, "
                "then run doctor again with the same settings")
    return None


def as_json(checks: list[Check]) -> list[dict[str, Any]]:
    return [{"status": c.status, "check": c.name, "detail": c.detail} for c in checks]
