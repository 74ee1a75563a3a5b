"""Template syntax: `{placeholder}` filling, placeholder checks, Telegram's HTML subset and
MarkdownV2's escaping rules."""

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
            raise InvalidTemplate(f"Telegram does not accept the HTML tag <{tag}>{self._at()}")
        for name, _value in attrs:
            if name not in _HTML_TAGS[tag]:
                raise InvalidTemplate(f"Telegram does not accept attribute {name!r} on "
                                      f"<{tag}>{self._at()}")
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            raise InvalidTemplate(f"closing </{tag}> does not match an open tag{self._at()}")
        self.stack.pop()

    def _at(self) -> str:
        line, column = self.getpos()
        return f" (line {line}, column {column + 1})"


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


# Outside entities, MarkdownV2 takes these characters only escaped with a backslash
# (https://core.telegram.org/bots/api#markdownv2-style).
_RESERVED = frozenset("_*[]()~`>#+-=|{}.!")
_TOGGLES = ("||", "__", "*", "_", "~")  # entities opened and closed by the same marker


def check_markdown_v2(template: str) -> None:
    """Refuse what Telegram would refuse to parse: a reserved character left unescaped, an
    entity never closed, closed across another, a link without its (url). Checked on the
    template with each placeholder standing for plain text of its own width (the values are
    escaped when filled), so the position named is the template's."""
    text, origin = _skeleton(template)
    found = _markdown_v2_error(text)
    if found is not None:
        at, problem = found
        where = origin[at] if at < len(origin) else len(template)
        context = template[max(0, where - 10):where + 10]
        raise InvalidTemplate(f"MarkdownV2, character {where + 1}: {problem} "
                              f"(near {context!r})")


def _skeleton(template: str) -> tuple[str, list[int]]:
    """The template as filled with letters of each placeholder's width, and for each of its
    characters the template position it comes from."""
    out: list[str] = []
    origin: list[int] = []
    at = 0
    for literal, field, _spec, _conversion in string.Formatter().parse(template):
        for char in literal:
            out.append(char)
            origin.append(at)
            at += 2 if char in "{}" else 1  # "{{" stands for one "{"
        if field is not None:
            width = len(field) + 2
            out.append("x" * width)
            origin.extend(range(at, at + width))
            at += width
    return "".join(out), origin


def _markdown_v2_error(text: str) -> tuple[int, str] | None:
    """Where and why Telegram's MarkdownV2 parser would refuse `text`; None when it parses."""
    opened: list[tuple[str, int]] = []  # entity markers still open, and where
    i, line_start = 0, True
    while i < len(text):
        char = text[i]
        if char == "\\":
            if i + 1 >= len(text) or not 0 < ord(text[i + 1]) < 127:
                return i, "'\\' must be followed by the ASCII character it escapes"
            i, line_start = i + 2, False
            continue
        if char == "`":
            fence = "```" if text.startswith("```", i) else "`"
            end = _code_end(text, i + len(fence), fence)
            if end < 0:
                return i, f"code opened with {fence} is not closed"
            i, line_start = end + len(fence), False
            continue
        if char == "\n":
            i, line_start = i + 1, True
            continue
        if line_start and (char == ">" or text.startswith("**>", i)):
            i, line_start = i + (1 if char == ">" else 3), False  # a quoted line
            continue
        line_start = False
        marker = next((m for m in _TOGGLES if text.startswith(m, i)), None)
        if marker is not None:
            if any(m == marker for m, _ in opened):
                if opened[-1][0] != marker:
                    return i, (f"'{marker}' closes an entity while '{opened[-1][0]}' opened "
                               f"at character {opened[-1][1] + 1} is still open")
                opened.pop()
            else:
                opened.append((marker, i))
            i += len(marker)
            continue
        if char == "[" or text.startswith("![", i):  # a link, or a custom emoji
            opened.append(("[", i))
            i += 1 if char == "[" else 2
            continue
        if char == "]":
            if not opened or opened[-1][0] != "[":
                return i, "']' closes no '[' (write '\\]' for the character)"
            opened.pop()
            if not text.startswith("(", i + 1):
                return i, "'[text]' must be followed by '(url)' (or escape the brackets)"
            end = _code_end(text, i + 2, ")")
            if end < 0:
                return i + 1, "the link's '(url)' is not closed"
            i = end + 1
            continue
        if char in _RESERVED:
            return i, f"'{char}' is reserved: write '\\{char}'"
        i += 1
    if opened:
        marker, at = opened[-1]
        return at, f"'{marker}' is never closed"
    return None


def _code_end(text: str, start: int, closer: str) -> int:
    """Where `closer` ends a code span or a link's url (backslash escapes skipped); -1 if it
    never does."""
    i = start
    while i < len(text):
        if text[i] == "\\":
            i += 2
        elif text.startswith(closer, i):
            return i
        else:
            i += 1
    return -1
