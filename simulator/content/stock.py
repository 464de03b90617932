"""Stock buyer lines (stock_lines.yaml): the fallback when a persona's YAML has nothing more specific."""

from __future__ import annotations

import functools
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

STOCK_FILE = Path(__file__).with_name("stock_lines.yaml")


class StockLines(BaseModel):
    """What any buyer may say: deflections per topic, reactions, denials, opinion answers, recaps."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    deflect: dict[str, list[str]]
    reflect: list[str] = Field(min_length=1)
    deny_claim: list[str] = Field(min_length=1)
    too_early: list[str] = Field(min_length=1)
    warmer_opinion: list[str] = Field(min_length=1)
    recap: list[str] = Field(min_length=1)


@functools.cache
def stock_lines() -> StockLines:
    """The shipped stock lines (read once)."""
    return StockLines.model_validate(yaml.safe_load(STOCK_FILE.read_text(encoding="utf-8")))
