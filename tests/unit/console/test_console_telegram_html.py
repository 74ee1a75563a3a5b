"""The console shows a Telegram HTML message formatted, and never anything that could run."""

from __future__ import annotations

import pytest

from starport.entrypoints.console.telegram_html import telegram_html


@pytest.mark.parametrize(("text", "shown"), [
    ("<b>bold</b> <i>it</i> <code>x</code>", "<b>bold</b> <i>it</i> <code>x</code>"),
    ("<strong>s</strong><em>e</em><del>d</del>", "<b>s</b><i>e</i><s>d</s>"),
    ('<a href="https://t.me/x" onclick="evil()">t</a>',
     '<a href="https://t.me/x" rel="noopener noreferrer">t</a>'),
    ('<a href="javascript:alert(1)">j</a>', "j"),
    ('<span class="tg-spoiler">s</span>', '<span class="spoiler">s</span>'),
    ("<script>alert(1)</script>", "alert(1)"),
    ('<img src=x onerror="alert(1)">', ""),
    ("a < b & c", "a &lt; b &amp; c"),
    ("<i>left open", "<i>left open</i>"),
    ('"quotes" & \'apostrophes\'', "&quot;quotes&quot; &amp; &#x27;apostrophes&#x27;"),
])
def test_only_telegrams_tags_survive(text: str, shown: str) -> None:
    assert str(telegram_html(text)) == shown
