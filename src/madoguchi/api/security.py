"""Credentials: argon2 password hashes, session and API tokens, and the sign-in limiter.

Tokens are random (``secrets``); the database keeps only their SHA-256, so a copy of the
tables signs nobody in. Failed sign-ins are counted per user name and per client address in a
sliding window; past the limit, sign-in is refused (429) until old failures age out.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections import deque

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not-a-password-anyone-has")

#: API tokens start with this, so a leaked one is easy to recognise in logs and scanners.
API_TOKEN_PREFIX = "mdg_"  # noqa: S105 - a prefix, not a secret


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; a missing user costs the same time as a wrong password."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def new_token(prefix: str = "") -> str:
    """A fresh random token (256 bits)."""
    return prefix + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """The SHA-256 (hex) kept in the database for ``token``."""
    return hashlib.sha256(token.encode()).hexdigest()


def same_secret(given: str | None, expected: str) -> bool:
    """Constant-time comparison of two secrets."""
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


class SignInLimiter:
    """Counts failed sign-ins per key (user name, client address) in a sliding window."""

    def __init__(self, max_failures: int, window_s: float) -> None:
        self.max_failures = max_failures
        self.window_s = window_s
        self._failures: dict[str, deque[float]] = {}

    def retry_after(self, keys: list[str], now: float) -> float | None:
        """Seconds until any of ``keys`` may try again, or None when none is blocked."""
        wait = 0.0
        for key in keys:
            times = self._recent(key, now)
            if len(times) >= self.max_failures:
                wait = max(wait, times[0] + self.window_s - now)
        return wait if wait > 0 else None

    #: Keys kept before stale ones are swept (an attacker cycling names cannot fill memory).
    max_keys = 10_000

    def failed(self, keys: list[str], now: float) -> None:
        """Count one failure against each key."""
        if len(self._failures) >= self.max_keys:
            for stale in [
                k for k, t in self._failures.items() if not t or t[-1] <= now - self.window_s
            ]:
                del self._failures[stale]
        for key in keys:
            self._recent(key, now).append(now)

    def succeeded(self, key: str) -> None:
        """Forget the failures of ``key`` (a user who finally signed in)."""
        self._failures.pop(key, None)

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures.setdefault(key, deque())
        while times and times[0] <= now - self.window_s:
            times.popleft()
        return times
