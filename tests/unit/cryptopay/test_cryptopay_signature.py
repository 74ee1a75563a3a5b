"""Webhook signature: a known answer, raw bytes only, constant-time comparison."""

import hmac
import json

import pytest

from starport.adapters.cryptopay import signature
from starport.adapters.cryptopay.signature import sign, verify_signature

TOKEN = "123456789:AAzQcZWQqQAbsfgPnOLr4FHC8Doa4L7KryC"
BODY = (
    b'{"update_id":1,"update_type":"invoice_paid","request_date":"2024-01-01T12:00:00.000Z",'
    b'"payload":{"invoice_id":528890,"hash":"IVDoTcNBYEfk","status":"paid"}}'
)
SIGNATURE = "2e46b4fe59f9741825ab02b817743321f0cd7ac2cfc3f53849cbc08518ae7321"


def test_known_answer():
    assert sign(TOKEN, BODY) == SIGNATURE
    assert verify_signature(TOKEN, BODY, SIGNATURE)


def test_header_case_and_surrounding_whitespace_are_tolerated():
    assert verify_signature(TOKEN, BODY, f" {SIGNATURE.upper()}\n")


def test_the_same_json_with_other_spacing_fails():
    # Given the body re-serialised: same data, different bytes
    respaced = json.dumps(json.loads(BODY), indent=1).encode()
    assert json.loads(respaced) == json.loads(BODY)

    # Then the original signature does not cover it
    assert not verify_signature(TOKEN, respaced, SIGNATURE)
    assert not verify_signature(TOKEN, json.dumps(json.loads(BODY)).encode(), SIGNATURE)


@pytest.mark.parametrize(
    "header",
    [None, "", "   ", "garbage", SIGNATURE[:-1], SIGNATURE + "0", "é" * 64, "0" * 64],
)
def test_missing_empty_or_garbage_header_fails(header):
    assert not verify_signature(TOKEN, BODY, header)


def test_another_token_or_a_tampered_body_fails():
    assert not verify_signature("123456789:AAother", BODY, SIGNATURE)
    assert not verify_signature(TOKEN, BODY.replace(b"528890", b"528891"), SIGNATURE)
    assert not verify_signature("", BODY, SIGNATURE)


def test_comparison_goes_through_hmac_compare_digest(monkeypatch):
    # Given a spy on the constant-time comparison
    calls = []
    original = hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return original(a, b)

    monkeypatch.setattr(signature.hmac, "compare_digest", spy)

    # When a right and a wrong signature are checked
    assert verify_signature(TOKEN, BODY, SIGNATURE)
    assert not verify_signature(TOKEN, BODY, "f" * 64)

    # Then both were compared with compare_digest, never with ==
    assert len(calls) == 2
