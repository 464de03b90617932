"""Settings for the app, the CLI and the grader, read from the environment (prefix ``SPARRING_``).

One object, built on demand (never at import time), so tests can point every path at a
temporary directory by setting environment variables or passing values directly.
"""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path
from typing import Literal

from platformdirs import user_cache_dir, user_data_dir
from pydantic import AliasChoices, Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from simulator.errors import SparringError

LLMBackendName = Literal["embedded", "openai", "template"]
VoiceModeName = Literal["auto", "gist", "adapt", "compose"]
JudgeMode = Literal["auto", "on", "off"]


class Settings(BaseSettings):
    """Everything that can be configured. Environment variables win over defaults."""

    model_config = SettingsConfigDict(env_prefix="SPARRING_", extra="ignore", populate_by_name=True)

    llm: LLMBackendName = "embedded"
    """Which backend voices the buyer and helps the grader: embedded | openai | template."""

    data_dir: Path = Field(default_factory=lambda: Path(user_data_dir("sparring", appauthor=False)))
    """Where the SQLite database lives (sessions, transcripts, scorecards, users)."""

    cache_dir: Path = Field(default_factory=lambda: Path(user_cache_dir("sparring", appauthor=False)))
    """Where the assembled embedded model file is kept."""

    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("SPARRING_DATABASE_URL", "DATABASE_URL")
    )
    """SQLAlchemy URL of the store, e.g. postgresql://user:pw@host/db. Default: SQLite in data_dir."""

    content_dir: Path | None = None
    """A folder of the team's own personas/ and scenarios/ YAML, loaded beside the built-in library."""

    # --- embedded backend ---
    model_path: Path | None = None
    """Any GGUF chat model to use instead of the shipped Qwen2.5-Coder-1.5B-Instruct."""
    n_ctx: int = 4096
    n_threads: int = Field(default_factory=lambda: max(1, (os.cpu_count() or 2) - 1))
    """llama.cpp threads for generating tokens: one core left free. Measured (docs/voicing.md, Threads):
    with another process busy, generation on every core ran 2.3-4.5x slower than on one core less."""
    n_threads_batch: int = Field(default_factory=lambda: os.cpu_count() or 2)
    """llama.cpp threads for processing the prompt: every core (2.5x faster than one thread, quiet)."""
    n_batch: int = 128
    prefix_cache_bytes: int = 256 * 1024 * 1024
    """Real-byte bound of the RAM prefix cache (KV state + saved logits of each entry)."""

    # --- openai-compatible backend ---
    openai_model: str = Field(
        default="gpt-4o-mini", validation_alias=AliasChoices("SPARRING_OPENAI_MODEL", "OPENAI_MODEL")
    )
    openai_base_url: str | None = Field(
        default=None, validation_alias=AliasChoices("SPARRING_OPENAI_BASE_URL", "OPENAI_BASE_URL")
    )
    openai_api_key: str | None = Field(
        default=None, validation_alias=AliasChoices("SPARRING_OPENAI_API_KEY", "OPENAI_API_KEY")
    )

    # --- generation and robustness ---
    seed: int = 7
    temperature: float = 0.3
    llm_timeout_s: float = Field(default=60.0, gt=0)
    """Whole-call deadline of one model call (wall time, every read included; docs/failures.md)."""
    llm_retries: int = 2
    max_message_chars: int = 2000

    # --- the buyer's voice (docs/voicing.md) ---
    voice_mode: VoiceModeName = "auto"
    """How the model voices the director's line: gist (no model call: the line as written) | adapt
    (a short reaction and the rep's terms around the line) | compose (a free reply around the
    decision, for capable models). auto: adapt with the embedded model, compose with openai."""
    reply_deadline_s: float | None = Field(default=20.0, gt=0)
    """Whole-reply deadline over every attempt; past it the checked gist is spoken at once."""
    call_idle_s: float = Field(default=24 * 3600.0, gt=0)
    """A call with no message for this long closes as abandoned: no grade, not an attempt, never compared."""
    turn_lease_s: float = Field(default=60.0, ge=5)
    """How long a turn holds its session before another process may take it over (renewed while the
    reply streams; taken over at once when the holder was a process on this machine that died)."""
    prefill: bool = True
    """Evaluate the next turn's prompt prefix in the background while the rep types (embedded)."""

    # --- hands-free voice turns (docs/voice.md) ---
    voice_end_silence_ms: int = Field(default=700, ge=200, le=5000)
    """Hands-free voice: the rep's turn ends after this much silence (the buyer then answers)."""
    voice_input: Literal["hands-free", "push-to-talk"] = "hands-free"
    """Terminal ``--voice``: an open microphone with turn-taking and barge-in, or Enter to talk / stop."""
    voice_vad: Literal["auto", "silero", "energy"] = "auto"
    """Voice activity detector: silero (the ONNX model faster-whisper ships), energy, or auto (silero, else energy)."""

    # --- the grader's LLM judge (grading/judge.py) ---
    judge: JudgeMode = "auto"
    """May the LLM move two competencies by one level? auto = on with an OpenAI-compatible backend,
    off with the embedded model on CPU (it changed no grade when measured); on | off force it."""
    judge_timeout_s: float = Field(default=30.0, gt=0)
    """Deadline for the whole judgement (every attempt); past it the rule scores stand."""

    # --- serving the web app and signing in (docs/security.md) ---
    host: str = Field(default="127.0.0.1", validation_alias=AliasChoices("SPARRING_HOST", "GRADIO_SERVER_NAME"))
    """Interface the web app listens on (127.0.0.1 behind a reverse proxy on the same machine).
    ``SPARRING_HOST``, else Gradio's ``GRADIO_SERVER_NAME``; ``--host`` wins over both."""
    port: int = Field(default=7860, ge=1, le=65535,
                      validation_alias=AliasChoices("SPARRING_PORT", "GRADIO_SERVER_PORT"))
    """Port the web app listens on: ``SPARRING_PORT``, else Gradio's ``GRADIO_SERVER_PORT``; ``--port`` wins."""
    trusted_proxies: str = ""
    """Comma-separated IPs/CIDRs of reverse proxies whose X-Forwarded-For/-Proto are believed."""
    allowed_origins: str = ""
    """Comma-separated extra origins (https://sparring.example.com) allowed to send state-changing
    requests, when a proxy does not pass the public Host header through."""
    otp_ttl_s: float = Field(default=24 * 3600.0, gt=0)
    """How long a one-time password (first admin, reset, new account) can be used."""
    session_idle_s: float = Field(default=2 * 3600.0, gt=0)
    """A sign-in session ends after this long without a request."""
    session_absolute_s: float = Field(default=12 * 3600.0, gt=0)
    """A sign-in session ends this long after the sign-in, however active."""
    signin_user_max_wait_s: float = Field(default=30.0, ge=1)
    """Longest backoff a username gets after repeated wrong passwords (never a lockout)."""
    signin_ip_max_wait_s: float = Field(default=300.0, ge=1)
    """Longest backoff an IP address gets after repeated wrong passwords."""
    signin_workers: int = Field(default_factory=lambda: os.cpu_count() or 2, ge=1)
    """Password hashes computed at once (argon2 is CPU- and memory-bound); the rest queue."""
    export_ttl_s: float = Field(default=600.0, gt=0)
    """A CSV export can be downloaded (once, by its creator) for this long, then it is deleted."""

    @cached_property
    def resolved_database_url(self) -> str:
        """The store's URL: DATABASE_URL when set, else a SQLite file in data_dir."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'sparring.db'}"

    @property
    def checkpoint_path(self) -> Path:
        """The SQLite file LangGraph's checkpointer writes (when the store is SQLite)."""
        return self.data_dir / "checkpoints.db"


class SettingsError(SparringError, ValueError):
    """A setting in the environment has a value Sparring cannot use."""


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment, with explicit overrides on top.

    Raises:
        SettingsError: one line per bad setting, naming its environment variable, the value and
            what is allowed (never pydantic's full dump).
    """
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise SettingsError(describe_settings_error(exc)) from None


def describe_settings_error(exc: ValidationError) -> str:
    """``SPARRING_LLM='bogus': Input should be 'embedded', 'openai' or 'template'`` per bad setting."""
    lines = []
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else "?"
        value = error.get("input")
        shown = repr(value) if isinstance(value, str | int | float) else "the value given"
        lines.append(f"{_env_name(field)}={shown}: {error['msg']}")
    return "invalid setting" + ("s" * (len(lines) > 1)) + ": " + "; ".join(lines)


def _env_name(loc: str) -> str:
    """The environment variable a bad value came from: for a setting with several names (e.g.
    ``SPARRING_PORT`` or ``GRADIO_SERVER_PORT``), the first one that is set."""
    for name, info in Settings.model_fields.items():
        choices = info.validation_alias.choices if isinstance(info.validation_alias, AliasChoices) else []
        names = [str(c) for c in choices]
        if loc == name or loc in names:
            set_names = [n for n in names if n.upper() in {k.upper() for k in os.environ}]
            return (set_names or names or [f"SPARRING_{name.upper()}"])[0]
    return loc if loc.upper().startswith("SPARRING_") else f"SPARRING_{loc.upper()}"
