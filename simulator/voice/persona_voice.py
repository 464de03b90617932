"""A persona's ``voice:`` setting (persona YAML) → the :class:`~simulator.voice.tts.VoiceSetting` that speaks it.

Persona files say ``voice: {engine: auto|piper|espeak, voice: en-us+f3, rate: 1.1}``; ``voice`` is an
espeak-ng voice name (``+fN`` female, ``+mN`` male variant) and ``rate`` a speed factor. The rule:

* female voice (``+f``) with ``auto``/``espeak``: espeak-ng (the only offline female voices), falling
  back to the neural voice pitched up 4 semitones when espeak-ng is missing;
* male voice with ``auto``/``piper``, or any voice with ``piper``: the neural voice (better than
  espeak-ng), falling back to espeak-ng with the persona's voice name; the male variant number
  shifts the neural pitch a little (−1.5 … +1.5 semitones) so two male buyers do not sound the same;
* ``espeak`` with a male voice: espeak-ng, falling back to the neural voice;
* ``rate`` becomes ``speed``, kept within 0.5–2.0.
"""

from __future__ import annotations

import re
from typing import Protocol

from simulator.voice.tts import VoiceSetting

FEMALE_NEURAL_PITCH = 4.0
_VARIANT = re.compile(r"\+([fm])(\d+)$", re.IGNORECASE)
MALE_VARIANT_PITCH = {1: -1.0, 2: 0.5, 3: 0.0, 4: 1.0, 5: -0.5, 6: 1.5, 7: -1.5}
"""Neural pitch (semitones) by espeak-ng male variant ``+m1`` … ``+m7``; others 0."""


class PersonaVoice(Protocol):
    """What :class:`simulator.content.models.VoiceSetting` provides."""

    @property
    def engine(self) -> str: ...
    @property
    def voice(self) -> str: ...
    @property
    def rate(self) -> float: ...


def _espeak_name(voice: str) -> str:
    name = voice.strip()
    return "en-us" if not name or name.lower() in {"joe", "neural"} else name


def persona_voice_setting(persona_voice: PersonaVoice | None) -> VoiceSetting:
    """The TTS setting for a persona's voice (the default neural voice when None)."""
    if persona_voice is None:
        return VoiceSetting()
    engine = str(persona_voice.engine).lower()
    espeak = _espeak_name(str(persona_voice.voice))
    speed = round(min(2.0, max(0.5, float(persona_voice.rate))), 3)
    match = _VARIANT.search(espeak)
    female = bool(match and match.group(1).lower() == "f")
    variant = int(match.group(2)) if match else 0
    pitch = FEMALE_NEURAL_PITCH if female else MALE_VARIANT_PITCH.get(variant, 0.0)
    neural = VoiceSetting("neural", "joe", speed=speed, pitch=pitch)
    by_espeak = VoiceSetting("espeak", espeak, speed=speed)
    if engine == "espeak" or (engine == "auto" and female):
        return VoiceSetting("espeak", espeak, speed=speed, fallback=neural)
    return VoiceSetting("neural", "joe", speed=speed, pitch=pitch, fallback=by_espeak)
