"""The knowledge skill: plan and policy answers from the company's documents, with sources.

The audience comes from the speaker's role: staff read every section, customers and guests
never a section marked for staff. When the documents do not answer the question surely, the
reply says so and offers the closest topics instead of a guess.
"""

from __future__ import annotations

from pydantic import Field

from knowledge.retrieval import NO_TOPICS, Audience
from skills.base import Args, skill
from skills.context import SkillContext
from skills.parts import Reply, Source, Sources, Text
from store.models import Role

STAFF_ROLES = frozenset({Role.SUPPORT, Role.SALES, Role.MANAGER, Role.ADMIN, Role.SYSTEM})


def audience_of(role: Role) -> Audience:
    """Staff see staff sections; customers, guests and anyone unknown do not."""
    return "staff" if role in STAFF_ROLES else "public"


class AskArgs(Args):
    question: str = Field(min_length=1, max_length=2000, description="As asked")


@skill(
    "search_knowledge",
    "Passages with sources from the documents on plans, prices, limits and policies (trials, "
    "pausing, refunds, payments, loyalty, discounts, security, SLAs), or the closest topics.",
    AskArgs,
    permission="ask",
)
def search_knowledge(ctx: SkillContext, args: AskArgs) -> Reply:
    if ctx.knowledge is None:
        return Reply.error("The knowledge index is not available; run `run_bot.py index`.")
    answer = ctx.knowledge().answer(args.question, audience=audience_of(ctx.speaker.role))
    sources = tuple(Source(s.title, s.section, s.path) for s in answer.sources)
    if answer.found:
        parts: tuple[Text | Sources, ...] = (Text(answer.text, "plain"),)
        if sources:
            parts += (Sources(sources),)
        return Reply(parts=parts, data={"found": True, "sources": [s.path for s in sources]})
    topics = answer.suggestions
    hint = (
        "The closest topics I have: " + "; ".join(t.label() for t in topics) + "."
        if topics
        else NO_TOPICS
    )
    return Reply(
        parts=(Text(answer.text, "info"), Text(hint, "info")),
        data={"found": False, "sources": [], "suggestions": [t.path for t in topics]},
    )
