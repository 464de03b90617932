"""How one rep message is read: the phrasings word lists got wrong, bad input, determinism."""

from __future__ import annotations

import pytest

from simulator.understanding import read_rep
from simulator.understanding.times import concrete_time
from simulator.understanding.values import amounts


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("What are Mr. Osei's priorities this year?", "open"),
        ("I'm curious how you handle renewals today", "open"),
        ("how do you handle renewals today", "open"),
        ("um so yeah what does uh what does the approval process look like on your end", "open"),
        ("Could you walk me through the approval process", "open"),
        ("<p>What does your <b>current process</b> look like?</p>", "open"),
        ("**How** do you handle renewals today?", "open"),
        ("Do you know what the budget is?", "closed"),
        ("Would Tuesday or Wednesday work?", "closed"),
        ("So speed is what matters most, right?", "closed"),
        ("does the CFO have to approve this or can you sign it yourself", "closed"),
        ("We cut detention fees by a sixth for a grocery distributor.", "none"),
        # transcripts, stutters, chat and non-native phrasing, all without a question mark
        ("[00:12:40] Rep: so what happens to an order once it lands in the inbox", "open"),
        ("Speaker 2: and uh could Monday at nine work for a call with your CFO", "closed"),
        ("so the the thing I was was wondering is how the the night shift hands over", "open"),
        ("pls talk me thru how returns get logged", "open"),
        ("please can you describe me how the budget is decided", "open"),
        ("I guess what I'm keen to understand is like why the last project stopped", "open"),
        ("what we do is pretty simple", "none"),
        ("how's thursday at 3 for the review with your CFO", "closed"),
        ("how's your week going", "open"),
        ("when Acme quoted you 41,000, did that include the install?", "closed"),
    ],
)
def test_question_kind_of_natural_phrasing(text: str, kind: str) -> None:
    assert read_rep(text).question_kind == kind


def test_next_steps_in_natural_words_carry_their_time() -> None:
    twenty = read_rep("Could I have twenty minutes with Kwame on Tuesday at 10am?")
    assert twenty.labels["next_step"] and twenty.next_step_time == "Tuesday at 10am"
    deep_dive = read_rep("Next step, I'd suggest a deep-dive on March 4th")
    assert deep_dive.labels["next_step"] and deep_dive.next_step_time == "March 4th"
    vague = read_rep("Can we meet next week?")
    assert vague.labels["next_step"] and vague.next_step_time is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("next Tues at 2 for a quick demo?", "next Tues at 2"),
        ("how about 10 a.m. Thursday", "10 a.m. Thursday"),
        ("3/12 at 9:30 works", "3/12 at 9:30"),
        ("we run it at 2 sites", None),
        ("let's aim for the end of the month", None),
        ("sometime next week", None),
        ("may I ask something", None),
    ],
)
def test_concrete_times(text: str, expected: str | None) -> None:
    assert concrete_time(text) == expected


def test_courtesies_are_not_concessions() -> None:
    for text in ("great to meet you", "feel free to stop me", "feel free to push back on any of this"):
        reading = read_rep(text)
        assert not reading.labels["concession"], text


def test_trades_in_natural_words() -> None:
    reading = read_rep("Commit to a two-year term and I can do $47,500.", list_price=52_000)
    assert reading.labels["concession"] and reading.labels["asks_in_return"]
    assert [(a.value, a.owner) for a in reading.amounts] == [(47_500, "rep")]


def test_whose_price_it_is() -> None:
    found = amounts("Acme quoted you $34,000, I know, but we're at 48k", list_price=52_000)
    assert [(a.value, a.owner) for a in found] == [(34_000, "competitor"), (48_000, "rep")]
    found = amounts("that downtime costs you $400k a year", list_price=52_000)
    assert [(a.value, a.owner) for a in found] == [(400_000, "other")]
    found = amounts("you mentioned a budget of 40k", list_price=52_000)
    assert [(a.value, a.owner) for a in found] == [(40_000, "buyer")]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("We could do forty-seven five if you commit to two years.", 47_500),
        ("I can hold it at one-fifty-eight-four for a three-year term.", 158_400),
        ("fifty grand and it's done", 50_000),
        ("we can do $47.5k", 47_500),
    ],
)
def test_prices_in_words(text: str, value: float) -> None:
    list_price = 165_000 if value > 100_000 else 52_000
    assert [a.value for a in amounts(text, list_price)] == [value]


def test_acknowledgement_without_formula_words() -> None:
    assert read_rep("Yeah, a rollout that stalled for six months would make anyone wary.").labels["acknowledges"]
    assert not read_rep("ok").labels["acknowledges"]


def test_thanks_mid_call_does_not_end_it() -> None:
    mid = read_rep("Thanks, have a good look at the payback sheet I sent")
    assert mid.labels["thanks_or_goodbye"] and not mid.labels["ends_call"]
    bye = read_rep("Thanks so much, talk soon. Bye!")
    assert bye.labels["ends_call"]


@pytest.mark.parametrize(
    "text",
    ["", "   \n\t ", "😀😀😀", "¿Cuál es su presupuesto para este año?", "Quel est votre budget pour cette année ?",
     "x" * 20_000, "<div></div>"],
)
def test_bad_input_gets_a_clear_result_and_no_label(text: str) -> None:
    reading = read_rep(text)
    assert reading.question_kind == "none"
    assert not any(reading.labels.values())
    assert reading.reasons, "every reading says why"


def test_other_languages_are_named() -> None:
    assert read_rep("¿Cuál es su presupuesto para este año?").language == "es"
    assert read_rep("What's your budget this year?").language == "en"


def test_same_text_same_labels() -> None:
    text = "Totally get that. If you can sign by Friday I'll waive onboarding — does Thursday at 2 work to review?"
    first, second = read_rep(text, 50_000).as_json(), read_rep(text, 50_000).as_json()
    assert first == second


def test_every_label_keeps_a_reason() -> None:
    reading = read_rep("Hi Dana! If you commit to two years, I can do $46,000. Could we review it Tuesday at 3pm?",
                       list_price=50_000)
    fired = [name for name, on in reading.labels.items() if on]
    assert {"greeting", "concession", "asks_in_return", "next_step"} <= set(fired)
    joined = " ".join(reading.reasons)
    assert "question" in joined and "price 46,000 is the rep's" in joined


@pytest.mark.parametrize(
    "text",
    [
        "We don't discount, and the price on the proposal is the price.",
        "sorry, we don't discount renewals",
        "not gonna cut the price, sorry",
    ],
)
def test_a_refused_concession_is_not_one(text: str) -> None:
    assert not read_rep(text, 50_000, use_models=False).labels["concession"]


def test_a_refusal_beside_a_real_concession_still_concedes() -> None:
    reading = read_rep("I can't drop the price, but I can phase the seats over two quarters", 50_000, use_models=False)
    assert reading.labels["concession"]


def test_rates_per_month_or_seat_are_compared_as_rates() -> None:
    assert [(a.value, a.owner) for a in amounts("$4,000 a month, all in.", 48_000)] == [(4_000, "rep")]
    assert [(a.value, a.owner) for a in amounts("per seat drops to 38 dollars a seat", 60_000)] == [(38, "rep")]
    assert [(a.value, a.owner) for a in amounts("that's about $40 an hour loaded", 48_000)] == [(40, "other")]


def test_an_amount_after_another_vendors_quote_is_theirs() -> None:
    found = amounts("thanks for showing me the acme quote. 31 thousand the first year and 36 after", 48_000)
    assert [a.owner for a in found] == ["competitor", "competitor"]
    found = amounts("the other quote is lower. We're at 48 thousand", 48_000)
    assert [a.owner for a in found] == ["rep"]


def test_a_vendors_number_said_back_stays_the_vendors() -> None:
    reading = read_rep("if routeone can really do all 14 depots for 150 then you should take it", 170_000,
                       use_models=False, previous_buyer_line="RouteOne says 150.")
    assert [(a.value, a.owner) for a in reading.amounts] == [(150_000, "competitor")]
    reading = read_rep("ok, 44 it is", 50_000, use_models=False, previous_buyer_line="We could do 44.")
    assert [(a.value, a.owner) for a in reading.amounts] == [(44_000, "buyer")]

