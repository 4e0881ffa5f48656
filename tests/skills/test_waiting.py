"""`pending`: what waits for a person's decision, and only what is theirs to see."""

from __future__ import annotations

from bot.core import Core
from bot.render_text import render


def listed(core: Core, user: str) -> list[str]:
    reply = core.handle(user, "pending", f"C_{user}")
    assert reply.private
    return [w["id"] for w in reply.data["pending"]]


def test_pending_lists_for_the_proposer_and_the_deciders_only(core: Core) -> None:
    asked = core.handle("U_INITECH1", "seats initech 12", "C_INITECH")
    action = asked.data["action_id"]
    assert listed(core, "U_INITECH1") == [action]  # asked by them
    assert listed(core, "U_SUPPORT1") == [action]  # may decide it
    assert listed(core, "U_MANAGER1") == [action]
    assert listed(core, "U_SALES1") == []  # sales may not add seats
    assert listed(core, "U_GLOBEX1") == []  # another customer's account
    assert listed(core, "U_NOBODY") == []
    reply = core.handle("U_SUPPORT1", "pending", "C_SUPPORT")
    assert "Waiting for a decision" in render(reply) and action in render(reply)
    # Asked by the contact's name, not their Slack id.
    assert "Peter Gibbons" in render(reply) and "U_INITECH1" not in render(reply)
    assert reply.data["pending"][0]["requester_name"] == "Peter Gibbons"
    core.handle("U_SUPPORT1", f"confirm {action}", "C_SUPPORT")
    assert listed(core, "U_SUPPORT1") == []  # decided: no longer waiting
