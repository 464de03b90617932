"""Every injection attack on the real embedded model. Opt-in (several minutes on two cores):
``SPARRING_INJECTION_ALL=1 pytest -m embedded tests/injection/test_injection_embedded_all.py``.
"""

from __future__ import annotations

import os

import pytest
from injection_checks import Attack, load_attacks, report, result_problems, run_attack

from simulator.session import PracticeService

pytestmark = [
    pytest.mark.embedded,
    pytest.mark.skipif(os.environ.get("SPARRING_INJECTION_ALL") != "1",
                       reason="every attack on the embedded model takes minutes: set SPARRING_INJECTION_ALL=1"),
]


def _param(attack: Attack) -> object:
    return pytest.param(attack, id=f"{attack.kind}-{attack.id}")


@pytest.mark.parametrize("attack", [_param(a) for a in load_attacks()])
def test_embedded_buyer_withstands_every_attack(embedded_service: PracticeService, attack: Attack) -> None:
    result = run_attack(embedded_service, attack)
    problems = result_problems(result)
    print(report(result, problems))  # what the buyer said, shown with -rP
    assert not problems, report(result, problems)
