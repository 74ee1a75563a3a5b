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
MONEY = obj(amount="str", currency="str")
INVITE = {"oneOf": [{"type": "null"}, obj(link="str", expiresAt="time")]}

_CONVERSATION: dict[str, str | S] = dict(
    conversationId="str", telegramUserId="int", firstName="str", username="str?",
    openedAt="time", lastMessageAt="time", closedAt="time?", open="bool")

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
    "AdminSession": obj(
        sessionId="str", userId="str", packageId="str", provider="str", status="str",
        price=MONEY, credits="int", telegramUserId="int?", chargeId="str?", invoiceId="str?",
        createdAt="time", paidAt="time?", refundedAt="time?", failureReason="str?"),
    "PaymentStory": obj(
        session=ref("AdminSession"),
        charges=array(obj(provider="str", chargeId="str", status="str", paid=MONEY,
                          reportedAt="time", payerTelegramId="int?", reason="str?",
                          providerChargeId="str?")),
        ledger=array(ref("LedgerEntry")),
        refund={"oneOf": [{"type": "null"}, obj(credits="int", debt="int", initiatedBy="str",
                                                reason="str", createdAt="time")]},
        deliveries=array(ref("Delivery")), events=array(ref("Event")),
        audit=array(ref("AdminAction"))),
    "LedgerEntry": obj(entryId="str", kind="str", memo="str", reference="str?",
                       createdAt="time", postings=array(obj(account="str", amount="int"))),
    "AdminAction": obj(id="str", at="time", admin="str", action="str", target="str",
                       reason="str", detail="str"),
    "UserOverview": obj(userId="str", balance="int", debt="int",
                        ledger=array(ref("LedgerEntry")), telegram=array(ref("TelegramLink")),
                        sessions=array(ref("AdminSession")), patrons=array(ref("PatronRow")),
                        audit=array(ref("AdminAction"))),
    "PatronRow": obj(telegramUserId="int", userId="str", source="str", since="time",
                     until="time?", active="bool", subscriptionChargeId="str?"),
    "OutboxItem": obj(id="str", kind="str", chatId="int", status="str", attempts="int",
                      createdAt="time", nextAttemptAt="time?", sentAt="time?",
                      lastError="str?"),
    "Day": obj(day="str", payments=array(obj(provider="str", currency="str", count="int")),
               revenue=array(obj(provider="str", currency="str", amount="str")),
               creditsSold="int", refunds="int",
               refunded=array(obj(provider="str", currency="str", amount="str")),
               creditsRefunded="int", failures="int"),
    "SupportConversation": obj(**_CONVERSATION),
    "SupportConversations": obj(conversations=array(ref("SupportConversation")),
                                nextCursor="str?"),
    "SupportMessage": obj(messageId="str", direction={"enum": ["in", "out"]},
                          senderTelegramId="int", senderName="str", text="str", sentAt="time",
                          supportChatId="int?", supportMessageId="int?"),
    "SupportConversationWithMessages": obj(**_CONVERSATION,
                                           messages=array(ref("SupportMessage"))),
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
    ("get", "/api/admin/payments"): ("findPayments", array(ref("AdminSession"))),
    ("get", "/api/admin/payments/{sessionId}"): ("getPaymentStory", ref("PaymentStory")),
    ("get", "/api/admin/users/{userId}"): ("getUserOverview", ref("UserOverview")),
    ("get", "/api/admin/patrons"): ("listPatrons", array(ref("PatronRow"))),
    ("get", "/api/admin/outbox"): ("listOutbox", array(ref("OutboxItem"))),
    ("post", "/api/admin/outbox/{itemId}/retry"): ("retryOutboxItem", ref("OutboxItem")),
    ("get", "/api/admin/stats"): ("getStats", array(ref("Day"))),
    ("get", "/api/admin/audit"): ("listAuditTrail", array(ref("AdminAction"))),
    ("post", "/api/admin/users/{userId}/adjust"): ("adjustCredits", ref("Adjustment")),
    ("get", "/api/admin/events"): ("listEvents", array(ref("Event"))),
    ("post", "/api/admin/events/{eventId}/resend"): ("resendEvent", ref("Event")),
    ("get", "/api/admin/support/conversations"): ("listSupportConversations",
                                                  ref("SupportConversations")),
    ("get", "/api/admin/support/conversations/{conversationId}"): (
        "getSupportConversation", ref("SupportConversationWithMessages")),
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
