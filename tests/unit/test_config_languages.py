"""STARPORT_DEFAULT_LANGUAGE and STARPORT_LANGUAGES: normalised, the default offered first,
and handed to the use cases' settings."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from starport.entrypoints.config import StarportConfig
from starport.entrypoints.container import _settings


def config(**values: Any) -> StarportConfig:
    return StarportConfig(_env_file=None, **values)  # type: ignore[call-arg]


def test_the_languages_are_normalised_and_the_default_comes_first() -> None:
    given = config(starport_default_language="PT_br", starport_languages="ru, ES,pt-br,ru")
    settings = _settings(given)
    assert (settings.default_language, settings.languages) == ("pt-br", ("pt-br", "ru", "es"))
    assert settings.languages_for("ES-mx").chain == ("es-mx", "es", "pt-br")


def test_by_default_english_and_any_language_may_be_written() -> None:
    settings = _settings(config())
    assert (settings.default_language, settings.languages) == ("en", ())


@pytest.mark.parametrize("values", [{"starport_default_language": "english"},
                                    {"starport_languages": "en,r"}])
def test_a_malformed_language_stops_the_start(values: dict[str, str]) -> None:
    with pytest.raises(ValidationError, match="is not a language code"):
        config(**values)
