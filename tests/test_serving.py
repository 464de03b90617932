"""Serving: `python app.py` and `sparring serve` listen where they are told.

Precedence, first found wins: --host/--port, SPARRING_HOST/SPARRING_PORT, Gradio's
GRADIO_SERVER_NAME/GRADIO_SERVER_PORT, then 127.0.0.1:7860.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from simulator.config import SettingsError, load_settings

ROOT = Path(__file__).resolve().parents[1]
SERVING_VARS = ("SPARRING_HOST", "SPARRING_PORT", "GRADIO_SERVER_NAME", "GRADIO_SERVER_PORT")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def _serving(args: list[str], env: dict[str, str], tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    clean = {k: v for k, v in os.environ.items() if k not in SERVING_VARS}
    log = (tmp_path / "serve.log").open("w")
    proc = subprocess.Popen([sys.executable, *args], cwd=tmp_path, env={**clean, **env},
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _wait_for_login(proc: subprocess.Popen[bytes], url: str, tmp_path: Path, timeout_s: float = 90) -> httpx.Response:
    deadline = time.monotonic() + timeout_s
    while True:
        with contextlib.suppress(httpx.HTTPError):
            return httpx.get(f"{url}/login", timeout=5)
        if proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"nothing answered on {url}:\n" + (tmp_path / "serve.log").read_text()[-3000:])
        time.sleep(0.3)


@pytest.mark.parametrize("how", ["app.py", "sparring serve"])
def test_gradio_server_name_and_port_are_honoured(how: str, tmp_path: Path) -> None:
    port = _free_port()
    args = [str(ROOT / "app.py")] if how == "app.py" else ["-c", "from simulator.cli import main; main()", "serve"]
    env = {"GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port)}
    with _serving(args, env, tmp_path) as proc:
        page = _wait_for_login(proc, f"http://127.0.0.1:{port}", tmp_path)
    assert page.status_code == 200 and "Sign in" in page.text


def test_the_port_flag_wins_over_the_environment(tmp_path: Path) -> None:
    port, other = _free_port(), _free_port()
    env = {"SPARRING_PORT": str(other), "GRADIO_SERVER_PORT": str(other)}
    with _serving([str(ROOT / "app.py"), "--host", "127.0.0.1", "--port", str(port)], env, tmp_path) as proc:
        page = _wait_for_login(proc, f"http://127.0.0.1:{port}", tmp_path)
    assert page.status_code == 200


def test_the_precedence_of_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in SERVING_VARS:
        monkeypatch.delenv(name, raising=False)
    assert (load_settings().host, load_settings().port) == ("127.0.0.1", 7860)
    monkeypatch.setenv("GRADIO_SERVER_NAME", "0.0.0.0")
    monkeypatch.setenv("GRADIO_SERVER_PORT", "8001")
    assert (load_settings().host, load_settings().port) == ("0.0.0.0", 8001)
    monkeypatch.setenv("SPARRING_HOST", "127.0.0.2")
    monkeypatch.setenv("SPARRING_PORT", "8002")
    assert (load_settings().host, load_settings().port) == ("127.0.0.2", 8002)
    monkeypatch.delenv("SPARRING_PORT")
    monkeypatch.setenv("GRADIO_SERVER_PORT", "http")
    with pytest.raises(SettingsError, match="GRADIO_SERVER_PORT='http': Input should be a valid integer"):
        load_settings()


def test_a_bad_port_is_one_line_and_exit_code_2(tmp_path: Path) -> None:
    clean = {k: v for k, v in os.environ.items() if k not in SERVING_VARS}
    done = subprocess.run([sys.executable, str(ROOT / "app.py")], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path, env={**clean, "GRADIO_SERVER_PORT": "http"})
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip() == ("error: invalid setting: GRADIO_SERVER_PORT='http': "
                                   "Input should be a valid integer, unable to parse string as an integer")
    flag = subprocess.run([sys.executable, str(ROOT / "app.py"), "--port", "70000"], capture_output=True,
                          text=True, timeout=60, cwd=tmp_path, env=clean)
    assert flag.returncode == 2 and "1 to 65535" in flag.stderr.splitlines()[-1]
