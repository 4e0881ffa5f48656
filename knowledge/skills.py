"""The knowledge skill: plan and policy answers from the company's documents, with sources."""

from __future__ import annotations

from pydantic import Field

from skills.base import Args, skill
from skills.context import SkillContext
from skills.parts import Reply, Source, Sources, Text


class AskArgs(Args):
    question: str = Field(min_length=1, max_length=2000, description="As asked")


@skill(
    "search_knowledge",
    "Passages with sources from the documents on plans, prices, limits and policies (trials, "
    "pausing, refunds, payments, loyalty, discounts, security, SLAs).",
    AskArgs,
    permission="ask",
)
def search_knowledge(ctx: SkillContext, args: AskArgs) -> Reply:
    if ctx.knowledge is None:
        return Reply.error("The knowledge index is not available; run `run_bot.py index`.")
    answer = ctx.knowledge().answer(args.question)
    sources = tuple(Source(s.title, s.section, s.path) for s in answer.sources)
    parts: tuple[Text | Sources, ...] = (Text(answer.text, "plain" if answer.found else "info"),)
    if answer.found and sources:
        parts += (Sources(sources),)
    return Reply(
        parts=parts,
        data={"found": answer.found, "sources": [s.path for s in sources]},
    )
