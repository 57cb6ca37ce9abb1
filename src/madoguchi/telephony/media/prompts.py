"""Prompts: text synthesized once and cached as 8 kHz audio.

Japanese goes through Open JTalk (Debian packages ``open-jtalk``, ``open-jtalk-mecab-naist-jdic``
and the voice ``hts-voice-nitech-jp-atr503-m001`` from the contrib section), English through
``espeak-ng``. The cache key is a hash of engine, voice, language and text, so a changed prompt is
synthesized anew and an unchanged one never again; files live under the data directory.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from madoguchi.telephony.media.audio import Samples, decode_wav, encode_wav
from madoguchi.telephony.rtp import playout

JTALK_DICTIONARY = Path("/var/lib/mecab/dic/open-jtalk/naist-jdic")
JTALK_VOICE = Path("/usr/share/hts-voice/nitech-jp-atr503-m001/nitech_jp_atr503_m001.htsvoice")
SYNTHESIS_TIMEOUT_S = 20.0


class SynthesisError(RuntimeError):
    """The speech engine is missing or failed."""


class PromptCache:
    """Synthesizes prompts and keeps them as 8 kHz WAV files in ``directory``.

    In memory a prompt is kept read-only with its G.711 payloads (μ-law and A-law) encoded
    once (:func:`madoguchi.telephony.rtp.playout.encode_once`): playing it to a caller slices
    those bytes instead of encoding the whole prompt again.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self._memory: dict[str, Samples] = {}

    @staticmethod
    def engine_for(language: str) -> str:
        """Which engine speaks ``language``."""
        return "open_jtalk" if language == "ja" else "espeak-ng"

    @staticmethod
    def available(language: str) -> bool:
        """Whether the engine (and, for Japanese, its dictionary and voice) is installed."""
        if language == "ja":
            return bool(shutil.which("open_jtalk")) and JTALK_VOICE.exists()
        return shutil.which("espeak-ng") is not None

    def key(self, text: str, language: str) -> str:
        """The cache key of a prompt."""
        engine = self.engine_for(language)
        material = f"{engine}\0{language}\0{text}".encode()
        return hashlib.sha256(material).hexdigest()[:32]

    def get(self, text: str, language: str) -> Samples:
        """The prompt's audio, synthesized on first use (blocking: call from a thread)."""
        key = self.key(text, language)
        cached = self._memory.get(key)
        if cached is not None:
            return cached
        path = self.directory / f"{key}.wav"
        if path.exists():
            samples = decode_wav(path.read_bytes(), str(path))
        else:
            samples = self._synthesize(text, language)
            # a name of its own per writer: two calls may synthesize the same prompt at once
            handle, name = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
            with os.fdopen(handle, "wb") as temporary:
                temporary.write(encode_wav(samples))
            Path(name).replace(path)
        # read-only from here on, its μ-law and A-law payloads encoded once for every call
        samples = playout.encode_once(samples)
        self._memory[key] = samples
        return samples

    async def get_async(self, text: str, language: str) -> Samples:
        """:meth:`get` without blocking the event loop."""
        key = self.key(text, language)
        cached = self._memory.get(key)
        if cached is not None:
            return cached
        return await asyncio.to_thread(self.get, text, language)

    def _synthesize(self, text: str, language: str) -> Samples:
        if not text.strip():
            raise SynthesisError("empty prompt")
        with tempfile.TemporaryDirectory(prefix="madoguchi-tts-") as work:
            out = Path(work) / "out.wav"
            if language == "ja":
                if not self.available("ja"):
                    raise SynthesisError("Open JTalk or its voice is not installed")
                source = Path(work) / "in.txt"
                source.write_text(text, encoding="utf-8")
                command = [
                    "open_jtalk", "-x", str(JTALK_DICTIONARY), "-m", str(JTALK_VOICE),
                    "-ow", str(out), str(source),
                ]  # fmt: skip
            else:
                if not self.available(language):
                    raise SynthesisError("espeak-ng is not installed")
                voice = "en-us" if language == "en" else language
                command = ["espeak-ng", "-v", voice, "-w", str(out), text]
            try:
                subprocess.run(
                    command, check=True, capture_output=True, timeout=SYNTHESIS_TIMEOUT_S
                )
            except (subprocess.SubprocessError, OSError) as err:
                raise SynthesisError(f"{command[0]} failed: {err}") from err
            return decode_wav(out.read_bytes(), command[0])
