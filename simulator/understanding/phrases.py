"""Phrase lists behind the rule readings. Data, not logic: the learned models catch what they miss.

Phrases match as whole words inside the normalised message.
"""

from __future__ import annotations

GREETING = (
    "hi", "hello", "hey", "hiya", "good morning", "good afternoon", "good evening",
    "how's it going", "how is it going", "how's your", "how is your",
    "how have you been", "how you doing", "nice to meet", "great to meet", "good to meet", "pleasure to meet",
    "nice to speak", "great to speak", "good to speak", "nice to chat", "great to chat", "good to chat",
    "great to connect", "nice to connect", "good to connect", "thanks for taking", "thank you for taking",
    "thanks for making", "thank you for making", "appreciate you taking", "appreciate your time today",
    "thanks for jumping on", "thanks for hopping on", "thanks for getting on", "thanks for the time today",
    "thank you for the time today", "thanks for having me", "good to see you", "nice to see you",
    "great to see you", "hope you're well", "hope you are well", "hope you're doing well", "hope all is well",
    "happy monday", "happy friday", "thanks for joining",
)
THANKS = (
    "thank you", "thanks", "thx", "ty", "appreciate it", "appreciate that", "appreciate you", "much appreciated",
    "bye", "goodbye", "good bye", "talk soon", "speak soon", "take care", "cheers", "have a good day",
    "have a great day", "have a good one", "have a great one", "have a good week", "have a great week",
    "have a good weekend", "have a great weekend", "have a nice day", "have a good rest", "have a great rest",
    "have a good afternoon", "have a good evening", "catch you later", "see you then", "see you thursday",
    "i'll let you go", "i will let you go", "grateful",
)
ENDS_CALL = (
    "bye", "goodbye", "good bye", "talk soon", "speak soon", "take care", "have a good day", "have a great day",
    "have a good one", "have a great one", "have a good week", "have a great week", "have a good weekend",
    "have a great weekend", "have a nice day", "have a good rest", "have a great rest", "have a good afternoon",
    "have a good evening", "catch you later", "i'll let you go", "i will let you go", "let you get back",
    "let you go", "that's all i had", "that's all from me", "that's everything from me", "that's all i've got",
    "that is all i had", "i'll leave it there", "let's leave it there", "we'll leave it there", "signing off",
    "end the call", "end here", "wrap it up there", "i'll hang up", "until then", "see you then",
)
ACKNOWLEDGE = (
    "i understand", "i hear you", "i get it", "i get that", "that makes sense", "makes sense", "makes total sense",
    "fair point", "fair enough", "good point", "great point", "that's fair", "that is fair", "totally fair",
    "i appreciate that", "i appreciate you", "totally understand", "completely understand", "that's a valid",
    "that is a valid", "valid concern", "understandable", "i can see why", "i see why", "you're right",
    "you are right", "fair concern", "fair question", "valid point", "i can understand", "i completely get",
    "that's reasonable", "reasonable concern", "i hear that", "i respect that", "no wonder", "of course you",
    "i'd be wary", "i would be wary", "i'd be nervous", "i'd be skeptical", "i'd be sceptical", "i'd be cautious",
    "i'd feel the same", "i would feel the same", "anyone would", "that's rough", "that's tough", "that sucks",
    "that's painful", "that must be", "that must have", "sounds painful", "sounds frustrating", "sounds rough",
    "sounds tough", "that's frustrating", "that's a real", "that's a big", "that's a lot", "legit concern",
    "i'd want", "i'd worry", "i'd be worried", "you've been burned", "got burned", "been burned", "been there",
    "that's a fair", "that is a fair", "that's a good", "that's a great question", "good question", "i feel you",
    "ugh", "oof", "ouch", "yikes", "i'm sorry to hear", "sorry to hear", "i get why", "i see where you're coming",
    "i see your point", "point taken", "noted", "agreed", "that's smart", "right to ask", "right to push",
    "right to be", "totally get", "completely get", "absolutely get", "i'd feel", "hard to argue",
    "if i heard you right", "if i heard that right", "if i'm hearing you", "if i'm hearing that", "what i'm hearing",
    "so what i'm hearing", "to recap", "let me recap", "to summarise", "to summarize", "let me play that back",
    "playing that back", "play that back", "just so i've got it", "just so i have it", "let me make sure i've got",
    "let me make sure i have", "so you're saying", "so you're basically", "so basically you're", "it sounds like",
    "sounds like", "in other words", "if i understand correctly", "if i've got this right", "real money",
    "that's huge", "that's serious", "that's a serious", "that's no small", "no small thing", "not a small",
    "wow", "gosh", "makes complete sense", "understand completely", "completely fair", "entirely fair",
    "no argument", "i know you've got", "i can hear", "nobody should", "nobody wants", "no one wants",
    "beats surprising", "would backfire", "last thing you need",
)
PITCH = (
    "our platform", "our solution", "our product", "our software", "our tool", "our system", "our app",
    "our customers", "our clients", "we offer", "we provide", "we help", "we've helped",
    "we have helped", "we deliver", "we enable", "we specialize", "we specialise", "we're the", "we are the",
    "best-in-class", "best in class", "industry-leading", "industry leading", "cutting-edge", "cutting edge",
    "state of the art", "state-of-the-art", "let me tell you", "let me show you", "features", "feature",
    "award-winning", "world-class", "market leader", "game changer", "game-changer", "seamless", "robust",
    "one-stop", "all-in-one", "revolutionary", "out of the box", "out-of-the-box", "end-to-end", "end to end",
    "powered by", "ai-powered", "leverage", "streamline", "customers see", "clients see", "customers like",
    "clients like", "case study", "roi", "we integrate", "it integrates", "we automate", "it automates",
    "trusted by", "used by", "on average", "fortune 500",
)
CONCESSION = (
    "discount", "reduce the price", "reduce it to", "lower the price", "lower price", "price cut", "cut the price",
    "drop the price", "drop to", "drop it to", "come down", "coming down", "waive", "waived", "waiving",
    "for free", "free of charge", "free month", "free months", "months free", "free seats", "free onboarding",
    "free training", "free implementation", "free support", "throw in", "throwing in", "no charge",
    "at no cost", "at no extra", "no extra cost", "no additional cost", "complimentary", "extra month",
    "bonus", "knock off", "knock", "take off", "off the list", "price break", "rebate", "credit", "on us",
    "on the house", "meet you halfway", "meet you in the middle", "split the difference", "sweeten",
    "better price", "better rate", "price lock", "price-lock", "lock the price", "lock in the price",
    "freeze the price", "net 60", "net 90", "net-60", "net-90", "extended payment", "quarterly payments",
    "pay quarterly", "i can move", "we can move", "i can get you", "we can get you", "i can do", "we can do",
    "i'll do", "i could do", "we could do", "i'll give you", "we'll give you", "i can give you",
    "we can give you", "i'll add", "we'll add", "i can add", "we can add", "i'll include", "we'll include",
    "i can include", "we can include", "upgrade you", "no price increase", "hold the price", "hold last year's",
    "match their price", "match that", "price match", "flexib",
)
NOT_CONCESSION = ("feel free", "meet you", "nice to meet", "great to meet", "good to meet", "pleasure to meet")
TRADE = (
    "you give me", "give me the", "get me a", "get me the", "is yours", "are yours", "and it's yours",
    "if you're willing", "if you are willing", "if you can", "can you get the", "in return can you",
    "if you", "if we", "if your", "if procurement", "if legal", "if the team", "if finance", "in return",
    "in exchange", "provided that", "provided you", "as long as", "on the condition", "on condition",
    "would you commit", "can you commit", "could you commit", "in return for", "subject to", "contingent on",
    "assuming you", "so long as", "i'd need", "i would need", "i'll need", "we'd need", "we would need",
    "i need you to", "i need a", "i'd want", "for a two-year", "for a three-year", "for a 2-year",
    "for a 3-year", "for a multi-year", "with a two-year", "with a three-year", "on a two-year",
    "on a three-year", "for two years", "for three years", "commit to", "sign by", "signed by", "sign today",
    "sign this week", "sign before", "signature by", "upfront", "up front", "prepay", "pre-pay",
    "case study", "reference", "referral", "testimonial", "logo", "give me", "get me", "in exchange for",
    "tied to", "when you sign", "once you sign", "once we have", "only if", "only works if", "but i'd need",
    "but we'd need", "that requires", "requires a", "requires you", "for that i", "for that, i",
    "for that we", "my ask", "in turn", "quid pro quo", "trade", "swap",
)
NEXT_STEP_NOUNS = (
    "next step", "next steps", "follow-up", "follow up", "followup", "meeting", "meet", "call", "demo",
    "session", "workshop", "pilot", "trial", "poc", "proof of concept", "deep dive", "deep-dive", "deepdive",
    "walkthrough", "walk-through", "walk through", "sit down", "sit-down", "get together", "invite",
    "calendar", "catch up", "catch-up", "reconvene", "review", "intro", "introduce", "introduction",
    "loop in", "bring in", "get in a room", "in a room", "time with", "minutes with", "min with", "hour with",
    "slot", "chat with", "zoom", "teams call", "on-site", "onsite", "visit", "contract over", "send the contract",
    "send over the contract", "send the agreement", "for signature", "for signing", "to sign", "redlines",
    "proposal over", "send the proposal", "send over the proposal", "order form", "kickoff", "kick-off",
    "connect with", "huddle", "book", "schedule", "pencil", "hop on", "jump on", "get on",
    "put me in touch", "in touch with", "joined that conversation", "join that conversation", "join the call",
    "joined the call", "scope it together", "scoped it together", "whiteboard", "half an hour with",
    "pilot on", "start with a", "speak monday", "speak tuesday", "speak wednesday", "speak thursday",
    "speak friday", "talk monday", "talk tuesday", "talk wednesday", "talk thursday", "talk friday",
)
PROPOSAL = (
    "can we", "could we", "shall we", "should we", "let's", "let us", "how about", "what about",
    "would you be open", "are you open", "are you free", "are you available", "would it make sense",
    "does it make sense", "i'd like to book", "i'd like to schedule", "i'd like to set", "i'll send",
    "i will send", "i'll get", "send you an invite", "send an invite", "put something in", "set up", "set-up",
    "book", "schedule", "pencil", "lock in", "would a", "would it help", "be useful", "open to",
    "interested in", "would that work", "does that work", "would work for you", "works for you",
    "work for you", "i suggest", "i'd suggest", "i would suggest", "i propose", "i'd propose", "suggest we",
    "propose we", "next step", "next steps", "could i have", "can i have", "can i get", "could i get",
    "may i have", "could i grab", "can i grab", "i'd love to", "i'd like to", "i'll invite", "i'll loop",
    "i'll bring", "i'll set", "i'll book", "i'll schedule", "i'll put", "i'll get", "we'll send",
    "i'll send over", "i'll have", "do you have time", "do you have", "you free", "you around",
    "want to", "wanna", "plan to", "plan on", "good for you", "suit you", "suits you", "confirm",
    "locked in", "booked", "see you", "talk to you", "speak to you", "meet again", "get something",
    "get time", "find time", "find a time", "grab time", "grab some time", "get 30", "get twenty",
    "what if we", "would it help if i", "could you put me", "can you put me", "we could start", "up for",
    "speak monday", "speak tuesday", "speak wednesday", "speak thursday", "speak friday", "talk then",
)
PAST_MEETING = ("last meeting", "last call", "last time we", "when we met", "we met", "previous call",
                "earlier call", "on our last", "the demo you saw", "after the demo", "you had a demo", "we spoke",
                "great meeting last", "meeting last", "call last", "when we spoke", "you mentioned", "we talked",
                "thanks for sending", "cheers for sending", "on my end is", "internally")
WE_WORDS = r"\b(?:we|our|we're|we've|us|we'll|ours)\b"
BENEFIT = (
    "cuts", "cut your", "saves", "save you", "reduces", "reduce your", "gives you", "gives your", "lets you",
    "lets your", "means you", "means your", "so you can", "so your", "helps", "help you", "integrates",
    "connects", "plugs into", "plugs straight", "works with", "works on top", "sits on top", "flags", "routes",
    "automates", "automatically", "tracks", "predicts", "no new hardware", "no hardware", "out-of-band",
    "customers", "clients", "we've seen", "we have seen", "typically see", "usually see", "on average",
    "within weeks", "in weeks", "payback", "pays for itself", "roi", "no extra", "real-time", "real time",
    "dashboard", "live in", "go live", "goes live", "certified", "soc 2", "compliant", "uptime", "sla",
    "pulls", "reads", "syncs", "sends", "alerts", "escalates", "instead of", "never have to", "no more",
)
"""Claims of what the product does for the buyer: two or more in a long turn with no open question make a pitch."""
RESTATE = (
    "stands", "still", "i'm at", "we're at", "i am at", "we are at", "current", "same price", "same number",
    "like we discussed", "as discussed", "as we discussed", "hasn't changed", "nothing's changed", "nothing has changed",
    "the number's", "the number is", "remains", "that's the gap", "you're at", "you'd save", "you would save",
    "rather earn", "not cut", "won't cut", "can't go", "cannot go", "not somewhere we can go", "no lower",
    "as standard", "that's standard", "it's standard", "standard package", "standard for", "recap",
)
"""Restating a price or a standard term: not a new concession."""
