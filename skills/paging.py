"""Long lists in pages: the first rows, a total line, and a way on (`more`, "Show more").

A list skill hands its whole table to `page`; past `PAGE_SIZE` rows the person sees one page,
"15 of 42 renewals, $X ARR in all", and a cursor is kept in the store (`store.cursors`: per
conversation and person, so it survives a restart and a click on another replica). `more` and
the button run the `show_more` skill, which invokes the same skill with the same arguments
again, as the person asking, from the next row: the policy decides every page anew.
"""

from __future__ import annotations

import dataclasses

from pydantic import BaseModel, Field

from skills import buttons
from skills.base import Args, all_skills, invoke, skill
from skills.context import SkillContext
from skills.parts import Button, Paging, Part, Reply, Table, Text
from store import cursors

PAGE_SIZE = 15
# Set in `SkillContext.extras` by `show_more` for the skill it runs again.
PAGE_FROM = "page_from"
PAGE_CURSOR = "page_cursor"


def page(
    ctx: SkillContext, name: str, args: BaseModel, table: Table, *, noun: str, in_all: str
) -> tuple[Part, ...]:
    """The page of `table` this request asks for, with its total line (`in_all`: what the
    whole list adds up to, e.g. "$12,000.00 ARR"); a short list comes back whole."""
    rows, start = table.rows, int(ctx.extras.get(PAGE_FROM, 0))
    n = len(rows)
    if n <= PAGE_SIZE and start == 0:
        return (table,)
    if start >= n:
        return (Text(f"That was the whole list: {n} {noun}, {in_all} in all.", "info"),)
    end = min(start + PAGE_SIZE, n)
    cursor = ctx.extras.get(PAGE_CURSOR)
    if cursor is None:
        cursor = cursors.start(
            ctx.db,
            conversation_id=ctx.conversation_id,
            user_id=ctx.speaker.user_id,
            skill=name,
            args=args.model_dump(mode="json", exclude_defaults=True),
            offset=end,
            total=n,
            now=ctx.clock.now(),
        ).id
    else:
        cursors.moved(ctx.db, str(cursor), end, n)
    shown = str(end) if start == 0 else f"{start + 1}–{end}"
    more = None
    if end < n:
        more = Button("Show more", buttons.SHOW_MORE, buttons.more_value(str(cursor), end))
    return (
        dataclasses.replace(table, rows=rows[start:end]),
        Paging(f"{shown} of {n} {noun}, {in_all} in all.", more),
    )


def continuing(ctx: SkillContext) -> bool:
    """Whether this request is a later page (a list's heading need not be shown again)."""
    return int(ctx.extras.get(PAGE_FROM, 0)) > 0


class MoreArgs(Args):
    cursor: str | None = Field(default=None, pattern=r"^[0-9a-f]{1,32}$")
    offset: int | None = Field(default=None, ge=0, le=999_999)


@skill(
    "show_more",
    "The next rows of the speaker's last long list in this conversation.",
    MoreArgs,
    permission="ask",  # each page is authorised again as the skill it continues
    agent=False,
)
def show_more(ctx: SkillContext, args: MoreArgs) -> Reply:
    now = ctx.clock.now()
    who = ctx.speaker.user_id
    if args.cursor is not None:
        found = cursors.get(ctx.db, args.cursor, who, now)
    else:
        found = cursors.latest(ctx.db, ctx.conversation_id, who, now)
    chosen = all_skills().get(found.skill) if found else None
    if found is None or chosen is None or chosen.writes:
        return Reply.text(
            "There is no list of yours to go on with here; ask for it again.",
            "info",
            private=True,
        )
    start = found.offset if args.offset is None else args.offset
    again = dataclasses.replace(ctx, extras={**ctx.extras, PAGE_FROM: start, PAGE_CURSOR: found.id})
    return invoke(again, found.skill, found.args)
