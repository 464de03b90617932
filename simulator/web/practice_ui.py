"""The Practice tab: pick a drill, read the brief and rubric, talk to the buyer, read the scorecard."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import gradio as gr

from simulator.errors import SparringError
from simulator.web import practice_page as page
from simulator.web.session_view import session_panel
from simulator.web.text import esc
from simulator.web.ui_common import PageContext
from simulator.web.voice_ui import voice_controls, wire_voice


def build_practice_tab(ctx: PageContext) -> None:
    """Lay out the Practice tab and wire its events (registers ``ctx.refs['practice']``)."""
    services = ctx.services
    choices = page.scenario_choices(services)
    first = choices[0][1] if choices else None
    personas = page.persona_choices(services, first)
    scenario0 = services.practice.library.scenarios.get(first) if first else None

    with gr.Tab("Practice", id="practice", visible=False) as tab:
        call = gr.State(None)
        drill = gr.State(None)
        with gr.Row():
            # the drill picker and brief; on a phone it moves below the call while one is on (style.py)
            with gr.Column(scale=1, min_width=320, elem_id="practice-setup") as setup:
                scenario = gr.Dropdown(choices=choices, value=first, label="Scenario", elem_id="scenario")
                persona = gr.Dropdown(
                    choices=personas,
                    value=personas[0][1] if personas else None,
                    label="Buyer",
                    elem_id="persona",
                )
                difficulty = gr.Radio(
                    ["easy", "medium", "hard"], value="medium", label="Difficulty", elem_id="difficulty"
                )
                start = gr.Button("Start call", variant="primary", elem_id="start")
                brief = gr.Markdown(page.brief_markdown(services, first, None, "medium"), elem_id="brief")
                with gr.Accordion("Rubric: what this call is graded on", open=False):
                    rubric = gr.Markdown(page.rubric_markdown(scenario0) if scenario0 else "", elem_id="rubric")
            with gr.Column(scale=2, min_width=320):
                with gr.Group(visible=False, elem_id="unfinished") as unfinished_box:
                    gr.Markdown("**Unfinished call.** Continue where it stopped, or end it and get its scorecard. "
                                f"Calls left idle for {services.practice.settings.call_idle_s / 3600:g} h close "
                                "without a grade and do not count as attempts.")
                    unfinished = gr.Dropdown(choices=[], label="Your unfinished calls", elem_id="unfinished-calls")
                    with gr.Row():
                        continue_btn = gr.Button("Continue call", variant="primary", elem_id="continue-call")
                        end_old = gr.Button("End it", elem_id="end-unfinished")
                stage = gr.Markdown("", elem_id="stage")
                chat = gr.Chatbot(label="Call", elem_id="chat", height=420)
                # Gradio 6: with lines=1, Enter submits and Shift+Enter adds a line (the box grows to
                # max_lines); with lines>1 it is the other way round.
                message = gr.Textbox(
                    label="Your line",
                    placeholder="Type what you would say… (Enter sends, Shift+Enter for a new line)",
                    elem_id="message",
                    lines=1,
                    max_lines=6,
                    max_length=services.practice.settings.max_message_chars + 500,
                )
                with gr.Row():
                    send = gr.Button("Send", variant="primary", elem_id="send")
                    hint = gr.Button("Hint", elem_id="hint-button")
                    end = gr.Button("End call", variant="stop", elem_id="end")
                status = gr.Markdown("", elem_id="status")
                hint_md = gr.Markdown("", elem_id="hint")
                voice = voice_controls()
        with gr.Column(visible=False, elem_id="scorecard") as card_col:
            gr.Markdown("## Scorecard")
            # columns with a minimum width: side by side on a laptop, one under the other on a phone
            with gr.Row():
                with gr.Column(min_width=320):
                    card_md = gr.Markdown(elem_id="scorecard-text")
                with gr.Column(min_width=320):
                    card_plot = gr.Plot(label="Competencies", elem_id="scorecard-chart")
            with gr.Row():
                with gr.Column(min_width=320):
                    card_metrics = gr.Markdown(elem_id="scorecard-metrics")
                with gr.Column(min_width=320):
                    card_coaching = gr.Markdown(elem_id="scorecard-coaching")
            with gr.Row():
                retry = gr.Button("Retry this drill", elem_id="retry")
                next_btn = gr.Button("Do the suggested next drill", variant="primary", elem_id="next-drill")
            with gr.Accordion("Competencies: the rule behind each score and your lines as evidence", open=True):
                card_details = gr.Markdown(elem_id="scorecard-details")

    outputs = [
        chat,
        call,
        message,
        status,
        stage,
        hint_md,
        card_col,
        card_md,
        card_plot,
        card_metrics,
        card_coaching,
        card_details,
        drill,
        setup,
    ]

    def show(update: page.CallUpdate, request: gr.Request | None, *, reset: bool = False) -> tuple[Any, ...]:
        card: tuple[Any, ...] = tuple(gr.update() for _ in range(7))
        if update.ended and update.call:
            panel = session_panel(services, ctx.actor(request), update.call["session_id"])
            card = (
                gr.Column(visible=True),
                panel.headline,
                panel.chart,
                panel.metrics,
                panel.coaching,
                panel.competencies,
                panel.next_drill,
            )
        elif reset:
            card = (gr.Column(visible=False), "", None, "", "", "", None)
        hint_value = "" if reset else gr.update()
        layout = gr.Column(elem_classes=["in-call"] if update.call else [])
        return (update.chat, update.call, update.message, update.status, update.stage, hint_value, *card, layout)

    def on_select(sid: str | None, diff: str) -> tuple[Any, Any, Any]:
        options = page.persona_choices(services, sid)
        s = services.practice.library.scenarios.get(sid or "")
        return (
            gr.Dropdown(choices=options, value=options[0][1] if options else None),
            page.brief_markdown(services, sid, None, diff),
            page.rubric_markdown(s) if s else "",
        )

    def on_brief(sid: str | None, pid: str | None, diff: str) -> str:
        return page.brief_markdown(services, sid, pid, diff)

    def on_start(sid: str | None, pid: str | None, diff: str, request: gr.Request) -> Iterator[tuple[Any, ...]]:
        actor = ctx.actor(request)
        first_step = True
        for update in page.start_call(services, actor, sid, pid, diff):
            yield show(update, request, reset=first_step)
            first_step = False

    def on_send(
        c: page.Call | None, text: str, history: list[dict[str, Any]], stage_now: str, request: gr.Request
    ) -> Iterator[tuple[Any, ...]]:
        actor = ctx.actor(request)
        for update in page.send_message(services, actor, c, text, history or [], stage_now):
            yield show(update, request)

    def on_end(c: page.Call | None, history: list[dict[str, Any]], request: gr.Request) -> tuple[Any, ...]:
        return show(page.end_call(services, ctx.actor(request), c, history or []), request)

    def on_unfinished(c: page.Call | None, request: gr.Request) -> tuple[Any, Any]:
        current = (c or {}).get("session_id")
        try:
            actor = ctx.actor(request)
        except gr.Error:  # not signed in (yet): nothing to offer
            return gr.Group(visible=False), gr.Dropdown(choices=[], value=None)
        options = [o for o in page.unfinished_choices(services, actor) if o[1] != current]
        return gr.Group(visible=bool(options)), gr.Dropdown(choices=options, value=options[0][1] if options else None)

    def on_continue(sid: str | None, request: gr.Request) -> Iterator[tuple[Any, ...]]:
        first_step = True
        for update in page.continue_call(services, ctx.actor(request), sid):
            yield show(update, request, reset=first_step)
            first_step = False

    def on_end_old(sid: str | None, request: gr.Request) -> tuple[Any, ...]:
        actor = ctx.actor(request)
        if not sid:
            return show(page.CallUpdate([], None, status="Pick an unfinished call first."), request)
        try:
            record = services.sessions.record(actor, sid)
        except SparringError as exc:
            return show(page.CallUpdate([], None, status=f"⚠ {esc(exc)}"), request)
        call_ = {"session_id": record.id, "scenario_id": record.scenario_id, "persona_id": record.persona_id,
                 "difficulty": record.difficulty}
        return show(page.end_call(services, actor, call_, []), request)

    def on_hint(c: page.Call | None, request: gr.Request) -> str:
        return page.ask_hint(services, ctx.actor(request), c)

    def on_retry(c: page.Call | None, request: gr.Request) -> Iterator[tuple[Any, ...]]:
        if not c:
            yield show(page.CallUpdate([], None, status="Start a call first."), request)
            return
        yield from on_start(c.get("scenario_id"), c.get("persona_id"), c.get("difficulty", "medium"), request)

    def pick_drill(sid: str | None, diff: str) -> tuple[Any, ...]:
        options = page.persona_choices(services, sid)
        s = services.practice.library.scenarios.get(sid or "")
        if s is None:
            raise gr.Error("That drill is not in the scenario library.")
        picked = gr.Dropdown(value=sid)
        if sid in services.practice.library.owners:  # a team's drill (an assignment may name an older version)
            picked = gr.Dropdown(choices=[*page.scenario_choices(services), page.choice_of(s)], value=sid)
        return (
            picked,
            gr.Dropdown(choices=options, value=options[0][1] if options else None),
            gr.Radio(value=diff),
            page.brief_markdown(services, sid, None, diff),
            page.rubric_markdown(s),
            gr.Tabs(selected="practice"),
        )

    def on_next(d: str | None, c: page.Call | None) -> tuple[Any, ...]:
        return pick_drill(d, (c or {}).get("difficulty", "medium"))

    scenario.input(on_select, [scenario, difficulty], [persona, brief, rubric])
    persona.input(on_brief, [scenario, persona, difficulty], brief)
    difficulty.input(on_brief, [scenario, persona, difficulty], brief)
    started = start.click(on_start, [scenario, persona, difficulty], outputs)
    sent = send.click(on_send, [call, message, chat, stage], outputs)
    submitted = message.submit(on_send, [call, message, chat, stage], outputs)

    def scorecard_if_ended(c: page.Call | None, history: list[dict[str, Any]], request: gr.Request) -> tuple[Any, ...]:
        ended = False
        if c and c.get("session_id"):
            view = services.practice.get(c["session_id"], actor=ctx.actor(request))
            ended = view.outcome is not None
        return show(page.CallUpdate(history or [], c, ended=ended), request)[6:]

    wire_voice(ctx, voice, call=call, chat=chat, status=status, events_with_reply=[started, sent, submitted],
               scorecard=scorecard_if_ended, scorecard_outputs=outputs[6:])
    end.click(on_end, [call, chat], outputs)
    unfinished_outputs = [unfinished_box, unfinished]
    continue_btn.click(on_continue, [unfinished], outputs).then(on_unfinished, [call], unfinished_outputs)
    end_old.click(on_end_old, [unfinished], outputs).then(on_unfinished, [call], unfinished_outputs)
    started.then(on_unfinished, [call], unfinished_outputs)
    hint.click(on_hint, [call], hint_md)
    retry.click(on_retry, [call], outputs)
    picker = [scenario, persona, difficulty, brief, rubric, ctx.tabs]
    next_btn.click(on_next, [drill, call], picker).success(on_start, [scenario, persona, difficulty], outputs)

    def on_drills(current: str | None, request: gr.Request) -> Any:
        """The signed-in user's drills: the library plus their teams' published ones (Drill studio)."""
        try:
            actor = ctx.actor(request)
        except gr.Error:  # not signed in (yet)
            return gr.Dropdown()
        options = page.scenario_choices(services, actor)
        ids = {v for _, v in options}
        lib = services.practice.library
        if current and current not in ids and current in lib.scenarios and services.drills.may_play(actor, current):
            options.append(page.choice_of(lib.scenarios[current]))  # an older version picked from an assignment
            ids.add(current)
        return gr.Dropdown(choices=options, value=current if current in ids else (options[0][1] if options else None))

    tab.select(on_drills, [scenario], scenario)
    ctx.refs["practice"] = {
        "drills": (on_drills, [scenario], scenario),
        "tab": tab,
        "picker": picker,
        "pick": pick_drill,
        "start": on_start,
        "continue": on_continue,
        "start_inputs": [scenario, persona, difficulty],
        "outputs": outputs,
        "unfinished": (on_unfinished, [call], unfinished_outputs),
    }
