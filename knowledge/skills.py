"""The knowledge skill: plan and policy answers from the company's documents, with sources."""

from __future__ import annotations

from pydantic import Field

from skills.base import Args, skill
from skills.context import SkillContext
from skills.parts import Reply, Source, Sources, Text


class AskArgs(Args):
    question: str = Field(min_length=1, max_length=2000, description="The question, as asked")


@skill(
    "search_knowledge",
    "Answer a question about Nimbus Notes plans, prices, limits and policies (trials, pausing, "
    "upgrades, seats, cancellation and refunds, failed payments, loyalty, discounts, security, "
    "SLAs) from the company's documents. Returns the relevant passages with their sources; "
    "says so when the documents have no good answer.",
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
