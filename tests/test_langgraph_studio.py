"""The buyer graph in LangGraph Studio: langgraph.json, a factory whose context is plain JSON, and a
real run through the LangGraph API server (``langgraph dev``, in memory) with the template backend."""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from simulator.engine.graph import build_graph
from simulator.engine.studio import StudioContext, StudioContextError, plain_context, resolve

ROOT = Path(__file__).resolve().parents[1]
PLAIN = {"scenario_id": "saas-discovery-ops", "persona_id": None, "difficulty": "easy", "llm": "template"}


def _factory() -> Any:
    """What langgraph.json names, loaded the way the LangGraph server loads a ``module:variable``."""
    spec = json.loads((ROOT / "langgraph.json").read_text())["graphs"]["buyer"]
    module, _, variable = spec.partition(":")
    return getattr(importlib.import_module(module), variable)


def test_the_state_and_context_have_json_schemas() -> None:
    """Studio draws its forms from these; typing.TypedDict made pydantic refuse them on Python 3.11."""
    app_graph = build_graph(None)
    json.dumps(app_graph.get_input_jsonschema())
    json.dumps(app_graph.get_output_jsonschema())
    context = _factory()().get_context_jsonschema()
    assert set(context["properties"]) == {"scenario_id", "persona_id", "difficulty", "llm"}
    assert context["properties"]["llm"]["enum"] == ["template", "embedded", "openai"]


def test_a_whole_call_with_only_plain_json_context() -> None:
    graph = _factory()()
    graph.checkpointer = InMemorySaver()  # the LangGraph server brings its own
    config = {"configurable": {"thread_id": "studio-1"}}
    context = json.loads(json.dumps(PLAIN))
    events = list(graph.stream({}, config, context=context, stream_mode="custom"))
    assert [e["record"]["speaker"] for e in events if e["type"] == "turn"] == ["buyer"]
    assert graph.get_state(config).next == ("rep_turn",)
    graph.invoke(Command(resume={"text": "Hi Raj, what does a normal week in ops look like?"}), config,
                 context=context)
    done = graph.invoke(Command(resume={"end": True}), config, context=context)
    assert [t["speaker"] for t in done["transcript"]] == ["buyer", "rep", "buyer"]
    assert done["outcome"] is not None and done["buyer"]["end_reason"] == "rep_ended"


def test_the_context_comes_from_configurable_too_and_bad_values_name_the_valid_ones() -> None:
    assert plain_context(None) == StudioContext()
    assert plain_context({"difficulty": "hard", "unknown": 1}).difficulty == "hard"
    assert resolve(PLAIN).scenario.id == "saas-discovery-ops"
    assert resolve(PLAIN).persona.id == "raj-ops"
    with pytest.raises(StudioContextError, match="valid values are easy, medium, hard"):
        plain_context({"difficulty": "extreme"})


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def _langgraph_dev(tmp_path: Path) -> Iterator[str]:
    """``langgraph dev`` on langgraph.json, in memory, on loopback; its state files in tmp_path."""
    pytest.importorskip("langgraph_api", reason="langgraph-cli[inmem] is in the test extra")
    port = _free_port()
    env = {k: v for k, v in os.environ.items()
           if k not in ("LANGSMITH_API_KEY", "LANGCHAIN_API_KEY", "LANGGRAPH_CLOUD_LICENSE_KEY")}
    env.update(LANGGRAPH_CLI_NO_ANALYTICS="1", LANGSMITH_TRACING="false", LANGCHAIN_TRACING_V2="false")
    log = (tmp_path / "langgraph-dev.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "langgraph_cli", "dev", "--no-browser", "--no-reload", "--host", "127.0.0.1",
         "--port", str(port), "--config", str(ROOT / "langgraph.json")],
        cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        import httpx

        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/ok", timeout=2).status_code == 200:
                    break
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("langgraph dev did not start:\n" + (tmp_path / "langgraph-dev.log").read_text()[-3000:])
            time.sleep(0.25)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def test_a_run_through_the_langgraph_api(tmp_path: Path) -> None:
    """What Studio does: find the assistant, read its schemas and graph, run, answer the interrupt."""
    from langgraph_sdk import get_sync_client

    with _langgraph_dev(tmp_path) as url:
        client = get_sync_client(url=url)
        assistant = client.assistants.search(graph_id="buyer")[0]
        schemas = client.assistants.get_schemas(assistant["assistant_id"])
        assert set(schemas["context_schema"]["properties"]) == set(PLAIN)
        drawn = client.assistants.get_graph(assistant["assistant_id"])
        assert {"start", "act", "rep_turn", "understand", "direct", "wrap_up"} <= {n["id"] for n in drawn["nodes"]}

        thread = client.threads.create()["thread_id"]
        chunks = list(client.runs.stream(thread, "buyer", input={}, context=PLAIN, stream_mode=["custom"]))
        assert not [c for c in chunks if c.event == "error"], chunks
        turns = [c.data["record"] for c in chunks if c.event == "custom" and c.data.get("type") == "turn"]
        assert [t["speaker"] for t in turns] == ["buyer"] and turns[0]["text"]
        state = client.threads.get_state(thread)
        assert state["next"] == ["rep_turn"]

        after = client.runs.wait(thread, "buyer", context=PLAIN,
                                 command={"resume": {"text": "Hi Raj, what does a normal week in ops look like?"}})
        assert isinstance(after, dict), after
        assert [t["speaker"] for t in after["transcript"]] == ["buyer", "rep", "buyer"]
        done = client.runs.wait(thread, "buyer", context=PLAIN, command={"resume": {"end": True}})
        assert isinstance(done, dict), done
        assert done["buyer"]["end_reason"] == "rep_ended" and done["outcome"]["success"] is False
