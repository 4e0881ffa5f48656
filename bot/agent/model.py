"""The chat model: LangChain's `ChatOpenAI`, for OpenAI or any OpenAI-compatible server."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.outputs import LLMResult
from langchain_openai import ChatOpenAI

from config.settings import Settings

# Local servers (Ollama, vLLM, llama.cpp) ignore the key but the OpenAI client insists on one.
PLACEHOLDER_KEY = "not-needed"


class LLMMetrics(BaseCallbackHandler):
    """Counts model calls and the tokens the server reports (subbot_llm_*)."""

    def on_llm_end(self, response: LLMResult, **kwargs: Any) -> None:
        from config.metrics import LLM_CALLS, LLM_TOKENS

        LLM_CALLS.labels("ok").inc()
        for generations in response.generations:
            for generation in generations:
                usage = getattr(getattr(generation, "message", None), "usage_metadata", None)
                if usage:
                    LLM_TOKENS.labels("prompt").inc(usage.get("input_tokens", 0))
                    LLM_TOKENS.labels("completion").inc(usage.get("output_tokens", 0))

    def on_llm_error(self, error: BaseException, **kwargs: Any) -> None:
        from config.metrics import LLM_CALLS

        LLM_CALLS.labels("error").inc()


def build_chat_model(settings: Settings) -> ChatOpenAI:
    """`SUBBOT_MODEL` at `OPENAI_BASE_URL` (default OpenAI), with the configured timeout and
    retries (the client retries timeouts, 429 and 5xx with backoff)."""
    return ChatOpenAI(
        model=settings.model,
        api_key=settings.openai_api_key or PLACEHOLDER_KEY,  # type: ignore[arg-type]
        base_url=settings.openai_base_url or None,
        timeout=settings.llm_timeout,
        max_retries=settings.llm_max_retries,
        # Chat Completions is what every OpenAI-compatible server speaks.
        use_responses_api=False,
        callbacks=[LLMMetrics()],
    )
