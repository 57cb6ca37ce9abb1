"""Structured SIP header fields: Via, name-addr (From, To, Contact, Route), URIs, parameters."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from urllib.parse import unquote

from madoguchi.telephony.errors import SipParseError

#: RFC 3261 branch prefix of transactions that follow RFC 3261
MAGIC_COOKIE = "z9hG4bK"


def parse_params(text: str) -> dict[str, str]:
    """``;a=1;b;c="x"`` → ``{"a": "1", "b": "", "c": "x"}`` (names lower-cased)."""
    params: dict[str, str] = {}
    for part in text.split(";"):
        part = part.strip()
        if not part:
            continue
        name, _, value = part.partition("=")
        params[name.strip().lower()] = value.strip().strip('"')
    return params


@dataclass(slots=True)
class Via:
    """One Via value: transport, sent-by host and port, and parameters (branch, rport …)."""

    transport: str
    host: str
    port: int | None
    params: dict[str, str] = field(default_factory=dict)

    @property
    def branch(self) -> str:
        """The branch parameter ('' when absent)."""
        return self.params.get("branch", "")

    def __str__(self) -> str:
        host = self.host
        text = f"SIP/2.0/{self.transport} {host}" + (f":{self.port}" if self.port else "")
        for name, value in self.params.items():
            text += f";{name}={value}" if value else f";{name}"
        return text


def parse_via(value: str) -> Via:
    """Parse one Via value (``SIP/2.0/UDP host:port;branch=…``)."""
    proto, _, rest = value.strip().partition(" ")
    pieces = proto.split("/")
    if len(pieces) != 3 or pieces[0].upper() != "SIP":
        raise SipParseError(f"bad Via {value[:60]!r}")
    sent_by, _, params = rest.strip().partition(";")
    host, port = split_host_port(sent_by.strip())
    return Via(pieces[2].strip().upper(), host, port, parse_params(params))


def split_host_port(text: str) -> tuple[str, int | None]:
    """``host:port``, ``[v6]:port`` or ``host`` → (host, port or None)."""
    if text.startswith("["):
        close = text.find("]")
        host = text[1:close]
        rest = text[close + 1 :]
        port_text = rest[1:] if rest.startswith(":") else ""
    else:
        host, _, port_text = text.partition(":")
    if not host:
        raise SipParseError(f"no host in {text[:60]!r}")
    if not port_text:
        return host, None
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise SipParseError(f"bad port in {text[:60]!r}")
    return host, int(port_text)


@dataclass(slots=True)
class SipUri:
    """A sip: URI: user, host, port and URI parameters."""

    user: str
    host: str
    port: int | None = None
    params: dict[str, str] = field(default_factory=dict)
    scheme: str = "sip"

    def __str__(self) -> str:
        text = f"{self.scheme}:" + (f"{self.user}@" if self.user else "") + self.host
        if self.port:
            text += f":{self.port}"
        for name, value in self.params.items():
            text += f";{name}={value}" if value else f";{name}"
        return text


def parse_uri(text: str) -> SipUri:
    """Parse ``sip:user@host:port;params`` (headers after ``?`` are ignored)."""
    scheme, sep, rest = text.strip().partition(":")
    if not sep or scheme.lower() not in ("sip", "sips", "tel"):
        raise SipParseError(f"unsupported URI {text[:60]!r}")
    rest = rest.split("?", 1)[0]
    main, _, params = rest.partition(";")
    if scheme.lower() == "tel":
        return SipUri(main, "", None, parse_params(params), "tel")
    user, at, hostport = main.rpartition("@")
    host, port = split_host_port(hostport)
    return SipUri(user if at else "", host, port, parse_params(params), scheme.lower())


@dataclass(slots=True)
class NameAddr:
    """A name-addr or addr-spec value (From, To, Contact, Route) and its header parameters."""

    uri: str
    display_name: str = ""
    params: dict[str, str] = field(default_factory=dict)

    @property
    def tag(self) -> str:
        """The tag parameter ('' when absent)."""
        return self.params.get("tag", "")

    def __str__(self) -> str:
        text = (f'"{self.display_name}" ' if self.display_name else "") + f"<{self.uri}>"
        for name, value in self.params.items():
            text += f";{name}={value}" if value else f";{name}"
        return text


def parse_name_addr(value: str) -> NameAddr:
    """Parse ``"Name" <sip:a@b>;tag=x`` or ``sip:a@b;tag=x``."""
    value = value.strip()
    lt = value.find("<")
    if lt >= 0:
        gt = value.find(">", lt)
        if gt < 0:
            raise SipParseError(f"unclosed < in {value[:60]!r}")
        display = value[:lt].strip().strip('"')
        return NameAddr(value[lt + 1 : gt], display, parse_params(value[gt + 1 :]))
    uri, _, params = value.partition(";")
    return NameAddr(uri.strip(), "", parse_params(params))


def header_tag(value: str) -> str:
    """The tag parameter of a From or To value, without a full parse ('' when absent)."""
    i = value.find(";tag=")
    if i < 0:
        i = value.lower().find(";tag=")
        if i < 0:
            return ""
    rest = value[i + 5 :]
    end = rest.find(";")
    return (rest if end < 0 else rest[:end]).strip()


def new_tag() -> str:
    """A fresh random From/To tag."""
    return secrets.token_hex(6)


def new_branch() -> str:
    """A fresh RFC 3261 branch (magic cookie + random)."""
    return MAGIC_COOKIE + secrets.token_hex(8)


def new_call_id(host: str) -> str:
    """A fresh Call-ID at ``host``."""
    return f"{secrets.token_hex(10)}@{host}"


@dataclass(slots=True, frozen=True)
class Replaces:
    """A Replaces value (RFC 3891): the dialog that a new INVITE takes the place of.

    The tags are seen from the side that receives the Replaces: ``to_tag`` is the recipient's
    own (local) tag in that dialog, ``from_tag`` the tag of the recipient's peer.
    """

    call_id: str
    to_tag: str
    from_tag: str
    early_only: bool = False

    def __str__(self) -> str:
        text = f"{self.call_id};to-tag={self.to_tag};from-tag={self.from_tag}"
        return text + (";early-only" if self.early_only else "")


def parse_replaces(value: str) -> Replaces:
    """Parse ``call-id;to-tag=x;from-tag=y[;early-only]``; both tags are required."""
    call_id, _, params_text = value.strip().partition(";")
    call_id = call_id.strip()
    params = parse_params(params_text)
    if not call_id or " " in call_id:
        raise SipParseError(f"Replaces without a Call-ID: {value[:60]!r}")
    to_tag, from_tag = params.get("to-tag", ""), params.get("from-tag", "")
    if not to_tag or not from_tag:
        raise SipParseError(f"Replaces needs to-tag and from-tag: {value[:60]!r}")
    return Replaces(call_id, to_tag, from_tag, "early-only" in params)


def uri_replaces(uri: str) -> Replaces | None:
    """The ``?Replaces=`` header of a URI (a Refer-To target), percent-decoded; None if none.

    ``sip:2002@center?Replaces=abc%40host%3Bto-tag%3D1%3Bfrom-tag%3D2`` → Replaces(abc@host, …).
    """
    _, question, headers = uri.partition("?")
    if not question:
        return None
    for item in headers.split("&"):
        name, _, value = item.partition("=")
        if unquote(name).strip().lower() == "replaces":
            return parse_replaces(unquote(value))
    return None
