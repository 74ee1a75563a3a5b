"""The operator's configuration: environment variables (and a `.env` file), checked at start."""

from __future__ import annotations

import secrets
from pathlib import Path

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_CATALOG = Path(__file__).resolve().parent.parent / "adapters" / "data" / "catalog.toml"
SANDBOX_BOT_TOKEN = "123456789:SANDBOXsandboxSANDBOXsandboxSANDBOXs"
SANDBOX_CRYPTOPAY_TOKEN = "12345:SANDBOXcryptopaySANDBOXcryptopay"
KNOWN_PROVIDERS = ("telegram_stars", "cryptopay")


class StarportConfig(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)

    database_url: str = "sqlite+aiosqlite:///./var/starport.db"
    payment_providers: str = "telegram_stars"
    telegram_bot_token: str | None = None
    telegram_bot_username: str = "starport_sandbox_bot"
    telegram_webhook_secret: str | None = None
    telegram_api_url: str = "https://api.telegram.org"
    telegram_test_env: bool = False
    telegram_channel_id: int | None = None
    telegram_rate_per_second: float = Field(default=30.0, gt=0)  # Bot API calls, overall
    telegram_chat_interval_seconds: float = Field(default=1.0, ge=0)  # messages per chat
    cryptopay_api_token: str | None = None
    cryptopay_api_url: str = "https://pay.crypt.bot/api"
    cryptopay_webhook_tolerance_seconds: int = Field(default=300, ge=1)
    starport_admin_token: str | None = None
    starport_api_token: str | None = None
    starport_catalog: Path = DEFAULT_CATALOG
    starport_sandbox: bool | None = None  # default: on when no TELEGRAM_BOT_TOKEN is set
    starport_repository: str = "sql"  # sql | memory
    starport_host: str = "127.0.0.1"
    starport_port: int = Field(default=8000, ge=1, le=65535)
    starport_public_url: str | None = None  # where Telegram and Crypto Pay reach us
    starport_session_ttl_minutes: int = Field(default=30, ge=1, le=44640)
    starport_join_bonus_credits: int = Field(default=50, ge=0)
    starport_invite_ttl_hours: int = Field(default=24, ge=1)
    starport_initdata_max_age_seconds: int = Field(default=3600, ge=1)
    starport_log_format: str = "auto"  # auto | json | console
    starport_log_level: str = "INFO"
    starport_bot_name: str = "Starport"

    @field_validator("payment_providers")
    @classmethod
    def _providers(cls, value: str) -> str:
        names = [n.strip() for n in value.split(",") if n.strip()]
        unknown = [n for n in names if n not in KNOWN_PROVIDERS]
        if not names or unknown:
            raise ValueError(f"PAYMENT_PROVIDERS takes {KNOWN_PROVIDERS}, got {value!r}")
        return ",".join(dict.fromkeys(names))

    @field_validator("starport_repository")
    @classmethod
    def _repository(cls, value: str) -> str:
        if value not in ("sql", "memory"):
            raise ValueError("STARPORT_REPOSITORY is 'sql' or 'memory'")
        return value

    @model_validator(mode="after")
    def _sandbox_defaults(self) -> StarportConfig:
        if self.starport_sandbox is None:
            self.starport_sandbox = self.telegram_bot_token is None
        if self.sandbox:
            base = f"http://{self.starport_host}:{self.starport_port}"
            self.telegram_bot_token = self.telegram_bot_token or SANDBOX_BOT_TOKEN
            if "telegram_bot_username" not in self.model_fields_set:  # the sandbox bot's name
                self.telegram_bot_username = f"sandbox{self.telegram_bot_token.split(':')[0]}_bot"
            self.telegram_api_url = f"{base}/sandbox/telegram"
            self.cryptopay_api_token = self.cryptopay_api_token or SANDBOX_CRYPTOPAY_TOKEN
            self.cryptopay_api_url = f"{base}/sandbox/cryptopay/api"
            self.starport_public_url = self.starport_public_url or base
            self.telegram_webhook_secret = (self.telegram_webhook_secret
                                            or secrets.token_urlsafe(24))
        if "cryptopay" in self.providers and not self.cryptopay_api_token:
            raise ValueError("PAYMENT_PROVIDERS includes cryptopay: set CRYPTOPAY_API_TOKEN")
        return self

    @property
    def sandbox(self) -> bool:
        return bool(self.starport_sandbox)

    @property
    def providers(self) -> list[str]:
        return self.payment_providers.split(",")

    @property
    def base_url(self) -> str:
        return self.starport_public_url or f"http://{self.starport_host}:{self.starport_port}"
