"""Languages of the bot's messages: IETF tags as Telegram sends them in `language_code`
("en", "ru", "pt-br"), and the order in which a user's language falls back."""

from __future__ import annotations

import re
from dataclasses import dataclass

from starport.domain.errors import InvalidLanguage

# A primary language of 2-3 letters, then subtags ("pt-br", "zh-hans", "sr-latn-rs").
_TAG = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{1,8})*$")
MAX_TAG = 35  # the column's width; real tags are far shorter


def language(code: str) -> str:
    """The tag in lower case with hyphens ("pt_BR" -> "pt-br"); InvalidLanguage otherwise."""
    tag = code.strip().lower().replace("_", "-")
    if len(tag) > MAX_TAG or not _TAG.match(tag):
        raise InvalidLanguage(f"{code!r} is not a language code (e.g. en, ru, pt-br)")
    return tag


@dataclass(frozen=True, slots=True)
class Languages:
    """Where a user's text is looked for, in order: their own tag, its broader tags, then the
    default language ("pt-br" -> pt-br, pt, en). A missing or malformed `language_code` (a
    user who hides it, a client that sends nonsense) reads the default."""

    chain: tuple[str, ...]

    @classmethod
    def of(cls, code: str | None, default: str) -> Languages:
        tags: list[str] = []
        if code:
            try:
                tag = language(code)
            except InvalidLanguage:
                tag = ""
            parts = tag.split("-") if tag else []
            tags = ["-".join(parts[:n]) for n in range(len(parts), 0, -1)]
        return cls(tuple(dict.fromkeys([*tags, default])))

    @property
    def default(self) -> str:
        return self.chain[-1]
