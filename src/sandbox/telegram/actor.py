"""Actor: acting as users of the emulated Telegram (messages, buttons, payments, channels)."""

from __future__ import annotations

from starport.sandbox.telegram.channel_actions import ChannelActions
from starport.sandbox.telegram.pay_actions import PaymentActions, PaymentOutcome

__all__ = ["Actor", "PaymentOutcome"]


class Actor(PaymentActions, ChannelActions):
    """Get one with `SandboxTelegram.actor(token)`; see ActorBase, PaymentActions and
    ChannelActions for what users can do, and the read-only views of what the bot did."""
