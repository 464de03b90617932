"""Model lines for the 'better line' suggestion, by competency. Data, not logic.

Every line here is a complete sentence on its own. Placeholders in braces are filled in code
(grading/coaching.py) only with material from the call or the scenario: a clause the buyer said
(turned to the second person), the rep's own question or price, the product's name, value and proof
points. A suggestion whose slot cannot be filled with real material is not made: there are no
"[fill this in]" slots, and coaching.problems() rejects any line that still has one.
"""

from __future__ import annotations

# --- discovery ----------------------------------------------------------------------------------

OPEN_BY_TOPIC: dict[str, str] = {
    "budget": "How are you thinking about budget for fixing this, and who signs off on it?",
    "timeline": "What's driving the timing on this, and what happens if it slips a quarter?",
    "decision_process": "Walk me through how a decision like this gets made, and who else weighs in?",
    "current_solution": "How do you handle this today, and where does that process break down?",
    "pain": "What's the hardest part of this for your team right now?",
    "impact": "When that happens, what does it cost you in time or money?",
    "goals": "What would success look like for you six months from now?",
    "team": "Who on your team feels this most, and how does it affect their week?",
    "competition": "What other options are you weighing, and what matters most in choosing?",
    "metrics": "Which numbers would tell you this is working?",
    "technical": "How would this need to fit with the systems you run today?",
    "risk": "What would worry you most about making a change here?",
    "compliance": "What requirements would a solution have to meet on compliance?",
}
"""An open question per topic, asked of the buyer ('you')."""

OPEN_BY_TOPIC_THIRD: dict[str, str] = {
    "budget": "How does budget for something like this get set, and who signs off on it?",
    "timeline": "What's driving the timing on this for {obj}, and what happens if it slips a quarter?",
    "decision_process": "Walk me through how {subj} decides on something like this, and who else weighs in?",
    "current_solution": "How does {poss} team handle this today, and where does that break down?",
    "pain": "What's the hardest part of this for {obj} right now?",
    "goals": "What would success look like for {obj} six months from now?",
    "team": "Who on {poss} team feels this most, and how does it affect their week?",
}
"""The same questions about someone who is not on the call ('Does he have budget?')."""

OPEN_DEFAULT = "What's the biggest challenge with this for your team right now, and what does it cost you?"
OPEN_DEFAULT_THIRD = "What's on {poss} mind most about this right now, and what would make a meeting worth {poss} time?"

OPEN_AFTER_GREETING: dict[str, str] = {
    "negotiation": (
        "Before we get to the price of {product}, what matters most to you in this decision besides the number?"
    ),
    "objection_handling": "Before I say anything about {product}, what would you most want to get out of this call?",
}
"""The question added to a bare greeting in a call with almost no questions, by kind of call."""

OPEN_FROM_CLOSED = "How {aux} {subj} {verb} {obj} today, and where does that fall short?"
"""'Do you use spreadsheets?' -> 'How do you use spreadsheets today, and where does that fall short?'"""

IMPLICATION = "You mentioned {clause}. What does that cost you when it happens, and who feels it most?"
"""Dig into what the buyer just said instead of moving on to a new topic."""

QUESTION_FIRST = "Before I say more about {what}, I'd like to understand your side. {question}"
"""A pitch or a statement turned into a question about the buyer."""
WHAT_PLAIN = "what we do"

# --- active listening ---------------------------------------------------------------------------

REFLECT = "You mentioned {clause}. {question}"
REFLECT_QUESTION = "What does that mean for your team day to day?"
CONCISE_TAIL = "What matters most to you here?"

# --- value --------------------------------------------------------------------------------------

VALUE_LEAD = "Since you mentioned {clause}, {value}"
VALUE_CHECK = "How would that change things for your team?"

# --- objections ---------------------------------------------------------------------------------

OBJECTION_ACK = "That's a fair concern."
OBJECTION_ACK_CLAUSE = "You said {clause}, and that's a fair concern."
OBJECTION_EXPLORE: dict[str, str] = {
    "price": (
        "Before I answer, help me understand what's behind it: is it the total cost, or how it compares "
        "with what you budgeted?"
    ),
    "timing": "What would need to be true for this to make sense this quarter rather than next?",
    "authority": "Who else would weigh in, and what will matter most to them?",
    "need": "Help me understand how you handle it today: where does that still cost you time?",
    "trust": "What would you need to see to be confident it works for you?",
    "competitor": "What do you like about what you have today, and what would you change?",
    "status_quo": "What would happen if things stayed as they are for another year?",
}
OBJECTION_EXPLORE_DEFAULT = "Help me understand what's behind it before I answer: what worries you most?"

OBJECTION_RESPOND_LEAD = "You mentioned {clause}."
OBJECTION_RESPOND_ACK = "That makes sense."
OBJECTION_CONFIRM = "Does that address your concern?"

# --- negotiation --------------------------------------------------------------------------------

TRADE_ASK = "a two-year term, signed this month"
"""What a concession is traded for when the call names nothing else."""
TRADE = "I can look at {price} if you can commit to " + TRADE_ASK + ". Would that work for you?"
TRADE_HOLD = "I can stay at {price} if you can commit to " + TRADE_ASK + ". Would that work for you?"
"""When the floor is above the rep's last offer: hold that offer rather than go up or down."""
TRADE_NO_PRICE = "I can do that if you can commit to " + TRADE_ASK + ". Would that work for you?"
ANCHOR = "{product} is {price} {unit}, and {value}. What would you need to see to move forward at that price?"
ANCHOR_PLAIN = "Our price is {price}. What would you need to see to move forward at that price?"
HOLD = (
    "I can't go below {price}, because {value}. If you can commit to " + TRADE_ASK
    + ", can we agree on {price} today?"
)
CLOSE_DEAL = "So we're at {price}. If that works for you, shall we put it in writing today?"

# --- closing ------------------------------------------------------------------------------------

CLOSE_TIME = "Tuesday at 10am"
"""The concrete time offered when the rep named none."""
CLOSE = "Could we book 30 minutes on {time} to {purpose}?"
CLOSE_RECAP = "Since you mentioned {clause}, could we book 30 minutes on {time} to {purpose}?"
CLOSE_PURPOSE_PRODUCT = "look at how {product} {value}"
CLOSE_PURPOSE_DEAL = "sign the agreement at {price}"
CLOSE_PURPOSE_PLAIN = "walk through it with your team"

# --- rapport ------------------------------------------------------------------------------------

OPENING = (
    "Hi {name}, thanks for making the time today. Before I say anything about {what}, how are things on your side?"
)

FILLERS: tuple[str, ...] = ("um", "uh", "erm", "uhm", "you know", "i mean", "sort of", "kind of", "basically")
"""The fillers the analysis counts; removed from a line to make the suggestion."""

# --- what went well -----------------------------------------------------------------------------

WELL_DEFAULT = "You completed the call. Every check below says exactly what earns the next point."
