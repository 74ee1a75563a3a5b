"""Typed domain errors; the edges map each one to an HTTP status or a bot message once."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every rule the domain refuses; `code` is stable for clients."""

    code = "domain_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidAmount(DomainError):
    code = "invalid_amount"


class UnknownPackage(DomainError):
    code = "unknown_package"


class PackageUnavailable(DomainError):
    code = "package_unavailable"


class ProviderNotEnabled(DomainError):
    code = "provider_not_enabled"


class SessionNotFound(DomainError):
    code = "session_not_found"


class SessionExpired(DomainError):
    code = "session_expired"


class SessionNotPayable(DomainError):
    code = "session_not_payable"


class ForeignPayer(DomainError):
    code = "foreign_payer"


class AmountMismatch(DomainError):
    code = "amount_mismatch"


class InvalidTransition(DomainError):
    code = "invalid_transition"


class UnbalancedEntry(DomainError):
    code = "unbalanced_entry"


class InsufficientCredits(DomainError):
    code = "insufficient_credits"


class IdempotencyConflict(DomainError):
    """The same idempotency key was reused for a different operation."""

    code = "idempotency_conflict"


class RefundNotAllowed(DomainError):
    code = "refund_not_allowed"


class RefundNotSupported(DomainError):
    """The provider cannot return money through its API: the operator refunds elsewhere (the
    provider's dashboard, a transfer) and records it."""

    code = "refund_not_supported"


class PayerUnknown(DomainError):
    """A refund goes back to the Telegram user who paid, and Starport cannot tell who that is
    (a session opened by the host app, paid by URL): the admin names them."""

    code = "payer_unknown"


class TelegramAlreadyLinked(DomainError):
    """One Telegram account belongs to one user at a time: unlink it from the other first."""

    code = "telegram_already_linked"


class NotLinked(DomainError):
    code = "not_linked"


class ConversationNotFound(DomainError):
    code = "conversation_not_found"


class LinkTokenInvalid(DomainError):
    code = "link_token_invalid"


class UnknownMessageKey(DomainError):
    code = "unknown_message_key"


class InvalidTemplate(DomainError):
    code = "invalid_template"


class NotAPatron(DomainError):
    code = "not_a_patron"


class PerksDisabled(DomainError):
    code = "perks_disabled"


class EventNotFound(DomainError):
    code = "event_not_found"


class InvalidLanguage(DomainError):
    code = "invalid_language"


class RetryNotAllowed(DomainError):
    code = "retry_not_allowed"
