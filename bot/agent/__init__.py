"""The LLM assistant: a LangChain agent over the skills, with human approval and memory.

`build_brain(services)` is the one entry point: `None` when no model is configured (the
command grammar and knowledge answers serve alone), else an `AgentBrain` for `Core(brain=…)`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.agent.brain import AgentBrain
    from bot.services import Services


def build_brain(services: Services) -> AgentBrain | None:
    """The agent from settings (`OPENAI_API_KEY` / `OPENAI_BASE_URL`), or None without one."""
    settings = services.settings
    if not settings.llm_enabled:
        return None
    # Imported here: LangChain and the OpenAI client load only when an LLM is configured.
    from bot.agent.brain import AgentBrain
    from bot.agent.checkpoint import open_checkpointer
    from bot.agent.model import build_chat_model
    from bot.nlu.router import build_router

    checkpointer, close = open_checkpointer(settings)
    return AgentBrain(
        services,
        build_chat_model(settings),
        checkpointer,
        close=close,
        per_call_timeout=settings.llm_timeout,
        # Each model call is shown only the tools the message is about (bot.agent.selection);
        # the router is built on the first message.
        router=lambda: build_router(settings),
    )


__all__ = ["build_brain"]
