"""The operator's configuration: environment variables (and a `.env` file), checked at start."""

from __future__ import annotations

import base64
import re
import secrets
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Literal

from pydantic import Field, PrivateAttr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from starport.adapters.telegram.fiat_invoices import TOKEN_SHAPE
from starport.domain.errors import InvalidLanguage
from starport.domain.languages import language
from starport.domain.limits import PaymentLimits

DEFAULT_CATALOG = Path(__file__).resolve().parent.parent / "adapters" / "data" / "catalog.toml"
SANDBOX_BOT_TOKEN = "123456789:SANDBOXsandboxSANDBOXsandboxSANDBOXs"
SANDBOX_CRYPTOPAY_TOKEN = "12345:SANDBOXcryptopaySANDBOXcryptopay"
SANDBOX_CARD_TOKEN = "284685063:TEST:sandbox"  # the sandbox's payment provider (cards)
ORIGIN_SHAPE = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?")  # as browsers send Origin
KNOWN_PROVIDERS = ("telegram_stars", "cryptopay", "telegram_payments")


ADMIN_NAME = re.compile(r"[a-z0-9._-]{1,40}")
RESERVED_NAMES = frozenset({"host_app", "cli"})

class StarportConfig(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)
    _generated_admin_token: bool = PrivateAttr(default=False)

    database_url: str = "sqlite+aiosqlite:///./var/starport.db"
    payment_providers: str = "telegram_stars"
    # Secrets are left out of repr(), and their values out of every configuration error.
    telegram_bot_token: str | None = Field(default=None, repr=False)
    telegram_bot_username: str = "starport_sandbox_bot"
    telegram_webhook_secret: str | None = Field(default=None, repr=False)
    telegram_api_url: str = "https://api.telegram.org"
    telegram_test_env: bool = False
    telegram_channel_id: int | None = None
    telegram_rate_per_second: float = Field(default=30.0, gt=0)  # Bot API calls, overall
    telegram_chat_interval_seconds: float = Field(default=1.0, ge=0)  # messages per chat
    # At each start (outside the sandbox), point Telegram's webhook at STARPORT_PUBLIC_URL.
    starport_set_webhook: bool = False
    # One Bot API rate for every process and instance of the bot, kept in the database:
    # auto = on PostgreSQL (several workers or hosts), off on SQLite (one process).
    telegram_shared_pacing: Literal["auto", "on", "off"] = "auto"
    cryptopay_api_token: str | None = Field(default=None, repr=False)
    # telegram_payments: the payment provider's token from BotFather (> Payments).
    telegram_payments_provider_token: str | None = Field(default=None, repr=False)
    cryptopay_api_url: str = "https://pay.crypt.bot/api"
    cryptopay_webhook_tolerance_seconds: int = Field(default=300, ge=1)
    starport_admin_token: str | None = Field(default=None, repr=False)
    # Named admins, each with a token of their own: "ann:<token>,bob:<token>" (the audit trail
    # names who did what); STARPORT_ADMIN_TOKEN is one more admin, named "admin".
    starport_admins: str | None = Field(default=None, repr=False)
    # Signs the console's session cookies, with the admin's own token (so a removed or changed
    # token ends that admin's sessions); changing it signs every admin out. Unset: the tokens
    # alone sign them.
    starport_console_secret: str | None = Field(default=None, repr=False, min_length=16)
    starport_api_token: str | None = Field(default=None, repr=False)
    starport_catalog: Path = DEFAULT_CATALOG
    starport_sandbox: bool | None = None  # default: on when no TELEGRAM_BOT_TOKEN is set
    starport_repository: str = "sql"  # sql | memory
    starport_host: str = "127.0.0.1"
    starport_port: int = Field(default=8000, ge=1, le=65535)
    starport_public_url: str | None = None  # where Telegram and Crypto Pay reach us
    # Connections and requests served at once (more get 503; default: what the open-file
    # limit allows, kept under 10,000), and the largest request body.
    starport_max_connections: int | None = Field(default=None, ge=16)
    starport_max_body_bytes: int = Field(default=1_048_576, ge=1024)
    starport_header_timeout_seconds: float = Field(default=10.0, gt=0)  # a request's head
    # PostgreSQL: a connect (and the wait for a pooled connection), and each statement; a
    # database that hangs then fails requests with a 503 in seconds instead of holding them.
    starport_db_connect_timeout_seconds: float = Field(default=5.0, gt=0)
    starport_db_statement_timeout_seconds: float = Field(default=10.0, gt=0)
    starport_session_ttl_minutes: int = Field(default=30, ge=1, le=44640)
    starport_join_bonus_credits: int = Field(default=50, ge=0)
    starport_invite_ttl_hours: int = Field(default=24, ge=1)
    starport_initdata_max_age_seconds: int = Field(default=3600, ge=1)
    starport_log_format: str = "auto"  # auto | json | console
    starport_log_level: str = "INFO"
    starport_bot_name: str = "Starport"
    # After a commit, bot messages go out "background" (the webhook answers first), "inline"
    # (before answering) or "job" (dispatch-outbox only). Default: background, but inline in
    # sandbox mode, where a user action of the emulator returns once the bot has reacted.
    starport_outbox_dispatch: Literal["background", "inline", "job"] | None = None
    # Per-user payment limits (0 turns one off); counted in the database, so they hold across
    # instances sharing it.
    starport_max_sessions_per_hour: int = Field(default=10, ge=0)
    starport_max_failures: int = Field(default=5, ge=0)
    starport_failure_cooldown_minutes: int = Field(default=15, ge=1)
    starport_inbox_retention_days: int = Field(default=90, ge=1)  # raw webhook inbox
    starport_admin_chat_id: int | None = None  # operational alerts go there
    # Where /support and /paysupport send buyers: "@yourshop_help", an e-mail, a web page.
    starport_support_contact: str | None = None
    # A group or supergroup (negative id) with the bot in it: after /support a user's messages
    # are relayed there, and an agent's reply to one goes back to the user.
    starport_support_chat_id: int | None = Field(default=None, lt=0)
    starport_support_idle_hours: int = Field(default=24, ge=1, le=24 * 30)
    cryptopay_balance_alerts: str = ""  # "USDT:100,TON:5": warn under these balances
    # full: Starport is the bot (/start menu, /buy, /balance, /support...); payments: beside a
    # bot of your own, Starport handles only payments, their deep links, account links, refunds.
    starport_bot_mode: Literal["full", "payments"] = "full"
    # The assets a fiat-priced Crypto Pay invoice may be paid with ("USDT,TON"); empty: all.
    cryptopay_accepted_assets: str = ""
    # Events for the host app (payment.succeeded, credits.spent, ...): POSTed to this URL,
    # signed per Standard Webhooks with the secret ("whsec_" + base64, as `starport events
    # secret` makes one). Both or neither.
    starport_events_url: str | None = None
    starport_events_secret: str | None = Field(default=None, repr=False)
    # Browser origins allowed to call the API ("https://app.example.com,https://x.example");
    # empty: no CORS headers, so only pages served from Starport's own origin can call it.
    starport_cors_origins: str = ""
    # The Mini App the bot's menu button opens (`starport telegram set-commands` sets it),
    # e.g. https://pay.example.com/miniapp/ for the example page Starport serves.
    starport_miniapp_url: str | None = None
    # Bot messages: each user reads the text of their Telegram language_code ("pt-br", else
    # "pt"), else the default language's. STARPORT_LANGUAGES: the languages admins write texts
    # in ("en,ru,es"); empty: any.
    starport_default_language: str = "en"
    starport_languages: str = ""

    @field_validator("payment_providers")
    @classmethod
    def _providers(cls, value: str) -> str:
        names = [n.strip() for n in value.split(",") if n.strip()]
        unknown = [n for n in names if n not in KNOWN_PROVIDERS]
        if not names or unknown:
            raise ValueError(f"takes {', '.join(KNOWN_PROVIDERS)}, comma-separated")
        return ",".join(dict.fromkeys(names))

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        """The URLs hosting providers hand out name no async driver: say which to write."""
        scheme, sep, rest = value.partition("://")
        if not sep:
            raise ValueError("a database URL, e.g. sqlite+aiosqlite:///./var/starport.db")
        if scheme in ("postgres", "postgresql", "postgresql+psycopg2", "postgresql+psycopg"):
            raise ValueError(f"use postgresql+asyncpg://{'...' if rest else ''} (not {scheme}://)")
        if scheme in ("sqlite", "sqlite+pysqlite"):
            raise ValueError(f"use sqlite+aiosqlite://{'...' if rest else ''} (not {scheme}://)")
        if scheme not in ("sqlite+aiosqlite", "postgresql+asyncpg"):
            raise ValueError(f"sqlite+aiosqlite:// or postgresql+asyncpg://, not {scheme}://")
        return value

    @field_validator("starport_log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        levels = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
        if value.upper() not in levels:
            raise ValueError(f"one of {', '.join(levels)}")
        return value.upper()

    @field_validator("starport_log_format")
    @classmethod
    def _log_format(cls, value: str) -> str:
        if value not in ("auto", "json", "console"):
            raise ValueError("auto, json or console")
        return value

    @field_validator("starport_repository")
    @classmethod
    def _repository(cls, value: str) -> str:
        if value not in ("sql", "memory"):
            raise ValueError("sql or memory")
        return value

    @field_validator("cryptopay_accepted_assets")
    @classmethod
    def _accepted_assets(cls, value: str) -> str:
        for code in _listed(value):
            if not (code.isascii() and code.isalnum() and code == code.upper()):
                raise ValueError("takes asset codes, comma-separated, e.g. USDT,TON")
        return value

    @field_validator("starport_default_language")
    @classmethod
    def _default_language(cls, value: str) -> str:
        return _language(value)

    @field_validator("starport_languages")
    @classmethod
    def _languages(cls, value: str) -> str:
        return ",".join(dict.fromkeys(_language(code) for code in _listed(value)))

    @field_validator("starport_admins")
    @classmethod
    def _admins(cls, value: str | None) -> str | None:
        if not value or not value.strip():
            return None
        names, tokens = [], []
        for pair in value.split(","):
            name, sep, token = pair.strip().partition(":")
            if not sep or not ADMIN_NAME.fullmatch(name):
                raise ValueError("takes name:token pairs, comma-separated; a name is 1-40 of "
                                 "a-z, 0-9, . _ -")
            if name in RESERVED_NAMES:
                raise ValueError(f"{name!r} names Starport's own callers on the audit trail: "
                                 "choose another admin name")
            if len(token) < 16:
                raise ValueError(f"the token of admin {name!r} is shorter than 16 characters")
            names.append(name)
            tokens.append(token)
        if len(set(names)) != len(names) or len(set(tokens)) != len(tokens):
            raise ValueError("each admin has a name and a token of their own")
        return value

    @field_validator("starport_events_url")
    @classmethod
    def _events_url(cls, value: str | None) -> str | None:
        if value and not value.startswith(("https://", "http://")):
            raise ValueError("must be an http(s):// URL")
        return value or None

    @field_validator("starport_events_secret")
    @classmethod
    def _events_secret(cls, value: str | None) -> str | None:
        if not value:
            return None
        try:
            key = base64.b64decode(value.removeprefix("whsec_"), validate=True)
        except ValueError:
            key = b""
        if not value.startswith("whsec_") or len(key) < 24:
            raise ValueError("must be whsec_ and the base64 of at least 24 random bytes "
                             "(`starport events secret` makes one)")
        return value

    @field_validator("starport_cors_origins")
    @classmethod
    def _cors_origins(cls, value: str) -> str:
        for origin in _listed(value):
            if origin != "*" and not ORIGIN_SHAPE.fullmatch(origin):
                raise ValueError(f"takes origins (scheme://host[:port], no path), comma-separated"
                                 f", or *; got {origin!r}")
        return value

    @field_validator("cryptopay_balance_alerts")
    @classmethod
    def _balance_alerts(cls, value: str) -> str:
        _thresholds(value)  # a typo fails at start, not at the first run of the job
        return value

    @model_validator(mode="after")
    def _sandbox_defaults(self) -> StarportConfig:
        if self.starport_sandbox is None:
            self.starport_sandbox = self.telegram_bot_token is None
            if self.starport_sandbox and not self.loopback:
                # A deployment that lost its token must not turn into an emulator that "pays"
                # invoices on a real database: only a local run gets the sandbox implicitly.
                raise ValueError(
                    "TELEGRAM_BOT_TOKEN is not set and STARPORT_HOST is not a loopback address:"
                    " set the token, or STARPORT_SANDBOX=true to run the emulators on purpose")
        if self.sandbox:
            base = f"http://{self.starport_host}:{self.starport_port}"
            self.telegram_bot_token = self.telegram_bot_token or SANDBOX_BOT_TOKEN
            if "telegram_bot_username" not in self.model_fields_set:  # the sandbox bot's name
                self.telegram_bot_username = f"sandbox{self.telegram_bot_token.split(':')[0]}_bot"
            self.telegram_api_url = f"{base}/sandbox/telegram"
            self.cryptopay_api_token = self.cryptopay_api_token or SANDBOX_CRYPTOPAY_TOKEN
            self.cryptopay_api_url = f"{base}/sandbox/cryptopay/api"
            self.telegram_payments_provider_token = (self.telegram_payments_provider_token
                                                     or SANDBOX_CARD_TOKEN)
            self.starport_public_url = self.starport_public_url or base
            self.telegram_webhook_secret = (self.telegram_webhook_secret
                                            or secrets.token_urlsafe(24))
            if not self.starport_admin_token and not self.starport_admins:
                # The console and the admin API are there to try too: a token for this run,
                # which `starport serve` prints (the sandbox only runs on loopback by itself).
                self.starport_admin_token = secrets.token_urlsafe(24)
                self._generated_admin_token = True
        url = self.starport_miniapp_url
        if url is not None and not (url.startswith("https://")
                                    or (self.sandbox and url.startswith("http://"))):
            raise ValueError("STARPORT_MINIAPP_URL: Telegram opens Mini Apps over https:// only")
        if self.starport_outbox_dispatch is None:
            self.starport_outbox_dispatch = "inline" if self.sandbox else "background"
        if bool(self.starport_events_url) != bool(self.starport_events_secret):
            raise ValueError("STARPORT_EVENTS_URL and STARPORT_EVENTS_SECRET go together: "
                             "set both (events are always signed) or neither")
        if "cryptopay" in self.providers and not self.cryptopay_api_token:
            raise ValueError("PAYMENT_PROVIDERS includes cryptopay: set CRYPTOPAY_API_TOKEN")
        if "telegram_payments" in self.providers:
            if not self.telegram_payments_provider_token:
                raise ValueError("PAYMENT_PROVIDERS includes telegram_payments: set "
                                 "TELEGRAM_PAYMENTS_PROVIDER_TOKEN (BotFather > Payments)")
            if not TOKEN_SHAPE.match(self.telegram_payments_provider_token):
                raise ValueError("TELEGRAM_PAYMENTS_PROVIDER_TOKEN is not a payment provider "
                                 "token: BotFather gives <digits>:TEST:... or <digits>:LIVE:...")
        return self

    @property
    def secrets(self) -> list[str]:
        """Values no log line may show."""
        found = [self.telegram_bot_token, self.telegram_webhook_secret,
                 self.cryptopay_api_token, self.starport_api_token, self.starport_admin_token,
                 self.telegram_payments_provider_token, self.starport_events_secret,
                 self.starport_console_secret,
                 *self.admins.values()]
        return [s for s in found if s]

    @property
    def generated_admin_token(self) -> str | None:
        """The admin token made up for this sandbox run (none was configured)."""
        return self.starport_admin_token if self._generated_admin_token else None

    @property
    def admins(self) -> dict[str, str]:
        """Each admin's name and token (STARPORT_ADMINS, and STARPORT_ADMIN_TOKEN as "admin")."""
        found = {}
        for pair in (self.starport_admins or "").split(","):
            name, _, token = pair.strip().partition(":")
            if name and token:
                found[name] = token
        if self.starport_admin_token and "admin" not in found:
            found["admin"] = self.starport_admin_token
        return found

    @property
    def sqlite(self) -> bool:
        return self.starport_repository == "sql" and self.database_url.startswith("sqlite")

    @property
    def loopback(self) -> bool:
        return self.starport_host in ("127.0.0.1", "localhost", "::1")

    @property
    def sandbox(self) -> bool:
        return bool(self.starport_sandbox)

    @property
    def providers(self) -> list[str]:
        return self.payment_providers.split(",")

    @property
    def base_url(self) -> str:
        return self.starport_public_url or f"http://{self.starport_host}:{self.starport_port}"

    @property
    def payment_limits(self) -> PaymentLimits:
        return PaymentLimits(
            max_sessions=self.starport_max_sessions_per_hour, window=timedelta(hours=1),
            max_failures=self.starport_max_failures,
            cooldown=timedelta(minutes=self.starport_failure_cooldown_minutes))

    @property
    def accepted_assets(self) -> list[str]:
        return _listed(self.cryptopay_accepted_assets)

    @property
    def cors_origins(self) -> list[str]:
        return _listed(self.starport_cors_origins)

    @property
    def balance_alert_thresholds(self) -> dict[str, Decimal]:
        return _thresholds(self.cryptopay_balance_alerts)

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages offered to admins, the default first; empty: any."""
        offered = _listed(self.starport_languages)
        return tuple(dict.fromkeys([self.starport_default_language, *offered])) if offered \
            else ()


def _language(value: str) -> str:
    try:
        return language(value)
    except InvalidLanguage as exc:
        raise ValueError(exc.message) from None


def _listed(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def _thresholds(value: str) -> dict[str, Decimal]:
    """`"USDT:100,TON:5"` -> {"USDT": Decimal("100"), "TON": Decimal("5")}."""
    found: dict[str, Decimal] = {}
    for part in (p.strip() for p in value.split(",") if p.strip()):
        asset, _, amount = part.partition(":")
        try:
            threshold = Decimal(amount.strip())
        except InvalidOperation:
            threshold = Decimal("NaN")
        if not asset.strip() or not threshold.is_finite() or threshold < 0:
            raise ValueError(f"takes ASSET:AMOUNT pairs (USDT:100,TON:5), got {part!r}")
        found[asset.strip().upper()] = threshold
    return found


def describe(error: ValidationError) -> list[str]:
    """One line per mistake, named by its environment variable; never the value given (it may
    be a token)."""
    lines = []
    for found in error.errors(include_input=False, include_url=False, include_context=False):
        name = "_".join(str(part) for part in found["loc"]).upper()
        message = str(found["msg"]).removeprefix("Value error, ")
        lines.append(f"{name}: {message}" if name else message)
    return lines
