"""Validate API parameters the way Crypto Pay does, whether they came as query or JSON."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from starport.sandbox.cryptopay import catalog
from starport.sandbox.cryptopay.errors import ApiError

PAID_BUTTONS = ("viewItem", "openChannel", "openBot", "callback")
STATUSES = ("active", "paid", "expired")
MAX_EXPIRES_IN = 2_678_400


def bad(name: str) -> ApiError:
    return ApiError(400, name)


def create_invoice(params: Mapping[str, Any]) -> dict[str, Any]:
    """The accepted createInvoice fields, or the first ApiError the real API would give."""
    currency_type = str(params.get("currency_type") or "crypto")
    if currency_type not in ("crypto", "fiat"):
        raise bad("CURRENCY_TYPE_INVALID")
    out: dict[str, Any] = {"currency_type": currency_type}
    if currency_type == "crypto":
        out["asset"] = code(params, "asset", catalog.is_asset)
        unit = out["asset"]
    else:
        out["fiat"] = code(params, "fiat", catalog.is_fiat)
        accepted = codes(params.get("accepted_assets"), catalog.is_asset, "ACCEPTED_ASSETS_INVALID")
        out["accepted_assets"] = accepted or list(catalog.CRYPTO_USD)
        unit = out["fiat"]
    out["amount"] = amount(params.get("amount"))
    usd = catalog.usd_value(out["amount"], unit)
    if usd < catalog.MIN_USD:
        raise bad("AMOUNT_TOO_SMALL")
    if usd > catalog.MAX_USD:
        raise bad("AMOUNT_TOO_LARGE")
    for key, limit in (("description", 1024), ("hidden_message", 2048)):
        if params.get(key) is not None:
            out[key] = text(params[key], key, limit, len(str(params[key])))
    if params.get("payload") is not None:
        payload = str(params["payload"])
        out["payload"] = text(payload, "payload", 4096, len(payload.encode()))
    if params.get("paid_btn_name") is not None:
        if params["paid_btn_name"] not in PAID_BUTTONS:
            raise bad("PAID_BTN_NAME_INVALID")
        url = params.get("paid_btn_url")
        if not url:
            raise bad("PARAM_PAID_BTN_URL_REQUIRED")
        if not str(url).startswith(("https://", "http://")):
            raise bad("PAID_BTN_URL_INVALID")
        out |= {"paid_btn_name": params["paid_btn_name"], "paid_btn_url": str(url)}
    out["allow_comments"] = flag(params.get("allow_comments"), "ALLOW_COMMENTS_INVALID")
    out["allow_anonymous"] = flag(params.get("allow_anonymous"), "ALLOW_ANONYMOUS_INVALID")
    if params.get("expires_in") is not None:
        out["expires_in"] = integer(params["expires_in"], "EXPIRES_IN_INVALID", 1, MAX_EXPIRES_IN)
    return out


def get_invoices(params: Mapping[str, Any]) -> dict[str, Any]:
    invoice_ids = id_list(params.get("invoice_ids"), "INVOICE_IDS_INVALID")
    status = params.get("status")
    if status is not None and status not in STATUSES:
        raise bad("STATUS_INVALID")
    return {
        "invoice_ids": invoice_ids,
        "status": status,
        "assets": set(codes(params.get("asset"), catalog.is_asset, "ASSET_INVALID")),
        "fiats": set(codes(params.get("fiat"), catalog.is_fiat, "FIAT_INVALID")),
        "offset": integer(params.get("offset", 0), "OFFSET_INVALID", 0, None),
        "count": integer(params.get("count", 100), "COUNT_INVALID", 1, 1000),
    }


def id_list(value: Any, error: str) -> set[int]:
    """Ids as a comma-separated string (query) or a JSON array."""
    parts = value if isinstance(value, list) else str(value or "").split(",")
    try:
        return {int(str(part).strip()) for part in parts if str(part).strip()}
    except ValueError:
        raise bad(error) from None


def code(params: Mapping[str, Any], key: str, known: Callable[[str], bool]) -> str:
    value = params.get(key)
    if value in (None, ""):
        raise bad(f"PARAM_{key.upper()}_REQUIRED")
    if not known(str(value)):
        raise bad(f"{key.upper()}_INVALID")
    return str(value)


def codes(value: Any, known: Callable[[str], bool], error: str) -> list[str]:
    """A comma-separated string (query) or a JSON array of known codes."""
    items = value if isinstance(value, list) else str(value or "").split(",")
    result = [str(item).strip() for item in items if str(item).strip()]
    if not all(known(item) for item in result):
        raise bad(error)
    return result


def amount(value: Any) -> Decimal:
    if value is None or value == "":
        raise bad("PARAM_AMOUNT_REQUIRED")
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        raise bad("AMOUNT_INVALID") from None
    if not result.is_finite():
        raise bad("AMOUNT_INVALID")
    return result


def integer(value: Any, error: str, low: int, high: int | None) -> int:
    if isinstance(value, bool):
        raise bad(error)
    try:
        result = int(str(value))
    except ValueError:
        raise bad(error) from None
    if result < low or (high is not None and result > high):
        raise bad(error)
    return result


def flag(value: Any, error: str) -> bool:
    if value is None or isinstance(value, bool):
        return value is not False
    if str(value).lower() in ("true", "1", "false", "0"):
        return str(value).lower() in ("true", "1")
    raise bad(error)


def text(value: Any, key: str, limit: int, size: int) -> str:
    if size > limit:
        raise bad(f"{key.upper()}_TOO_LONG")
    return str(value)


def invoice_id(params: Mapping[str, Any]) -> int:
    if params.get("invoice_id") in (None, ""):
        raise bad("PARAM_INVOICE_ID_REQUIRED")
    return integer(params["invoice_id"], "INVOICE_ID_INVALID", 1, None)
