"""Sandbox Telegram: a Telegram Bot API emulator over HTTP (Stars and card payments, channels)."""

from __future__ import annotations

from sandbox.telegram.actor import Actor, PaymentOutcome
from sandbox.telegram.app import create_app
from sandbox.telegram.delivery import Delivery, DeliverySettings
from sandbox.telegram.errors import ApiError, SandboxError
from sandbox.telegram.models import Channel, User
from sandbox.telegram.ratelimit import Limits
from sandbox.telegram.records import Call, SpecViolation, Stats
from sandbox.telegram.spec import ApiSpec, load_spec
from sandbox.telegram.spec_model import SpecError
from sandbox.telegram.state import DEFAULT_BOT_TOKEN, SandboxTelegram

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
