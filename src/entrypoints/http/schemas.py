"""Request bodies of the REST API (camelCase on the wire), validated strictly."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictBool, StrictInt
from pydantic.alias_generators import to_camel
from starlette.requests import Request

from starport.domain.providers import Provider
from starport.entrypoints.http.errors import ApiError
from starport.entrypoints.http.inputs import INT64, Text

PAYMENT_METHODS: dict[str, Provider] = {
    "telegram": Provider.TELEGRAM_STARS,
    "telegram_stars": Provider.TELEGRAM_STARS,
    "cryptopay": Provider.CRYPTOPAY,
    "telegram_payments": Provider.TELEGRAM_PAYMENTS,
}
USER_ID = r"^[A-Za-z0-9_.:@-]+$"  # also the shape of a userId in a path


def user_id_param(request: Request) -> str:
    """The path's userId, refused (422) when it has a shape no user id has."""
    requested: str = request.path_params["user_id"]
    if not re.fullmatch(USER_ID, requested) or len(requested) > 128:
        raise ApiError(422, "invalid_request", "userId has an invalid shape")
    return requested


class Body(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=False, extra="forbid",
                              str_strip_whitespace=True, frozen=True)


class CreateSessionBody(Body):
    package_id: Text = Field(min_length=1, max_length=64)
    payment_method: Literal["telegram", "telegram_stars", "cryptopay", "telegram_payments"]
    user_id: str | None = Field(default=None, min_length=1, max_length=128, pattern=USER_ID)
    telegram_user_id: StrictInt | None = Field(default=None, gt=0, le=INT64)

    @property
    def provider(self) -> Provider:
        return PAYMENT_METHODS[self.payment_method]


class SpendBody(Body):
    credits: StrictInt = Field(gt=0, le=1_000_000_000)
    idempotency_key: Text = Field(min_length=1, max_length=128)
    reason: Text = Field(default="", max_length=500)


class LinkBody(Body):
    telegram_user_id: StrictInt = Field(gt=0, le=INT64)


class AdjustBody(Body):
    credits: StrictInt = Field(ge=-1_000_000_000, le=1_000_000_000,
                               description="granted (> 0) or taken (< 0), never 0")
    reason: Text = Field(min_length=1, max_length=500)
    idempotency_key: Text = Field(min_length=1, max_length=128)
    allow_debt: StrictBool = False


class RefundBody(Body):
    reason: Text = Field(default="", max_length=500)
    allow_debt: StrictBool = False
    # Who gets the money back when Starport does not know who paid (a refund made by Starport).
    telegram_user_id: StrictInt | None = Field(default=None, gt=0, le=INT64)


class _TemplateBody(Body):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=False, extra="forbid",
                              frozen=True)  # a template keeps its whitespace


class BotMessageBody(_TemplateBody):
    template: Text = Field(min_length=1, max_length=4096)
    parse_mode: Text | None = None


class PreviewBody(_TemplateBody):
    """What to preview; no template: the text in force in the language."""

    template: Text | None = Field(default=None, min_length=1, max_length=4096)
    parse_mode: Text | None = None


class PatronBody(Body):
    telegram_user_id: StrictInt = Field(gt=0, le=INT64)
    user_id: str | None = Field(default=None, min_length=1, max_length=128, pattern=USER_ID)
    until: AwareDatetime | None = None
    first_name: Text = Field(default="", max_length=64)


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
