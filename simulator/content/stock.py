"""Stock buyer lines (stock_lines.yaml): the fallback when a persona's YAML has nothing more specific.

Also the topic cues (topic_cues.yaml): how a reply names a topic and how reps ask about it, used to
choose the buyer's words for what was asked. Cues are never spoken.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

STOCK_FILE = Path(__file__).with_name("stock_lines.yaml")
CUES_FILE = Path(__file__).with_name("topic_cues.yaml")


class StockLines(BaseModel):
    """What any buyer may say: deflections per topic, reactions, denials, opinion answers, recaps."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    deflect: dict[str, list[str]]
    reflect: list[str] = Field(min_length=1)
    deny_claim: list[str] = Field(min_length=1)
    too_early: list[str] = Field(min_length=1)
    warmer_opinion: list[str] = Field(min_length=1)
    recap: list[str] = Field(min_length=1)
    thanks: list[str] = Field(default_factory=list)
    agree_next_step: list[str] = Field(default_factory=list)
    ask_for_time: list[str] = Field(default_factory=list)
    decline_next_step: list[str] = Field(default_factory=list)
    small_talk: list[str] = Field(default_factory=list)
    end_call: list[str] = Field(default_factory=list)
    impatient: list[str] = Field(default_factory=list)
    anchor: list[str] = Field(default_factory=list)
    counter: list[str] = Field(default_factory=list)
    accept: list[str] = Field(default_factory=list)
    hold: list[str] = Field(default_factory=list)
    restate_offer: list[str] = Field(default_factory=lambda: ["I'm at {price}."])
    react: dict[str, list[str]] = Field(default_factory=dict)
    personal: list[str] = Field(default_factory=list)
    steer_back: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _placeholders(self) -> StockLines:
        for name, needed in (("agree_next_step", "{when}"), ("anchor", "{price}"), ("counter", "{price}"),
                             ("accept", "{price}"), ("restate_offer", "{price}")):
            for i, line in enumerate(getattr(self, name)):
                if needed not in line:
                    raise ValueError(f"{name}.{i} must contain {needed!r}")
        return self

    def pool(self, key: str) -> list[str]:
        """The stock lines any buyer may add to its own lines of kind ``key`` (empty if none)."""
        return list(getattr(self, key, None) or []) if key in POOLED else []


POOLED = frozenset({"thanks", "agree_next_step", "ask_for_time", "decline_next_step", "small_talk", "end_call",
                    "impatient", "anchor", "counter", "accept", "hold"})
"""Line kinds where a persona's lines and the stock lines are pooled (they carry no persona facts)."""


class TopicCue(BaseModel):
    """One topic's cues: the words that name it in a buyer line, and how reps ask about it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    names: list[str] = Field(min_length=1, description="Case-insensitive regexes; a line matching one names the topic.")
    asks: list[str] = Field(min_length=1, description="Rep questions on the topic (compared by meaning).")

    @field_validator("names")
    @classmethod
    def _compiles(cls, names: list[str]) -> list[str]:
        for name in names:
            re.compile(name)
        return names


@functools.cache
def stock_lines() -> StockLines:
    """The shipped stock lines (read once)."""
    return StockLines.model_validate(yaml.safe_load(STOCK_FILE.read_text(encoding="utf-8")))


@functools.cache
def topic_cues() -> dict[str, TopicCue]:
    """The shipped topic cues by topic id (read once)."""
    raw = yaml.safe_load(CUES_FILE.read_text(encoding="utf-8"))
    return {topic: TopicCue.model_validate(cue) for topic, cue in raw.items()}


@functools.cache
def _names_pattern(topic: str) -> re.Pattern[str] | None:
    cue = topic_cues().get(topic)
    return re.compile("|".join(f"(?:{n})" for n in cue.names), re.IGNORECASE) if cue else None


def names_topic(line: str, topic: str) -> bool:
    """Does ``line`` name ``topic`` (one of the topic's ``names`` cues)? Unknown topics: False."""
    pattern = _names_pattern(topic)
    return bool(pattern and pattern.search(line.replace("’", "'")))
