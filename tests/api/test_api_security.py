"""Password hashing, tokens and the sign-in limiter."""

from __future__ import annotations

from madoguchi.api.phones import InvalidPhoneNumber, normalize_or_none, normalize_phone
from madoguchi.api.security import (
    SignInLimiter,
    hash_password,
    new_token,
    token_digest,
    verify_password,
)


def test_given_an_argon2_hash_when_the_right_password_is_given_then_it_verifies() -> None:
    stored = hash_password("correct horse")
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, "correct horse")
    assert not verify_password(stored, "wrong horse")


def test_given_no_user_when_verifying_then_it_fails_without_error() -> None:
    assert not verify_password(None, "anything")
    assert not verify_password("not-a-hash", "anything")


def test_tokens_are_random_and_only_their_digest_is_kept() -> None:
    first, second = new_token("mdg_"), new_token("mdg_")
    assert first != second
    assert first.startswith("mdg_")
    assert len(token_digest(first)) == 64
    assert first not in token_digest(first)


def test_given_five_failures_when_a_sixth_attempt_comes_then_it_waits_for_the_window() -> None:
    limiter = SignInLimiter(max_failures=5, window_s=300)
    keys = ["user:op01", "client:10.0.0.1"]
    for i in range(5):
        assert limiter.retry_after(keys, 1000.0 + i) is None
        limiter.failed(keys, 1000.0 + i)
    wait = limiter.retry_after(keys, 1010.0)
    assert wait is not None
    assert 289 < wait <= 290
    assert limiter.retry_after(keys, 1301.0) is None


def test_given_a_success_when_the_user_fails_again_then_counting_starts_over() -> None:
    limiter = SignInLimiter(max_failures=2, window_s=60)
    limiter.failed(["user:a"], 0.0)
    limiter.succeeded("user:a")
    limiter.failed(["user:a"], 1.0)
    assert limiter.retry_after(["user:a"], 2.0) is None


def test_phone_numbers_in_any_japanese_format_become_e164() -> None:
    assert normalize_phone("03-1234-5678") == "+81312345678"
    assert normalize_phone("+81 90 1234 5678") == "+819012345678"
    assert normalize_or_none("sip:alice@example.com") is None
    try:
        normalize_phone("12")
    except InvalidPhoneNumber:
        pass
    else:
        raise AssertionError("a two-digit number was accepted")
