"""Typed errors of the Crypto Pay adapter; none of them ever carries the API token."""

from __future__ import annotations


class CryptoPayError(Exception):
    """A Crypto Pay failure: `code` and `name` as the API reports them (400 EXPIRES_IN_INVALID)."""

    default_code = 0
    default_name = "CRYPTO_PAY_ERROR"

    def __init__(
        self, name: str | None = None, code: int | None = None, *, method: str | None = None
    ) -> None:
        self.name = name or self.default_name
        self.code = self.default_code if code is None else code
        self.method = method
        where = f"{method}: " if method else ""
        super().__init__(f"{where}{self.code} {self.name}")


class InvalidParameter(CryptoPayError):
    """A parameter was rejected, by the API or locally before anything was sent."""

    default_code = 400
    default_name = "PARAM_INVALID"


class ExpiresInInvalid(InvalidParameter):
    """`expires_in` is outside 1..2678400 seconds."""

    default_name = "EXPIRES_IN_INVALID"


class InvoiceNotFound(CryptoPayError):
    """No invoice of this app has that id."""

    default_code = 400
    default_name = "INVOICE_NOT_FOUND"


class Unauthorized(CryptoPayError):
    """The API token was refused."""

    default_code = 401
    default_name = "UNAUTHORIZED"


class MethodDisabled(CryptoPayError):
    """The method is disabled for this app (in @CryptoBot's app settings): `transfer` is, until
    the operator enables transfers there (off by default for new apps)."""

    default_code = 403
    default_name = "METHOD_DISABLED"


class MethodNotFound(CryptoPayError):
    """The API has no method of that name."""

    default_code = 405
    default_name = "METHOD_NOT_FOUND"


class InsufficientFunds(CryptoPayError):
    """The app's balance of the asset is less than the transfer."""

    default_code = 400
    default_name = "INSUFFICIENT_FUNDS"


class TooManyRequests(CryptoPayError):
    """Rate limited; not retried here, the caller decides when to come back."""

    default_code = 429
    default_name = "TOO_MANY_REQUESTS"


class CryptoPayUnavailable(CryptoPayError):
    """5xx or network failures outlasted the bounded retries."""

    default_code = 503
    default_name = "UNAVAILABLE"


class InvalidResponse(CryptoPayError):
    """The API answered something that is not a Crypto Pay response."""

    default_name = "INVALID_RESPONSE"


class MalformedUpdate(CryptoPayError):
    """A webhook body that is not a well-formed Crypto Pay update."""

    default_code = 400
    default_name = "MALFORMED_UPDATE"


class InvalidSignature(CryptoPayError):
    """A webhook whose `crypto-pay-api-signature` does not match its raw body."""

    default_code = 401
    default_name = "INVALID_SIGNATURE"


_BY_NAME: dict[str, type[CryptoPayError]] = {
    "UNAUTHORIZED": Unauthorized,
    "EXPIRES_IN_INVALID": ExpiresInInvalid,
    "INVOICE_NOT_FOUND": InvoiceNotFound,
    "METHOD_DISABLED": MethodDisabled,
    "INSUFFICIENT_FUNDS": InsufficientFunds,
    "METHOD_NOT_FOUND": MethodNotFound,
}
_BY_CODE: dict[int, type[CryptoPayError]] = {
    400: InvalidParameter,
    401: Unauthorized,
    403: MethodDisabled,
    405: MethodNotFound,
    429: TooManyRequests,
}


def error_for(code: int, name: str, *, method: str | None = None) -> CryptoPayError:
    """The most specific typed error for an `{ok: false, error: {code, name}}` answer."""
    cls = _BY_NAME.get(name) or _BY_CODE.get(code)
    if cls is None:
        cls = CryptoPayUnavailable if code >= 500 else CryptoPayError
    return cls(name, code, method=method)
