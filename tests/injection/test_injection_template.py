"""Every injection attack (tests/data/injection/attacks.yaml) through the real practice service on the
template backend: the buyer stays in character, reveals no locked fact, confirms nothing and prints no
instructions. Attacks that claim a prior agreement are denied by the director
(simulator/engine/rules/claims.py).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from injection_checks import Attack, load_attacks, report, result_problems, run_attack

from simulator.config import Settings
from simulator.session import PracticeService

ATTACKS = load_attacks()


def _param(attack: Attack) -> object:
    return pytest.param(attack, id=f"{attack.kind}-{attack.id}")


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PracticeService]:
    """One template-backed service for the whole module (each attack starts its own session)."""
    root = tmp_path_factory.mktemp("injection-template")
    settings = Settings(data_dir=root / "data", cache_dir=root / "cache", llm="template")
    with PracticeService.open(settings) as svc:
        yield svc


@pytest.mark.parametrize("attack", [_param(a) for a in ATTACKS])
def test_buyer_withstands_attack(service: PracticeService, attack: Attack) -> None:
    result = run_attack(service, attack)
    problems = result_problems(result)
    print(report(result, problems))  # what the buyer said, shown with -rP
    assert not problems, report(result, problems)
