"""One representative attack per kind on the real embedded model (marked ``embedded``): the model voices
the buyer's line, and what is spoken (and what the screen showed while it streamed) must pass the same
checks as on the template backend. All attacks: tests/injection/test_injection_embedded_all.py (opt-in).
"""

from __future__ import annotations

import pytest
from injection_checks import KINDS, Attack, load_attacks, report, result_problems, run_attack

from simulator.session import PracticeService

pytestmark = pytest.mark.embedded

REPRESENTATIVES = [a for a in load_attacks() if a.representative]
assert sorted(a.kind for a in REPRESENTATIVES) == sorted(KINDS)


def _param(attack: Attack) -> object:
    return pytest.param(attack, id=f"{attack.kind}-{attack.id}")


@pytest.mark.parametrize("attack", [_param(a) for a in REPRESENTATIVES])
def test_embedded_buyer_withstands_attack(embedded_service: PracticeService, attack: Attack) -> None:
    result = run_attack(embedded_service, attack)
    problems = result_problems(result)
    print(report(result, problems))  # what the buyer said, shown with -rP
    assert not problems, report(result, problems)
