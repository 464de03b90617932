"""Grades move with real outcomes: on PersuasionForGood's held-out half, scores rank persuadees by what
they actually donated (bench/real_outcomes.py has the method, the split and the full table).

The data is not shipped: the test skips when the folder is absent (``$SPARRING_PFG_DIR``, else
``../shared/data/persuasionforgood-300`` beside the repository), except in CI (``$CI`` set), where a
missing folder is a failure. Each held-out dialogue is graded once per test session (~150 real calls).
"""

from __future__ import annotations

import functools
import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "real_outcomes.py"


@functools.lru_cache(maxsize=1)
def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_real_outcomes", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look the module up by name
    spec.loader.exec_module(module)
    return module


@functools.lru_cache(maxsize=1)
def _held_out() -> dict[str, Any]:
    """The study on the held-out half, graded once per session (cached)."""
    bench = _bench()
    out = bench.run(bench.data_folder(), halves=("held-out",))
    return out["halves"]["held-out"] if out else {}


@pytest.fixture
def held_out() -> dict[str, Any]:
    bench = _bench()
    folder = bench.data_folder()
    if not bench.data_present(folder):
        message = f"PersuasionForGood data not found at {folder} (dialogs.csv, participants.csv); set SPARRING_PFG_DIR"
        if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
            pytest.fail(f"{message}: CI must run the real-outcome study")
        pytest.skip(message)
    result = _held_out()
    assert result, f"no dialogues with an outcome in {folder}"
    return result


def test_held_out_half_is_the_documented_split(held_out: dict[str, Any]) -> None:
    assert held_out["dialogues"] == 147
    assert not held_out["grader_errors"], held_out["grader_errors"][:3]


_TARGET_NOT_MET = pytest.mark.xfail(
    strict=True,
    reason="issue 10's real-outcome targets are not met yet on the held-out half (closing ρ +0.09, overall "
           "+0.03 [-0.14, +0.20], rep words +0.09; tuning half: closing +0.20, overall +0.18 [+0.02, +0.33]; "
           "docs/benchmarks.md). Strict: when a change reaches the target, this fails until the mark is "
           "removed.",
)


@_TARGET_NOT_MET
def test_closing_ranks_persuadees_by_donation(held_out: dict[str, Any]) -> None:
    closing = held_out["competencies"]["closing_next_steps"]
    assert closing["rho"] is not None and closing["rho"] >= 0.25, f"closing_next_steps: {closing}"


@_TARGET_NOT_MET
def test_overall_ranks_persuadees_by_donation(held_out: dict[str, Any]) -> None:
    overall = held_out["overall"]
    assert overall["rho"] is not None and overall["rho"] >= 0.15, f"overall: {overall}"
    assert overall["ci"][0] is not None and overall["ci"][0] > 0, f"overall CI reaches 0: {overall}"


@_TARGET_NOT_MET
def test_overall_carries_more_signal_than_length(held_out: dict[str, Any]) -> None:
    overall = held_out["overall"]["rho"]
    rep_words = held_out["baselines"]["rep_words"]["rho"]
    assert overall is not None and rep_words is not None
    assert overall > abs(rep_words), f"overall ρ {overall} vs rep words ρ {rep_words}"
