"""Sandbox Telegram: a Telegram Bot API emulator over HTTP (Stars and card payments, channels)."""

from __future__ import annotations

from starport.sandbox.telegram.actor import Actor, PaymentOutcome
from starport.sandbox.telegram.app import create_app
from starport.sandbox.telegram.delivery import Delivery, DeliverySettings
from starport.sandbox.telegram.errors import ApiError, SandboxError
from starport.sandbox.telegram.models import Channel, User
from starport.sandbox.telegram.ratelimit import Limits
from starport.sandbox.telegram.records import Call, SpecViolation, Stats
from starport.sandbox.telegram.spec import ApiSpec, load_spec
from starport.sandbox.telegram.spec_model import SpecError
from starport.sandbox.telegram.state import DEFAULT_BOT_TOKEN, SandboxTelegram

__all__ = [
    "DEFAULT_BOT_TOKEN",
    "Actor",
    "ApiError",
    "ApiSpec",
    "Call",
    "Channel",
    "Delivery",
    "DeliverySettings",
    "Limits",
    "PaymentOutcome",
    "SandboxError",
    "SandboxTelegram",
    "SpecError",
    "SpecViolation",
    "Stats",
    "User",
    "create_app",
    "load_spec",
]
