"""G.711 payloads of audio that is played many times, encoded once.

A prompt (a 23 s menu is 184,000 samples) is played to every caller; encoding it anew on each
:meth:`~madoguchi.telephony.rtp.endpoint.RtpEndpoint.play` was most of the CPU of a call, since
callers often hang up after a second. :func:`encode_once` makes an array read-only and keeps
its μ-law and A-law encodings (padded to whole 20 ms frames); :func:`payload_for` hands them
out when that same array is played again, and encodes any other array as before.

The encodings are kept while the array lives (a weak reference; the prompt cache keeps its
prompts for good). The array is made read-only first, so the kept bytes cannot go stale.
"""

from __future__ import annotations

import weakref

import numpy as np

from madoguchi.telephony.rtp import g711

FRAME_SAMPLES = 160
_Ref = weakref.ReferenceType[np.ndarray]
_ENCODED: dict[int, tuple[_Ref, bytes, bytes]] = {}
"""id(array) → (weak reference to it, μ-law payload, A-law payload)."""


def _padded(pcm: g711.Pcm) -> g711.Pcm:
    samples = np.asarray(pcm, dtype=np.int16).reshape(-1)
    pad = (-len(samples)) % FRAME_SAMPLES
    if pad:
        samples = np.concatenate([samples, np.zeros(pad, dtype=np.int16)])
    return samples


def encode_padded(pcm: g711.Pcm, payload_type: int) -> bytes:
    """``pcm`` as G.711 (0: μ-law, 8: A-law), the last 20 ms frame padded with silence."""
    return g711.encode(_padded(pcm), payload_type)


def encode_once(pcm: g711.Pcm) -> g711.Pcm:
    """Make ``pcm`` read-only and keep its μ-law and A-law payloads; returns ``pcm``.

    ``pcm`` must be an int16 array that owns its data (a view of a writable array could
    still change under the kept bytes): anything else gets a read-only copy, which is
    returned instead.
    """
    if not (
        isinstance(pcm, np.ndarray)
        and pcm.dtype == np.int16
        and pcm.ndim == 1
        and pcm.flags.owndata
    ):
        pcm = np.array(pcm, dtype=np.int16).reshape(-1)
    key = id(pcm)
    found = _ENCODED.get(key)
    if found is not None and found[0]() is pcm:
        return pcm
    pcm.flags.writeable = False
    samples = _padded(pcm)

    def forget(ref: _Ref, key: int = key) -> None:
        entry = _ENCODED.get(key)
        if entry is not None and entry[0] is ref:
            del _ENCODED[key]

    _ENCODED[key] = (weakref.ref(pcm, forget), g711.encode(samples, 0), g711.encode(samples, 8))
    return pcm


def payload_for(pcm: g711.Pcm, payload_type: int) -> bytes:
    """The padded G.711 payload of ``pcm``: kept bytes for an :func:`encode_once` array."""
    found = _ENCODED.get(id(pcm))
    if found is not None and found[0]() is pcm:
        return found[1] if payload_type == 0 else found[2]
    return encode_padded(pcm, payload_type)


def kept() -> int:
    """How many arrays have their payloads kept (for tests and diagnostics)."""
    return len(_ENCODED)
