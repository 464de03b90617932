"""Amounts the value rules used to miss, their owners, and next-step / concession false alarms (issue 9).

Each test pins one general pattern (not a corpus row); the phrasings are new, not copied from the corpus.
"""

from __future__ import annotations

import pytest

from simulator.understanding import read_rep
from simulator.understanding.times import concrete_time
from simulator.understanding.values import amounts, said_back


def _values(text: str, list_price: float | None = None) -> list[tuple[float, str]]:
    return [(a.value, a.owner) for a in amounts(text, list_price)]


def _rules(text: str, list_price: float | None = None, previous: str = "") -> dict[str, bool]:
    return read_rep(text, list_price, use_models=False, previous_buyer_line=previous).labels


# --- amounts that were never extracted -------------------------------------------------------------------


def test_per_seat_rates_without_a_list_price() -> None:
    assert _values("we're 31 a seat, and that includes support") == [(31, "rep")]
    assert _values("at 19 per user a month it pays for itself") == [(19, "rep")]


def test_per_truck_rates_need_money_talk() -> None:
    assert _values("the price is 85 a truck, all in") == [(85, "rep")]
    assert _values("we see about 12 a truck most days") == []  # a count, no money talk


def test_per_seat_range_after_per_seat() -> None:
    assert _values("per user it drops from 55 to 48 a month") == [(55, "rep"), (48, "rep")]
    found = _values("grow to 300 seats and per seat goes from 52 to 44 bucks", 60_000)
    assert found == [(52, "rep"), (44, "rep")]  # not 52,000: per-seat money, not thousands


def test_list_said_after_the_number() -> None:
    assert (96_000, "rep") in _values("we're sitting at 96 list, I can't pretend otherwise", 96_000)
    assert (60_000, "rep") in _values("it's 60 list and I could do 55 on a two year", 60_000)
    found = _values("ninety six's the list but I can do ninety", 96_000)
    assert [v for v, _ in found] == [96_000, 90_000]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("can't do 70 sorry, 78 is the floor", 70_000),
        ("is 72 the number finance gave you?", 72_000),
        ("your 65 isn't unreasonable, it's just not where I land", 65_000),
        ("northwind at 68 doesn't include the sensors", 68_000),
    ],
)
def test_bare_number_after_a_price_word(text: str, value: float) -> None:
    assert value in [v for v, _ in _values(text, 80_000)]


def test_bare_numbers_that_are_not_money_stay_out() -> None:
    assert _values("your 40 drivers keep it running", 50_000) == []
    assert _values("the 45 minutes we spent were useful", 50_000) == []
    assert _values("let's talk friday at 11, the team can join", 14_400) == []  # a time of day, not 11k
    assert _values("your margin going from 12 to 7 percent hurts", 14_400) == []
    assert _values("we have you on 36 month terms", None) == []


def test_alternatives_and_comparisons_share_a_scale() -> None:
    assert [v for v, _ in _values("sorry, was that 30 or 13?", 14_400)] == [30_000, 13_000]
    found = _values("that's 150 a truck a year from us versus the 175 you're paying geotab now")
    assert found == [(150, "rep"), (175, "competitor")]


def test_monthly_price_and_small_monthly_costs() -> None:
    found = _values("you're paying around 3k a month today, we'd be 1,100, and the app you pay 60 a month for goes",
                    14_400)
    assert (1_100, "rep") in found and (60, "other") in found
    assert _values("they bill 1,300 a month per depot", 180_000)[0][0] == 1_300


def test_gap_between_two_numbers() -> None:
    assert (30_000, "other") in _values("you're at 120, I'm at 150, we're 30 apart", 150_000)


def test_buyer_percent_said_back_is_not_money() -> None:
    found = said_back(amounts("so after a forecast that said 97 and landed at 81", 72_000),
                      "the tool said 97% and we landed at 81%", 72_000)
    assert found == []


# --- owners --------------------------------------------------------------------------------------------


def test_we_came_in_at_is_the_reps() -> None:
    found = _values("your budget's 40, the other guys said 42, and we came in at 47", 48_000)
    assert found[-1] == (47_000, "rep")


def test_trade_then_youre_at_is_the_reps_price() -> None:
    assert _values("sign for three years and you're at 41 instead of 48", 48_000) == [(41_000, "rep"),
                                                                                     (48_000, "rep")]
    assert _values("so you're at 43 and I'm at 47", 48_000)[0] == (43_000, "buyer")


def test_paying_a_named_vendor_is_the_competitors() -> None:
    assert _values("you're paying samsara what, 1,400 a month per depot today?", 180_000)[0][1] == "competitor"


def test_what_the_buyer_already_pays_is_not_the_reps() -> None:
    assert _values("you're already paying your erp vendor 25 a year for that", 48_000) == [(25_000, "other")]
    assert _values("the way it works is you pay twelve hundred a month per depot")[0][1] == "rep"


def test_what_the_buyer_pays_for_the_system_being_replaced_is_the_incumbents() -> None:
    assert _values("so you pay roughly 3k a month for your current dispatch software, right?", 36_000)[0] == (
        3_000, "competitor")
    assert _values("you're paying about 1,500 a month for the booking system today", 14_400)[0] == (
        1_500, "competitor")
    # a cost of the problem or a tool the buyer keeps is not a competing price
    assert _values("you're paying 20 grand a month in overtime", 48_000)[0][1] == "other"


def test_the_reps_own_number_held_after_the_buyer_repeats_it() -> None:
    for text, previous in [
        ("nothing extra on our side, the 52 stands on a one-year", "What's the catch on 52?"),
        ("still 62, that hasn't changed since we sent it", "Is it still 62?"),
        ("that 38 was only for a three year commitment", "So 38 on a one year?"),
    ]:
        found = said_back(amounts(text, 60_000), previous, 60_000)
        assert [a.owner for a in found] == ["rep"], text
    # the buyer's number said back with no stance of the rep's stays the buyer's
    assert [a.owner for a in said_back(amounts("45 is tight for us", 60_000), "We can do 45.", 60_000)] == ["buyer"]


def test_the_buyers_number_taken_up_in_the_same_message_stays_the_buyers() -> None:
    found = said_back(amounts("fine, you said 41, we'll do 41 and call it done", 48_000), "", 48_000)
    assert [(a.value, a.owner) for a in found] == [(41_000, "buyer"), (41_000, "buyer")]
    assert not _rules("fine, you said 41, we'll do 41 and call it done", 48_000)["concession"]
    # a different number after the buyer's is still the rep's
    found = said_back(amounts("you said 41, I can do 44", 48_000), "", 48_000)
    assert [a.owner for a in found] == ["buyer", "rep"]


@pytest.mark.parametrize("text", [
    "sign this quarter and I'll eat the travel costs for the install",
    "if you go three years the onboarding fee is gone",
    "two years and there's no uplift in year two",
    "happy to add a 90 day exit clause in year one",
    "ok we'll pay for the data migration",
    "the setup's normally 2k, I'll drop it for you",
    "let's meet in the middle at 46",
])
def test_concessions_in_other_words(text: str) -> None:
    assert _rules(text, 50_000)["concession"], text


@pytest.mark.parametrize("text", [
    "we work with a lot of credit unions your size",
    "let's lock in a time on Thursday with your ops lead",
    "so what I'll do is send a hold for the 9th and you can forward it",
    "ok, I'll drop off now, speak soon",
    "support is included, you don't pay extra for it",
])
def test_concession_words_that_give_nothing(text: str) -> None:
    assert not _rules(text, 50_000)["concession"], text


@pytest.mark.parametrize("text", [
    "ok. take all five depots on one order and I'll halve the install fee",
    "we'd throw in free training for the managers with a 2 yr signed",
    "fine, tell you what, send me the PO this week, the first quarter is free",
    "your PO before the 15th is worth 4% to me",
    "assuming we get the three-year signed this month, I can hold this year's pricing",
    "there's some room on the price but it has to be a multi-year",
])
def test_trades_in_other_words(text: str) -> None:
    labels = _rules(text, 50_000)
    assert labels["concession"] and labels["asks_in_return"], text


def test_a_give_with_no_ask_is_not_a_trade() -> None:
    labels = _rules("the first month is free, no strings, you've been patient with us", 50_000)
    assert labels["concession"] and not labels["asks_in_return"]


@pytest.mark.parametrize("text", [
    "great, I'll get the order form over for your e-signature this afternoon",
    "the paperwork's on its way, keep an eye out",
    "what day works for you and your finance lead?",
    "when's a good time for a proper look with your ops team",
    "let me hold Tuesday at 11 for the four of us",
    "if it helps I could come out to the Leeds depot and see the loading bay with you",
    "it'd help to hear from your CFO directly, could you introduce us",
    "Monday at 3 it is, thanks",
    "9:30 tmrw?",
])
def test_next_steps_in_other_words(text: str) -> None:
    assert _rules(text)["next_step"], text


@pytest.mark.parametrize("text", [
    "I'll send you the case study after the call",
    "what day does your board usually meet",
    "we did a site visit at the Leeds depot last year",
])
def test_not_next_steps(text: str) -> None:
    assert not _rules(text)["next_step"], text


@pytest.mark.parametrize("text", ["ok I'll drop off now, thanks Sam", "great chat, speak Thursday",
                                  "sorry, gotta jump, thanks for the time"])
def test_leaving_the_call_in_other_words(text: str) -> None:
    assert _rules(text)["ends_call"], text


def test_meeting_in_the_middle_is_not_a_meeting() -> None:
    assert not _rules("could we meet in the middle at 44?", 50_000)["next_step"]


def test_no_wiggle_room_is_a_refusal() -> None:
    assert not _rules("there's no wiggle room on the licence, sorry", 50_000)["concession"]


def test_offering_to_explain_now_is_not_a_next_step() -> None:
    assert not _rules("would you like me to quickly explain how the failover works?")["next_step"]
    assert not _rules("shall I show you how the approvals screen looks")["next_step"]
    assert _rules("happy to show you how it works on a call Thursday at 3")["next_step"]


def test_dot_and_space_as_the_thousands_mark() -> None:
    assert _values("ok so 52.000 a year, all in", 52_000) == [(52_000, "rep")]
    assert _values("it comes to 1 300 per month for the three sites", 15_600) == [(1_300, "rep")]
    assert _values("the sync runs every 2.5 seconds") == []
    assert _values("they run 1 400 trucks across the region") == []


def test_vendor_proposal_named_before_the_rate() -> None:
    assert _values("I read Kestrel's proposal, 24 a seat a month, on a 3 year lock") == [(24, "competitor")]


# --- next steps and concessions --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "did the steering committee meeting on the 9th go ahead?",
        "is your board meeting before or after the 22nd",
        "last tuesday's demo went well, the team had good questions",
        "great meeting on monday btw",
        "send me the signed order form by thursday and onboarding is on us",
        "I'll hold 44, but I need the contract countersigned by the 18th",
        "we'd need the paperwork back by the 30th to keep the slot",
    ],
)
def test_past_dates_and_deadlines_are_not_next_steps(text: str) -> None:
    assert not _rules(text, 50_000)["next_step"]


def test_sending_for_signature_by_a_day_is_still_a_next_step() -> None:
    reading = read_rep("great, I'll have the contract to you for signature by wednesday", 50_000, use_models=False)
    assert reading.labels["next_step"] and reading.next_step_time == "wednesday"
    assert _rules("Shall I send the order form over for your signature?", 50_000)["next_step"]


def test_last_weekday_is_not_a_concrete_time() -> None:
    assert concrete_time("last friday's call was useful") is None
    assert concrete_time("next friday at 3pm?") == "next friday at 3pm"


@pytest.mark.parametrize(
    "text",
    [
        "I'm not in a position to drop the price",
        "honestly we're not able to offer a discount on this one",
    ],
)
def test_refusals_in_other_words_are_not_concessions(text: str) -> None:
    assert not _rules(text, 50_000)["concession"]


def test_per_seat_prices_and_monthly_prices_against_list() -> None:
    assert not _rules("your CRM runs about $120 a seat, right?", 72_000)["concession"]
    assert not _rules("that works out to $4,100 a month, billed quarterly", 48_000)["concession"]
    assert _rules("commit to 300 seats and per seat goes from 50 to 42 bucks", 60_000)["concession"]


def test_last_years_price_held_is_the_reps() -> None:
    assert _values("I'll keep you at last year's rate of 44k", 50_000) == [(44_000, "rep")]
    assert _values("I can hold last year's 45,500 if you renew this month", 50_000) == [(45_500, "rep")]
    assert _values("you spent 40k last year in overtime", 50_000)[0][1] == "other"


def test_stepping_up_to_a_price_is_not_a_threshold() -> None:
    assert _values("I can do 60 for year one and step up to 70 in year two", 72_000)[-1] == (70_000, "rep")
    assert _values("anything up to 40 he signs himself", 72_000)[0][1] == "other"


@pytest.mark.parametrize(
    "text",
    [
        "i'd rather not discount, let's look at the rollout plan instead",
        "like i said, 46,000 is where we are",
        "where I can't go is below 43",
        "last year's renewal was $45,000 and this year it's list",
        "the 12% downtime reduction is what I'd put in front of your CFO",
    ],
)
def test_restated_floors_and_results_are_not_concessions(text: str) -> None:
    assert not _rules(text, 50_000)["concession"]


def test_a_held_price_below_list_still_concedes() -> None:
    assert _rules("I'll keep you at last year's rate of 46k", 50_000)["concession"]


def test_a_price_at_list_gives_nothing() -> None:
    from simulator.understanding.reader import _only_at_list

    assert _only_at_list(amounts("the renewal stays at $50,000", 50_000), 50_000) == "50,000"
    assert _only_at_list(amounts("I can do $46,000", 50_000), 50_000) == ""
    assert _only_at_list(amounts("Acme quoted $40,000", 50_000), 50_000) == ""  # no price of the rep's
    assert not read_rep("Northwind avoided $400,000 of downtime, so the renewal stays at $50,000.", 50_000
                        ).labels["concession"]
