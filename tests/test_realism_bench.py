"""The realism bench's metric functions (bench/bench_realism.py) and its labelled responsiveness set."""

from __future__ import annotations

import importlib.util
import re
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench" / "bench_realism.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_realism", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_realism"] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def test_lines_compare_without_case_or_punctuation(bench: ModuleType) -> None:
    assert bench.norm_line("That still sounds like a black box to me.") == bench.norm_line(
        "that still sounds like a black-box to me")
    assert bench.norm_line("It's $60,000 — 8%!") == "its $60 000 8%"
    assert bench.same_question("How are you handling this today?", "how are you handling this today")
    assert bench.same_question("Who else is involved in the decision?", "Who else is involved in this decision?")
    assert not bench.same_question("How is budget set?", "Who else is involved?")


def test_within_session_repetition_excuses_only_repeated_questions(bench: ModuleType) -> None:
    ex = bench.Exchange
    session = [
        ex(None, "Raj speaking."),
        ex("Understood.", "That still sounds like a black box to me.", rep_asks=False),
        ex("Understood.", "That still sounds like a black box to me!", rep_asks=False),  # repeats: counted
        ex("What's your budget?", "There's some budget."),
        ex("What's your budget?", "There's some budget."),  # the rep asked again: left out
        ex("Who decides?", "raj speaking"),  # same as the opening, normalised: counted
    ]
    rep = bench.within_session_repetition(session)
    assert (rep.repeats, rep.lines, rep.excused) == (2, 5, 1)
    assert rep.share == pytest.approx(0.4)
    assert bench.within_session_repetition([]).share == 0.0


def test_cross_session_overlap_pools_both_directions(bench: ModuleType) -> None:
    a = ["We use a spreadsheet.", "There's some budget.", "Talk soon."]
    b = ["we use a spreadsheet", "Our CEO signs."]
    ov = bench.cross_session_overlap(a, b)
    assert (ov.identical, ov.lines) == (2, 5)
    pooled = bench.pairwise_overlap([a, b, ["Talk soon."]])
    # pairs: (a,b) 2/5, (a,c) 2/4, (b,c) 0/3
    assert (pooled.identical, pooled.lines) == (4, 12)


def test_judge_reply_criteria(bench: ModuleType) -> None:
    reply = bench.Reply
    item = {"acceptable": [{"mentions_any": [r"budget", r"\$\s?\d"]},
                           {"move_kinds": ["reveal_fact"], "fact_ids": ["budget-q3"]}]}
    assert bench.judge_reply(item, reply("Budget? I'm not going to get into numbers yet."))[0]
    assert not bench.judge_reply(item, reply("We get by. Every team has its headaches."))[0]
    assert bench.judge_reply(item, reply("It goes away after Q3.", "reveal_fact", "budget-q3"))[0]
    assert not bench.judge_reply(item, reply("It goes away after Q3.", "reveal_fact", "ceo-sign-off"))[0]
    # a fact first revealed in the reply counts even when another part of the move came first
    assert bench.judge_reply(item, reply("Fine. It goes away after Q3.", "small_talk", None, None, ("budget-q3",)))[0]
    strict = {"acceptable": [{"mentions_any": ["price", "cost"]}, {"mentions_any": ["tool", "login"]}],
              "require": {"not_affirmation": True, "not_move_kinds": ["accept"]}}
    assert not bench.judge_reply(strict, reply("Yep."))[0]
    assert not bench.judge_reply(strict, reply("Yes, the price."))[0]
    assert bench.judge_reply(strict, reply("It's not the price. It's another login for my reps."))[0]
    assert not bench.judge_reply(strict, reply("Price aside, deal.", "accept"))[0]
    assert bench.is_affirmation("I suppose so.") and bench.is_affirmation("Done. $45,000.")
    assert not bench.is_affirmation("Not really.") and not bench.is_affirmation("Doneness matters")


def test_small_statistics(bench: ModuleType) -> None:
    values = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]
    assert bench.percentile(values, 0.9) == 0.9
    assert bench.percentile([3.0], 0.5) == 3.0
    assert bench.slope([1.0, 2.0, 3.0]) == pytest.approx(1.0)
    assert bench.slope([5.0, 5.0, 5.0, 5.0]) == 0.0
    assert bench.slope([7.0]) == 0.0


def test_the_labelled_set_is_well_formed(bench: ModuleType) -> None:
    from simulator.content.loader import load_library

    items = bench.load_items()  # raises on duplicate ids or a split that is not the hash's
    library = load_library()
    assert len(items) >= 150
    per_drill = Counter(i["scenario"] for i in items)
    assert set(per_drill) == set(library.scenarios), "every drill has items"
    assert min(per_drill.values()) >= 15
    splits = Counter(i["split"] for i in items)
    assert 0.4 <= splits["dev"] / len(items) <= 0.6
    kinds = {"mentions_any", "move_kinds", "fact_ids", "objection_ids", "not_affirmation"}
    for item in items:
        where = item["_where"]
        assert item["question"].strip() and item["acceptable"], where
        assert item.get("difficulty", "medium") in ("easy", "medium", "hard"), where
        persona = library.persona(library.scenario(item["scenario"]).persona)
        for criterion in item["acceptable"]:
            assert criterion and set(criterion) <= kinds, where
            for pattern in criterion.get("mentions_any", []):
                re.compile(pattern)
            for fid in criterion.get("fact_ids", []):
                assert any(f.id == fid for f in persona.hidden_facts), f"{where}: unknown fact {fid}"
            for oid in criterion.get("objection_ids", []):
                assert persona.objection(oid) is not None, f"{where}: unknown objection {oid}"
        assert set(item.get("require", {})) <= {"not_affirmation", "not_move_kinds", "not_mentions"}, where
