"""The HTTP API fuzzed from its own OpenAPI document, against a real `starport serve` process on
SQLite and on PostgreSQL: whatever the request (bodies from each operation's JSON Schema and
beyond it, path and query values with NUL and other unstorable characters, huge integers, update
shapes with wrong types, signed and unsigned), the answer is never a 5xx, and its status code is
one the document lists for that operation.

Bounded: STARPORT_FUZZ_EXAMPLES requests per operation and database (default 40), derandomized
so that CI runs the same requests every time; raise it locally to search further."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from features.drivers.http_database import (
    PostgresUnavailable,
    postgres_unavailable,
    sqlite_url,
    temporary_postgres,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from starport.adapters.cryptopay.signature import sign
from starport.domain.bot_messages import DEFINITIONS
from starport.entrypoints.config import SANDBOX_CRYPTOPAY_TOKEN
from starport.entrypoints.http.openapi import document
from starport.entrypoints.jobs.registry import JOBS

ROOT = Path(__file__).resolve().parents[2]
API_TOKEN = "fuzz-api-token-0123456789abcdef"
ADMIN_TOKEN = "fuzz-admin-token-0123456789abcdef"
SECRET = "fuzz-webhook-secret_0123456789"
EXAMPLES = int(os.environ.get("STARPORT_FUZZ_EXAMPLES", "40"))
OPERATIONS = [(method, path) for path, methods in document()["paths"].items()
              for method in methods]
pytestmark = pytest.mark.slow


@dataclass
class Target:
    http: httpx.Client
    document: dict[str, Any]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _serve(database_url: str, log: Path) -> Iterator[Target]:
    """`starport serve` in sandbox mode until it answers /healthz; SIGTERM (then SIGKILL) after."""
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "pkg"), str(ROOT)]),
           "DATABASE_URL": database_url, "STARPORT_SANDBOX": "true",
           "STARPORT_API_TOKEN": API_TOKEN, "STARPORT_ADMIN_TOKEN": ADMIN_TOKEN,
           "TELEGRAM_WEBHOOK_SECRET": SECRET, "STARPORT_LOG_LEVEL": "WARNING",
           "STARPORT_LOG_FORMAT": "json", "TELEGRAM_RATE_PER_SECOND": "1000",
           "TELEGRAM_CHAT_INTERVAL_SECONDS": "0"}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "starport.entrypoints.cli", "serve", "--no-jobs", "--host",
             "127.0.0.1", "--port", str(port)], env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=20,
                          trust_env=False) as http:
            for _ in range(300):
                assert process.poll() is None, log.read_text()
                try:
                    if http.get("/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            served = http.get("/openapi.json").json()
            assert served == json.loads(json.dumps(document()))  # the document it serves
            yield Target(http, served)
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
    errors = [line for line in log.read_text(errors="replace").splitlines()
              if '"level": "error"' in line or "Traceback" in line]
    # An input may be refused; it may not make the server log an error it did not expect.
    assert not [e for e in errors if "unhandled" in e or "Traceback" in e], errors[:5]


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres",
                                                               marks=pytest.mark.postgres)])
def target(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[Target]:
    folder = tmp_path_factory.mktemp(f"fuzz-{request.param}")
    if request.param == "sqlite":
        yield from _serve(sqlite_url(folder), folder / "serve.log")
        return
    try:
        with temporary_postgres("starport_fuzz") as url:
            yield from _serve(url, folder / "serve.log")
    except PostgresUnavailable as exc:
        postgres_unavailable(str(exc))


# -- what is sent ------------------------------------------------------------------------------

NASTY = st.sampled_from(["\x00", "a\x00b", "\ud800", "\udfff", "²", "٣", "-1", "0",
                         str(2**63), str(2**75), "1e400", "NaN", " ", "../..", "%00",
                         "x" * 5000])
TEXT = st.one_of(st.text(max_size=40), NASTY)
INTEGERS = st.one_of(st.integers(), st.sampled_from([0, -1, 2**63 - 1, 2**63, -(2**63) - 1,
                                                     2**75, 10**70]))
SCALARS = st.one_of(st.none(), st.booleans(), INTEGERS, st.floats(allow_nan=False), TEXT)
JSON = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(TEXT, inner, max_size=4)), max_leaves=12)

PATH_VALUES: dict[str, st.SearchStrategy[str]] = {
    "key": st.sampled_from(sorted(DEFINITIONS)),
    "name": st.sampled_from(sorted(JOBS)),
    "userId": st.sampled_from(["u1", "host-ann", "42"]),
    "sessionId": st.sampled_from(["HJ1BghQ8JdUu0D_llLUtDw", "ps_1"]),
    "telegramUserId": st.sampled_from(["5", "7200000001"]),
}
QUERY_VALUES = st.one_of(st.sampled_from(["1", "50", "500", "telegram", "cryptopay"]), TEXT)


def from_schema(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values of the JSON Schema pydantic writes for a request body (the parts it uses:
    object, string with lengths / pattern / enum / date-time, integer bounds, boolean, null,
    anyOf), usually valid; `JSON` and `NASTY` cover what is not."""
    if "anyOf" in schema:
        return st.one_of([from_schema(option) for option in schema["anyOf"]])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if kind == "object":
        properties = {name: from_schema(sub) for name, sub in schema["properties"].items()}
        required = set(schema.get("required", []))
        return st.fixed_dictionaries(
            {k: v for k, v in properties.items() if k in required},
            optional={k: v for k, v in properties.items() if k not in required})
    if kind == "string":
        if schema.get("format") == "date-time":
            return st.datetimes(timezones=st.sampled_from([UTC])).map(datetime.isoformat)
        if "pattern" in schema:
            return st.from_regex(schema["pattern"], fullmatch=True).filter(
                lambda v: schema.get("minLength", 0) <= len(v) <= schema.get("maxLength", 10**6))
        return st.text(min_size=schema.get("minLength", 0),
                       max_size=min(schema.get("maxLength", 50), 50))
    if kind == "integer":
        low = schema.get("minimum", schema.get("exclusiveMinimum", -(2**63) - 1) + 1)
        high = schema.get("maximum", schema.get("exclusiveMaximum", 2**63) - 1)
        return st.integers(low, high)
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    raise AssertionError(f"a schema the fuzz does not know yet: {schema}")


def _user(n: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({"id": n, "is_bot": st.just(False),
                                  "first_name": TEXT})


def _updates() -> st.SearchStrategy[Any]:
    """Telegram updates of the kinds Starport reads, with fields right, wrong or missing."""
    ids = st.one_of(st.integers(1, 10**10), INTEGERS, TEXT)
    payload = st.one_of(st.sampled_from(["HJ1BghQ8JdUu0D_llLUtDw", ""]), TEXT)
    payment = st.fixed_dictionaries({
        "currency": st.one_of(st.just("XTR"), TEXT), "total_amount": st.one_of(
            st.just(50), INTEGERS, TEXT), "invoice_payload": payload,
        "telegram_payment_charge_id": st.one_of(TEXT, st.just("x" * 10_000)),
        "provider_payment_charge_id": TEXT}, optional={"subscription_expiration_date": INTEGERS})
    chat = st.fixed_dictionaries({"id": ids, "type": st.sampled_from(["private", "channel"])})
    message = st.fixed_dictionaries({"message_id": st.just(1), "date": st.just(0), "chat": chat},
                                    optional={"from": _user(ids), "text": st.one_of(
                                        st.sampled_from(["/start", "/start pay_x", "/help",
                                                         "/terms", "/balance"]), TEXT),
                                        "successful_payment": payment,
                                        "refunded_payment": payment})
    pre_checkout = st.fixed_dictionaries({
        "id": TEXT, "from": _user(ids), "currency": st.one_of(st.just("XTR"), TEXT),
        "total_amount": st.one_of(st.just(50), INTEGERS), "invoice_payload": payload})
    callback = st.fixed_dictionaries({"id": TEXT, "from": _user(ids)},
                                     optional={"data": TEXT, "message": st.fixed_dictionaries(
                                         {"chat": chat})})
    member = st.fixed_dictionaries({"status": st.one_of(st.sampled_from(
        ["member", "left", "kicked", "restricted"]), TEXT), "user": _user(ids)})
    chat_member = st.fixed_dictionaries({"chat": chat, "from": _user(ids), "date": st.just(0),
                                         "old_chat_member": member, "new_chat_member": member})
    kinds = st.sampled_from(["message", "pre_checkout_query", "callback_query", "chat_member",
                             "my_chat_member", "chat_join_request", "edited_message"])
    return st.one_of(
        st.builds(lambda i, k, m, p, c, cm: {"update_id": i, k: {
            "message": m, "edited_message": m, "pre_checkout_query": p, "callback_query": c,
            "chat_member": cm, "my_chat_member": cm,
            "chat_join_request": {"chat": cm["chat"], "from": cm["from"], "date": 0}}[k]},
            st.one_of(st.integers(0, 2**31), INTEGERS, TEXT), kinds, message, pre_checkout,
            callback, chat_member),
        JSON)


def _invoice_updates() -> st.SearchStrategy[Any]:
    """Crypto Pay `invoice_paid` updates, fields right, wrong or missing (they get signed)."""
    amount = st.one_of(st.sampled_from(["1", "0.5", "1e400", "-1", "NaN"]), TEXT, INTEGERS,
                       st.floats())
    when = st.one_of(st.sampled_from(["2026-12-02T10:00:00.000Z", "2026-12-02T10:00:00"]),
                     TEXT)
    invoice = st.fixed_dictionaries({
        "invoice_id": st.one_of(st.integers(1, 100), INTEGERS, TEXT), "hash": TEXT,
        "status": st.sampled_from(["paid", "active", "expired", "x"]), "amount": amount,
        "created_at": when},
        optional={"asset": st.sampled_from(["USDT", "TON", "\x00"]), "paid_amount": amount,
                  "paid_asset": TEXT, "payload": TEXT, "paid_at": when, "comment": TEXT,
                  "currency_type": st.sampled_from(["crypto", "fiat", "x"]), "fiat": TEXT})
    return st.one_of(st.fixed_dictionaries({
        "update_id": st.one_of(st.integers(0, 2**31), INTEGERS, TEXT),
        "update_type": st.sampled_from(["invoice_paid", "x"]),
        "request_date": when, "payload": invoice}), JSON)


def _credentials(op: dict[str, Any]) -> list[dict[str, str]]:
    schemes = {name for need in op.get("security", []) for name in need}
    found: list[dict[str, str]] = []
    if "apiToken" in schemes:
        found.append({"Authorization": f"Bearer {API_TOKEN}"})
    if "adminToken" in schemes:
        found.append({"Authorization": f"Bearer {ADMIN_TOKEN}"})
    if "telegramSecret" in schemes:
        found.append({"X-Telegram-Bot-Api-Secret-Token": SECRET})
    return found or [{}]


@st.composite
def requests(draw: st.DrawFn, op: dict[str, Any], method: str, path: str
             ) -> tuple[str, str, dict[str, str], bytes | None]:
    url = path
    for param in [p for p in op.get("parameters", []) if p["in"] == "path"]:
        value = draw(st.one_of(PATH_VALUES.get(param["name"], TEXT), TEXT))
        url = url.replace("{" + param["name"] + "}",
                          quote(value.encode("utf-8", "surrogatepass"), safe=""))
    query = {p["name"]: draw(QUERY_VALUES) for p in op.get("parameters", [])
             if p["in"] == "query" and draw(st.booleans())}
    if query:
        url += "?" + "&".join(f"{quote(k)}={quote(v.encode('utf-8', 'surrogatepass'), safe='')}"
                              for k, v in query.items())
    headers = dict(draw(st.sampled_from([*_credentials(op), {}, {
        "Authorization": "Bearer wrong"}]) if draw(st.integers(0, 9)) == 0 else
        st.sampled_from(_credentials(op))))
    body: Any = None
    if path == "/api/telegram/webhook":
        body = draw(_updates())
    elif path == "/api/cryptopay/webhook":
        body = draw(_invoice_updates())
    elif "requestBody" in op:
        schema = op["requestBody"]["content"]["application/json"]["schema"]
        body = draw(st.one_of(from_schema(schema), from_schema(schema), JSON))
    raw = None if body is None else json.dumps(body).encode()
    if raw is not None and draw(st.integers(0, 19)) == 0:
        raw = draw(st.sampled_from([b"", b"{", b"\xff\xfe", b"[" * 2000 + b"]" * 2000,
                                    b'{"a": 1e999}']))
    if raw is not None:
        headers["content-type"] = "application/json"
    if path == "/api/cryptopay/webhook" and raw is not None and draw(st.integers(0, 4)) > 0:
        headers["crypto-pay-api-signature"] = sign(SANDBOX_CRYPTOPAY_TOKEN, raw)
    return method.upper(), url, headers, raw


@pytest.mark.parametrize(("method", "path"), OPERATIONS,
                         ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_no_request_gets_a_5xx_or_an_undocumented_status(target: Target, method: str,
                                                          path: str) -> None:
    op = target.document["paths"][path][method]
    documented = set(op["responses"])

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(requests(op, method, path))
    def check(request: tuple[str, str, dict[str, str], bytes | None]) -> None:
        verb, url, headers, raw = request
        response = target.http.request(verb, url, headers=headers, content=raw)
        assert response.status_code < 500, (response.status_code, response.text[:300])
        assert str(response.status_code) in documented, (
            f"{verb} {path} answered {response.status_code}, not in the document "
            f"({sorted(documented)}): {response.text[:300]}")

    check()
