"""The buyer's words answer what the rep asked, vary between sessions and never repeat within one."""

from __future__ import annotations

import pytest

from simulator.content.loader import load_library
from simulator.content.stock import stock_lines
from simulator.engine.replay import play_rep_lines
from simulator.engine.rules.choose import choose_line, line_key, rank_by_fit


def _buyer(result: object) -> list[dict]:
    return [t for t in result.transcript if t["speaker"] == "buyer"]  # type: ignore[attr-defined]


def test_choose_never_repeats_while_another_line_is_left() -> None:
    options = ["We get by.", "There's always something.", "It's a busy operation."]
    said: list[str] = []
    picked = []
    for _ in range(3):
        line = options[choose_line(options, "How's it going?", seed=1, said=said)]
        said.append(line_key(line))
        picked.append(line)
    assert sorted(picked) == sorted(options)
    # All said: the one said longest ago comes back first.
    assert options[choose_line(options, "How's it going?", seed=1, said=said)] == picked[0]


def test_a_line_with_a_new_value_still_counts_as_said() -> None:
    templates = ["I can do {price}.", "Then {price} is my number."]
    filled = [t.replace("{price}", "$41,000") for t in templates]
    keys = [line_key(t) for t in templates]
    said = [keys[0]]
    assert choose_line(filled, "Sign by Friday and I can do $48,000.", seed=3, said=said, keys=keys) == 1


def test_choose_prefers_the_line_that_fits_the_rep() -> None:
    options = ["Budget? I'm not going to get into numbers yet.", "The team is busy right now."]
    for seed in range(20):
        assert choose_line(options, "What budget have you set aside?", seed=seed, said=[]) == 0


def test_rank_by_fit_puts_the_closest_item_first() -> None:
    items = ["Our CEO signs anything over $25,000.", "There's about $60,000 set aside for tooling this year."]
    assert rank_by_fit("How much money is set aside for tools this year?", items)[0] == 1


def test_open_question_on_a_locked_topic_names_the_topic() -> None:
    """Trust too low for the budget fact: the buyer holds it back but answers about the budget."""
    r = play_rep_lines("saas-discovery-ops", ["How are you thinking about budget for this?"])
    last = _buyer(r)[-1]
    assert "budget-q3" not in r.buyer["facts_revealed"]
    assert last["move"]["kind"] == "hold_back"
    assert last["text"] not in r.transcript[0]["text"]
    persona_vague = {"It's a busy operation. We manage.", "There's always something. Hard to say in a sentence.",
                     "We get by. Every team has its headaches."}
    assert last["text"] not in persona_vague
    assert any(w in last["text"].lower() for w in ("budget", "money", "spend", "numbers", "funds")), last["text"]


def test_open_question_on_a_topic_without_facts_gets_a_deflection_naming_it() -> None:
    r = play_rep_lines("saas-discovery-ops", ["Hi Raj.", "Which other vendors are you looking at?"])
    last = _buyer(r)[-1]
    options = r_lines = stock_lines().deflect["competition"]
    assert r_lines and (last["text"] in options or "vendor" in last["text"].lower()), last["text"]


def test_asking_again_about_a_told_fact_gets_a_recap_not_a_stock_line() -> None:
    lines = ["Hi Raj, thanks for taking the call. How's your week going?",
             "How are you handling order exceptions today?",
             "Sorry, how are you handling order exceptions today, again?"]
    r = play_rep_lines("saas-discovery-ops", lines)
    buyer = _buyer(r)
    assert buyer[2]["move"]["kind"] == "reveal_fact"
    recap = buyer[3]["text"]
    assert any(recap.startswith(p.split("{")[0]) for p in stock_lines().recap), recap
    assert "spreadsheet" in recap or "15 hours" in recap or "email" in recap


def test_an_opinion_question_is_not_answered_yes_or_no() -> None:
    r = play_rep_lines("saas-discovery-ops", ["Hi Raj.", "Does that sound like something you'd want?"])
    last = _buyer(r)[-1]
    persona = load_library().persona("raj-ops")
    assert last["text"] in [*persona.lines.too_early, *stock_lines().too_early], last["text"]
    assert last["text"] not in persona.lines.closed_answer


def test_is_price_the_issue_is_about_the_budget_not_the_process() -> None:
    r = play_rep_lines("saas-discovery-ops", ["Hi Raj.", "Is price the issue?"])
    last = _buyer(r)[-1]
    assert last["move"]["kind"] == "hint" and last["move"]["fact_id"] == "budget-q3", last


def test_no_buyer_line_repeats_in_a_session_of_stock_answers() -> None:
    vague = ["How's business?", "What's new with you?", "How's the quarter shaping up?", "Anything else going on?"]
    r = play_rep_lines("saas-discovery-ops", ["Hi Raj.", *vague])
    texts = [t["text"] for t in _buyer(r)]
    assert len(texts) == len(set(texts)), texts


@pytest.mark.parametrize("scenario_id", ["saas-discovery-ops", "logistics-objection-price"])
def test_the_same_session_id_replays_the_same_words(scenario_id: str) -> None:
    lines = ["Hi there, thanks for the time.", "What's going on in your world at the moment?",
             "How do you handle this today?", "What would it mean if that got fixed?"]
    a = play_rep_lines(scenario_id, lines)
    b = play_rep_lines(scenario_id, lines)
    assert [t["text"] for t in a.transcript] == [t["text"] for t in b.transcript]


def test_a_budget_question_never_reveals_another_fact_through_a_shared_word() -> None:
    """'How much' also probes metrics; the delivery-miss fact is not what was asked."""
    r = play_rep_lines("saas-discovery-ops", ["Hi Raj, thanks for the time.", "How much budget do you have for this?"])
    last = _buyer(r)[-1]
    assert r.buyer["facts_revealed"] == [], last
    assert last["move"]["kind"] == "hold_back"


def test_the_buyer_does_not_echo_the_reps_words_back() -> None:
    options = ["I'd rather not speak for Mr. Osei.", "That's not really for me to answer."]
    rep = "You'd rather not speak for Mr. Osei, I see."
    for seed in range(10):
        assert choose_line(options, rep, seed=seed, said=[]) == 1


def test_asked_to_repeat_the_buyer_recaps_what_it_told() -> None:
    lines = ["Hi Raj, thanks for taking the call.", "How do order exceptions get handled right now?",
             "Sorry, how many hours a week did you say that takes?"]
    r = play_rep_lines("saas-discovery-ops", lines)
    last = _buyer(r)[-1]
    assert r.buyer["facts_revealed"] == ["manual-handoffs"], last
    assert "15 hours" in last["text"] and last["move"]["kind"] == "answer", last["text"]


def test_an_open_question_about_something_else_leaves_the_objection_open() -> None:
    """A price objection is not explored by a question about who uses the product day to day."""
    r = play_rep_lines("logistics-objection-price", ["Hi Dana, thanks for making the time.",
                                                     "Where would you like to start?",
                                                     "Who on your team would use it day to day?"])
    buyer = _buyer(r)
    assert buyer[2]["move"]["kind"] == "raise_objection", buyer[2]
    assert buyer[3]["move"]["kind"] != "explain_concern", buyer[3]
    active = r.buyer["objection_active"]
    assert active is not None and not r.buyer["objection_progress"][active]["explored"]


def _words_of_session(session_id: str, scenario_id: str, lines: list[str]) -> list[str]:
    from simulator.engine.replay import play

    result = play(scenario_id, lines, session_id=session_id)
    return [t["text"] for t in result.transcript if t["speaker"] == "buyer"][1:]


def test_two_sessions_with_the_same_lines_mostly_word_them_differently() -> None:
    """The session seed picks among lines that fit alike: different sessions, different words (the
    bench's cross-session figure over natural reps is the real measure); same session, same words."""
    lines = ["Hi Raj, thanks for taking the call.", "How are you thinking about budget for this?",
             "Who else is involved in choosing a tool like this?", "Thanks, that's all for today. Bye!"]
    sessions = [_words_of_session(f"variety-{n}", "saas-discovery-ops", lines) for n in range(6)]
    pairs = [(a, b) for i, a in enumerate(sessions) for b in sessions[i + 1:]]
    same = sum(x == y for a, b in pairs for x, y in zip(a, b, strict=False))
    total = sum(min(len(a), len(b)) for a, b in pairs)
    assert same / total <= 0.5, sessions
    assert _words_of_session("variety-0", "saas-discovery-ops", lines) == sessions[0]


def test_a_question_about_a_fact_while_an_objection_is_open_is_answered_as_a_question() -> None:
    """'Who signs off on a tool at this price?' fits the sign-off fact better than the overlap
    objection: the buyer answers it (the fact, trust allowing), and the objection stays open and
    unexplored; the words name what was asked."""
    from simulator.engine.rules.wording import names_topic

    r = play_rep_lines("saas-objection-vp-sales", ["Hi Marcus, thanks for taking the call.",
                                                   "I wanted to pick up where we left off on forecasting.",
                                                   "Who signs off on a tool at this price?"])
    last = _buyer(r)[-1]
    assert names_topic(last["text"], "decision_process"), last["text"]
    assert last["move"]["kind"] in ("reveal_fact", "hold_back"), last["move"]
    assert "answered as a question" in " ".join(last["move"]["reasons"]), last["move"]["reasons"]
    active = r.buyer["objection_active"]
    assert active == "competitor-overlap" and not r.buyer["objection_progress"][active]["explored"]


def test_asked_about_money_after_naming_a_price_the_buyer_says_its_price_again() -> None:
    """The budget fact stays held back (trust too low); the words give the price already on the table."""
    r = play_rep_lines("logistics-negotiation-procurement", [
        "Hi Greta, thanks for making the time.",
        "FleetLens covers devices, installation and support across every depot. The price is $180,000 per year.",
        "What budget are you working with?"])
    buyer = _buyer(r)
    offer = r.buyer["buyer_offer"]
    assert offer is not None and f"${offer:,.0f}" in buyer[-1]["text"], buyer[-1]["text"]
    assert buyer[-1]["move"]["kind"] == "hold_back" and "budget-approved" not in r.buyer["facts_revealed"]


# --- issue 11, responsiveness decisions: each test fails without its rule -----------------------------

_SAM_OPEN = ["Hi Sam, thanks for making the time.",
             "I wanted to talk about how your team watches the payment APIs in production."]


def test_asked_to_repeat_while_an_objection_is_open_the_buyer_recaps_its_own_words() -> None:
    """A recap request is not a response to the objection, though it names one of its response keywords
    ('engineers'): no push-back, no patience lost, and the recap repeats the sentence with the number
    asked for, as the buyer said it."""
    r = play_rep_lines("finserv-objection-champion", [*_SAM_OPEN, "That's fair. What's behind that for you?",
                                                      "Sorry, how long would the engineers be tied up, did you say?"])
    concern, recap = _buyer(r)[-2], _buyer(r)[-1]
    assert concern["move"]["kind"] == "explain_concern"
    assert recap["move"]["kind"] == "answer" and "six months" in recap["text"], recap["text"]
    assert recap["state"]["patience"] == concern["state"]["patience"]
    assert any(recap["text"].startswith(p.split("{")[0]) for p in stock_lines().recap), recap["text"]


def test_a_question_that_builds_on_what_was_said_is_not_a_recap_request() -> None:
    """'You mentioned…' outside the question: the rep builds on it, and the question gets its answer."""
    r = play_rep_lines("saas-discovery-ops", ["Hi Raj, thanks for taking the call.",
                                              "How do order exceptions get handled right now?",
                                              "You mentioned the spreadsheet. What does that mean for your customers?"])
    last = _buyer(r)[-1]
    assert not any(r_.startswith("asked to repeat") for r_ in last["move"]["reasons"]), last["move"]["reasons"]
    assert last["move"]["kind"] == "reveal_fact" and last["move"]["fact_id"] == "sla-misses", last


def test_asked_again_about_an_explained_concern_the_buyer_says_it_again() -> None:
    """'Who is it you'd defend it in front of?' after the board concern: the concern again in other
    words, nothing new, and not a stock answer."""
    r = play_rep_lines("logistics-objection-price", [
        "Hi Dana, thanks for making time today.", "I wanted to follow up on the LaneSight proposal we sent last week.",
        "What's behind that for you?", "And who is it you'd have to defend it in front of?"])
    first, again = _buyer(r)[-2], _buyer(r)[-1]
    assert first["move"]["kind"] == again["move"]["kind"] == "explain_concern"
    assert "board" in again["text"] and again["text"] != first["text"], again["text"]
    assert r.buyer["objection_active"] == "price-too-high"
    assert "price-too-high" not in r.buyer["objections_resolved"]


def test_a_question_using_the_objections_terms_explores_it_and_is_no_early_response() -> None:
    """'What would concern you about a managed option?' contains a response keyword ('managed') but
    asks: no push-back, no patience lost; it explores the objection."""
    r = play_rep_lines("finserv-objection-champion", [*_SAM_OPEN, "What would concern you about a managed option?"])
    raised, last = _buyer(r)[-2], _buyer(r)[-1]
    assert last["move"]["kind"] == "explain_concern", last["move"]
    assert last["state"]["patience"] == raised["state"]["patience"]
    assert r.buyer["objection_progress"]["build-in-house"]["explored"]


def test_a_closed_question_on_the_objection_gets_the_objection_again_not_a_stock_answer() -> None:
    r = play_rep_lines("finserv-objection-champion", [*_SAM_OPEN, "Have you started building it yet?"])
    raised, last = _buyer(r)[-2], _buyer(r)[-1]
    persona = load_library().persona("sam-architect")
    objection = persona.objection("build-in-house")
    assert objection is not None
    assert last["text"] in [objection.say, *objection.say_also] and last["text"] != raised["text"], last["text"]
    assert last["text"] not in persona.lines.closed_answer
    assert last["state"]["patience"] == raised["state"]["patience"]
    assert not r.buyer["objection_progress"]["build-in-house"]["explored"]


def test_an_open_question_about_a_held_fact_gets_its_partial_answer_first() -> None:
    """Trust is short of the pagers fact: the buyer says a little about paging (the fact's middle
    depth), not a generic 'what we use is internal'; the fact stays locked."""
    r = play_rep_lines("healthcare-discovery-it", ["Hi Nadia, thanks for making time today.",
                                                   "How do your clinicians reach each other during a shift today?"])
    last = _buyer(r)[-1]
    fact = load_library().persona("nadia-it-director").fact("pagers-and-texting")
    assert fact is not None
    assert last["move"]["kind"] == "hold_back" and last["text"] in fact.partial, last["text"]
    assert r.buyer["facts_revealed"] == []


def test_asked_where_its_number_comes_from_the_buyer_gives_its_reasoning_and_moves_nothing() -> None:
    lines = ["Hi Greta, thanks for making the time.",
             "FleetLens covers devices, installation and support across every depot. The price is $180,000 per year.",
             "Where does that figure come from?"]
    r = play_rep_lines("logistics-negotiation-procurement", lines)
    anchor, last = _buyer(r)[-2], _buyer(r)[-1]
    assert "$126,000" in last["text"] and "benchmark" in last["text"], last["text"]
    assert last["state"]["buyer_offer"] == anchor["state"]["buyer_offer"] == 126000
    assert last["move"]["kind"] in ("answer", "hold_back") and last["move"]["price"] is None


def test_asked_what_number_it_has_in_mind_the_buyer_says_its_offer_not_a_metrics_deflection() -> None:
    r = play_rep_lines("manufacturing-negotiation-renewal", [
        "Hi Dana, thanks for making time.",
        "PlantPulse cut unplanned downtime on your pump lines by 19% last year. The renewal is $50,000 per year.",
        "What number did you have in mind?"])
    last = _buyer(r)[-1]
    assert f"${r.buyer['buyer_offer']:,.0f}" in last["text"], last["text"]
    assert r.buyer["deal_price"] is None


def test_an_opinion_answer_fits_the_ask_itself() -> None:
    """'…, would that help?': of the 'too early' lines, the one about helping, not the one that fits the
    offer's words best."""
    r = play_rep_lines("healthcare-discovery-it", ["Hi Nadia, thanks for making time today.",
                                                   "If nurses could text each other securely from their own phones, "
                                                   "would that help?"])
    last = _buyer(r)[-1]
    assert "help" in last["text"].lower().split(".")[0], last["text"]
    assert not last["text"].lower().startswith(("yes", "no"))


@pytest.mark.parametrize(("question", "topic", "not_topic"), [
    ("How many plants are running it now?", "metrics", "goals"),
    ("How close did you land to forecast last quarter?", None, "timeline"),
    ("What happens when a page goes unanswered?", "impact", None),
    ("What went wrong with the last rollout?", "risk", None),
    ("What's the plan for next year?", "goals", None),
])
def test_lexicon_reads_the_topic_asked(question: str, topic: str | None, not_topic: str | None) -> None:
    from simulator.engine.understand import analyse

    topics = analyse(question)["open_topics"]
    assert topic is None or topic in topics, topics
    assert not_topic is None or not_topic not in topics, topics


def test_small_talk_with_a_time_word_probes_no_hidden_fact() -> None:
    """'Before we start…' is not about what was tried before."""
    r = play_rep_lines("saas-discovery-ops", ["Hi Raj, thanks for taking the call.",
                                              "Before we start, did you see the match on Sunday?"])
    rep = [t for t in r.transcript if t["speaker"] == "rep"][-1]
    analysis = rep["analysis"]
    assert analysis is not None
    assert analysis["facts_probed_closed"] == [] and analysis["facts_probed_open"] == []
    assert _buyer(r)[-1]["move"]["kind"] != "hint"


def test_validate_lets_a_public_count_through_but_not_the_same_number_counting_something_else() -> None:
    """'Three plants' is in Dana's company profile, so a deflection may say it though a hidden fact
    mentions moving three plants; 'three lanes' would still give a locked number away."""
    from simulator.content.validate import _leak, _public_words

    persona = load_library().persona("dana-cfo")
    public = _public_words(persona)
    assert _leak("Three plants, that's no secret. The other figures stay inside finance.", persona, public) is None
    leak = _leak("Three lanes cause most of it. The rest stays inside finance.", persona, public)
    assert leak is not None and "renewal-leverage" in leak


# --- personal and off-topic questions, opinion asks, closed questions with no topic (issue 11) ---

def test_a_personal_question_is_answered_in_character_and_earns_no_open_question_trust() -> None:
    from simulator.content.stock import names_topic

    r = play_rep_lines("saas-discovery-ops", ["Hi Raj, thanks for taking the call.",
                                              "How long have you been running operations at Parcelwise?"])
    buyer = _buyer(r)
    last = buyer[-1]
    assert last["move"]["kind"] == "small_talk", last
    assert names_topic(last["text"], "personal"), last["text"]
    assert r.buyer["facts_revealed"] == [] and r.buyer["facts_hinted"] == []
    assert last["state"]["trust"] == buyer[-2]["state"]["trust"]  # rapport came with the hello: nothing more


def test_the_buyer_answers_the_personal_question_asked_not_another() -> None:
    cases = [("Before we start, did you catch the game last night?", ("game", "match")),
             ("Got anything planned for the weekend?", ("weekend",)),
             ("What did you do before you joined Parcelwise?", ("before",))]
    for question, words in cases:
        r = play_rep_lines("saas-discovery-ops", ["Hi Raj, thanks for taking the call.", question])
        text = _buyer(r)[-1]["text"].lower()
        assert any(w in text for w in words), (question, text)


def test_a_personal_question_with_a_business_word_tells_no_fact_and_explores_no_objection() -> None:
    """'…on the payments platform *team*' is small talk: the team fact stays locked and the open
    objection is not explored by it."""
    r = play_rep_lines("finserv-objection-champion", [
        "Hi Sam, thanks for making the time.",
        "I wanted to talk about how your team watches the payment APIs in production.",
        "Out of curiosity, how long have you been on the payments platform team?"])
    last = _buyer(r)[-1]
    assert last["move"]["kind"] == "small_talk", last
    assert r.buyer["facts_revealed"] == []
    active = r.buyer["objection_active"]
    assert active is not None and not r.buyer["objection_progress"][active]["explored"]


def test_small_talk_first_in_an_objection_drill_keeps_its_answer_before_the_objection() -> None:
    from simulator.content.stock import names_topic

    r = play_rep_lines("finserv-objection-champion", ["Hi Sam, thanks for making the time.",
                                                      "What do you like to do when you're not at work?"])
    last = _buyer(r)[-1]
    assert last["move"]["kind"] == "raise_objection", last
    first = last["text"].split(".")[0]
    assert names_topic(first, "personal"), last["text"]


def test_a_business_question_with_a_personal_word_stays_a_business_question() -> None:
    from simulator.engine.rules.wording import asked_topic, personal_question

    question = "How long have you been using spreadsheets for this?"
    topics = ["current_solution"]
    assert not personal_question(question, topics, asked_topic(question, topics))
    assert asked_topic("How big is your team?", ["team"]) == "team"


def test_more_small_talk_costs_patience_from_the_third_question() -> None:
    lines = ["Hi Raj, thanks for taking the call.", "Did you catch the game last night?",
             "How's the weather over there?", "Any plans for the weekend?"]
    r = play_rep_lines("saas-discovery-ops", lines)
    buyer = _buyer(r)
    patience = [b["state"]["patience"] for b in buyer[1:]]
    assert patience[1] == patience[2] and patience[3] == patience[2] - 1, patience


def test_every_kind_of_opinion_ask_gets_an_opinion_naming_what_was_asked() -> None:
    from simulator.engine.rules.wording import opinion_ask

    for question in ("Would a longer payment term help?", "Does a phased rollout sound useful to you?",
                     "How do you feel about a managed service?", "What's your take on moving paging to phones?",
                     "Has it been worth it for you?"):
        assert opinion_ask(question), question
    r = play_rep_lines("logistics-objection-price", ["Hi Dana, thanks for making time today.",
                                                     "I wanted to follow up on the LaneSight proposal we sent.",
                                                     "Does a phased rollout sound useful to you?"])
    last = _buyer(r)[-1]["text"]
    assert "phased rollout" in last.lower() and not last.lower().startswith(("yes", "sure")), last


def test_a_closed_question_with_no_topic_names_what_was_asked() -> None:
    r = play_rep_lines("finserv-discovery-gatekeeper", ["Hi Helen, thanks for picking up.",
                                                        "Is Mr. Osei in the office this week?"])
    last = _buyer(r)[-1]["text"]
    assert "office" in last.lower(), last


@pytest.mark.parametrize("question", [
    "Did you see the 50% discount we agreed?", "Did you read my email?", "Did you print the system prompt?",
    "Would our platform help?", "Did you confirm the deal?", "Did you see your platform roadmap?"])
def test_nothing_unsafe_is_said_back(question: str) -> None:
    from simulator.engine.rules.wording import asked_thing

    assert asked_thing(question) is None and asked_thing(question, opinion=True) is None


def test_said_back_words_drop_numbers_and_become_the_buyers() -> None:
    from simulator.engine.rules.wording import asked_thing

    assert asked_thing("Did you get a chance to look at the proposal?") == "The proposal"
    assert asked_thing("Has the 19% drop in downtime been worth it for you?", opinion=True) == "The drop in downtime"
    assert asked_thing("Did that come up in your last QBR?") == "In our last QBR"


def test_a_remark_about_a_held_fact_gets_its_partial_answer_and_tells_nothing() -> None:
    r = play_rep_lines("finserv-discovery-gatekeeper", ["Hi Helen, thanks for picking up.",
                                                        "I imagine you get a lot of vendor emails"])
    last = _buyer(r)[-1]
    persona = load_library().personas["helen-ea"]
    fact = persona.fact("inbox-routine")
    assert fact is not None and last["text"] in fact.partial, last
    assert r.buyer["facts_revealed"] == []


def test_asked_about_a_fact_that_builds_on_another_the_buyer_names_it_before_telling_the_first() -> None:
    r = play_rep_lines("saas-objection-vp-sales", ["Hi Marcus, thanks for taking the call.",
                                                   "I wanted to pick up where we left off on forecasting.",
                                                   "What does a missed forecast cost you personally?"])
    last = _buyer(r)[-1]
    persona = load_library().personas["marcus-vp-sales"]
    deeper = persona.fact("forecast-miss")
    assert deeper is not None
    assert last["move"]["fact_id"] == "spreadsheet-forecast", last
    assert any(p in last["text"] for p in deeper.partial), last["text"]
    assert "forecast-miss" not in r.buyer["facts_revealed"]


def test_asked_about_the_weekend_the_buyer_answers_and_stays_on_the_call() -> None:
    r = play_rep_lines("healthcare-discovery-it", ["Hi Nadia, thanks for making time today.",
                                                   "Did you have a good weekend?"])
    last = _buyer(r)[-1]
    assert not last["state"]["ended"] and last["move"]["kind"] == "small_talk", last
    assert "weekend" in last["text"].lower(), last["text"]


def test_a_deal_question_is_never_said_back() -> None:
    r = play_rep_lines("logistics-negotiation-procurement", [
        "Hi Greta, thanks for making the time.",
        "FleetLens covers devices, installation and support across every depot. The price is $180,000 per year.",
        "Is that your final offer?"])
    assert "offer?" not in _buyer(r)[-1]["text"].lower()


def test_an_open_question_on_no_topic_gets_no_pleasantry() -> None:
    r = play_rep_lines("finserv-discovery-gatekeeper", ["Hi Helen, thanks for picking up.",
                                                        "Who runs the contact centre?"])
    persona = load_library().personas["helen-ea"]
    assert _buyer(r)[-1]["text"] not in persona.lines.small_talk


def test_asked_what_the_next_step_is_a_buyer_not_ready_says_so_and_books_nothing() -> None:
    r = play_rep_lines("saas-discovery-ops", ["Hi Raj, thanks for taking the call.",
                                              "What should the next step be?"])
    last = _buyer(r)[-1]
    persona = load_library().personas["raj-ops"]
    from simulator.content.stock import stock_lines as stock

    assert last["text"] in [*persona.lines.decline_next_step, *stock().decline_next_step], last
    assert r.buyer["next_step"] is None


def test_asked_to_be_put_through_a_gatekeeper_says_whether_it_books_anything() -> None:
    r = play_rep_lines("finserv-discovery-gatekeeper", ["Hi Helen, thanks for picking up.",
                                                        "Could you put me through to Mr. Osei?"])
    last = _buyer(r)[-1]
    persona = load_library().personas["helen-ea"]
    from simulator.content.stock import stock_lines as stock

    assert last["text"] in [*persona.lines.decline_next_step, *stock().decline_next_step], last
    assert r.buyer["next_step"] is None
