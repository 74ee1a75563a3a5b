"""The bytes of a payment, built before the clock starts: a `pre_checkout_query` update and a
`message.successful_payment` update for the same invoice payload from the same payer, each a
whole HTTP/1.1 POST of JSON with the webhook's secret header."""

from __future__ import annotations

import json
import time

from bench._load import Payment

FIRST_PAYER = 8_000_000_000  # the payer of payment n is Telegram user FIRST_PAYER + n
STARS = 50  # the `starter` package of the shipped catalog: 100 credits for 50 Stars


def payer(n: int) -> int:
    return FIRST_PAYER + n


def post(port: int, path: str, secret: str, body: bytes) -> bytes:
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            f"X-Telegram-Bot-Api-Secret-Token: {secret}\r\n\r\n")
    return head.encode() + body


def _user(n: int) -> dict[str, object]:
    return {"id": payer(n), "is_bot": False, "first_name": f"Payer{n}", "language_code": "en"}


def pre_checkout(update_id: int, n: int, payload: str) -> dict[str, object]:
    return {"update_id": update_id, "pre_checkout_query": {
        "id": str(7_000_000_000_000_000_000 + n), "from": _user(n), "currency": "XTR",
        "total_amount": STARS, "invoice_payload": payload}}


def successful_payment(update_id: int, n: int, payload: str, run: str) -> dict[str, object]:
    return {"update_id": update_id, "message": {
        "message_id": 100_000 + n, "date": int(time.time()), "from": _user(n),
        "chat": {"id": payer(n), "type": "private", "first_name": f"Payer{n}"},
        "successful_payment": {
            "currency": "XTR", "total_amount": STARS, "invoice_payload": payload,
            "telegram_payment_charge_id": f"stxBENCH{run}{n:010d}",
            "provider_payment_charge_id": f"{payer(n)}_{n}"}}}


class Updates:
    """One server's updates: update_ids go on increasing across its runs."""

    def __init__(self, port: int, path: str, secret: str) -> None:
        self.port, self.path, self.secret = port, path, secret
        self.last_update_id = 0
        self.run = f"{int(time.time()):x}"  # charge ids unique across benchmark runs too

    def payments(self, first: int, payloads: list[str]) -> list[Payment]:
        """Payments first, first+1, ...: payment n pays `payloads[n - first]`."""
        built = []
        for n, payload in enumerate(payloads, start=first):
            pre = pre_checkout(self.last_update_id + 1, n, payload)
            paid = successful_payment(self.last_update_id + 2, n, payload, self.run)
            self.last_update_id += 2
            built.append((self._post(pre), self._post(paid)))
        return built

    def _post(self, update: dict[str, object]) -> bytes:
        return post(self.port, self.path, self.secret,
                    json.dumps(update, separators=(",", ":")).encode())
