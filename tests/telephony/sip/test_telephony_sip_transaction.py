"""Transaction state machines and their timers, driven by a fake ``now``."""

from __future__ import annotations

from pathlib import Path

from madoguchi.telephony.sip.message import SipRequest, parse_message, response_to
from madoguchi.telephony.sip.transaction import (
    T1,
    T2,
    T4,
    ClientInviteTransaction,
    ClientNonInviteTransaction,
    ServerInviteTransaction,
    ServerNonInviteTransaction,
    TransactionState,
    TransactionTable,
    server_key,
)

FIXTURES = Path(__file__).parent.parent / "fixtures"
PEER = ("127.0.0.1", 5091)


def request(name: str) -> SipRequest:
    message = parse_message((FIXTURES / name).read_bytes())
    assert isinstance(message, SipRequest)
    return message


def run_timers(table: TransactionTable, until: float, step: float = 0.01) -> list[float]:
    """Advance fake time; returns the times at which something was sent."""
    sent: list[float] = []
    now = 0.0
    while now <= until:
        out, _ = table.handle_timers(now)
        sent.extend(now for _ in out)
        now = round(now + step, 6)
    return sent


def test_given_client_invite_over_udp_when_no_answer_then_timer_a_doubles_and_b_times_out() -> None:
    invite = request("sipp_uac_invite_udp.sip")
    tx = ClientInviteTransaction("k", invite, PEER, reliable=False)
    table = TransactionTable()
    table.add_client(tx)
    assert len(tx.start(0.0)) == 1
    table.watch(tx)
    sent = run_timers(table, 64 * T1 + 0.1)
    assert sent == [0.5, 1.5, 3.5, 7.5, 15.5, 31.5]
    assert tx.timed_out
    assert tx.terminated
    assert len(table) == 0


def test_given_client_invite_when_provisional_then_retransmissions_stop() -> None:
    tx = ClientInviteTransaction("k", request("sipp_uac_invite_udp.sip"), PEER, reliable=False)
    tx.start(0.0)
    deliver, out = tx.receive_response(response_to(tx.request, 180, to_tag="t"), 0.2)
    assert deliver
    assert not out
    assert tx.state is TransactionState.PROCEEDING
    assert tx.deadline is None


def test_given_client_invite_when_486_then_ack_is_sent_and_repeated_for_retransmissions() -> None:
    tx = ClientInviteTransaction("k", request("sipp_uac_invite_udp.sip"), PEER, reliable=False)
    tx.start(0.0)
    busy = response_to(tx.request, 486, to_tag="t")
    deliver, out = tx.receive_response(busy, 0.1)
    assert deliver
    ack = parse_message(out[0][0])
    assert isinstance(ack, SipRequest)
    assert ack.method == "ACK"
    assert ack.headers.first("cseq") == "1 ACK"
    assert ack.headers.first("to").endswith("tag=t")
    deliver, out = tx.receive_response(busy, 0.2)
    assert not deliver
    assert len(out) == 1
    assert tx.handle_timer(0.1 + 32.0) == []
    assert tx.terminated


def test_given_client_invite_over_tcp_then_no_retransmission_timer() -> None:
    tx = ClientInviteTransaction("k", request("sipp_uac_invite_tcp.sip"), PEER, reliable=True)
    tx.start(0.0)
    assert tx.deadline == 64 * T1  # only timer B


def test_given_client_non_invite_then_timer_e_caps_at_t2_and_f_times_out() -> None:
    bye = request("sipp_uac_bye_udp.sip")
    tx = ClientNonInviteTransaction("k", bye, PEER, reliable=False)
    table = TransactionTable()
    table.add_client(tx)
    tx.start(0.0)
    table.watch(tx)
    sent = run_timers(table, 64 * T1 + 0.1)
    gaps = [b - a for a, b in zip([0.0, *sent], sent, strict=False)]
    assert gaps[:4] == [0.5, 1.0, 2.0, 4.0]
    assert max(gaps) <= T2 + 1e-9
    assert tx.timed_out


def test_given_client_non_invite_when_final_then_timer_k_waits_t4() -> None:
    tx = ClientNonInviteTransaction("k", request("sipp_uac_bye_udp.sip"), PEER, reliable=False)
    tx.start(0.0)
    deliver, _ = tx.receive_response(response_to(tx.request, 200), 0.1)
    assert deliver
    assert tx.state is TransactionState.COMPLETED
    assert tx.deadline == 0.1 + T4
    assert tx.receive_response(response_to(tx.request, 200), 0.2) == (False, [])


def test_given_server_invite_when_2xx_unacknowledged_then_it_is_resent_and_times_out() -> None:
    invite = request("sipp_uac_invite_udp.sip")
    tx = ServerInviteTransaction(server_key(invite), invite, PEER, reliable=False)
    table = TransactionTable()
    table.add_server(tx)
    tx.respond(response_to(invite, 100), 0.0)
    tx.respond(response_to(invite, 200, to_tag="t"), 0.0)
    table.watch(tx)
    sent = run_timers(table, 64 * T1 + 0.1)
    assert sent[:3] == [0.5, 1.5, 3.5]
    assert tx.timed_out


def test_given_server_invite_when_2xx_acknowledged_then_no_more_resends() -> None:
    invite = request("sipp_uac_invite_udp.sip")
    tx = ServerInviteTransaction(server_key(invite), invite, PEER, reliable=False)
    tx.respond(response_to(invite, 200, to_tag="t"), 0.0)
    tx.acknowledge_2xx(0.1)
    assert tx.handle_timer(0.6) == []
    tx.handle_timer(64 * T1)
    assert tx.terminated
    assert not tx.timed_out


def test_given_server_invite_when_487_and_ack_then_timer_i_absorbs_then_ends() -> None:
    invite = request("sipp_uac_invite_udp.sip")
    tx = ServerInviteTransaction(server_key(invite), invite, PEER, reliable=False)
    tx.respond(response_to(invite, 487, to_tag="t"), 0.0)
    assert tx.state.name == "COMPLETED"
    assert len(tx.handle_timer(0.5)) == 1  # timer G
    tx.receive_ack(0.6)
    assert tx.state is TransactionState.CONFIRMED
    assert tx.deadline == 0.6 + T4
    tx.handle_timer(0.6 + T4)
    assert tx.terminated
    assert not tx.timed_out


def test_given_server_invite_when_request_repeats_then_last_response_is_repeated() -> None:
    invite = request("sipp_uac_invite_udp.sip")
    tx = ServerInviteTransaction(server_key(invite), invite, PEER, reliable=False)
    assert tx.receive_retransmission(0.0) == []
    tx.respond(response_to(invite, 180, to_tag="t"), 0.0)
    ((data, _),) = tx.receive_retransmission(0.1)
    assert data.startswith(b"SIP/2.0 180")


def test_given_server_non_invite_then_timer_j_over_udp_and_none_over_tcp() -> None:
    bye = request("sipp_uac_bye_udp.sip")
    udp = ServerNonInviteTransaction("k", bye, PEER, reliable=False)
    udp.respond(response_to(bye, 200), 1.0)
    assert udp.deadline == 1.0 + 64 * T1
    assert udp.receive_retransmission(2.0)[0][0].startswith(b"SIP/2.0 200")
    tcp = ServerNonInviteTransaction("k", bye, PEER, reliable=True)
    tcp.respond(response_to(bye, 200), 1.0)
    assert tcp.terminated


def test_given_ack_then_server_key_matches_the_invite_transaction() -> None:
    invite = request("sipp_uac_invite_udp.sip")
    ack = SipRequest("ACK", invite.uri, invite.headers.copy())
    ack.headers.set("CSeq", "1 ACK")
    assert server_key(ack) == server_key(invite)


def test_given_timer_changed_without_rewatch_then_table_still_forgets_the_transaction() -> None:
    invite = request("sipp_uac_invite_udp.sip")
    tx = ServerInviteTransaction(server_key(invite), invite, PEER, reliable=False)
    table = TransactionTable()
    table.add_server(tx)
    tx.respond(response_to(invite, 200, to_tag="t"), 0.0)
    table.watch(tx)
    tx.acknowledge_2xx(0.1)  # the timer moves from 0.5 (resend) to 32 (end)
    assert table.handle_timers(0.5) == ([], [])
    assert len(table) == 1
    table.handle_timers(64 * T1)
    assert len(table) == 0
