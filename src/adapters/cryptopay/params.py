"""Validate and encode method parameters locally, so a bad call never reaches the network."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal

from starport.adapters.cryptopay.enums import CurrencyType, InvoiceStatus, PaidButtonName
from starport.adapters.cryptopay.errors import ExpiresInInvalid, InvalidParameter

MAX_DESCRIPTION = 1024
MAX_HIDDEN_MESSAGE = 2048
MAX_PAYLOAD_BYTES = 4096
MAX_EXPIRES_IN = 2_678_400
MAX_PAGE = 1000
MAX_SPEND_ID = 64  # characters of a transfer's idempotency key
MAX_TRANSFER_COMMENT = 1024

Params = dict[str, str | int | bool]


def create_invoice_params(
    *,
    amount: Decimal,
    asset: str | None,
    fiat: str | None,
    accepted_assets: Sequence[str] | None,
    description: str | None,
    hidden_message: str | None,
    payload: str | None,
    paid_btn_name: PaidButtonName | str | None,
    paid_btn_url: str | None,
    allow_comments: bool | None,
    allow_anonymous: bool | None,
    expires_in: int | None,
) -> Params:
    """Parameters of createInvoice; fiat invoices are the ones given a `fiat` code."""
    params: Params = {"amount": _amount(amount)}
    if fiat is not None:
        if asset is not None:
            raise InvalidParameter("ASSET_AND_FIAT_EXCLUSIVE")
        params |= {"currency_type": CurrencyType.FIAT.value, "fiat": _code(fiat, "FIAT")}
        if accepted_assets:
            codes = (_code(code, "ACCEPTED_ASSETS") for code in accepted_assets)
            params["accepted_assets"] = ",".join(codes)
    elif asset is not None:
        if accepted_assets:
            raise InvalidParameter("ACCEPTED_ASSETS_ONLY_FOR_FIAT")
        params |= {"currency_type": CurrencyType.CRYPTO.value, "asset": _code(asset, "ASSET")}
    else:
        raise InvalidParameter("PARAM_ASSET_REQUIRED")
    _optional_text(params, "description", description, len, MAX_DESCRIPTION)
    _optional_text(params, "hidden_message", hidden_message, len, MAX_HIDDEN_MESSAGE)
    _optional_text(params, "payload", payload, lambda s: len(s.encode()), MAX_PAYLOAD_BYTES)
    if (paid_btn_name is None) != (paid_btn_url is None):
        raise InvalidParameter("PAID_BTN_NAME_AND_URL_TOGETHER")
    if paid_btn_name is not None and paid_btn_url is not None:
        try:
            params["paid_btn_name"] = PaidButtonName(paid_btn_name).value
        except ValueError:
            raise InvalidParameter("PAID_BTN_NAME_INVALID") from None
        if not paid_btn_url.startswith(("https://", "http://")):
            raise InvalidParameter("PAID_BTN_URL_INVALID")
        params["paid_btn_url"] = paid_btn_url
    if allow_comments is not None:
        params["allow_comments"] = allow_comments
    if allow_anonymous is not None:
        params["allow_anonymous"] = allow_anonymous
    if expires_in is not None:
        if isinstance(expires_in, bool) or not isinstance(expires_in, int):
            raise ExpiresInInvalid()
        if not 1 <= expires_in <= MAX_EXPIRES_IN:
            raise ExpiresInInvalid()
        params["expires_in"] = expires_in
    return params


def get_invoices_params(
    *,
    invoice_ids: Sequence[int] | None,
    status: InvoiceStatus | str | None,
    asset: str | None,
    fiat: str | None,
    offset: int,
    count: int,
) -> Params:
    """Parameters of getInvoices; `count` is 1..1000 as the API allows."""
    params = _page(offset, count)
    if invoice_ids:
        params["invoice_ids"] = ",".join(str(int(i)) for i in invoice_ids)
    if status is not None:
        try:
            params["status"] = InvoiceStatus(status).value
        except ValueError:
            raise InvalidParameter("STATUS_INVALID") from None
    if asset is not None:
        params["asset"] = _code(asset, "ASSET")
    if fiat is not None:
        params["fiat"] = _code(fiat, "FIAT")
    return params


def transfer_params(
    *,
    user_id: int,
    asset: str,
    amount: Decimal,
    spend_id: str,
    comment: str | None,
    disable_send_notification: bool | None,
) -> Params:
    """Parameters of transfer; `spend_id` is required here (Crypto Pay accepts one only once
    per app), so a retried call can never send the coins twice."""
    if isinstance(user_id, bool) or not isinstance(user_id, int) or user_id <= 0:
        raise InvalidParameter("USER_ID_INVALID")
    if not isinstance(spend_id, str) or not spend_id:
        raise InvalidParameter("PARAM_SPEND_ID_REQUIRED")
    if len(spend_id) > MAX_SPEND_ID:
        raise InvalidParameter("SPEND_ID_TOO_LONG")
    params: Params = {"user_id": user_id, "asset": _code(asset, "ASSET"),
                      "amount": _amount(amount), "spend_id": spend_id}
    _optional_text(params, "comment", comment, len, MAX_TRANSFER_COMMENT)
    if disable_send_notification is not None:
        params["disable_send_notification"] = disable_send_notification
    return params


def get_transfers_params(
    *,
    asset: str | None,
    transfer_ids: Sequence[int] | None,
    spend_id: str | None,
    offset: int,
    count: int,
) -> Params:
    """Parameters of getTransfers; `count` is 1..1000 as the API allows."""
    params = _page(offset, count)
    if asset is not None:
        params["asset"] = _code(asset, "ASSET")
    if transfer_ids:
        params["transfer_ids"] = ",".join(str(int(i)) for i in transfer_ids)
    if spend_id is not None:
        params["spend_id"] = spend_id
    return params


def _page(offset: int, count: int) -> Params:
    if isinstance(count, bool) or not 1 <= count <= MAX_PAGE:
        raise InvalidParameter("COUNT_INVALID")
    if isinstance(offset, bool) or offset < 0:
        raise InvalidParameter("OFFSET_INVALID")
    return {"offset": offset, "count": count}


def _amount(amount: Decimal) -> str:
    # A float would already have lost cents; refuse it rather than guess.
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount <= 0:
        raise InvalidParameter("AMOUNT_INVALID")
    return format(amount, "f")


def _code(value: str, what: str) -> str:
    code = value.strip().upper() if isinstance(value, str) else ""
    if not code.isalnum():
        raise InvalidParameter(f"{what}_INVALID")
    return code


def _optional_text(
    params: Params, key: str, value: str | None, size: Callable[[str], int], limit: int
) -> None:
    if value is None:
        return
    if size(value) > limit:
        raise InvalidParameter(f"{key.upper()}_TOO_LONG")
    params[key] = value
