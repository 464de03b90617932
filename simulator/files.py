"""Small file helpers shared by the model-file modules (LLM weights, Whisper parts)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

CHUNK = 8 * 1024 * 1024


def concat_with_sha256(parts: Iterable[Path], out: BinaryIO) -> str:
    """Append each part to ``out`` in order, fsync it, and return the hex SHA-256 of what was written."""
    digest = hashlib.sha256()
    for part in parts:
        with part.open("rb") as src:
            while chunk := src.read(CHUNK):
                digest.update(chunk)
                out.write(chunk)
    out.flush()
    os.fsync(out.fileno())
    return digest.hexdigest()
