"""The chat model: LangChain's `ChatOpenAI`, for OpenAI or any OpenAI-compatible server."""

from __future__ import annotations

from langchain_openai import ChatOpenAI

from config.settings import Settings

# Local servers (Ollama, vLLM, llama.cpp) ignore the key but the OpenAI client insists on one.
PLACEHOLDER_KEY = "not-needed"


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
    )
