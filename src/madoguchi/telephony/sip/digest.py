"""HTTP digest authentication for SIP (RFC 3261 §22, RFC 7616 / RFC 2617; MD5 and SHA-256).

Server side, :class:`DigestAuthenticator` challenges with a SHA-256 and an MD5 ``WWW-Authenticate``
(RFC 8760: the preferred algorithm first), checks ``Authorization`` answers with ``qop=auth``, and
issues stateless nonces: a millisecond timestamp signed with a secret, so a stale nonce is told
apart from a forged one (``stale=true``). Repeated failures of one user from one address within
``failure_window`` seconds block that pair for ``block_seconds``: the answer is then 403 without a
check. Time is passed in as ``now``.

Client side, :func:`authorization_value` answers a challenge (used for 401/407 retries).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from madoguchi.telephony.sip.message import SipRequest

_HASHES: dict[str, Callable[[bytes], str]] = {
    "MD5": lambda data: hashlib.md5(data, usedforsecurity=False).hexdigest(),
    "SHA-256": lambda data: hashlib.sha256(data).hexdigest(),
}


def _h(algorithm: str, text: str) -> str:
    return _HASHES[algorithm](text.encode())


def digest_response(
    algorithm: str,
    username: str,
    realm: str,
    password: str,
    method: str,
    uri: str,
    nonce: str,
    qop: str = "",
    nc: str = "",
    cnonce: str = "",
) -> str:
    """The ``response`` value of RFC 7616 §3.4.1 (without qop: RFC 2069 style)."""
    ha1 = _h(algorithm, f"{username}:{realm}:{password}")
    ha2 = _h(algorithm, f"{method}:{uri}")
    if qop:
        return _h(algorithm, f"{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}")
    return _h(algorithm, f"{ha1}:{nonce}:{ha2}")


def parse_credentials(value: str) -> dict[str, str]:
    """``Digest a="1", b=2`` → ``{"a": "1", "b": "2"}`` (names lower-cased)."""
    scheme, _, rest = value.strip().partition(" ")
    if scheme.lower() != "digest":
        return {}
    params: dict[str, str] = {}
    for part in _split_commas(rest):
        name, _, val = part.partition("=")
        params[name.strip().lower()] = val.strip().strip('"')
    return params


def _split_commas(text: str) -> list[str]:
    parts: list[str] = []
    quoted = False
    start = 0
    for i, ch in enumerate(text):
        if ch == '"':
            quoted = not quoted
        elif ch == "," and not quoted:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def authorization_value(
    challenge: str, method: str, uri: str, username: str, password: str, nc: int = 1
) -> str:
    """An ``Authorization``/``Proxy-Authorization`` value answering ``challenge``."""
    params = parse_credentials(challenge)
    algorithm = params.get("algorithm", "MD5").upper()
    if algorithm not in _HASHES:
        raise ValueError(f"unsupported digest algorithm {algorithm}")
    realm = params.get("realm", "")
    nonce = params.get("nonce", "")
    qops = [q.strip() for q in params.get("qop", "").split(",") if q.strip()]
    qop = "auth" if "auth" in qops else ""
    cnonce = secrets.token_hex(8) if qop else ""
    nc_text = f"{nc:08x}" if qop else ""
    response = digest_response(
        algorithm, username, realm, password, method, uri, nonce, qop, nc_text, cnonce
    )
    value = (
        f'Digest username="{username}", realm="{realm}", nonce="{nonce}", uri="{uri}", '
        f'response="{response}", algorithm={algorithm}'
    )
    if "opaque" in params:
        value += f', opaque="{params["opaque"]}"'
    if qop:
        value += f', qop={qop}, nc={nc_text}, cnonce="{cnonce}"'
    return value


@dataclass(slots=True, frozen=True)
class AuthOutcome:
    """The result of checking a request's credentials."""

    ok: bool
    """True when the request carries valid credentials."""
    status: int
    """200 when ok; 401 (challenge again) or 403 (refused, rate-limited) otherwise."""
    username: str = ""
    """The authenticated (or claimed) user name."""
    challenge: list[str] = field(default_factory=list)
    """WWW-Authenticate values to send with a 401."""


class DigestAuthenticator:
    """Challenges requests and checks digest answers for one realm."""

    def __init__(
        self,
        realm: str,
        password_of: Callable[[str], str | None],
        *,
        secret: bytes | None = None,
        nonce_lifetime: float = 300.0,
        max_failures: int = 5,
        failure_window: float = 60.0,
        block_seconds: float = 60.0,
        algorithms: tuple[str, ...] = ("SHA-256", "MD5"),
    ) -> None:
        self.realm = realm
        self._password_of = password_of
        self._secret = secret if secret is not None else secrets.token_bytes(32)
        self.nonce_lifetime = nonce_lifetime
        self.max_failures = max_failures
        self.failure_window = failure_window
        self.block_seconds = block_seconds
        self.algorithms = algorithms
        self._failures: dict[tuple[str, str], list[float]] = {}
        self._blocked_until: dict[tuple[str, str], float] = {}

    def make_nonce(self, now: float) -> str:
        """A nonce carrying its issue time, signed with our secret."""
        stamp = f"{int(now * 1000):x}"
        return f"{stamp}.{self._sign(stamp)}"

    def _sign(self, stamp: str) -> str:
        return hmac.new(self._secret, stamp.encode(), hashlib.sha256).hexdigest()[:24]

    def _nonce_state(self, nonce: str, now: float) -> str:
        stamp, _, signature = nonce.partition(".")
        if not signature or not hmac.compare_digest(signature, self._sign(stamp)):
            return "forged"
        try:
            issued = int(stamp, 16) / 1000
        except ValueError:
            return "forged"
        return "fresh" if 0 <= now - issued <= self.nonce_lifetime else "stale"

    def challenge(self, now: float, stale: bool = False) -> list[str]:
        """WWW-Authenticate values, one per algorithm, preferred first."""
        nonce = self.make_nonce(now)
        extra = ", stale=true" if stale else ""
        return [
            f'Digest realm="{self.realm}", nonce="{nonce}", algorithm={alg}, qop="auth"{extra}'
            for alg in self.algorithms
        ]

    def is_blocked(self, username: str, source: str, now: float) -> bool:
        """True while ``username`` from ``source`` is refused after repeated failures."""
        until = self._blocked_until.get((username, source))
        if until is None:
            return False
        if now >= until:
            del self._blocked_until[(username, source)]
            self._failures.pop((username, source), None)
            return False
        return True

    def check(
        self, request: SipRequest, source: str, now: float, header: str = "authorization"
    ) -> AuthOutcome:
        """Check the request's credentials (``header``: Authorization or Proxy-Authorization)."""
        value = request.headers.get(header)
        if value is None:
            return AuthOutcome(False, 401, "", self.challenge(now))
        params = parse_credentials(value)
        username = params.get("username", "")
        if self.is_blocked(username, source, now):
            return AuthOutcome(False, 403, username)
        algorithm = params.get("algorithm", "MD5").upper()
        nonce = params.get("nonce", "")
        password = self._password_of(username)
        if (
            algorithm not in self.algorithms
            or params.get("realm") != self.realm
            or password is None
            or "response" not in params
        ):
            return self._fail(username, source, now)
        state = self._nonce_state(nonce, now)
        if state == "forged":
            return self._fail(username, source, now)
        expected = digest_response(
            algorithm,
            username,
            self.realm,
            password,
            request.method,
            params.get("uri", ""),
            nonce,
            params.get("qop", ""),
            params.get("nc", ""),
            params.get("cnonce", ""),
        )
        if not hmac.compare_digest(expected, params["response"]):
            return self._fail(username, source, now)
        if state == "stale":
            return AuthOutcome(False, 401, username, self.challenge(now, stale=True))
        self._failures.pop((username, source), None)
        return AuthOutcome(True, 200, username)

    def _fail(self, username: str, source: str, now: float) -> AuthOutcome:
        key = (username, source)
        recent = [t for t in self._failures.get(key, []) if now - t < self.failure_window]
        recent.append(now)
        self._failures[key] = recent
        if len(recent) >= self.max_failures:
            self._blocked_until[key] = now + self.block_seconds
            return AuthOutcome(False, 403, username)
        return AuthOutcome(False, 401, username, self.challenge(now))
