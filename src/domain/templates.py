"""Template syntax: `{placeholder}` filling, placeholder checks, and Telegram's HTML subset."""

from __future__ import annotations

import html
import re
import string
from html.parser import HTMLParser

from starport.domain.errors import InvalidTemplate

PARSE_MODES = (None, "HTML", "MarkdownV2")

# The tags Telegram accepts in HTML parse mode (https://core.telegram.org/bots/api#html-style).
_HTML_TAGS: dict[str, set[str]] = {
    "b": set(), "strong": set(), "i": set(), "em": set(), "u": set(), "ins": set(),
    "s": set(), "strike": set(), "del": set(), "tg-spoiler": set(), "span": {"class"},
    "a": {"href"}, "tg-emoji": {"emoji-id"}, "code": {"class"}, "pre": set(),
    "blockquote": {"expandable"},
}
_MARKDOWN_SPECIAL = re.compile(r"([_*\[\]()~`>#+\-=|{}.!\\])")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def placeholders(template: str) -> set[str]:
    """The `{names}` a template uses; positional, indexed or formatted fields are refused."""
    names: set[str] = set()
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise InvalidTemplate(f"template has unbalanced braces: {exc}") from exc
    for _literal, field, spec, conversion in parsed:
        if field is None:
            continue
        if not _NAME.match(field) or spec or conversion:
            raise InvalidTemplate(f"placeholder {{{field}}} must be a plain lower-case name")
        names.add(field)
    return names


def check_placeholders(template: str, allowed: frozenset[str]) -> None:
    unknown = placeholders(template) - allowed
    if unknown:
        raise InvalidTemplate(
            f"unknown placeholders {sorted(unknown)}; allowed: {sorted(allowed)}"
        )


class _TelegramHtmlChecker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _HTML_TAGS:
            raise InvalidTemplate(f"Telegram does not accept the HTML tag <{tag}>")
        for name, _value in attrs:
            if name not in _HTML_TAGS[tag]:
                raise InvalidTemplate(f"Telegram does not accept attribute {name!r} on <{tag}>")
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            raise InvalidTemplate(f"closing </{tag}> does not match an open tag")
        self.stack.pop()


def check_html(template: str) -> None:
    checker = _TelegramHtmlChecker()
    checker.feed(template)
    checker.close()
    if checker.stack:
        raise InvalidTemplate(f"unclosed HTML tags: {checker.stack}")


def escape(value: object, parse_mode: str | None) -> str:
    text = str(value)
    if parse_mode == "HTML":
        return html.escape(text, quote=True)
    if parse_mode == "MarkdownV2":
        return _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    return text


def fill(template: str, values: dict[str, object], parse_mode: str | None) -> str:
    missing = placeholders(template) - values.keys()
    if missing:
        raise InvalidTemplate(f"no value for placeholders {sorted(missing)}")
    return template.format_map({k: escape(v, parse_mode) for k, v in values.items()})
