"""Pick the LLM backend named in the settings. Backends are imported here, lazily, so that
``import simulator`` stays light (llama_cpp and openai are slow to import)."""

from __future__ import annotations

from typing import get_args

from simulator.config import LLMBackendName, Settings
from simulator.llm.base import LLM

BACKENDS: tuple[str, ...] = get_args(LLMBackendName)
"""Valid values of ``settings.llm`` / ``SPARRING_LLM``."""


def create_llm(settings: Settings) -> LLM:
    """Return the backend ``settings.llm`` names: embedded (default), openai or template.

    Nothing heavy happens here: the embedded model is assembled and loaded, and the openai client
    built, on the first request.
    """
    name = settings.llm
    if name == "embedded":
        from simulator.llm.embedded import EmbeddedLLM

        return EmbeddedLLM(settings)
    if name == "openai":
        from simulator.llm.openai_compat import OpenAICompatLLM

        return OpenAICompatLLM(settings)
    if name == "template":
        from simulator.llm.template import TemplateLLM

        return TemplateLLM()
    raise ValueError(f"unknown LLM backend {name!r}; valid: {', '.join(BACKENDS)} (SPARRING_LLM)")
