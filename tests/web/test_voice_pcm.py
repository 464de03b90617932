"""The page script's lossless microphone transport: ``POST /voice/{session_id}/pcm`` (issue 16).

The route sits behind the real security middleware (sign-in, CSRF), checks the practice service's
talking rule, validates each chunk, and feeds the session's hands-free call in sequence order.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from fastapi import FastAPI
from starlette.testclient import TestClient
from webtest_support import Org, start_session

from simulator.services.access import User
from simulator.services.app_services import AppServices
from simulator.voice.handsfree import CallView
from simulator.web.security import COOKIE, SecurityConfig, SecurityMiddleware
from simulator.web.voice_panel import HANDS_FREE, MAX_AHEAD, MAX_PCM_BYTES, PcmStream, hands_free_chunk
from simulator.web.voice_ui import add_voice_routes

ORIGIN = "http://testserver"


class RecordingCall:
    """Stands in for a HandsFreeCall: records what it is fed."""

    speak = True
    answering = False

    def __init__(self) -> None:
        self.fed: list[tuple[int, list[int]]] = []
        self.closed = False

    def poll(self) -> CallView:
        return CallView([], "", "Listening…", [], False, 1)

    def feed(self, rate: int, samples: Any) -> None:
        self.fed.append((rate, [int(x) for x in np.asarray(samples)]))

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def app(services: AppServices) -> SecurityMiddleware:
    fastapi = FastAPI()
    add_voice_routes(fastapi, services)
    return SecurityMiddleware(fastapi, services, SecurityConfig())


def client_for(app: SecurityMiddleware, services: AppServices, user: User | None) -> TestClient:
    client = TestClient(app, headers={"Origin": ORIGIN})
    if user is not None:
        client.cookies.set(COOKIE, services.accounts.web_sessions.create(user.id))
    return client


@pytest.fixture
def rep_call(services: AppServices, org: Org) -> Iterator[tuple[str, RecordingCall]]:
    """A session of org.rep with an open (recording) hands-free call."""
    sid = start_session(services, org.rep)
    call = RecordingCall()
    HANDS_FREE.open(sid, lambda: call)  # type: ignore[arg-type,return-value]
    try:
        yield sid, call
    finally:
        HANDS_FREE.close(sid)


def chunk(value: int, n: int = 3200) -> bytes:
    return np.full(n, value, dtype="<i2").tobytes()


def post(client: TestClient, sid: str, seq: int | None, body: bytes, *, stream: str = "s1", rate: int = 16000,
         content_type: str = "application/octet-stream") -> Any:
    params: dict[str, Any] = {"stream": stream, "rate": rate}
    if seq is not None:
        params["seq"] = seq
    return client.post(f"/voice/{sid}/pcm", params=params, content=body, headers={"Content-Type": content_type})


def test_another_reps_session_is_refused_and_gets_no_audio(
    app: SecurityMiddleware, services: AppServices, org: Org, rep_call: tuple[str, RecordingCall]
) -> None:
    sid, call = rep_call
    refused = post(client_for(app, services, org.rep2), sid, 0, chunk(7))
    assert refused.status_code == 403
    assert "no practice session" in refused.json()["detail"]
    assert call.fed == []
    # a session that does not exist reads the same (ids cannot be probed)
    missing = post(client_for(app, services, org.rep2), "nope123", 0, chunk(7))
    assert missing.status_code == 403 and missing.json()["detail"].startswith("There is no practice session")
    # the owner is let through
    assert post(client_for(app, services, org.rep), sid, 0, chunk(7)).status_code == 200
    assert [values[0] for _rate, values in call.fed] == [7]


def test_a_disabled_account_is_refused(
    app: SecurityMiddleware, services: AppServices, org: Org, rep_call: tuple[str, RecordingCall]
) -> None:
    sid, call = rep_call
    client = client_for(app, services, org.rep)
    services.accounts.set_disabled(org.admin, org.rep.id, True)
    answer = post(client, sid, 0, chunk(1))
    assert answer.status_code in (401, 403) and call.fed == []


def test_not_signed_in_and_cross_site_posts_are_refused_by_the_middleware(
    app: SecurityMiddleware, services: AppServices, org: Org, rep_call: tuple[str, RecordingCall]
) -> None:
    sid, call = rep_call
    assert post(client_for(app, services, None), sid, 0, chunk(1)).status_code == 401
    cross = client_for(app, services, org.rep)
    cross.headers["Origin"] = "https://evil.example"
    assert post(cross, sid, 0, chunk(1)).status_code == 403
    assert call.fed == []


def test_out_of_order_chunks_are_fed_in_sequence_once(
    app: SecurityMiddleware, services: AppServices, org: Org, rep_call: tuple[str, RecordingCall]
) -> None:
    sid, call = rep_call
    client = client_for(app, services, org.rep)
    first = post(client, sid, 2, chunk(2))
    assert first.status_code == 200 and first.json()["next"] == 0 and first.json()["pending"] == 1
    assert call.fed == []  # held until 0 and 1 arrive
    post(client, sid, 0, chunk(0))
    assert [v[0] for _r, v in call.fed] == [0]
    done = post(client, sid, 1, chunk(1)).json()
    assert [v[0] for _r, v in call.fed] == [0, 1, 2]
    assert {r for r, _v in call.fed} == {16000}
    assert done == {"next": 3, "pending": 0, "gaps": [], "received_s": 0.6}
    post(client, sid, 1, chunk(1))  # a retried POST that had arrived is not fed twice
    assert len(call.fed) == 3
    # a new capture (another stream id) starts again at 0
    post(client, sid, 0, chunk(9), stream="s2")
    assert [v[0] for _r, v in call.fed] == [0, 1, 2, 9]


@pytest.mark.parametrize(("body", "kwargs", "status", "says"), [
    (b"\0" * (MAX_PCM_BYTES + 2), {}, 413, "at most"),
    (b"\0" * 3201, {}, 400, "16-bit samples"),
    (b"", {}, 400, "non-empty"),
    (chunk(1), {"content_type": "audio/wav"}, 415, "application/octet-stream"),
    (chunk(1), {"rate": 44100}, 400, "16000 Hz"),
    (chunk(1), {"seq": None}, 400, "sequence number"),
    (chunk(1), {"seq": -3}, 400, "sequence number"),
    (chunk(1), {"stream": ""}, 400, "stream id"),
])
def test_malformed_chunks_are_rejected_with_a_clear_error(
    app: SecurityMiddleware, services: AppServices, org: Org, rep_call: tuple[str, RecordingCall],
    body: bytes, kwargs: dict[str, Any], status: int, says: str,
) -> None:
    sid, call = rep_call
    seq = kwargs.pop("seq", 0)
    answer = post(client_for(app, services, org.rep), sid, seq, body, **kwargs)
    assert answer.status_code == status, answer.text
    assert says in answer.json()["detail"]
    assert call.fed == []


def test_no_open_call_is_a_conflict(app: SecurityMiddleware, services: AppServices, org: Org) -> None:
    sid = start_session(services, org.rep)
    answer = post(client_for(app, services, org.rep), sid, 0, chunk(1))
    assert answer.status_code == 409 and "Talk hands-free" in answer.json()["detail"]


def test_a_chunk_that_never_comes_is_reported_as_a_gap_not_skipped_silently() -> None:
    stream, fed = PcmStream("s"), []
    for seq in range(1, MAX_AHEAD + 1):
        state = stream.push(seq, np.full(4, seq, dtype=np.int16), lambda c: fed.append(int(c[0])))
        assert fed == [] and state["gaps"] == []  # still waiting for chunk 0
    state = stream.push(MAX_AHEAD + 1, np.full(4, 99, dtype=np.int16), lambda c: fed.append(int(c[0])))
    assert state["gaps"] == [0] and state["next"] == MAX_AHEAD + 2
    assert fed == [*range(1, MAX_AHEAD + 1), 99]
    stream.push(0, np.full(4, 0, dtype=np.int16), lambda c: fed.append(int(c[0])))  # too late: not fed
    assert fed[-1] == 99


def test_lost_audio_shows_in_the_status(
    app: SecurityMiddleware, services: AppServices, org: Org, rep_call: tuple[str, RecordingCall]
) -> None:
    sid, _call = rep_call
    first = hands_free_chunk(services.practice, sid, None, org.rep, open_call=False)
    assert first.status == "Listening…"
    client = client_for(app, services, org.rep)
    for seq in range(1, MAX_AHEAD + 2):  # chunk 0 never comes
        assert post(client, sid, seq, chunk(seq)).status_code == 200
    assert HANDS_FREE.pcm_state(sid).gaps == [0]  # type: ignore[union-attr]
    step = hands_free_chunk(services.practice, sid, None, org.rep, open_call=False)
    assert step.status is not None and "1 piece(s) of your microphone audio never reached" in step.status
    # a page without a call open polls nothing
    assert hands_free_chunk(services.practice, "nope", None, org.rep, open_call=False).status is None


def test_the_capture_scripts_are_served_same_origin(
    app: SecurityMiddleware, services: AppServices, org: Org
) -> None:
    client = client_for(app, services, org.rep)
    for path, needle in (("/voice-capture.js", "sparringMic"), ("/voice-capture-worklet.js", "registerProcessor")):
        answer = client.get(path)
        assert answer.status_code == 200 and needle in answer.text
        assert answer.headers["content-type"].startswith("text/javascript")
