"""RTP packets, G.711 tables, RFC 4733 events and RFC 3550 statistics."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from madoguchi.telephony.errors import RtpParseError
from madoguchi.telephony.rtp import g711
from madoguchi.telephony.rtp.dtmf import DtmfDecoder, encode_digit, parse_event
from madoguchi.telephony.rtp.packet import RtpPacket, parse_rtp
from madoguchi.telephony.rtp.stats import ReceptionStatistics


def test_g711_tables_are_bit_identical_to_audioop_over_all_inputs() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import audioop

    every = np.arange(-32768, 32768, dtype=np.int16)
    codes = bytes(range(256))
    assert g711.encode(every, 0) == audioop.lin2ulaw(every.tobytes(), 2)
    assert g711.encode(every, 8) == audioop.lin2alaw(every.tobytes(), 2)
    assert g711.decode(codes, 0).tobytes() == audioop.ulaw2lin(codes, 2)
    assert g711.decode(codes, 8).tobytes() == audioop.alaw2lin(codes, 2)


def test_g711_transcoding_between_laws_keeps_the_signal() -> None:
    tone = (8000 * np.sin(np.arange(160) * 2 * np.pi * 440 / 8000)).astype(np.int16)
    alaw = g711.transcode(g711.encode(tone, 0), 0, 8)
    assert np.max(np.abs(g711.decode(alaw, 8).astype(int) - tone)) < 400


@given(
    st.integers(0, 127),
    st.integers(0, 0xFFFF),
    st.integers(0, 0xFFFFFFFF),
    st.integers(0, 0xFFFFFFFF),
    st.binary(max_size=200),
    st.booleans(),
)
def test_rtp_packet_round_trips(
    pt: int, seq: int, ts: int, ssrc: int, payload: bytes, marker: bool
) -> None:
    packet = RtpPacket(pt, seq, ts, ssrc, payload, marker)
    assert parse_rtp(packet.to_bytes()) == packet


def test_rtp_parser_skips_csrc_extension_and_padding() -> None:
    header = bytes([0x80 | 0x20 | 0x10 | 1, 0x00]) + b"\x00\x01" + b"\x00" * 8
    data = header + b"CSRC" + b"\xbe\xde\x00\x01" + b"EXT!" + b"payload" + b"\x00\x00\x03"
    assert parse_rtp(data).payload == b"payload"


@pytest.mark.parametrize("data", [b"", b"\x80" * 11, b"\x40" + b"\x00" * 20])
def test_rtp_parser_rejects_short_or_wrong_version(data: bytes) -> None:
    with pytest.raises(RtpParseError):
        parse_rtp(data)


def test_dtmf_encoding_has_marker_first_and_three_end_packets() -> None:
    packets = encode_digit("#", duration_ms=100)
    assert packets[0][1]
    assert not any(marker for _, marker, _ in packets[1:])
    events = [parse_event(p) for p, _, _ in packets]
    assert all(e is not None and e.event == 11 for e in events)
    assert [e.end for e in events if e is not None][-3:] == [True, True, True]
    assert sum(1 for e in events if e is not None and e.end) == 3


def test_dtmf_decoder_reports_each_event_once_and_a_repeat_digit_again() -> None:
    decoder = DtmfDecoder()
    digits = []
    for timestamp in (1000, 3000):
        for payload, marker, _ in encode_digit("5"):
            digit = decoder.feed(payload, timestamp, marker)
            if digit:
                digits.append(digit)
    assert digits == ["5", "5"]


def test_dtmf_decoder_treats_new_timestamp_without_marker_as_new_event() -> None:
    decoder = DtmfDecoder()
    payload = encode_digit("1")[1][0]  # a continuation packet, no marker
    assert decoder.feed(payload, 100, False) == "1"
    assert decoder.feed(payload, 100, False) is None
    assert decoder.feed(payload, 900, False) == "1"


def test_statistics_count_loss_across_sequence_wrap() -> None:
    stats = ReceptionStatistics()
    seqs = [65533, 65534, 65535, 1, 2]  # 0 lost
    for i, seq in enumerate(seqs):
        stats.update(seq, i * 160, i * 0.02)
    report = stats.report()
    assert (report.expected, report.received, report.lost) == (6, 5, 1)
    assert report.jitter_ms == pytest.approx(0.0, abs=1e-6)


def test_statistics_jitter_follows_rfc3550_estimator() -> None:
    stats = ReceptionStatistics()
    arrivals = [0.0, 0.025, 0.040, 0.065, 0.080]  # alternating 5 ms early/late
    for i, at in enumerate(arrivals):
        stats.update(i, i * 160, at)
    j = 0.0
    for d in (40, 40, 40, 40):
        j += (d - j) / 16
    assert stats.report().jitter_ms == pytest.approx(j / 8)
