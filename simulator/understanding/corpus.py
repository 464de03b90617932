"""The labelled corpora (tests/data/utterances, tests/data/buyer_lines) and their fixed splits.

A split is a stable hash of the id: 60% train, 20% dev, 20% test. The test split is only ever used
to report figures (bench/bench_understanding.py), never to tune anything.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

Split = Literal["train", "dev", "test"]
REPO = Path(__file__).resolve().parents[2]
UTTERANCES = REPO / "tests" / "data" / "utterances"
BUYER_LINES = REPO / "tests" / "data" / "buyer_lines"


def split_of(item_id: str) -> Split:
    """train / dev / test for an id, the same on every machine and run."""
    bucket = int(hashlib.sha256(item_id.encode()).hexdigest()[:8], 16) % 100
    return "train" if bucket < 60 else ("dev" if bucket < 80 else "test")


def _read(folder: Path) -> Iterator[dict[str, Any]]:
    for path in sorted(folder.glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{number}: not JSON ({exc.msg})") from exc
            item["split"] = split_of(item["id"])
            item["file"] = path.name
            yield item


def utterances(split: Split | None = None, folder: Path = UTTERANCES) -> list[dict[str, Any]]:
    """Labelled rep utterances, optionally one split."""
    return [u for u in _read(folder) if split is None or u["split"] == split]


def buyer_lines(split: Split | None = None, folder: Path = BUYER_LINES) -> list[dict[str, Any]]:
    """Labelled buyer lines, optionally one split."""
    return [u for u in _read(folder) if split is None or u["split"] == split]
