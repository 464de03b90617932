"""Reading one buyer line: agrees / refuses / objects / asks / deflects (docs/understanding.md)."""

from __future__ import annotations

import time

import pytest

from simulator.understanding import corpus
from simulator.understanding.buyer import BuyerReading, read_buyer
from simulator.understanding.definitions import BUYER_LABELS
from simulator.understanding.evaluation import LabelScore

DEV_F1_FLOORS = {"agrees": 0.78, "refuses": 0.75, "objects": 0.70, "asks": 0.93, "deflects": 0.90}
"""Floors under the B2B out-of-fold F1 of the current settings (scripts/buyer_training.py, 5-fold CV over
B2B train + dev and PFG's tuning half, with the rep's previous line: agrees 0.873, refuses 0.922,
objects 0.854, asks 0.974, deflects 0.916 over the 619 train + dev lines since the 173 written on 2026-12-02
were added), low enough to pass with a model fitted on train alone
(--train-only), so the test bites when the reader regresses. The shipped models were also fitted on
dev, so they score higher here; held-out figures are the test split's (bench/bench_understanding.py)."""


def labels_of(text: str) -> set[str]:
    return {name for name, on in read_buyer(text).labels.items() if on}


def test_a_refusal_with_okay_refuses_and_does_not_agree() -> None:
    labels = labels_of("No. Please stop calling me, okay?")
    assert "refuses" in labels
    assert "agrees" not in labels
    assert "asks" not in labels  # a tag 'okay?' is no question


def test_okay_but_over_budget_objects_and_does_not_agree() -> None:
    labels = labels_of("okay, but that's way over budget")
    assert "objects" in labels
    assert "agrees" not in labels


def test_sure_tuesday_works_agrees() -> None:
    labels = labels_of("Sure, Tuesday works")
    assert "agrees" in labels
    assert not labels & {"refuses", "objects", "deflects"}


def test_a_challenging_question_objects_and_asks() -> None:
    assert {"objects", "asks"} <= labels_of("Why would I pay double?")


def test_send_me_something_deflects() -> None:
    labels = labels_of("Send me something and I'll look")
    assert "deflects" in labels
    assert "agrees" not in labels


@pytest.mark.parametrize("text", ["", "   ", "👍", "🔥🔥🔥", "...", "<b></b>"])
def test_no_words_no_labels(text: str) -> None:
    reading = read_buyer(text)
    assert not any(reading.labels.values())
    assert set(reading.labels) == set(BUYER_LABELS)
    assert reading.reasons


def test_same_text_same_labels() -> None:
    text = "Fine, but I'm telling you now, price is going to be a problem. Who else is on the call?"
    first, second = read_buyer(text), read_buyer(text)
    assert first.labels == second.labels
    assert first.probabilities == second.probabilities
    assert first.reasons == second.reasons


def test_reading_has_reasons_for_its_labels() -> None:
    reading = read_buyer("That's too expensive. What's included?")
    assert isinstance(reading, BuyerReading)
    assert reading.labels["objects"] and reading.labels["asks"]
    assert len(reading.reasons) >= 2


def test_rules_alone_read_the_clear_cases() -> None:
    def rules(text: str) -> set[str]:
        return {n for n, on in read_buyer(text, use_models=False).labels.items() if on}

    assert rules("No. Please stop calling me, okay?") == {"refuses"}
    assert "agrees" not in rules("okay, but that's way over budget")
    assert rules("Sure, Tuesday works") == {"agrees"}
    assert {"objects", "asks"} <= rules("Why would I pay double?")
    assert "deflects" in rules("Send me something and I'll look")
    assert rules("Forty-eight? Seriously?") == {"objects"}  # an echo is no question


def test_commitments_and_negated_commitments_in_any_words() -> None:
    """Real chat says yes and no without yes-words (PersuasionForGood persuadees, sales buyers alike)."""

    def rules(text: str) -> set[str]:
        return {n for n, on in read_buyer(text, use_models=False).labels.items() if on}

    for text in ("I would like to donate $0.", "Unfortunately, I will not be making a donation today.",
                 "We won't be buying anything this year.", "I am sorry, I am unable to help."):
        assert "refuses" in rules(text) and "agrees" not in rules(text), text
    for text in ("I'll make a $20 donation today.", "We'll buy forty seats.", "I would be willing to sign up."):
        assert "agrees" in rules(text) and "refuses" not in rules(text), text
    assert "agrees" not in rules("I'd sign today if you drop the onboarding fee.")  # a condition: objects


@pytest.mark.parametrize("use_models", [False, True])
def test_a_yes_or_no_reads_with_the_reps_previous_line(use_models: bool) -> None:
    """A bare yes or no accepts or refuses a proposal or an ask, and only answers a question for information
    (CONVENTIONS.md: a label always depends on the rep's previous line)."""

    def read(text: str, rep: str) -> set[str]:
        return {n for n, on in read_buyer(text, use_models=use_models, previous_rep_line=rep).labels.items() if on}

    assert "agrees" in read("Yes.", "Can we book thirty minutes on Thursday at 10 for a demo?")
    assert "agrees" in read("Sure.", "Would you like to donate some of your payment to the charity?")
    assert "agrees" not in read("Sure.", "Do you use Salesforce for your customer records?")
    assert "agrees" not in read("Yes, I have.", "Have you heard of Save the Children before?")
    assert "refuses" in read("No.", "Would you like to donate some of your payment to the charity?")
    assert "refuses" in read("No.", "Shall we book 30 minutes on Thursday at 2pm for a demo?")
    assert "refuses" not in read("No.", "Do you have children of your own?")
    # A phrase that decides still decides after any question.
    assert "refuses" in read("No thanks, I'm not interested.", "Do you use Salesforce today?")


def test_reading_without_a_previous_line_is_the_line_alone() -> None:
    text = "Fine, but price is going to be a problem."
    assert read_buyer(text).labels == read_buyer(text, previous_rep_line="").labels
    assert read_buyer(text).labels == read_buyer(text, previous_rep_line="   ").labels


def test_dev_split_f1_stays_above_the_floors() -> None:
    scores = {name: LabelScore() for name in BUYER_LABELS}
    for item in corpus.buyer_lines("dev"):
        reading = read_buyer(item["text"], previous_rep_line=item["context"].get("previous_rep_line") or "")
        for name in BUYER_LABELS:
            scores[name].add(bool(item["labels"][name]), reading.labels[name])
    f1 = {name: round(s.f1, 3) for name, s in scores.items()}
    assert all(f1[name] >= floor for name, floor in DEV_F1_FLOORS.items()), f1


def test_reading_a_line_is_fast() -> None:
    lines = [item["text"] for item in corpus.buyer_lines("dev")]
    read_buyer("warm up the embedding model")
    start = time.perf_counter()
    for text in lines:
        read_buyer(text + " ")  # a new text each time: no cache hit
    assert (time.perf_counter() - start) / len(lines) < 0.015


def test_normalise_agrees_with_its_regex_definition_on_every_kind_of_space() -> None:
    """normalise() joins str.split(); it must equal the old re.sub(r'\\s+', ' ', ...).strip() everywhere."""
    import re

    from simulator.understanding.text import normalise

    spaces = "".join(chr(c) for c in range(0x3100) if chr(c).isspace() or re.match(r"\s", chr(c)))
    for text in ("A\u00a0B\u2028c \x1cD", f"  x{spaces}Y\u2019s “Q”  ", spaces, "İ\u2009ok", ""):
        expected = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
        assert normalise(text) == re.sub(r"\s+", " ", expected.lower()).strip()


def test_sentences_are_remembered_but_each_call_gets_its_own_list() -> None:
    from simulator.understanding.text import sentences

    first = sentences("No thanks. Call me in May? Maybe.")
    first.append("changed by a caller")
    assert sentences("No thanks. Call me in May? Maybe.") == ["No thanks.", "Call me in May?", "Maybe."]


def test_clauses_are_already_clean() -> None:
    """_rules reads each clause as it is (no second clean-up): that needs _clean(clause) == clause."""
    from simulator.understanding.buyer import _clauses, _clean
    from simulator.understanding.text import sentences, visible_text

    for item in [*corpus.buyer_lines("train")[:300], {"text": "Oh — great… “another” VENDOR?!  No.\u00a0Thanks"}]:
        visible = visible_text(item["text"])
        for clause in _clauses(_clean(visible), sentences(visible)):
            assert _clean(clause) == clause
