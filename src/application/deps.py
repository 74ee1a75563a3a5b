"""What every use case is given: the unit of work factory, ports, catalog and settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from starport.application.ports import (
    ChannelGateway,
    ChatInvoices,
    Clock,
    EventSink,
    IdGenerator,
    Messenger,
    PaymentProvider,
    ProviderTraits,
    WalletBalances,
)
from starport.application.unit_of_work import UnitOfWorkFactory
from starport.domain.catalog import Catalog
from starport.domain.errors import PerksDisabled, ProviderNotEnabled
from starport.domain.languages import Languages
from starport.domain.limits import NO_LIMITS, PaymentLimits
from starport.domain.providers import Provider

if TYPE_CHECKING:
    from starport.application.commands import Command

T = TypeVar("T")
# A provider no longer enabled that still reports a payment: taken at its word on the amount
# only when it is at least the price (the stricter "exact" would turn away an overpayment).
ANY_PROVIDER = ProviderTraits(label="a payment provider", exact_amount=False)


class CommandBus(Protocol):
    """Where a use case sends follow-up work: each command runs in its own transaction, with
    its own retries on a write conflict."""

    async def handle(self, command: Command) -> Any: ...


@dataclass(frozen=True)
class Settings:
    bot_username: str = "starport_bot"
    bot_name: str = "Starport"
    session_ttl: timedelta = timedelta(minutes=30)
    channel_id: int | None = None
    join_bonus_credits: int = 0
    invite_ttl: timedelta = timedelta(days=1)
    outbox_max_attempts: int = 8
    outbox_lease: timedelta = timedelta(seconds=15)  # renewed while held (outbox.Leases)
    limits: PaymentLimits = NO_LIMITS  # per-user payment limits (the config turns them on)
    delivery_retention: timedelta = timedelta(days=90)  # stored webhook deliveries
    admin_chat_id: int | None = None  # where operational alerts go (through the outbox)
    balance_alerts: Mapping[str, Decimal] = field(default_factory=dict)  # asset -> threshold
    link_token_ttl: timedelta = timedelta(hours=1)  # a host app's one-time link to the bot
    # Where /support and /paysupport send buyers (a Telegram @name, an e-mail, a web page).
    support_contact: str = "the seller in the app you bought from"
    events_enabled: bool = False  # events for the host app (STARPORT_EVENTS_URL is set)
    # A group where agents read what users write after /support and answer by replying (None:
    # nothing is relayed, and /support says where to write instead).
    support_chat_id: int | None = None
    support_idle: timedelta = timedelta(hours=24)  # a support conversation ends after this
    # Bot messages: users read their Telegram language_code's text, else this language's.
    default_language: str = "en"
    # The languages an admin may write texts in (the default first); empty: any language.
    languages: tuple[str, ...] = ()

    def languages_for(self, language_code: str | None) -> Languages:
        """Where a user's texts are looked for: their language, then the default."""
        return Languages.of(language_code, self.default_language)

    def deep_link(self, session_id: str) -> str:
        return f"https://t.me/{self.bot_username}?start=pay_{session_id}"


@dataclass
class Deps:
    uow: UnitOfWorkFactory
    clock: Clock
    ids: IdGenerator
    catalog: Catalog
    providers: Mapping[Provider, PaymentProvider]
    messenger: Messenger
    channel: ChannelGateway | None = None
    settings: Settings = field(default_factory=Settings)
    wallet: WalletBalances | None = None  # Crypto Pay's getBalance, when it is enabled
    commands: CommandBus | None = None  # the bus, once built (it attaches itself)
    events: EventSink | None = None  # the host app's event endpoint, when one is set

    @property
    def bus(self) -> CommandBus:
        if self.commands is None:
            raise RuntimeError("no command bus is attached to these dependencies")
        return self.commands

    def provider(self, provider: Provider) -> PaymentProvider:
        try:
            return self.providers[provider]
        except KeyError:
            raise ProviderNotEnabled(f"payment method {provider.value} is not enabled") from None

    def capable(self, provider: Provider, capability: type[T]) -> T | None:
        """The enabled provider if it has this capability (Refunds, Subscriptions, ...)."""
        found = self.providers.get(provider)
        return found if isinstance(found, capability) else None

    def traits(self, provider: Provider) -> ProviderTraits:
        found = self.providers.get(provider)
        return found.traits if found is not None else ANY_PROVIDER

    def chat_providers(self) -> list[Provider]:
        """Enabled providers whose invoices the bot sends into the chat, in configured order."""
        return [name for name, p in self.providers.items() if isinstance(p, ChatInvoices)]

    def require_channel(self) -> tuple[ChannelGateway, int]:
        if self.channel is None or self.settings.channel_id is None:
            raise PerksDisabled("channel perks are off: no channel is configured")
        return self.channel, self.settings.channel_id
