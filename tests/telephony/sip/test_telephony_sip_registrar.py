"""Registrar bindings and their expiry, with baresip's REGISTER."""

from __future__ import annotations

from pathlib import Path

from madoguchi.telephony.sip.message import SipRequest, parse_message
from madoguchi.telephony.sip.registrar import Registrar

FIXTURES = Path(__file__).parent.parent / "fixtures"
SOURCE = ("127.0.0.1", 5095)


def load(name: str) -> SipRequest:
    message = parse_message((FIXTURES / name).read_bytes())
    assert isinstance(message, SipRequest)
    return message


def test_given_baresip_register_then_binding_lives_until_expiry() -> None:
    registrar = Registrar()
    response = registrar.register(load("baresip_register.sip"), SOURCE, "udp", 1000.0)
    assert response.status == 200
    assert response.headers.first("contact").endswith(";expires=120")
    (binding,) = registrar.lookup("1001@127.0.0.1", 1100.0)
    assert binding.source == SOURCE
    assert binding.contact.startswith("sip:1001-")
    assert registrar.lookup("1001@127.0.0.1", 1121.0) == []


def test_given_unregister_then_binding_is_removed() -> None:
    registrar = Registrar()
    registrar.register(load("baresip_register.sip"), SOURCE, "udp", 1000.0)
    unregister = load("baresip_unregister.sip")
    assert registrar.register(unregister, SOURCE, "udp", 1001.0).status == 200
    assert registrar.lookup("1001@127.0.0.1", 1001.0) == []


def test_given_too_short_expiry_then_423_with_min_expires() -> None:
    request = load("baresip_register.sip")
    request.headers.set("Contact", "<sip:1001@127.0.0.1:5095>;expires=5")
    response = Registrar(min_expires=60).register(request, SOURCE, "udp", 0.0)
    assert response.status == 423
    assert response.headers.first("min-expires") == "60"


def test_given_star_contact_with_expires_zero_then_all_bindings_go() -> None:
    registrar = Registrar()
    registrar.register(load("baresip_register.sip"), SOURCE, "udp", 0.0)
    request = load("baresip_unregister.sip")
    request.headers.set("Contact", "*")
    request.headers.set("Expires", "0")
    request.headers.set("CSeq", "99999 REGISTER")
    assert registrar.register(request, SOURCE, "udp", 1.0).status == 200
    assert registrar.purge(2.0) == 0
    assert registrar.lookup("1001@127.0.0.1", 1.0) == []


def test_given_purge_then_expired_bindings_are_counted() -> None:
    registrar = Registrar()
    registrar.register(load("baresip_register.sip"), SOURCE, "udp", 0.0)
    assert registrar.purge(500.0) == 1
