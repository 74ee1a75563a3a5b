"""The OpenAPI 3.1 document of every route: request bodies from the pydantic models."""

from __future__ import annotations

import functools
from typing import Any

from pydantic import BaseModel

from starport.entrypoints.http import schemas as s
from starport.entrypoints.http.response_schemas import OPERATIONS, SCHEMAS

S = dict[str, Any]
_ERROR: S = {"$ref": "#/components/schemas/Error"}
_HOST: list[S] = [{"apiToken": []}, {"miniApp": []}]
_ADMIN: list[S] = [{"adminToken": []}]
_SERVER: list[S] = [{"apiToken": []}]  # the host app's server only

# (method, path, summary, tag, security, body model, success status, errors); the operation's
# id and success schema are in response_schemas.OPERATIONS.
_ROUTES: list[tuple[str, str, str, str, list[S] | None, type[BaseModel] | None, int,
                    tuple[int, ...]]] = [
    ("post", "/api/telegram/webhook", "Telegram updates (X-Telegram-Bot-Api-Secret-Token); "
     "the answer may be the Bot API call Telegram waits for (answerPreCheckoutQuery, "
     "answerCallbackQuery); the header X-Starport-Outcome says what came of the update",
     "webhooks", [{"telegramSecret": []}], None, 200, (400, 403, 503)),
    ("post", "/api/cryptopay/webhook", "Crypto Pay updates (crypto-pay-api-signature, raw body)",
     "webhooks", [{"cryptoPaySignature": []}], None, 200, (400, 401, 503)),
    ("get", "/api/packages", "Credit packages on sale, with prices per payment method",
     "payments", [], None, 200, ()),
    ("post", "/api/payments/create-session", "Open a payment session for a package", "payments",
     _HOST, s.CreateSessionBody, 201, (400, 401, 403, 404, 409, 422, 429, 502)),
    ("get", "/api/payments/sessions/{sessionId}", "A payment session (a Mini App: its own)",
     "payments", _HOST, None, 200, (401, 404)),
    ("get", "/api/users/{userId}/balance", "Balance and debt of a user", "credits", _HOST, None,
     200, (401, 403)),
    ("get", "/api/users/{userId}/ledger", "A user's ledger lines, newest first (?limit=1..500)",
     "credits", _HOST, None, 200, (401, 403, 422)),
    ("post", "/api/users/{userId}/spend", "Spend credits once per idempotencyKey", "credits",
     _HOST, s.SpendBody, 200, (401, 403, 409, 422)),
    ("get", "/api/users/{userId}/telegram", "The Telegram accounts linked to a user", "users",
     _SERVER, None, 200, (401, 403)),
    ("post", "/api/users/{userId}/telegram", "Link a Telegram account to a user (one user at a "
     "time: 409 if linked elsewhere); its Telegram-only credits move to the user", "users",
     _SERVER, s.LinkBody, 200, (401, 403, 409)),
    ("post", "/api/users/{userId}/telegram/link-token", "A one-time deep link (start=link_...) "
     "that links the Telegram account which opens it in the bot", "users", _SERVER, None, 201,
     (401, 403)),
    ("delete", "/api/users/{userId}/telegram/{telegramUserId}", "Unlink a Telegram account",
     "users", _SERVER, None, 200, (401, 403, 404)),
    ("post", "/api/admin/payments/{sessionId}/refund", "Refund a paid session", "admin", _ADMIN,
     s.RefundBody, 200, (401, 404, 409, 502)),
    ("post", "/api/admin/payments/{sessionId}/refund-recorded",
     "Record a refund made outside Starport (a payment provider's dashboard)", "admin", _ADMIN,
     s.RefundBody, 200, (401, 404, 409)),
    ("get", "/api/admin/bot-messages", "Every bot message", "admin", _ADMIN, None, 200,
     (401, 404)),
    ("get", "/api/admin/bot-messages/{key}", "One bot message", "admin", _ADMIN, None, 200,
     (401, 404)),
    ("put", "/api/admin/bot-messages/{key}", "Change a bot message (audited)", "admin", _ADMIN,
     s.BotMessageBody, 200, (401, 404, 422)),
    ("post", "/api/admin/bot-messages/{key}/reset", "Back to the shipped default", "admin",
     _ADMIN, None, 200, (401, 404)),
    ("get", "/api/admin/bot-messages/{key}/history", "Changes of a bot message, newest first",
     "admin", _ADMIN, None, 200, (401, 404)),
    ("post", "/api/admin/bot-messages/{key}/preview", "A text as the bot would send it, with "
     "sample values, or why it could not be sent (HTML, MarkdownV2, placeholders, length)",
     "admin", _ADMIN, s.PreviewBody, 200, (401, 404)),
    ("get", "/api/admin/jobs", "Every job: interval, whether it is scheduled here, runs and "
     "failures, last start / end / success, last counts and error, next run", "admin", _ADMIN,
     None, 200, (401, 404)),
    ("post", "/api/admin/jobs/{name}/run", "Run a job now: expire-sessions, "
     "reconcile-telegram-stars, reconcile-cryptopay, dispatch-outbox, check-memberships, "
     "bulk-invite, prune-webhook-inbox, cryptopay-balance-alert", "admin", _ADMIN, None, 200,
     (400, 401, 404, 409)),
    ("get", "/api/admin/deliveries", "Webhook deliveries as received (those handled), newest "
     "first, by updateId, chargeId, invoiceId, sessionId, source (?limit=1..500)", "admin",
     _ADMIN, None, 200, (401, 422)),
    ("get", "/api/admin/webhooks", "The same as /api/admin/deliveries (its former name)",
     "admin", _ADMIN, None, 200, (401, 422)),
    ("get", "/api/admin/payments", "Find payment sessions by any id you hold (q: a session, "
     "user, Telegram or charge / Crypto Pay invoice id) or by userId, telegramUserId, chargeId;"
     " filters provider, status, since, until (created); newest first, before=<createdAt>,"
     "<sessionId> for the next page", "back office", _ADMIN, None, 200, (401, 422)),
    ("get", "/api/admin/payments/{sessionId}", "A payment's whole story: the session, every "
     "charge reported, its ledger entries, refund, raw deliveries, events and audit trail",
     "back office", _ADMIN, None, 200, (401, 404)),
    ("get", "/api/admin/users/{userId}", "A user: balance, ledger, linked Telegram accounts, "
     "payment sessions, patronage, audit trail", "back office", _ADMIN, None, 200, (401, 422)),
    ("get", "/api/admin/patrons", "Patrons of the paid channel by Telegram id (after=, limit=)",
     "back office", _ADMIN, None, 200, (401, 422)),
    ("get", "/api/admin/outbox", "Outbox items (bot messages, invoices, invites, events...), "
     "newest first; status=failed for what was given up on", "back office", _ADMIN, None, 200,
     (401, 422)),
    ("post", "/api/admin/outbox/{itemId}/retry", "Try an outbox item again now (a failed one "
     "gets a fresh round of attempts; 409 for one being sent right now, or one sent already "
     "unless an event)", "back office", _ADMIN, None, 200, (401, 404, 409)),
    ("get", "/api/admin/stats", "Per day (UTC), oldest first, the last days=1..366 (30): "
     "payments and revenue by provider and currency, credits sold, refunds, refused charges",
     "back office", _ADMIN, None, 200, (401, 422)),
    ("get", "/api/admin/audit", "The admins' audit trail, newest first (admin=, target=, "
     "before=<at>,<id> of the last one shown, limit=)", "back office", _ADMIN, None, 200,
     (401, 422)),
    ("post", "/api/admin/users/{userId}/adjust", "Grant (credits > 0) or take (< 0) credits "
     "with a reason, once per idempotencyKey: a ledger entry of kind adjustment, the admin "
     "its reference (taking more than the balance needs allowDebt)", "admin", _ADMIN,
     s.AdjustBody, 200, (401, 409, 422)),
    ("get", "/api/admin/events", "Events sent to the host app (STARPORT_EVENTS_URL), newest "
     "first: by status (pending, sent, failed), userId, before (<createdAt>,<id> of the last "
     "one shown: the next page), "
     "limit (1..500)", "admin", _ADMIN, None, 200, (401, 422)),
    ("post", "/api/admin/events/{eventId}/resend", "Send one event again now (same "
     "webhook-id: a receiver drops one it has seen)", "admin", _ADMIN, None, 200,
     (401, 404, 422)),
    ("get", "/api/admin/support/conversations", "Support conversations, newest opened first "
     "(?limit=1..200, ?cursor=nextCursor of the previous page)", "admin", _ADMIN, None, 200,
     (401, 404, 422)),
    ("get", "/api/admin/support/conversations/{conversationId}", "A support conversation with "
     "its messages: what the user wrote (in) and what agents answered (out), oldest first",
     "admin", _ADMIN, None, 200, (401, 404)),
    ("post", "/api/admin/patrons", "Make a patron (and invite them to the channel)", "admin",
     _ADMIN, s.PatronBody, 201, (401, 404, 409, 422)),
    ("delete", "/api/admin/patrons/{telegramUserId}", "End a patronage", "admin", _ADMIN, None,
     200, (401, 404, 409)),
    ("post", "/api/patrons", "The host app marks a patron (invited to the channel)", "perks",
     [{"apiToken": []}], s.PatronBody, 201, (401, 403, 404, 409, 422)),
    ("delete", "/api/patrons/{telegramUserId}", "The host app ends a patronage", "perks",
     [{"apiToken": []}], None, 200, (401, 403, 404, 409)),
    ("get", "/healthz", "200 when the database answers, else 503", "operations", [], None, 200,
     (503,)),
    ("get", "/readyz", "200 when the database answers and is at the latest migration, else 503",
     "operations", [], None, 200, (503,)),
    ("get", "/metrics", "Prometheus metrics (text exposition format)", "operations", [], None,
     200, ()),
    ("get", "/openapi.json", "This document", "operations", [], None, 200, ()),
    ("get", "/docs", "This document as a page to read (HTML, served by the server itself)",
     "operations", [], None, 200, ()),
]

# Every field optional: no body is {}.
_OPTIONAL_BODIES: set[type[BaseModel]] = {s.RefundBody, s.PreviewBody}

_COMPONENTS: S = {
    "Error": {"type": "object", "required": ["error"], "properties": {"error": {
        "type": "object", "required": ["code", "message"],
        "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}}},
    **SCHEMAS,
}
_SECURITY: S = {
    "apiToken": {"type": "http", "scheme": "bearer", "description": "STARPORT_API_TOKEN"},
    "miniApp": {"type": "apiKey", "in": "header", "name": "Authorization",
                "description": "`tma <Telegram WebApp initData>`"},
    "adminToken": {"type": "http", "scheme": "bearer", "description": "STARPORT_ADMIN_TOKEN"},
    "telegramSecret": {"type": "apiKey", "in": "header",
                       "name": "X-Telegram-Bot-Api-Secret-Token"},
    "cryptoPaySignature": {"type": "apiKey", "in": "header", "name": "crypto-pay-api-signature"},
}


def _operation(route: tuple[Any, ...]) -> tuple[str, str, S]:
    method, path, summary, tag, security, body, status, errors = route
    operation_id, schema = OPERATIONS[(method, path)]
    media = _MEDIA.get(path, "application/json")
    op: S = {"summary": summary, "tags": [tag], "operationId": operation_id,
             "responses": {str(status): {"description": "success",
                                         "content": {media: {"schema": schema}}}}}
    params = [p.strip("{}") for p in path.split("/") if p.startswith("{")]
    if params:
        op["parameters"] = [{"name": p, "in": "path", "required": True,
                             "schema": {"type": "string"}} for p in params]
    if path in ("/api/admin/deliveries", "/api/admin/webhooks"):
        op["parameters"] = [{"name": n, "in": "query", "schema": {"type": "string"}}
                            for n in ("updateId", "chargeId", "invoiceId", "sessionId",
                                      "source", "limit")]
    if path == "/api/payments/create-session":
        op["parameters"] = [{
            "name": "Idempotency-Key", "in": "header", "required": False,
            "description": "1-255 visible ASCII characters (e.g. a UUID): a retry with the same "
                           "key and body gets the same session (header Idempotent-Replayed: "
                           "true); the same key with another body is a 409",
            "schema": {"type": "string", "minLength": 1, "maxLength": 255}}]
    if path in _QUERIES:
        op["parameters"] = op.get("parameters", []) + [
            {"name": n, "in": "query", "schema": {"type": "string"}} for n in _QUERIES[path]]
    if path == "/api/admin/support/conversations":
        op["parameters"] = [
            {"name": "limit", "in": "query",
             "schema": {"type": "integer", "minimum": 1, "maximum": 200}},
            {"name": "cursor", "in": "query", "schema": {"type": "string"}}]
    if path.startswith("/api/admin/bot-messages"):
        op.setdefault("parameters", []).append({
            "name": "language", "in": "query", "required": False,
            "description": "a language code (en, ru, pt-br): the text of that language; none: "
                           "the default language's (for the history: every language's)",
            "schema": {"type": "string"}})
    if path.endswith("/ledger"):
        op["parameters"].append({"name": "limit", "in": "query",
                                 "schema": {"type": "integer", "minimum": 1, "maximum": 500}})
    if security is not None:
        op["security"] = security
    if body is not None:
        schema = body.model_json_schema(by_alias=True)
        op["requestBody"] = {"required": body not in _OPTIONAL_BODIES,
                             "content": {"application/json": {"schema": schema}}}
    for code in sorted(set(errors) | _implied(path, security, body, op.get("parameters", []))):
        op["responses"][str(code)] = {"description": "error",
                                      "content": {"application/json": {"schema": _ERROR}}}
    return method, path, op


_NO_DATABASE = {"/api/packages", "/metrics", "/openapi.json", "/docs"}
_QUERIES = {
    "/api/admin/events": ("status", "userId", "before", "limit"),
    "/api/admin/payments": ("q", "userId", "telegramUserId", "chargeId", "provider", "status",
                            "since", "until", "before", "limit"),
    "/api/admin/users/{userId}": ("limit",),
    "/api/admin/patrons": ("after", "limit"),
    "/api/admin/outbox": ("status", "before", "limit"),
    "/api/admin/stats": ("days",),
    "/api/admin/audit": ("admin", "target", "before", "limit"),
}
_MEDIA = {"/metrics": "text/plain", "/docs": "text/html"}


def _implied(path: str, security: list[S] | None, body: type[BaseModel] | None,
             parameters: list[S]) -> set[int]:
    """What every operation of a kind can answer, whatever its handler does: a body can be
    malformed (400), too large (413) or invalid (422); a path value can match no route or no
    record (404) or hold what cannot be stored (422); a query value can be invalid (422); a
    bearer or Mini App credential can be missing or wrong (401); the database can be down or
    hung (503, with Retry-After) wherever it is used."""
    codes: set[int] = set() if path in _NO_DATABASE else {503}
    if body is not None or path.endswith("/webhook"):
        codes |= {400, 413}
    if body is not None:
        codes.add(422)
    if any(p["in"] == "path" for p in parameters):
        codes |= {404, 422}
    if any(p["in"] == "query" for p in parameters):
        codes.add(422)
    if any(name in need for need in security or [] for name in ("apiToken", "adminToken")):
        codes.add(401)
    return codes


@functools.cache
def document() -> S:
    paths: S = {}
    for route in _ROUTES:
        method, path, op = _operation(route)
        paths.setdefault(path, {})[method] = op
    return {"openapi": "3.1.0",
            "info": {"title": "Starport", "version": "0.1.0",
                     "description": "Payments and perks backend for Telegram bots."},
            "paths": paths,
            "components": {"schemas": _COMPONENTS, "securitySchemes": _SECURITY}}
