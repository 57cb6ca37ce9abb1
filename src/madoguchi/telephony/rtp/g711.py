"""G.711 μ-law (PCMU) and A-law (PCMA) by numpy lookup tables (ITU-T G.711).

Encoding tables cover all 65,536 16-bit inputs; decoding tables all 256 codes. The tables are
computed once at import from the segment rules of G.711 (the same results as the removed
``audioop.lin2ulaw``/``lin2alaw``: the 16-bit sample is first cut to 14 bits for μ-law and to
13 bits for A-law).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Pcm = npt.NDArray[np.int16]

_ULAW_BIAS = 0x84
_ULAW_CLIP = 8159  # in 14-bit units


def _segment(magnitude: npt.NDArray[np.int64], top: int) -> npt.NDArray[np.int64]:
    """Index of the first segment end (top, 2·top+1, …, 8 segments) ≥ magnitude; 8 = beyond."""
    ends = np.array([(top + 1) * (1 << i) - 1 for i in range(8)], dtype=np.int64)
    return np.searchsorted(ends, magnitude, side="left").astype(np.int64)


def _build_ulaw_encode() -> npt.NDArray[np.uint8]:
    pcm = np.arange(-32768, 32768, dtype=np.int64) >> 2
    mask = np.where(pcm < 0, 0x7F, 0xFF)
    magnitude = np.minimum(np.abs(pcm), _ULAW_CLIP) + (_ULAW_BIAS >> 2)
    seg = _segment(magnitude, 0x3F)
    safe = np.minimum(seg, 7)
    code = (safe << 4) | ((magnitude >> (safe + 1)) & 0xF)
    code = np.where(seg >= 8, 0x7F, code)
    return (code ^ mask).astype(np.uint8)


def _build_alaw_encode() -> npt.NDArray[np.uint8]:
    pcm = np.arange(-32768, 32768, dtype=np.int64) >> 3
    mask = np.where(pcm >= 0, 0xD5, 0x55)
    magnitude = np.where(pcm >= 0, pcm, -pcm - 1)
    seg = _segment(magnitude, 0x1F)
    safe = np.minimum(seg, 7)
    mantissa = np.where(safe < 2, magnitude >> 1, magnitude >> np.maximum(safe, 1)) & 0xF
    code = np.where(seg >= 8, 0x7F, (safe << 4) | mantissa)
    return (code ^ mask).astype(np.uint8)


def _build_ulaw_decode() -> npt.NDArray[np.int16]:
    u = ~np.arange(256, dtype=np.int64) & 0xFF
    t = (((u & 0xF) << 3) + _ULAW_BIAS) << ((u & 0x70) >> 4)
    return np.where(u & 0x80, _ULAW_BIAS - t, t - _ULAW_BIAS).astype(np.int16)


def _build_alaw_decode() -> npt.NDArray[np.int16]:
    a = np.arange(256, dtype=np.int64) ^ 0x55
    t = (a & 0xF) << 4
    seg = (a & 0x70) >> 4
    t = np.where(seg == 0, t + 8, (t + 0x108) << np.maximum(seg - 1, 0))
    return np.where(a & 0x80, t, -t).astype(np.int16)


ULAW_ENCODE = _build_ulaw_encode()
ALAW_ENCODE = _build_alaw_encode()
ULAW_DECODE = _build_ulaw_decode()
ALAW_DECODE = _build_alaw_decode()


def encode(pcm: Pcm, payload_type: int) -> bytes:
    """16-bit linear samples → G.711 bytes (payload type 0: μ-law, 8: A-law)."""
    table = ULAW_ENCODE if payload_type == 0 else ALAW_ENCODE
    return table[pcm.astype(np.int32) + 32768].tobytes()


def decode(payload: bytes, payload_type: int) -> Pcm:
    """G.711 bytes → 16-bit linear samples (payload type 0: μ-law, 8: A-law)."""
    table = ULAW_DECODE if payload_type == 0 else ALAW_DECODE
    return table[np.frombuffer(payload, dtype=np.uint8)]


ULAW_TO_ALAW = ALAW_ENCODE[ULAW_DECODE.astype(np.int32) + 32768].tobytes()
ALAW_TO_ULAW = ULAW_ENCODE[ALAW_DECODE.astype(np.int32) + 32768].tobytes()


def transcode(payload: bytes, from_type: int, to_type: int) -> bytes:
    """Convert a G.711 payload between μ-law and A-law (identity when the types agree)."""
    if from_type == to_type:
        return payload
    return payload.translate(ULAW_TO_ALAW if from_type == 0 else ALAW_TO_ULAW)
