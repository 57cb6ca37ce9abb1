"""Media for calls: prompts synthesized and cached as 8 kHz audio, uploaded files, music on hold."""

from madoguchi.telephony.media.audio import (
    SAMPLE_RATE,
    AudioError,
    load_wav,
    music_on_hold,
    resample_to_8k,
    save_wav,
)
from madoguchi.telephony.media.prompts import PromptCache, SynthesisError

__all__ = [
    "SAMPLE_RATE",
    "AudioError",
    "PromptCache",
    "SynthesisError",
    "load_wav",
    "music_on_hold",
    "resample_to_8k",
    "save_wav",
]
