"""Every rejection reason of the buyer-line acceptance check bites (issue 12).

For each reason in ``simulator/engine/acceptance.py`` there is an input that must be rejected with
exactly that reason, and a near miss that must pass (so "reject everything" cannot pass either, nor
can dropping an exemption such as "unless the gist says it"). Each branch was disabled in turn, in a
mutated copy of the module, and at least one test here failed every time.

No model: plain strings, and the scripted fake LLM through ``voice_line`` for the end-to-end cases.
"""

from __future__ import annotations

from typing import Any

import pytest
from voice_fakes import make_move

from simulator.engine.acceptance import (
    ROLE_BREAK_REASONS,
    clean_line,
    is_role_break,
    is_role_label,
    reaction_rejection_reason,
    rejection_reason,
    sentence_rejection_reason,
    split_label,
)
from simulator.engine.actor import VoiceConfig, VoicedLine, VoiceModeSetting, voice_line
from simulator.llm.base import GenerationOptions
from simulator.llm.scripted import ScriptedLLM

GIST = "Honestly, it mostly runs on email. It gets done."
REP = "How do you handle order exceptions today?"
LOCKED = "Our CEO signs anything over $25,000, and she'll want to see it pay back inside a year."
BUYER = "Raj Mehta"


def _sentence(sentence: str, **kw: Any) -> str | None:
    args: dict[str, Any] = {"gist": GIST, "rep_text": REP, "locked_facts": [LOCKED], "buyer_name": BUYER}
    args.update(kw)
    return sentence_rejection_reason(sentence, **args)


# --------------------------------------------------------------------------- sentence_rejection_reason

# (reason prefix, sentence, overrides). Each input trips only its own reason: with that branch
# disabled, the sentence passes (or fails for another reason), and the test fails.
REJECTED: list[tuple[str, str, dict[str, Any]]] = [
    # A role label no phrase list knows (``rep:``/``seller:`` are also assistant phrases).
    ("speaks as someone else ('Caller:')", "Caller: It runs on email.", {}),
    ("speaks as someone else ('User:')", "User: It runs on email.", {}),
    ("speaks as someone else ('System:')", "System: It runs on email.", {}),
    ("speaks as someone else ('Alex (Sales):')", "Alex (Sales): It runs on email.", {}),
    ("speaks as the seller ('our platform')", "Our platform runs on email.", {}),
    ("speaks as the seller ('thanks for taking the call')", "Thanks for taking the call.", {}),
    ("speaks as the seller (\"i'm calling from\")", "I'm calling from OrderFlow.", {}),
    ("speaks as the caller (greets Raj)", "Hi Raj, it runs on email.", {}),
    ("speaks as the caller (greets Raj)", "Good morning, Raj. It runs on email.", {}),
    ("speaks as the caller (addresses Raj)", "Raj, it runs on email.", {}),
    ("speaks as the caller (addresses Raj)", "Fine. Raj, how do you handle it?", {}),
    ("refuses or apologises as a model (\"i'm unable to\")", "I'm unable to say.", {}),
    ("refuses or apologises as a model ('i apologize')", "I apologize, it runs on email.", {}),
    ("speaks as an assistant or reads its instructions ('great question')", "Great question, it runs on email.", {}),
    ("speaks as an assistant or reads its instructions ('as an ai')", "As an AI, it runs on email.", {}),
    ("speaks as an assistant or reads its instructions ('director')", "The director wants email.", {}),
    ("reads its instructions aloud", "Say: it runs on email.", {}),
    ("reads its instructions aloud", "I was told to say : it runs on email.", {}),
    ("reads its instructions aloud", "Answer the salesperson naturally, as yourself.", {}),
    ("reads its instructions aloud", "Reply with only a brief reaction.", {}),
    ("agrees to something the director did not decide ('sounds good')", "Sounds good, it runs on email.", {}),
    ("agrees to something the director did not decide ('confirmed')", "Confirmed. It runs on email.", {}),
    ("adds a number the director did not decide (15)", "It takes 15 hours.", {}),
    ("adds a number the director did not decide (40000)", "We pay $40,000 for it.", {}),
    ("adds an amount the director did not decide ('twenty thousand')", "It costs about twenty thousand.", {}),
    ("adds an amount the director did not decide ('a hundred')", "We get a hundred a day.", {}),
    # A run of six of the rep's words, the rest the buyer's own (the share rule alone would pass it).
    ("repeats the rep's line as its own", "We are still doing all of it by hand today, mostly email.",
     {"rep_text": "So you are still doing all of it by hand today?"}),
    # No run of six, but the sentence is (almost) only the rep's words.
    ("repeats the rep's line as its own", "We handle order exceptions today by email.", {}),
    ("reveals a fact that is still locked", "The CEO signs anything over budget and wants payback inside a year.", {}),
    # Spread over two sentences: the second completes the fact.
    ("reveals a fact that is still locked", "She'll want payback.", {"said_before": "The CEO signs anything big."}),
    # A locked fact's number already in the reply (``said_before``): the new sentence has no number of its own.
    ("mentions a number from a locked fact", "It mostly runs on email.",
     {"said_before": "Anything over $25,000 is a fight."}),
]

# Near misses: each passes, most by the exemption the branch makes (the gist says it, the rep said it, ...).
PASSES: list[tuple[str, str, dict[str, Any]]] = [
    ("buyer's own label", "Raj: It runs on email.", {}),
    ("a blank sentence", "   ", {}),
    ("a blank sentence, whatever came before", "  ", {"said_before": "Anything over $25,000 is a fight."}),
    ("the gist's own words", "Our platform team owns that, honestly.", {"gist": "Our platform team owns that."}),
    ("greeting without the name", "Hi, it runs on email.", {}),
    ("no buyer name known", "Hi Raj, it runs on email.", {"buyer_name": ""}),
    ("the name mid-sentence", "Ask Raj, he knows.", {}),
    ("the gist addresses the name", "Raj, it runs on email.", {"gist": "Raj, it runs on email."}),
    ("the gist refuses", "I'm not able to share budget numbers yet, sorry.",
     {"gist": "I'm not able to share budget numbers yet."}),
    ("the gist has the word", "The finance director signs off.", {"gist": "Our finance director signs off."}),
    ("'say' without a colon", "I'd say it mostly runs on email.", {}),
    ("four words of the instructions", "Answer the salesperson naturally.", {}),
    ("the gist agrees", "Sounds good, Thursday works.", {"gist": "Sounds good, Thursday works."}),
    ("the gist's number, written differently", "It costs 25,000.", {"gist": "It costs $25,000."}),
    ("the gist's amount", "It costs about twenty thousand.", {"gist": "It costs about twenty thousand a year."}),
    ("the rep's amount", "Twenty thousand? It mostly runs on email.",
     {"rep_text": "Would twenty thousand be in range?"}),
    ("the gist has the run", "Yes, we are still doing all of it by hand.",
     {"rep_text": "So you are still doing all of it by hand today?",
      "gist": "Yes, we are still doing all of it by hand."}),
    ("three of the rep's words", "We handle order exceptions by email.", {}),
    ("a short rep line", "We handle order exceptions today by email.", {"rep_text": "Hi"}),
    ("a little of the locked fact", "The CEO signs anything big.", {}),
    ("the gist says the fact's words", "The CEO signs anything and wants payback inside a year.",
     {"gist": "The CEO signs anything and wants payback inside a year."}),
    ("the rep said the fact's words", "The CEO signs anything over budget and she wants a payback inside a year.",
     {"rep_text": "Who signs off, the CEO? Anything over budget?"}),
    ("the second half alone", "She'll want payback.", {}),
    ("the locked number is also the gist's", "It mostly runs on email.",
     {"said_before": "Anything over $25,000 is a fight.", "gist": "Anything over $25,000 is a fight."}),
    ("a one-digit locked number", "It mostly runs on email.",
     {"said_before": "We have 3 sites.", "locked_facts": ["We have 3 sites and 9 warehouses."]}),
    ("the gist itself", GIST, {}),
]


@pytest.mark.parametrize(("reason", "sentence", "kw"), REJECTED, ids=[r[1][:40] for r in REJECTED])
def test_sentence_is_rejected_for_its_reason(reason: str, sentence: str, kw: dict[str, Any]) -> None:
    assert _sentence(sentence, **kw) == reason


@pytest.mark.parametrize(("why", "sentence", "kw"), PASSES, ids=[p[0] for p in PASSES])
def test_sentence_near_miss_passes(why: str, sentence: str, kw: dict[str, Any]) -> None:
    assert _sentence(sentence, **kw) is None, why


# --------------------------------------------------------------------------- reaction_rejection_reason

WELL_11 = " ".join(["Well,"] * 10 + ["well."])
WELL_10 = " ".join(["Well,"] * 9 + ["well."])
RGIST = "Honestly, most of our order exceptions still go through email. It gets done."
RREP = "How are you handling order exceptions today?"
DENIAL = "I never agreed to that."

REACTION_REJECTED: list[tuple[str, str, str, str]] = [
    # (reason prefix, reaction, mood, gist)
    ("reads its instructions aloud (the mood)", "I'm open.", "open", RGIST),
    ("reads its instructions aloud (the mood)", "Still skeptical.", "skeptical", RGIST),
    ("reaction contradicts the skeptical mood", "That's great.", "skeptical", RGIST),
    ("reaction contradicts the firm mood", "Sure.", "firm", RGIST),
    ("reaction agrees before a line that denies or refuses", "Sure.", "open", DENIAL),
    ("reaction agrees before a line that denies or refuses", "Yeah, okay.", "", "We can't do that."),
    ("reaction proposes or demands something (\"let's\")", "Let's see.", "open", RGIST),
    ("reaction proposes or demands something ('show me')", "Show me.", "open", RGIST),
    ("reaction too long (11 words)", WELL_11, "open", RGIST),
    ("reaction has a number", "About 15?", "open", RGIST),
    ("reaction adds its own content (everything, moved, sap)", "We moved everything to SAP.", "open", RGIST),
]

REACTION_PASSES: list[tuple[str, str, str, str]] = [
    ("another mood's word", "I'm open.", "guarded", RGIST),
    ("a plain reaction", "Fair question.", "open", RGIST),
    ("gushing is fine when satisfied", "That's great.", "satisfied", RGIST),
    ("the gist's own enthusiasm", "Great?", "skeptical", "Great, but it still runs on email."),
    ("yes before a line that does not deny", "Sure.", "open", RGIST),
    ("no yes before the denial", "Hold on.", "open", DENIAL),
    ("the gist proposes it", "Let's see.", "open", "Let's see what finance says first."),
    ("ten words", WELL_10, "open", RGIST),
    ("the number in words", "About fifteen?", "open", RGIST),
    ("two words of its own", "Moved to SAP?", "open", RGIST),
    ("the rep's words are not its own", "Order exceptions today? Handling them?", "open", RGIST),
]


@pytest.mark.parametrize(("reason", "reaction", "mood", "gist"), REACTION_REJECTED,
                         ids=[f"{r[1][:30]}-{r[2]}" for r in REACTION_REJECTED])
def test_reaction_is_rejected_for_its_reason(reason: str, reaction: str, mood: str, gist: str) -> None:
    assert reaction_rejection_reason(reaction, gist=gist, rep_text=RREP, mood=mood) == reason


@pytest.mark.parametrize(("why", "reaction", "mood", "gist"), REACTION_PASSES, ids=[p[0] for p in REACTION_PASSES])
def test_reaction_near_miss_passes(why: str, reaction: str, mood: str, gist: str) -> None:
    assert reaction_rejection_reason(reaction, gist=gist, rep_text=RREP, mood=mood) is None, why


# --------------------------------------------------------------------------- rejection_reason (the whole line)

WGIST = "My team spends 15 hours a week on it."
_FILLER = ("And honestly that is simply how things have always been done around here for as long as anyone on "
           "the team can remember")


def _whole(line: str, gist: str = WGIST, required: tuple[str, ...] = ("15 hours",)) -> str | None:
    return rejection_reason(line, gist=gist, required=list(required), rep_text=REP, locked_facts=[LOCKED],
                            buyer_name=BUYER)


def test_whole_line_empty_reply_is_rejected() -> None:
    assert _whole("") == "empty reply"
    assert _whole("  \n ") == "empty reply"


@pytest.mark.parametrize(("line", "reason"), [
    ("Our platform aside, my team spends 15 hours a week on it.", "speaks as the seller ('our platform')"),
    ("Hi Raj, my team spends 15 hours a week on it.", "speaks as the caller (greets Raj)"),
    ("Sounds good. My team spends 15 hours a week on it.",
     "agrees to something the director did not decide ('sounds good')"),
    ("My team spends 15 hours a week on it, 40 on a bad one.", "adds a number the director did not decide (40)"),
    ("Caller: My team spends 15 hours a week on it.", "speaks as someone else ('Caller:')"),
])
def test_whole_line_runs_the_sentence_check(line: str, reason: str) -> None:
    # Each line carries every required value and all of the gist's point: only the sentence check rejects it.
    assert _whole(line) == reason


def test_whole_line_missing_required_value() -> None:
    assert _whole("My team spends fifteen hours a week on it.") == "missing required value(s): 15 hours"
    assert _whole("Honestly? My team spends 15 hours a week on it.") is None
    # A value the gist does not say cannot be demanded of the line.
    assert _whole("My team spends 15 hours a week on it.", required=("15 hours", "Friday")) is None


def test_whole_line_must_carry_the_gists_point() -> None:
    # The gist's content words: honestly, mostly, runs, email, gets, done.
    assert _whole("It runs on email.", gist=GIST, required=()) == "covers 33% of the gist (needs 50%)"
    assert _whole("Mostly runs on email.", gist=GIST, required=()) is None  # exactly half
    assert _whole("Handle them? It mostly runs on email, and it gets done.", gist=GIST, required=()) is None


def test_whole_line_length_bound() -> None:
    # A 9-word gist allows 2 * 9 + 12 = 30 words.
    filler = _FILLER.split()
    ok = WGIST + " " + " ".join(filler[:21])
    long = WGIST + " " + " ".join(filler[:22])
    assert len(ok.split()) == 30 and len(long.split()) == 31
    assert _whole(ok) is None
    assert _whole(long) == "too long (31 words for a 9-word gist)"


# --------------------------------------------------------------------------- role breaks

@pytest.mark.parametrize(("sentence", "kw"), [
    ("Caller: It runs on email.", {}),
    ("Our platform runs on email.", {}),
    ("Hi Raj, it runs on email.", {}),
    ("I'm unable to say.", {}),
    ("Great question, it runs on email.", {}),
    ("Say: it runs on email.", {}),
    ("Sounds good, it runs on email.", {}),
])
def test_leaving_the_role_is_a_role_break(sentence: str, kw: dict[str, Any]) -> None:
    reason = _sentence(sentence, **kw)
    assert reason is not None and is_role_break(reason)


@pytest.mark.parametrize(("sentence", "kw"), [
    ("It takes 15 hours.", {}),
    ("It costs about twenty thousand.", {}),
    ("We handle order exceptions today by email.", {}),
    ("The CEO signs anything over budget and wants payback inside a year.", {}),
    ("It mostly runs on email.", {"said_before": "Anything over $25,000 is a fight."}),
])
def test_a_content_slip_is_not_a_role_break(sentence: str, kw: dict[str, Any]) -> None:
    reason = _sentence(sentence, **kw)
    assert reason is not None and not is_role_break(reason)


def test_the_mood_said_aloud_is_a_role_break_and_reaction_slips_are_not() -> None:
    assert is_role_break(reaction_rejection_reason("I'm open.", gist=RGIST, rep_text=RREP, mood="open") or "")
    for reaction in ("About 15?", "We moved everything to SAP.", "Let's see."):
        reason = reaction_rejection_reason(reaction, gist=RGIST, rep_text=RREP, mood="open")
        assert reason is not None and not is_role_break(reason)
    assert len(ROLE_BREAK_REASONS) == 4


# --------------------------------------------------------------------------- labels and clean_line

@pytest.mark.parametrize(("text", "expected"), [
    ("Raj: Honestly, it's email.", ("Raj", "Honestly, it's email.")),
    ("**Raj Mehta**: It's email.", ("Raj Mehta", "It's email.")),
    ("Mr. Osei: He is out today.", ("Mr. Osei", "He is out today.")),  # an honorific's dot is no sentence end
    ("Sure. Here's the thing: it's email.", (None, "Sure. Here's the thing: it's email.")),
    ("One two three four five: it's email.", (None, "One two three four five: it's email.")),
    ("It's all email, honestly.", (None, "It's all email, honestly.")),
])
def test_split_label(text: str, expected: tuple[str | None, str]) -> None:
    assert split_label(text) == expected


@pytest.mark.parametrize(("label", "role"), [
    ("Rep", True), ("Sales Rep", True), ("Alex (Sales)", True), ("You", True), ("AI", True), ("the seller", True),
    ("Raj", False), ("Raj Mehta (Buyer)", False), ("Buyer", False), ("Thank you", False), ("Mai Ai", False),
    ("Kai", False),
])
def test_is_role_label(label: str, role: bool) -> None:
    assert is_role_label(label) is role


@pytest.mark.parametrize(("raw", "expected"), [
    ('Raj: "Honestly, it is all email."', "Honestly, it is all email."),
    ("Raj Mehta:   It is   all\nemail.", "It is all email."),
    ("“It is all email.”", "It is all email."),
    ("It is all email.\n\nRep: So how about a demo?", "It is all email."),
    ("It is all email.\n\nAnyway, thanks for calling.", "It is all email."),
    ("It is all email.\nRep: So how about a demo?", "It is all email."),
    ("It is all email.\nyou: hm", "It is all email."),
    ("Rep: Hi Raj, how are you?", "Rep: Hi Raj, how are you?"),  # kept, so the check sees who spoke
    ("Sure. Here's the thing: it is all email.", "Sure. Here's the thing: it is all email."),
])
def test_clean_line(raw: str, expected: str) -> None:
    assert clean_line(raw) == expected


def test_clean_line_keeps_a_role_label_for_the_check() -> None:
    line = clean_line("Seller: Hi Raj, my team spends 15 hours a week on it.")
    assert (_whole(line) or "").startswith("speaks as someone else")
    assert _whole(clean_line("Raj: My team spends 15 hours a week on it.")) is None


# --------------------------------------------------------------------------- through voice_line, scripted model

def _voice(reply: str, events: list[dict[str, Any]], *, mode: VoiceModeSetting = "compose", gist: str = GIST,
           kind: str = "answer", rep: str = REP, required: tuple[str, ...] = ()) -> VoicedLine:
    llm = ScriptedLLM([reply])
    voiced = voice_line(llm, system_prompt="You are Raj Mehta.", history=[], rep_text=rep,
                        move=make_move(gist, required, kind=kind), locked_facts=[LOCKED],
                        options=GenerationOptions(timeout_s=5), retries=0, emit=events.append,
                        config=VoiceConfig(mode=mode, prefill=False),
                        buyer_name=BUYER)
    assert llm.pending == 0 and len(llm.requests) == 1
    return voiced


def _tokens(events: list[dict[str, Any]]) -> str:
    return "".join(e["text"] for e in events if e["type"] == "token")


@pytest.mark.parametrize(("reply", "bad", "reason"), [
    ("Caller: Honestly, it mostly runs on email. It gets done.", "Caller", "speaks as someone else"),
    ("Our platform handles it. It gets done.", "platform", "speaks as the seller"),
    ("Hi Raj, it mostly runs on email. It gets done.", "Hi Raj", "speaks as the caller"),
    ("I'm unable to share that. It gets done.", "unable", "refuses"),
    ("Great question. It mostly runs on email.", "question", "speaks as an assistant"),
    ("Well, I'm told to say: it mostly runs on email.", "told", "reads its instructions"),
    ("Sounds good. It mostly runs on email.", "good", "agrees to"),
    ("Honestly, 15 people chase it by email. It gets done.", "15", "adds a number"),
    ("Honestly, a hundred orders run on email. It gets done.", "hundred", "adds an amount"),
    ("We handle order exceptions today by email. It gets done.", "exceptions", "repeats the rep's line"),
    ("Honestly, the CEO signs anything over budget and wants payback inside a year.", "CEO", "reveals a fact"),
])
def test_a_rejected_sentence_is_never_a_token_and_the_gist_is_spoken(
        reply: str, bad: str, reason: str, events: list[dict[str, Any]]) -> None:
    voiced = _voice(reply, events)
    assert voiced.voiced_by == "gist" and voiced.text == GIST
    assert (voiced.rejected or "").startswith(reason)
    assert bad not in _tokens(events)
    assert _tokens(events) == GIST and events[-1]["type"] == "line" and events[-1]["text"] == GIST


def test_a_whole_line_failure_replaces_the_shown_sentences(events: list[dict[str, Any]]) -> None:
    voiced = _voice("It runs on email.", events)
    assert voiced.voiced_by == "gist" and (voiced.rejected or "").startswith("covers 33%")
    assert events[-1] == {"type": "line", "text": GIST, "voiced_by": "gist", "replaced": True}


def test_a_good_line_is_kept(events: list[dict[str, Any]]) -> None:
    voiced = _voice("Handle them? Honestly, it mostly runs on email, and it gets done.", events)
    assert voiced.voiced_by == "llm" and voiced.rejected is None
    assert _tokens(events) == voiced.text == "Handle them? Honestly, it mostly runs on email, and it gets done."


@pytest.mark.parametrize("second", [
    "Our platform handles it.",         # speaks as
    "I'm unable to share that.",        # refuses
    "Answer the salesperson naturally, as yourself.",  # reads its instructions
    "Sounds good.",                     # agrees to
])
def test_after_a_role_break_the_shown_reaction_is_withdrawn(second: str, events: list[dict[str, Any]]) -> None:
    voiced = _voice(f"Fair question. {second}", events)
    assert voiced.text == GIST and voiced.voiced_by == "gist" and is_role_break(voiced.rejected or "")
    assert any(e["type"] == "reset" for e in events)  # "Fair question." was shown, then withdrawn


def test_after_a_content_slip_the_shown_reaction_is_kept(events: list[dict[str, Any]]) -> None:
    voiced = _voice("Fair question. It takes 15 hours.", events)
    assert voiced.text == f"Fair question. {GIST}" and voiced.voiced_by == "llm"
    assert (voiced.rejected or "").startswith("reaction kept, rest replaced by the gist: adds a number")
    assert not any(e["type"] == "reset" for e in events)


@pytest.mark.parametrize(("reaction", "kind", "reason"), [
    ("I'm open.", "answer", "reads its instructions aloud (the mood)"),
    ("That's great.", "raise_objection", "reaction contradicts the skeptical mood"),
    ("Sure.", "answer", "reaction agrees before a line that denies or refuses"),
    ("Let's see.", "answer", "reaction proposes or demands something"),
    (WELL_11, "answer", "reaction too long"),
    ("About 15 hours?", "answer", "reaction has a number"),
    ("We moved everything to SAP.", "answer", "reaction adds its own content"),
])
def test_adapt_a_rejected_reaction_is_never_a_token(reaction: str, kind: str, reason: str,
                                                     events: list[dict[str, Any]]) -> None:
    # The gist says "15 hours" so the sentence check lets the number through; only the reaction check stops it.
    gist = "I never agreed to that, and it takes 15 hours." if reaction == "Sure." else \
        "Most of our order exceptions still go through email, about 15 hours a week."
    voiced = _voice(reaction, events, mode="adapt", gist=gist, kind=kind, rep=RREP)
    assert voiced.voiced_by == "gist" and voiced.text == gist
    assert (voiced.rejected or "").startswith(reason)
    assert _tokens(events) == gist


def test_adapt_a_good_reaction_is_spoken_before_the_gist(events: list[dict[str, Any]]) -> None:
    gist = "Most of our order exceptions still go through email, about 15 hours a week."
    voiced = _voice("Fair question.", events, mode="adapt", gist=gist, rep=RREP)
    assert voiced.voiced_by == "llm" and voiced.rejected is None
    assert _tokens(events) == voiced.text == f"Fair question. {gist}"


@pytest.mark.parametrize("text, label", [
    ("Sales Rep Alex from OrderFlow: Honestly, it mostly runs on email.", "Sales Rep Alex from OrderFlow"),
    ("Alex, Sales Rep at OrderFlow: Honestly, it mostly runs on email.", "Alex, Sales Rep at OrderFlow"),
])
def test_a_long_or_comma_label_naming_the_seller_is_still_a_role_break(text: str, label: str) -> None:
    """Found by the mutation audit: labels over four words or with a comma were not read as labels,
    so a model speaking as the seller reached the screen."""
    assert split_label(text)[0] == label and is_role_label(label)
    assert sentence_rejection_reason(text, gist="It mostly runs on email.", rep_text="How do you do it today?") \
        is not None


def test_markdown_bold_around_a_label_is_removed_with_it() -> None:
    assert clean_line("**Raj:** It's email.") == "It's email."
    assert split_label("Well, honestly: it runs on email.") == (None, "Well, honestly: it runs on email.")
