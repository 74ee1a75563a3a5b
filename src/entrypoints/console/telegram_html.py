"""A bot message in Telegram's HTML, shown in the console as Telegram would format it: only
the tags Telegram knows are kept (links only to http, https and tg addresses), everything else
is text. So a preview cannot run a script or load anything, whatever the admin typed."""

from __future__ import annotations

from html import escape
from html.parser import HTMLParser

from markupsafe import Markup

# Telegram's formatting tags, as the console shows them.
_TAGS = {"b": "b", "strong": "b", "i": "i", "em": "i", "u": "u", "ins": "u", "s": "s",
         "strike": "s", "del": "s", "code": "code", "pre": "pre", "blockquote": "blockquote",
         "tg-spoiler": "span class=\"spoiler\"", "a": "a"}
_SCHEMES = ("http://", "https://", "tg://")


class _Rewriter(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "span" and ("class", "tg-spoiler") in attrs:
            tag = "tg-spoiler"
        shown = _TAGS.get(tag)
        if shown is None:
            return
        if tag == "a":
            href = dict(attrs).get("href") or ""
            if not href.startswith(_SCHEMES):
                self.open.append("")  # the text stays, the link goes
                return
            shown = f'a href="{escape(href, quote=True)}" rel="noopener noreferrer"'
        self.out.append(f"<{shown}>")
        self.open.append(shown.split(" ", 1)[0])

    def handle_endtag(self, tag: str) -> None:
        if tag == "span" and self.open and self.open[-1] == "span":
            tag = "tg-spoiler"
        if _TAGS.get(tag) is None or not self.open:
            return
        closing = self.open.pop()
        if closing:
            self.out.append(f"</{closing}>")

    def handle_data(self, data: str) -> None:
        self.out.append(escape(data))


def telegram_html(text: str) -> Markup:
    rewriter = _Rewriter()
    rewriter.feed(text)
    rewriter.close()
    tail = "".join(f"</{t}>" for t in reversed(rewriter.open) if t)
    return Markup("".join(rewriter.out) + tail)  # noqa: S704 (built from escaped parts only)
