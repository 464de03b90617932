"""Model lines for the 'better line' suggestion, by competency. Data, not logic.

Placeholders in braces are filled in code from the call itself (the buyer's words, the rep's price,
the product's value points); text in square brackets is for the rep to fill in.
"""

from __future__ import annotations

OPEN_BY_TOPIC: dict[str, str] = {
    "budget": "How are you thinking about budget for fixing this, and who sets it?",
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
OPEN_DEFAULT = "What's the biggest challenge with this for your team right now, and what does it cost you?"

REFLECT = "You mentioned “{phrase}” — what does that mean for you day to day?"
REFLECT_DEFAULT = "It sounds like that's been frustrating — what's behind it for you?"

VALUE_SCENARIO = (
    "You said “{phrase}” — that's where {value} helps. {proof}How would that land with your team?"
)
VALUE_PLAIN = (
    "Based on what you said about “{phrase}”, the part that matters for you is [the one capability "
    "that fixes it] — [a customer like you and the result they got]. How would that land with your team?"
)

OBJECTION_BY_TYPE: dict[str, str] = {
    "price": (
        "That's a fair concern. Before I answer, help me understand what's behind it — is it the total "
        "cost, or how it compares with what you budgeted?"
    ),
    "timing": (
        "I understand the timing is tight. What would need to be true for this to make sense this "
        "quarter rather than next?"
    ),
    "authority": ("That makes sense. Who else would weigh in, and what will matter most to them?"),
    "need": (
        "Fair enough. Help me understand how you handle it today — where does that still cost you time?"
    ),
    "trust": (
        "I hear you — that's a reasonable concern. What would you need to see to be confident it works "
        "for you?"
    ),
    "competitor": ("That's useful to know. What do you like about what you have, and what would you change?"),
    "status_quo": (
        "I understand — change has a cost. What would happen if things stayed as they are for another year?"
    ),
}
OBJECTION_DEFAULT = (
    "That's a fair concern. Help me understand what's behind it before I answer — what worries you most?"
)

_ASK = "[a two-year term / a signed order this month]"
TRADE = "I can look at {price} if you can commit to " + _ASK + " — would that work for you?"
TRADE_NO_PRICE = "I can do that if you can commit to " + _ASK + " — would that work for you?"
HOLD = (
    "The price reflects [the value you told me matters]. "
    "What would you need to see to move forward at that price?"
)

CLOSE = (
    "Based on what we covered — {recap} — shall we book 30 minutes on Tuesday at 10am with your team to "
    "walk through it? Does that time work?"
)
CLOSE_RECAP_DEFAULT = "[the buyer's top priority in their words]"

OPENING = (
    "Hi {name}, thanks for making the time today. I'd like to learn how you handle [topic] today and see "
    "whether a next step makes sense — does that work for you?"
)
CONCISE_TAIL = "What matters most to you here?"

FILLERS: tuple[str, ...] = ("um", "uh", "erm", "uhm", "you know", "i mean", "sort of", "kind of", "basically")
"""The fillers the analysis counts; removed from a line to make the suggestion."""
