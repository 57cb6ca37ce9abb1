"""Digest authentication: MD5 and SHA-256, nonces, rate limiting of repeated failures."""

from __future__ import annotations

from pathlib import Path

import pytest

from madoguchi.telephony.sip.digest import (
    DigestAuthenticator,
    authorization_value,
    digest_response,
    parse_credentials,
)
from madoguchi.telephony.sip.message import SipRequest, parse_message

FIXTURES = Path(__file__).parent.parent / "fixtures"


def register() -> SipRequest:
    message = parse_message((FIXTURES / "baresip_register.sip").read_bytes())
    assert isinstance(message, SipRequest)
    return message


def authenticator(**kwargs: object) -> DigestAuthenticator:
    return DigestAuthenticator(
        "madoguchi",
        {"1001": "secret"}.get,
        secret=b"k" * 32,
        **kwargs,  # type: ignore[arg-type]
    )


def test_rfc_2617_example_response() -> None:
    # RFC 2617 §3.5 (HTTP example; the formula is the same for SIP)
    assert (
        digest_response(
            "MD5",
            "Mufasa",
            "testrealm@host.com",
            "Circle Of Life",
            "GET",
            "/dir/index.html",
            "dcd98b7102dd2f0e8b11d0f600bfb0c093",
            "auth",
            "00000001",
            "0a4f113b",
        )
        == "6629fae49393a05397450978507c4ef1"
    )


def test_rfc_7616_sha256_example_response() -> None:
    # RFC 7616 §3.9.1
    assert (
        digest_response(
            "SHA-256",
            "Mufasa",
            "http-auth@example.org",
            "Circle of Life",
            "GET",
            "/dir/index.html",
            "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
            "auth",
            "00000001",
            "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
        )
        == "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"
    )


def test_given_no_credentials_then_401_with_sha256_and_md5_challenges() -> None:
    outcome = authenticator().check(register(), "127.0.0.1", 100.0)
    assert outcome.status == 401
    assert [parse_credentials(c)["algorithm"] for c in outcome.challenge] == ["SHA-256", "MD5"]


@pytest.mark.parametrize("index", [0, 1])
def test_given_right_password_for_either_algorithm_then_ok(index: int) -> None:
    auth = authenticator()
    challenge = auth.check(register(), "127.0.0.1", 100.0).challenge[index]
    request = register()
    request.headers.add(
        "Authorization", authorization_value(challenge, "REGISTER", request.uri, "1001", "secret")
    )
    outcome = auth.check(request, "127.0.0.1", 101.0)
    assert outcome.ok
    assert outcome.username == "1001"


def test_given_real_baresip_answer_then_it_checks_against_its_nonce() -> None:
    request = parse_message((FIXTURES / "baresip_register_auth.sip").read_bytes())
    assert isinstance(request, SipRequest)
    params = parse_credentials(request.headers.first("authorization"))
    expected = digest_response(
        "MD5",
        "1001",
        "madoguchi",
        "secret",
        "REGISTER",
        params["uri"],
        params["nonce"],
        params["qop"],
        params["nc"],
        params["cnonce"],
    )
    assert expected == params["response"]


def test_given_old_nonce_then_401_stale() -> None:
    auth = authenticator(nonce_lifetime=60.0)
    challenge = auth.check(register(), "127.0.0.1", 100.0).challenge[0]
    request = register()
    request.headers.add(
        "Authorization", authorization_value(challenge, "REGISTER", request.uri, "1001", "secret")
    )
    outcome = auth.check(request, "127.0.0.1", 200.0)
    assert outcome.status == 401
    assert "stale=true" in outcome.challenge[0]


def test_given_forged_nonce_then_refused() -> None:
    auth = authenticator()
    request = register()
    request.headers.add(
        "Authorization",
        authorization_value(
            'Digest realm="madoguchi", nonce="1.abc", algorithm=MD5, qop="auth"',
            "REGISTER",
            request.uri,
            "1001",
            "secret",
        ),
    )
    assert not auth.check(request, "127.0.0.1", 100.0).ok


def test_given_repeated_wrong_passwords_then_403_until_block_lapses() -> None:
    auth = authenticator(max_failures=3, block_seconds=30.0)
    statuses = []
    for i in range(4):
        challenge = auth.challenge(100.0 + i)[0]
        request = register()
        request.headers.add(
            "Authorization", authorization_value(challenge, "REGISTER", request.uri, "1001", "bad")
        )
        statuses.append(auth.check(request, "10.0.0.9", 100.0 + i).status)
    assert statuses == [401, 401, 403, 403]
    assert auth.is_blocked("1001", "10.0.0.9", 110.0)
    assert not auth.is_blocked("1001", "10.0.0.8", 110.0)
    assert not auth.is_blocked("1001", "10.0.0.9", 140.0)
