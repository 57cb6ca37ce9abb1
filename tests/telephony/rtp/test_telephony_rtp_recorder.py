"""The two-channel recorder: written as the call goes, aligned, pauses kept as silence."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from madoguchi.telephony.rtp import g711
from madoguchi.telephony.rtp.recorder import AGENT, CALLER, StereoRecorder


def frames_of(path: Path) -> np.ndarray:
    with wave.open(str(path)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (2, 2, 8000)
        return np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").reshape(-1, 2)


def test_given_a_call_with_a_pause_then_file_grows_during_the_call_and_keeps_both_channels_aligned(
    tmp_path: Path,
) -> None:
    rng = np.random.default_rng(7)
    path = tmp_path / "call.wav"
    recorder = StereoRecorder(path, started_at=100.0)
    caller_sent: list[bytes] = []
    agent_sent: list[bytes] = []
    sizes: list[int] = []
    for k in range(150):  # 3 s of 20 ms frames, arriving with a little jitter
        at = 100.0 + k * 0.02 + float(rng.uniform(0, 0.004))
        payload = rng.integers(0, 256, 160, dtype=np.uint8).tobytes()
        caller_sent.append(payload)
        recorder.add_g711(CALLER, payload, 0, at)
        if not 50 <= k < 100:  # the agent is silent (no packets) from 1 s to 2 s
            answer = rng.integers(0, 256, 160, dtype=np.uint8).tobytes()
            agent_sent.append(answer)
            recorder.add_g711(AGENT, answer, 8, at + 0.001)
        if k % 25 == 24:
            sizes.append(path.stat().st_size if path.exists() else 0)
    recorder.close()
    # written about once a second while the call went on, not all at the end
    assert sizes[0] == 0
    assert sizes[2] > 44 + 4 * 8000 * 0.9
    assert sizes[-1] > sizes[2]
    frames = frames_of(path)
    # the agent's audio after the pause sits at its arrival time: a few samples past 3 s
    assert 150 * 160 <= len(frames) <= 151 * 160
    said = g711.decode(b"".join(caller_sent), 0)
    assert np.array_equal(frames[: len(said), CALLER], said)
    agent = frames[:, AGENT]
    assert np.array_equal(agent[: 50 * 160], g711.decode(b"".join(agent_sent[:50]), 8))
    assert not agent[50 * 160 + 160 : 100 * 160 - 160].any()  # the pause is silence
    # after the pause the agent's audio sits at its arrival time (within a frame)
    resumed = g711.decode(b"".join(agent_sent[50:]), 8)
    start = int(np.flatnonzero(agent[100 * 160 - 160 :])[0]) + 100 * 160 - 160
    assert abs(start - 100 * 160) <= 160
    assert np.array_equal(agent[start : start + len(resumed)][:1000], resumed[:1000])


def test_given_linear_audio_and_late_start_then_the_file_is_padded_and_exact(
    tmp_path: Path,
) -> None:
    path = tmp_path / "message.wav"
    recorder = StereoRecorder(path, started_at=0.0)
    tone = (np.sin(np.arange(8000) * 2 * np.pi * 440 / 8000) * 9000).astype(np.int16)
    for k in range(50):
        recorder.add(CALLER, tone[k * 160 : (k + 1) * 160], 0.5 + k * 0.02)
    recorder.flush(2.0)  # both channels quiet since 1.5 s: written up to 2 s, as silence
    recorder.close()
    frames = frames_of(path)
    assert len(frames) == 16000
    assert not frames[:4000].any()
    assert np.array_equal(frames[4000:12000, CALLER], tone)
    assert not frames[12000:].any()
    assert not frames[:, AGENT].any()


def test_given_nothing_heard_then_an_empty_valid_file_is_written(tmp_path: Path) -> None:
    path = tmp_path / "empty.wav"
    assert StereoRecorder(path, started_at=0.0).close() == path
    assert len(frames_of(path)) == 0
