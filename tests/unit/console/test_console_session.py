"""The console's session cookie: signed per admin, ended by time, by sign-out, and by the
admin's token going away or changing."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from starport.entrypoints.config import StarportConfig
from starport.entrypoints.console.session import ABSOLUTE, IDLE, Sessions

ANN, BOB = "ann-token-0123456789abcdef", "bob-token-0123456789abcdef"
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def sessions(**admins: str) -> Sessions:
    return Sessions(admins or {"ann": ANN, "bob": BOB})


def test_a_cookie_issued_is_read_back_as_its_admin() -> None:
    # Given
    s = sessions()
    # When
    issued, cookie = s.issue("ann", NOW)
    # Then
    assert s.read(cookie, NOW + timedelta(minutes=5)) == issued
    assert issued.admin == "ann"


def test_a_forged_or_altered_cookie_is_refused() -> None:
    s = sessions()
    _, cookie = s.issue("ann", NOW)
    payload, mac = cookie.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    as_bob = base64.urlsafe_b64encode(json.dumps(claims | {"a": "bob"}).encode()).decode()

    assert s.read(f"{as_bob.rstrip('=')}.{mac}", NOW) is None
    assert s.read(f"{payload}.{mac[:-2]}AA", NOW) is None
    assert s.read(payload, NOW) is None
    assert s.read("not.a.cookie", NOW) is None
    assert s.read("%%%.###", NOW) is None
    assert s.read("", NOW) is None


def test_a_session_ends_when_idle_too_long_and_after_its_absolute_lifetime() -> None:
    s = sessions()
    session, cookie = s.issue("ann", NOW)
    # Used every 7 hours, it lives until the absolute limit, not past it.
    moment, current = NOW, cookie
    while moment + timedelta(hours=7) - NOW <= ABSOLUTE:
        moment += timedelta(hours=7)
        read = s.read(current, moment)
        assert read is not None, moment - NOW
        current = s.touched(read, moment)
    assert s.read(current, NOW + ABSOLUTE + timedelta(seconds=1)) is None
    assert s.read(cookie, NOW + IDLE - timedelta(seconds=1)) == session
    assert s.read(cookie, NOW + IDLE + timedelta(seconds=1)) is None


def test_removing_or_changing_an_admins_token_ends_their_sessions_only() -> None:
    _, ann_cookie = sessions().issue("ann", NOW)
    _, bob_cookie = sessions().issue("bob", NOW)

    without_ann = Sessions({"bob": BOB})
    ann_changed = Sessions({"ann": "ann-new-token-0123456789", "bob": BOB})

    assert without_ann.read(ann_cookie, NOW) is None
    assert ann_changed.read(ann_cookie, NOW) is None
    assert ann_changed.read(bob_cookie, NOW) is not None
    assert without_ann.read(bob_cookie, NOW) is not None


def test_changing_the_console_secret_ends_every_session() -> None:
    before = Sessions({"ann": ANN}, secret="first-secret-0123456789")
    _, cookie = before.issue("ann", NOW)

    assert Sessions({"ann": ANN}, secret="first-secret-0123456789").read(cookie, NOW)
    assert Sessions({"ann": ANN}, secret="second-secret-012345678").read(cookie, NOW) is None


def test_a_signed_out_session_is_refused_and_another_sign_in_is_not() -> None:
    s = sessions()
    gone, cookie = s.issue("ann", NOW)
    _, other = s.issue("ann", NOW)

    s.sign_out(gone, NOW)

    assert s.read(cookie, NOW) is None
    assert s.read(other, NOW) is not None


def test_the_csrf_token_belongs_to_one_session() -> None:
    s = sessions()
    first, _ = s.issue("ann", NOW)
    second, _ = s.issue("ann", NOW)
    token = s.csrf_token(first)

    assert s.csrf_ok(first, token)
    assert s.csrf_ok(s.read(s.touched(first, NOW), NOW) or first, token)  # stable over requests
    assert not s.csrf_ok(second, token)
    assert not s.csrf_ok(first, "")
    assert not s.csrf_ok(first, token[:-1] + "é")


def test_a_console_secret_is_16_characters_at_least_and_never_shown() -> None:
    with pytest.raises(ValidationError) as refused:
        StarportConfig(_env_file=None, starport_console_secret="too-short")  # type: ignore[call-arg]
    config = StarportConfig(_env_file=None,  # type: ignore[call-arg]
                            starport_console_secret="a-console-secret-0123456789")

    assert "too-short" not in str(refused.value.errors(include_input=False))
    assert "a-console-secret-0123456789" in config.secrets
    assert "a-console-secret-0123456789" not in repr(config)


def test_a_sandbox_run_without_an_admin_gets_a_token_made_up_for_it() -> None:
    from starport.entrypoints.config import StarportConfig

    def config(**values: object) -> StarportConfig:
        return StarportConfig(_env_file=None, starport_sandbox=True,  # type: ignore[call-arg]
                              starport_repository="memory", **values)

    made = config()
    chosen = config(starport_admin_token="chosen-token-0123456789")
    named = config(starport_admins="ann:ann-token-0123456789ab")
    live = StarportConfig(_env_file=None, starport_sandbox=False,  # type: ignore[call-arg]
                          telegram_bot_token="7000000001:AAliveTokenForTheTest00000000",
                          starport_repository="memory")

    assert made.generated_admin_token and made.admins == {"admin": made.generated_admin_token}
    assert len(made.generated_admin_token) >= 24
    assert made.generated_admin_token != config().generated_admin_token  # one per run
    assert chosen.generated_admin_token is None and chosen.admins == {
        "admin": "chosen-token-0123456789"}
    assert named.generated_admin_token is None and list(named.admins) == ["ann"]
    assert live.generated_admin_token is None and live.admins == {}  # never outside the sandbox
