"""Starting and stopping real app processes for the scale-out test (a unique module name: several
test folders have a conftest.py)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 120.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class AppProcess:
    """One app process: its name, URL, data dir, log file and the ``Popen``."""

    name: str
    url: str
    data_dir: Path
    log: Path
    proc: subprocess.Popen[bytes]
    spawned: float = 0.0
    started_s: float = 0.0
    """Seconds from the spawn to the first ``GET /login`` answered."""

    def log_tail(self, chars: int = 8000) -> str:
        try:
            return self.log.read_text(encoding="utf-8", errors="replace")[-chars:]
        except OSError:
            return ""

    def wait_ready(self, deadline: float) -> None:
        """Until ``GET /login`` answers 200 (the store is open, the UI built, uvicorn listening)."""
        while True:
            if self.proc.poll() is not None:
                raise AssertionError(f"app {self.name} exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                if httpx.get(f"{self.url}/login", timeout=2).status_code == 200:
                    self.started_s = time.monotonic() - self.spawned
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                os.kill(self.proc.pid, signal.SIGABRT)  # PYTHONFAULTHANDLER: every thread's stack to the log
                time.sleep(2)
                raise AssertionError(f"app {self.name} did not start in time:\n{self.log_tail()}")
            time.sleep(0.2)

    def pg_connections(self, port: int = 5432) -> int | None:
        """How many TCP connections this process holds to the database port (Linux /proc; else None)."""
        try:
            inodes = {os.readlink(f"/proc/{self.proc.pid}/fd/{fd}")[8:-1]
                      for fd in os.listdir(f"/proc/{self.proc.pid}/fd")}
            count = 0
            for table in ("tcp", "tcp6"):
                lines = Path(f"/proc/{self.proc.pid}/net/{table}").read_text().splitlines()[1:]
                for line in lines:
                    fields = line.split()
                    if int(fields[2].rsplit(":", 1)[1], 16) == port and fields[3] == "01" and fields[9] in inodes:
                        count += 1
            return count
        except (OSError, ValueError, IndexError):
            return None

    def kill(self) -> None:
        """SIGKILL, as a crash or an OOM kill would end it."""
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


def _env(pg_url: str, data_dir: Path, port: int, tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    for key in ("DATABASE_URL", "OPENAI_API_KEY", "OPENAI_BASE_URL", "SPARRING_MODEL_PATH"):
        env.pop(key, None)
    env.update(
        SPARRING_DATABASE_URL=pg_url,
        SPARRING_DATA_DIR=str(data_dir),
        SPARRING_CACHE_DIR=str(tmp_path / "cache"),
        SPARRING_LLM="template",
        SPARRING_HOST="127.0.0.1",
        SPARRING_PORT=str(port),
        SPARRING_SIGNIN_WORKERS="2",
        GRADIO_TEMP_DIR=str(data_dir.parent / f"{data_dir.name}-gradio"),
        GRADIO_ANALYTICS_ENABLED="False",
        PYTHONUNBUFFERED="1",
        PYTHONFAULTHANDLER="1",
    )
    return env


def start_app(name: str, command: list[str], pg_url: str, tmp_path: Path) -> AppProcess:
    port = free_port()
    data_dir = tmp_path / f"data-{name}"
    log = tmp_path / f"app-{name}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(command, cwd=REPO, env=_env(pg_url, data_dir, port, tmp_path), stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    return AppProcess(name, f"http://127.0.0.1:{port}", data_dir, log, proc, spawned=time.monotonic())


def sparring_command() -> list[str]:
    script = Path(sys.executable).with_name("sparring")
    return [str(script)] if script.exists() else [sys.executable, "-m", "simulator.cli"]
