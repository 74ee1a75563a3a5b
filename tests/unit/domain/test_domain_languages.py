"""Languages of bot messages: codes as Telegram sends them, the fallback order, which text a
reader gets, and the buyer's language a session keeps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from starport.domain.bot_messages import DEFINITIONS, BotMessage, resolve
from starport.domain.catalog import CreditPackage
from starport.domain.errors import InvalidLanguage
from starport.domain.languages import Languages, language
from starport.domain.money import Stars
from starport.domain.providers import Provider
from starport.domain.sessions import PaymentSession


class TestLanguageCodes:
    @pytest.mark.parametrize(("code", "tag"), [
        ("en", "en"), ("RU", "ru"), ("pt-BR", "pt-br"), ("pt_br", "pt-br"), (" es ", "es"),
        ("zh-Hans", "zh-hans"), ("sr-Latn-RS", "sr-latn-rs"), ("fil", "fil"),
    ])
    def test_a_code_is_normalised_to_lower_case_with_hyphens(self, code: str, tag: str
                                                               ) -> None:
        assert language(code) == tag

    @pytest.mark.parametrize("code", ["", "e", "english", "en-", "-en", "en--us", "en us",
                                      "1n", "ru;drop", "x" * 40, "en-" + "a" * 9])
    def test_what_is_not_a_language_code_is_refused(self, code: str) -> None:
        with pytest.raises(InvalidLanguage, match="not a language code"):
            language(code)


class TestFallbacks:
    def test_a_regional_tag_falls_back_to_its_language_then_the_default(self) -> None:
        assert Languages.of("pt-BR", "en").chain == ("pt-br", "pt", "en")
        assert Languages.of("sr-latn-rs", "en").chain == ("sr-latn-rs", "sr-latn", "sr", "en")

    def test_the_default_language_is_not_repeated(self) -> None:
        assert Languages.of("en-GB", "en").chain == ("en-gb", "en")
        assert Languages.of("ru", "ru").chain == ("ru",)

    @pytest.mark.parametrize("code", [None, "", "klingon!"])
    def test_no_code_or_a_malformed_one_reads_the_default(self, code: str | None) -> None:
        languages = Languages.of(code, "de")
        assert (languages.chain, languages.default) == (("de",), "de")


def own(language: str, template: str) -> BotMessage:
    return BotMessage("buy_menu", template, language=language)


class TestResolve:
    stored = (own("en", "Pick:"), own("pt", "Escolha:"), own("ru", "Выберите:"))

    @pytest.mark.parametrize(("code", "template", "tag"), [
        ("ru", "Выберите:", "ru"),
        ("ru-UA", "Выберите:", "ru"),
        ("pt-br", "Escolha:", "pt"),
        ("de", "Pick:", "en"),  # no German text: the default language's
        (None, "Pick:", "en"),
    ])
    def test_the_reader_gets_the_first_language_with_a_text(
            self, code: str | None, template: str, tag: str) -> None:
        found = resolve("buy_menu", Languages.of(code, "en"), self.stored)
        assert (found.template, found.language) == (template, tag)

    def test_with_no_text_in_the_default_language_the_shipped_one_is_read(self) -> None:
        found = resolve("buy_menu", Languages.of("de", "en"), [own("ru", "Выберите:")])
        assert found.template == DEFINITIONS["buy_menu"].default
        assert (found.language, found.is_default) == ("en", True)


class TestSessionLanguage:
    def test_a_session_keeps_the_latest_well_formed_language_it_heard(self) -> None:
        now = datetime(2026, 1, 1, tzinfo=UTC)
        session = PaymentSession.open(
            session_id="s1", user_id="u1", package=CreditPackage("p", "P", 10, Stars(5)),
            provider=Provider.TELEGRAM_STARS, now=now, expires_at=now + timedelta(hours=1))
        assert session.language is None
        session.note_language("pt-BR")
        session.note_language(None)
        session.note_language("not a language!")
        assert session.language == "pt-br"
        session.note_language("ru")
        assert session.language == "ru"
