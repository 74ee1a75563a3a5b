"""The JSON Schema of every success body the API answers, for /openapi.json: what
`serialize.py` and the route handlers write, field by field (tested against real answers:
tests/integration/http/test_http_response_schemas.py)."""

from __future__ import annotations

from typing import Any

S = dict[str, Any]

_KINDS: dict[str, S] = {
    "str": {"type": "string"}, "str?": {"type": ["string", "null"]},
    "int": {"type": "integer"}, "int?": {"type": ["integer", "null"]},
    "num?": {"type": ["number", "null"]}, "bool": {"type": "boolean"},
    "time": {"type": "string", "format": "date-time"},
    "time?": {"type": ["string", "null"], "format": "date-time"},
    "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
    "strings": {"type": "array", "items": {"type": "string"}},
    "headers": {"type": "object", "additionalProperties": {"type": "string"}},
}


def obj(**fields: str | S) -> S:
    """Every field present (null where the kind ends in ?), nothing else."""
    return {"type": "object", "additionalProperties": False, "required": list(fields),
            "properties": {name: _KINDS[k] if isinstance(k, str) else k
                           for name, k in fields.items()}}


def ref(name: str) -> S:
    return {"$ref": f"#/components/schemas/{name}"}


def array(item: S) -> S:
    return {"type": "array", "items": item}


PRICE = {"oneOf": [{"type": "integer"}, obj(amount="str", currency="str")]}
INVITE = {"oneOf": [{"type": "null"}, obj(link="str", expiresAt="time")]}

SCHEMAS: S = {
    "Package": obj(id="str", title="str", description="str", credits="int", prices={
        "type": "object", "additionalProperties": PRICE,
        "description": "by payment method: Stars an integer, other amounts decimal strings"}),
    "Session": obj(
        sessionId="str", userId="str", packageId="str", paymentMethod="str", status="str",
        amount="str", currency="str", credits="int", createdAt="time", expiresAt="time",
        deepLink="str?", invoiceLink="str?", payUrl="str?", miniAppUrl="str?",
        webAppUrl="str?", paidAt="time?", refundedAt="time?", failureReason="str?"),
    "Balance": obj(userId="str", balance="int", debt="int"),
    "Ledger": obj(userId="str", entries=array(obj(
        entryId="str", kind="str", amount="int", memo="str", reference="str?",
        createdAt="time"))),
    "Spend": obj(userId="str", balance="int", spent="int", replayed="bool"),
    "Adjustment": obj(userId="str", balance="int", adjusted="int", replayed="bool"),
    "TelegramLink": obj(userId="str", telegramUserId="int", linkedAt="time", via="str"),
    "TelegramLinks": obj(userId="str", telegram=array(ref("TelegramLink"))),
    "Unlinked": obj(userId="str", telegramUserId="int", linked="bool"),
    "LinkToken": obj(userId="str", token="str", deepLink="str", expiresAt="time"),
    "Refund": obj(sessionId="str", credits="int", debt="int", alreadyRefunded="bool"),
    "BotMessage": obj(key="str", language="str", template="str", parseMode="str?",
                      placeholders="strings", purpose="str", button="bool", maxLength="int",
                      isDefault="bool", fallsBack="bool", updatedBy="str?", updatedAt="time?",
                      texts=array(ref("BotMessageText"))),
    "BotMessageText": obj(language="str", template="str", parseMode="str?", fallsBack="bool",
                          isDefault="bool", updatedBy="str?", updatedAt="time?"),
    "BotMessageChange": obj(key="str", language="str", previous="str", current="str",
                            changedBy="str", changedAt="time"),
    "BotMessagePreview": obj(key="str", language="str", parseMode="str?", ok="bool",
                             text="str?", error="str?"),
    "Job": obj(name="str", intervalSeconds="num?", scheduled="bool", runs="int",
               failures="int", lastStartedAt="time?", lastFinishedAt="time?",
               lastSuccessAt="time?", lastCounts="counts", lastError="str?",
               nextRunAt="time?"),
    "JobRun": obj(job="str", counts="counts"),
    "Delivery": obj(id="str", source="str", receivedAt="time", verified="bool",
                    updateId="str?", chargeId="str?", invoiceId="str?", sessionId="str?",
                    outcome="str?", headers="headers", body="str", bodySha256="str"),
    "Event": obj(id="str", type="str", userId="str", status="str", attempts="int",
                 createdAt="time", nextAttemptAt="time?", sentAt="time?", lastError="str?",
                 payload={"type": "object", "required": ["type", "timestamp", "data"],
                          "description": "the body sent: {type, timestamp, data}"}),
    "Patron": obj(telegramUserId="int", userId="str", until="time?", invite=INVITE),
    "PatronEnded": obj(telegramUserId="int", ended="bool"),
    "Health": obj(status="str"),
    "WebhookAnswer": {"type": "object", "description": "{} or the Bot API call Telegram "
                      "waits for, e.g. {method: answerPreCheckoutQuery, ...}"},
    "CryptoPayAnswer": {"type": "object", "required": ["ok"],
                        "properties": {"ok": {"type": "boolean"}, "outcome": {"type": "string"}}},
}

# Each operation's id and success schema, by (method, path).
OPERATIONS: dict[tuple[str, str], tuple[str, S]] = {
    ("post", "/api/telegram/webhook"): ("telegramWebhook", ref("WebhookAnswer")),
    ("post", "/api/cryptopay/webhook"): ("cryptoPayWebhook", ref("CryptoPayAnswer")),
    ("get", "/api/packages"): ("listPackages", array(ref("Package"))),
    ("post", "/api/payments/create-session"): ("createSession", ref("Session")),
    ("get", "/api/payments/sessions/{sessionId}"): ("getSession", ref("Session")),
    ("get", "/api/users/{userId}/balance"): ("getBalance", ref("Balance")),
    ("get", "/api/users/{userId}/ledger"): ("getLedger", ref("Ledger")),
    ("post", "/api/users/{userId}/spend"): ("spendCredits", ref("Spend")),
    ("get", "/api/users/{userId}/telegram"): ("listTelegramLinks", ref("TelegramLinks")),
    ("post", "/api/users/{userId}/telegram"): ("linkTelegram", ref("TelegramLink")),
    ("post", "/api/users/{userId}/telegram/link-token"): ("createLinkToken", ref("LinkToken")),
    ("delete", "/api/users/{userId}/telegram/{telegramUserId}"): ("unlinkTelegram",
                                                                  ref("Unlinked")),
    ("post", "/api/admin/payments/{sessionId}/refund"): ("refundPayment", ref("Refund")),
    ("post", "/api/admin/payments/{sessionId}/refund-recorded"): ("recordRefund",
                                                                  ref("Refund")),
    ("get", "/api/admin/bot-messages"): ("listBotMessages", array(ref("BotMessage"))),
    ("get", "/api/admin/bot-messages/{key}"): ("getBotMessage", ref("BotMessage")),
    ("put", "/api/admin/bot-messages/{key}"): ("updateBotMessage", ref("BotMessage")),
    ("post", "/api/admin/bot-messages/{key}/reset"): ("resetBotMessage", ref("BotMessage")),
    ("get", "/api/admin/bot-messages/{key}/history"): ("getBotMessageHistory",
                                                       array(ref("BotMessageChange"))),
    ("post", "/api/admin/bot-messages/{key}/preview"): ("previewBotMessage",
                                                        ref("BotMessagePreview")),
    ("get", "/api/admin/jobs"): ("listJobs", array(ref("Job"))),
    ("post", "/api/admin/jobs/{name}/run"): ("runJob", ref("JobRun")),
    ("get", "/api/admin/deliveries"): ("findDeliveries", array(ref("Delivery"))),
    ("get", "/api/admin/webhooks"): ("findWebhooks", array(ref("Delivery"))),
    ("post", "/api/admin/users/{userId}/adjust"): ("adjustCredits", ref("Adjustment")),
    ("get", "/api/admin/events"): ("listEvents", array(ref("Event"))),
    ("post", "/api/admin/events/{eventId}/resend"): ("resendEvent", ref("Event")),
    ("post", "/api/admin/patrons"): ("makePatron", ref("Patron")),
    ("delete", "/api/admin/patrons/{telegramUserId}"): ("endPatron", ref("PatronEnded")),
    ("post", "/api/patrons"): ("makePatronFromHost", ref("Patron")),
    ("delete", "/api/patrons/{telegramUserId}"): ("endPatronFromHost", ref("PatronEnded")),
    ("get", "/healthz"): ("getHealth", ref("Health")),
    ("get", "/readyz"): ("getReadiness", ref("Health")),
    ("get", "/metrics"): ("getMetrics", {"type": "string"}),
    ("get", "/openapi.json"): ("getOpenApi", {"type": "object"}),
    ("get", "/docs"): ("getApiReference", {"type": "string"}),
}
