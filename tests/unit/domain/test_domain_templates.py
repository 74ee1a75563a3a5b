"""Bot message templates: placeholders, Telegram's HTML subset, escaping, audited changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from starport.domain.bot_messages import (
    DEFINITIONS,
    MAX_LENGTH,
    BotMessage,
    BotMessageChange,
    definition,
    preview,
    validate,
)
from starport.domain.errors import InvalidTemplate, UnknownMessageKey
from starport.domain.templates import (
    check_html,
    check_markdown_v2,
    check_placeholders,
    escape,
    fill,
    placeholders,
)

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


class TestPlaceholders:
    def test_named_placeholders_are_found_and_doubled_braces_are_literal(self) -> None:
        assert placeholders("Hi {first_name}, {{not_a_field}} {balance}{balance}") == {
            "first_name", "balance"}
        assert placeholders("no placeholders") == set()

    @pytest.mark.parametrize("template", ["{}", "{0}", "pay {1} now"])
    def test_positional_placeholders_are_refused(self, template: str) -> None:
        with pytest.raises(InvalidTemplate, match="plain lower-case name"):
            placeholders(template)

    @pytest.mark.parametrize("template", ["{credits:>5}", "{credits!r}", "{credits.real}",
                                          "{credits[0]}", "{Credits}", "{ credits }",
                                          "{credits-1}"])
    def test_format_specs_conversions_attributes_and_odd_names_are_refused(self, template: str
                                                                           ) -> None:
        with pytest.raises(InvalidTemplate):
            placeholders(template)

    @pytest.mark.parametrize("template", ["{credits", "credits}", "{{credits}"])
    def test_unbalanced_braces_are_refused(self, template: str) -> None:
        with pytest.raises(InvalidTemplate, match="unbalanced"):
            placeholders(template)

    def test_only_allowed_placeholders_may_be_used(self) -> None:
        check_placeholders("{credits} {balance}", frozenset({"credits", "balance", "x"}))
        with pytest.raises(InvalidTemplate, match="token"):
            check_placeholders("{credits} {token}", frozenset({"credits"}))


class TestHtml:
    @pytest.mark.parametrize("template", [
        "<b>bold</b> <strong>s</strong> <i>i</i> <em>e</em> <u>u</u> <ins>i</ins>",
        "<s>s</s> <strike>s</strike> <del>d</del> <tg-spoiler>x</tg-spoiler>",
        '<span class="tg-spoiler">x</span> <a href="https://t.me/x">link</a>',
        '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>',
        '<pre><code class="language-python">print(1)</code></pre> <code>x</code>',
        "<blockquote>q</blockquote> <blockquote expandable>q</blockquote>",
        "<b>bold <i>italic <u>under</u></i></b>",
        "plain text &amp; entities &lt;b&gt;",
    ])
    def test_telegrams_tags_properly_nested_are_accepted(self, template: str) -> None:
        check_html(template)

    @pytest.mark.parametrize("tag", ["<br>", "<div>x</div>", "<script>x</script>", "<p>x</p>",
                                     "<img src=x>", "<h1>x</h1>"])
    def test_tags_telegram_does_not_know_are_refused(self, tag: str) -> None:
        with pytest.raises(InvalidTemplate, match="does not accept the HTML tag"):
            check_html(tag)

    @pytest.mark.parametrize("template", ['<a href="x" onclick="y">x</a>',
                                          '<b class="x">x</b>', '<span style="x">x</span>'])
    def test_attributes_telegram_does_not_know_are_refused(self, template: str) -> None:
        with pytest.raises(InvalidTemplate, match="attribute"):
            check_html(template)

    @pytest.mark.parametrize("template", ["<b><i>x</b></i>", "x</b>", "<b>x</i></b>"])
    def test_crossed_or_stray_closing_tags_are_refused(self, template: str) -> None:
        with pytest.raises(InvalidTemplate, match="does not match"):
            check_html(template)

    def test_unclosed_tags_are_refused(self) -> None:
        with pytest.raises(InvalidTemplate, match="unclosed"):
            check_html("<b>bold <i>italic</i>")


class TestEscaping:
    def test_html_values_are_escaped(self) -> None:
        assert escape("<b>Tom & Jerry</b>", "HTML") == "&lt;b&gt;Tom &amp; Jerry&lt;/b&gt;"

    def test_markdown_v2_special_characters_are_escaped(self) -> None:
        special = "_*[]()~`>#+-=|{}.!\\"
        assert escape(special, "MarkdownV2") == "".join("\\" + ch for ch in special)
        assert escape("v1.5 - ok!", "MarkdownV2") == "v1\\.5 \\- ok\\!"

    def test_plain_text_is_left_alone(self) -> None:
        assert escape("<b>_x_</b>", None) == "<b>_x_</b>"

    def test_values_are_escaped_but_the_template_is_not(self) -> None:
        assert fill("<b>{name}</b>", {"name": "<i>"}, "HTML") == "<b>&lt;i&gt;</b>"
        assert fill("*{name}*", {"name": "a_b"}, "MarkdownV2") == "*a\\_b*"

    def test_braces_inside_a_value_are_not_filled_again(self) -> None:
        assert fill("{name} {{x}}", {"name": "{balance}"}, None) == "{balance} {x}"

    def test_numbers_are_rendered_as_text(self) -> None:
        assert fill("{credits} credits", {"credits": 100}, None) == "100 credits"

    def test_a_missing_value_is_refused(self) -> None:
        with pytest.raises(InvalidTemplate, match="balance"):
            fill("{credits} {balance}", {"credits": 1}, None)


class TestDefinitions:
    def test_every_documented_default_ships_with_the_code(self) -> None:
        for key in ("bot_welcome", "payment_success", "payment_failed", "session_ready",
                    "terms_info", "support_info", "channel_invite", "bonus_granted"):
            assert definition(key).default

    def test_an_unknown_key_is_refused(self) -> None:
        with pytest.raises(UnknownMessageKey):
            definition("nope")
        with pytest.raises(UnknownMessageKey):
            BotMessage.default("nope", "en")

    @pytest.mark.parametrize("key", sorted(DEFINITIONS))
    def test_every_default_is_valid_and_renders_with_its_own_placeholders(self, key: str
                                                                          ) -> None:
        d = DEFINITIONS[key]
        validate(key, d.default, d.parse_mode)
        rendered = BotMessage.default(key, "en").render(
            **{name: f"<{name}>" for name in d.placeholders})
        assert "{" not in rendered
        for used in placeholders(d.default):
            assert f"<{used}>" in rendered

    @pytest.mark.parametrize("key", sorted(DEFINITIONS))
    def test_every_default_uses_only_placeholders_it_declares(self, key: str) -> None:
        assert placeholders(DEFINITIONS[key].default) <= DEFINITIONS[key].placeholders


class TestBotMessage:
    def test_a_default_message_is_the_shipped_text(self) -> None:
        m = BotMessage.default("payment_success", "en")
        assert m.is_default
        assert m.template == DEFINITIONS["payment_success"].default
        assert m.updated_by is None

    def test_a_change_is_audited_with_the_previous_text(self) -> None:
        m = BotMessage.default("payment_failed", "en")
        old = m.template
        change = m.change("<b>Sorry</b>: {reason}", "HTML", by="admin:ann", now=NOW)
        assert (m.template, m.parse_mode) == ("<b>Sorry</b>: {reason}", "HTML")
        assert (m.updated_by, m.updated_at) == ("admin:ann", NOW)
        assert not m.is_default
        assert change == BotMessageChange("payment_failed", old, "<b>Sorry</b>: {reason}",
                                          "admin:ann", NOW, language="en")

    def test_changing_to_the_same_text_is_no_change(self) -> None:
        m = BotMessage.default("payment_failed", "en")
        assert m.change(m.template, m.parse_mode, by="admin", now=NOW) is None
        assert m.updated_by is None

    def test_changing_only_the_parse_mode_is_a_change(self) -> None:
        m = BotMessage.default("balance_info", "en")
        change = m.change(m.template, "HTML", by="admin", now=NOW)
        assert change is not None and change.previous == change.current

    def test_reset_restores_the_default_and_is_audited(self) -> None:
        m = BotMessage.default("balance_info", "en")
        m.change("Balance: {balance}", None, by="admin:ann", now=NOW)
        change = m.reset(by="admin:bob", now=NOW + timedelta(hours=1))
        assert m.is_default
        assert m.updated_by == "admin:bob"
        assert change == BotMessageChange(
            "balance_info", "Balance: {balance}", DEFINITIONS["balance_info"].default,
            "admin:bob", NOW + timedelta(hours=1), language="en")
        assert m.reset(by="admin:bob", now=NOW) is None  # already the default

    @pytest.mark.parametrize(("template", "parse_mode", "why"), [
        ("Paid {credits} {secret}", None, "unknown placeholders"),
        ("Paid {0}", None, "plain lower-case"),
        ("Paid {credits:d}", None, "plain lower-case"),
        ("<b>Paid {credits}", "HTML", "unclosed"),
        ("<div>{credits}</div>", "HTML", "does not accept"),
        ("   ", None, "empty"),
        ("x" * (MAX_LENGTH + 1), None, "at most"),
        ("Paid {credits}", "Markdown", "parse mode"),
    ])
    def test_an_invalid_change_is_refused_and_leaves_the_text(self, template: str,
                                                              parse_mode: str | None, why: str
                                                              ) -> None:
        m = BotMessage.default("payment_refunded", "en")
        with pytest.raises(InvalidTemplate, match=why):
            m.change(template, parse_mode, by="admin", now=NOW)
        assert m.is_default

    def test_html_is_only_checked_in_html_mode(self) -> None:
        m = BotMessage.default("balance_info", "en")
        assert m.change("<div>{balance}</div>", None, by="admin", now=NOW)
        assert m.render(balance=5) == "<div>5</div>"

    def test_a_message_of_exactly_4096_characters_is_accepted(self) -> None:
        m = BotMessage.default("terms_info", "en")
        assert m.change("x" * MAX_LENGTH, None, by="admin", now=NOW)

    def test_render_fills_and_escapes_for_the_parse_mode(self) -> None:
        m = BotMessage.default("bonus_granted", "en")
        m.change("<b>+{credits}</b> for {first_name}", "HTML", by="admin", now=NOW)
        assert m.render(credits=10, first_name="<Ann & Bob>", balance=3) == (
            "<b>+10</b> for &lt;Ann &amp; Bob&gt;")

    def test_render_ignores_extra_values(self) -> None:
        m = BotMessage.default("balance_info", "en")
        assert m.render(balance=7, first_name="Ann", recent="", password="x",
                        session_id="s") == "Your balance: 7 credits.\n"

    def test_render_refuses_a_missing_value(self) -> None:
        with pytest.raises(InvalidTemplate, match="balance"):
            BotMessage.default("balance_info", "en").render(first_name="Ann")


class TestMarkdownV2:
    @pytest.mark.parametrize("template", [
        "Paid \\+{credits} credits\\.",
        "*bold* _italic_ __underline__ ~strike~ ||spoiler|| *_nested_*",
        "[the shop](https://example.com/a_(b\\)) and ![👍](tg://emoji?id=5368324170671202286)",
        "`code with . and !` and ```python\nprint(1 + 2)\n```",
        "> a quoted line\n>with another\n**>an expandable quote",
        "Balance: {balance}\\. Thanks, {first_name}\\!",
        "literal \\{braces\\} \\\\ and \\_underscore\\_",
    ])
    def test_what_telegram_parses_passes(self, template: str) -> None:
        check_markdown_v2(template)

    @pytest.mark.parametrize(("template", "at", "why"), [
        ("Paid {credits} credits.", 23, "'.' is reserved"),
        ("Thanks!", 7, "'!' is reserved"),
        ("-5 credits", 1, "'-' is reserved"),
        ("a > b", 3, "'>' is reserved"),
        ("*bold", 1, "'*' is never closed"),
        ("*bold _both* italic_", 12, "'*' closes an entity while '_' opened at character 7"),
        ("see [the shop]", 14, "must be followed by '(url)'"),
        ("a ] b", 3, "']' closes no '['"),
        ("[x](https://a.b", 4, "'(url)' is not closed"),
        ("`code", 1, "code opened with ` is not closed"),
        ("trailing \\", 10, "must be followed by the ASCII character"),
        ("Hi {first_name}. Paid", 16, "'.' is reserved"),  # the template's position
        ("{{literal}}", 1, "'{' is reserved"),  # "{{" sends "{", which MarkdownV2 reserves
        ("\\{{literal\\}} and .", 19, "'.' is reserved"),  # "{{" is 2 of the template's
    ])
    def test_what_telegram_refuses_is_named_with_its_position(self, template: str, at: int,
                                                             why: str) -> None:
        with pytest.raises(InvalidTemplate) as refused:
            check_markdown_v2(template)
        assert refused.value.message.startswith(f"MarkdownV2, character {at}: "), (
            refused.value.message)
        assert why in refused.value.message

    def test_a_change_to_markdown_v2_is_checked(self) -> None:
        with pytest.raises(InvalidTemplate, match="reserved"):
            validate("payment_failed", "Sorry: {reason}.", "MarkdownV2")
        validate("payment_failed", "Sorry: {reason}\\.", "MarkdownV2")

    def test_html_errors_say_where(self) -> None:
        with pytest.raises(InvalidTemplate, match=r"<div> \(line 2, column 3\)"):
            check_html("ok\n  <div>no</div>")


class TestButtonsAndPreview:
    def test_every_button_label_is_short_plain_text(self) -> None:
        buttons = [d for d in DEFINITIONS.values() if d.button]
        assert {d.key for d in buttons} >= {"button_buy", "button_balance", "button_support",
                                            "button_join_channel", "button_subscribe"}
        for d in buttons:
            assert d.parse_mode is None and len(preview(d.key, d.default, None)) <= 64

    @pytest.mark.parametrize(("template", "parse_mode", "why"), [
        ("B" * 65, None, "at most 64"),
        ("Buy\ncredits", None, "one line"),
        ("<b>Buy</b>", "HTML", "no parse mode"),
        ("Buy {credits}", None, "unknown placeholders"),
    ])
    def test_a_label_that_is_not_one_short_plain_line_is_refused(
            self, template: str, parse_mode: str | None, why: str) -> None:
        with pytest.raises(InvalidTemplate, match=why):
            validate("button_buy", template, parse_mode)

    def test_a_text_too_long_once_filled_is_refused_in_preview(self) -> None:
        template = "x" * 4088 + "{recent}"
        validate("balance_info", template, None)  # 4096 characters as written
        with pytest.raises(InvalidTemplate, match="4112 characters: more than the 4096"):
            preview("balance_info", template, None)

    def test_a_preview_fills_every_placeholder_escaped_for_the_parse_mode(self) -> None:
        assert preview("payment_success", "*\\+{credits}* for {amount}", "MarkdownV2") == (
            "*\\+100* for 4\\.99 USD")
        assert preview("link_failed", "<i>{reason}</i>", "HTML") == (
            "<i>the price has changed</i>")
        assert preview("bot_welcome", DEFINITIONS["bot_welcome"].default, None) == (
            "Welcome, Ann! Buy credits with /buy and see them with /balance.")
