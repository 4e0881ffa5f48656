"""Approvals that outlive a turn: restarts, decisions without the agent, two changes in one
step, someone else approving, and a conversation that moves on before anyone decides."""

from __future__ import annotations

import datetime as dt
import json
from types import SimpleNamespace

from langchain.tools import ToolRuntime
from langchain_core.messages import AIMessage

from bot.agent.middleware import ApprovalPreview
from bot.agent.tools import build_tools
from bot.core import Core
from bot.render_text import render
from store.models import PendingStatus
from tests.agent.conftest import ai, audits, call, invoices, pending_rows, script, subscription

THREAD = "slack:C1:1700000000.000100"


def _messages(core: Core, thread: str = THREAD) -> list:
    state = core.brain.agent.get_state({"configurable": {"thread_id": thread}})  # type: ignore[union-attr]
    return state.values.get("messages", [])


def test_a_paused_run_survives_a_restart_and_resumes_on_the_button(make_core, demo_db):
    first = make_core(script(ai("", call("set_seats", account="Initech", seats=12))))
    asked = first.handle("U_SUPPORT1", "Initech needs two more people on it", THREAD)
    action_id = asked.data["action_id"]

    # The process restarts: a new brain and checkpointer connection on the same files.
    after_restart = script(ai("Initech now has 12 seats."))
    second = make_core(after_restart)
    done = second.confirm("U_SUPPORT1", action_id, THREAD)

    assert "Applied by Alex" in render(done)
    assert "Initech now has 12 seats." in render(done)
    assert subscription(demo_db, "Initech").seats == 12
    assert len(audits(demo_db, action="seats", outcome="applied")) == 1
    [result] = after_restart.tool_results(0)
    assert json.loads(result.text)["status"] == "applied"


def test_a_decision_taken_while_the_agent_is_away_is_applied_and_remembered(
    make_core, services, retriever, demo_db
):
    seats = call("set_seats", account="Initech", seats=12)
    make_core(script(ai("", seats))).handle("U_SUPPORT1", "two more seats for Initech", THREAD)
    [row] = pending_rows(demo_db)

    # No LLM configured at that moment: the core alone applies it.
    plain = Core(services, retriever_factory=lambda: retriever)
    assert "Applied by Alex" in render(plain.confirm("U_SUPPORT1", row.id, THREAD))
    assert subscription(demo_db, "Initech").seats == 12

    # Back with the agent, the next message settles the paused step from the store.
    later = script(ai("Yes, Initech has 12 seats now."))
    reply = make_core(later).handle("U_SUPPORT1", "did that go through?", THREAD)
    assert reply.parts[0].text == "Yes, Initech has 12 seats now."
    [settled] = later.tool_results(0)
    assert settled.tool_call_id == seats["id"]
    assert json.loads(settled.text)["status"] == "applied"
    assert len(audits(demo_db, action="seats", outcome="applied")) == 1


def test_moving_on_leaves_the_card_open_and_a_late_yes_still_applies_once(make_core, demo_db):
    model = script(
        ai("", call("pause_subscription", account="Initech", length=30)),
        ai("Initech renews on Dec 1."),
        ai("Yes, Initech is paused."),
    )
    core = make_core(model)
    paused_before = len(audits(demo_db, action="pause", outcome="applied"))
    core.handle("U_SUPPORT1", "put Initech on hold for a month", THREAD)
    answer = core.handle("U_SUPPORT1", "by the way, when does Initech renew?", THREAD)
    assert answer.parts[0].text == "Initech renews on Dec 1."
    [waiting] = model.tool_results(1)
    assert "Not confirmed yet" in waiting.text and "Nothing has been applied" in waiting.text

    late = core.handle("U_SUPPORT1", "yes", THREAD)

    assert "Applied by Alex" in render(late)
    assert len(audits(demo_db, action="pause", outcome="applied")) == paused_before + 1
    # Memory learns that the change went through after all (once, however often confirmed).
    core.confirm("U_SUPPORT1", pending_rows(demo_db)[0].id, THREAD)
    notes = [m for m in _messages(core) if isinstance(m, AIMessage) and "later applied" in m.text]
    assert len(notes) == 1
    assert model.calls == 2  # no resume: the step had already been settled

    # The conversation goes on, and the model knows the change went through.
    reply = core.handle("U_SUPPORT1", "so is it on hold now?", THREAD)
    assert reply.parts[0].text == "Yes, Initech is paused."
    assert any("later applied" in m.text for m in model.seen[2] if isinstance(m, AIMessage))


def test_two_changes_in_one_step_resume_once_both_are_decided(make_core, demo_db):
    seats = call("set_seats", account="Initech", seats=12)
    discount = call("apply_discount", account="Globex", percent=10)
    model = script(
        ai("", seats, discount),
        ai("Seats added; the discount was not applied."),
    )
    core = make_core(model)
    asked = core.handle("U_MANAGER1", "Initech: 12 seats, and 10% off for Globex", THREAD)
    cards = [p for p in asked.parts if getattr(p, "action_id", None)]
    assert len(cards) == 2
    seats_row, discount_row = pending_rows(demo_db)

    first = core.confirm("U_MANAGER1", seats_row.id, THREAD)
    assert "Applied by Morgan" in render(first) and model.calls == 1  # still waiting

    second = core.discard("U_MANAGER1", discount_row.id, THREAD)
    assert "Seats added; the discount was not applied." in render(second)
    assert model.calls == 2
    results = {m.tool_call_id: m for m in model.tool_results(1)}
    assert json.loads(results[seats["id"]].text)["status"] == "applied"
    assert results[discount["id"]].status == "error"
    assert subscription(demo_db, "Initech").seats == 12
    assert subscription(demo_db, "Globex").discount_percent is None


def test_two_changes_of_one_subscription_leave_one_card(make_core, demo_db):
    """At most one live preview per subscription per conversation: the second replaces the
    first, only the live card is shown, and a bare "yes" applies that one."""
    plus_30 = call("set_seats", account="Initech", seats=40)
    plus_1 = call("set_seats", account="Initech", seats=11)
    model = script(ai("", plus_30, plus_1), ai("Done: 11 seats."))
    core = make_core(model)
    asked = core.handle("U_MANAGER1", "Initech needs more seats", THREAD)
    cards = [p for p in asked.parts if getattr(p, "action_id", None)]
    assert [c.summary.split(" now")[0] for c in cards] == ["Add 1 seat to Initech"]
    rows = {r.status: r for r in pending_rows(demo_db)}
    assert set(rows) == {PendingStatus.SUPERSEDED, PendingStatus.PENDING}
    done = core.handle("U_MANAGER1", "yes", THREAD)
    assert "Applied by Morgan" in render(done)
    assert subscription(demo_db, "Initech").seats == 11


def test_a_manager_approving_does_not_lend_the_model_their_rights(make_core, demo_db):
    model = script(
        ai("", call("set_seats", account="Initech", seats=12)),
        # After the approval the model tries a manager-only action in the same run.
        ai("", call("cancel_subscription", account="Initech", now=True)),
        ai("Seats done; I can't cancel immediately for you."),
    )
    core = make_core(model)
    core.handle("U_SUPPORT1", "Initech wants 12 seats", THREAD)
    [row] = pending_rows(demo_db)

    done = core.confirm("U_MANAGER1", row.id, THREAD)

    assert "Applied by Morgan" in render(done)
    assert "Alex" in model.system_prompt(1) and "role: support" in model.system_prompt(1)
    [refused] = audits(demo_db, outcome="refused")
    assert refused.actor == "U_SUPPORT1" and refused.action == "cancel_subscription"
    assert [r.status for r in pending_rows(demo_db)] == [PendingStatus.APPLIED]


def test_an_expired_preview_is_reported_to_the_model_as_not_applied(make_core, demo_db, clock):
    model = script(ai("", call("set_seats", account="Initech", seats=12)), ai("Let's redo it."))
    core = make_core(model)
    core.handle("U_SUPPORT1", "Initech wants 12 seats", THREAD)
    clock.shift = dt.timedelta(minutes=20)

    reply = core.handle("U_SUPPORT1", "ok?", THREAD)

    assert reply.parts[0].text == "Let's redo it."
    [expired] = model.tool_results(1)
    assert "expired" in expired.text and expired.status == "error"
    assert [r.status for r in pending_rows(demo_db)] == [PendingStatus.EXPIRED]
    assert subscription(demo_db, "Initech").seats == 10
    assert invoices(demo_db, "Initech", "seats") == []


def test_a_confirm_that_the_store_refuses_tells_the_model_why(make_core, demo_db):
    model = script(
        ai("", call("pause_subscription", account="Initech", length=30)),
        ai("It could not be paused: it was paused already."),
    )
    core = make_core(model)
    paused_before = len(audits(demo_db, action="pause", outcome="applied"))
    core.handle("U_SUPPORT1", "put Initech on hold for a month", THREAD)
    # Meanwhile someone pauses Initech by command: a second pause is no longer allowed.
    core.handle("U_SUPPORT1", "pause Initech for 10 days", "other-thread")
    assert "Applied" in render(core.handle("U_SUPPORT1", "yes", "other-thread"))
    agent_row = next(r for r in pending_rows(demo_db) if r.thread_id == THREAD)

    reply = core.confirm("U_SUPPORT1", agent_row.id, THREAD)

    assert "Not applied" in render(reply)
    assert "It could not be paused" in render(reply)
    [told] = model.tool_results(1)
    assert told.status == "error" and "was not applied" in told.text
    assert len(audits(demo_db, action="pause", outcome="applied")) == paused_before + 1


def test_replaying_the_paused_step_never_proposes_or_applies_twice(make_core, demo_db):
    """LangGraph re-runs an interrupted step from its start: both halves are keyed on the
    tool call id, so a replay finds the preview and the outcome instead of acting again."""
    upgrade = call("change_plan", account="Initech", plan="Business")
    core = make_core(script(ai("", upgrade), ai("Done.")))
    core.handle("U_SUPPORT1", "Could you move Initech up to Business?", THREAD)
    brain = core.brain
    turn = brain.turn(core.context("U_SUPPORT1", THREAD, "console"), THREAD)
    state = brain.agent.get_state({"configurable": {"thread_id": THREAD}}).values

    # The preview step again: nothing new is proposed.
    assert (
        ApprovalPreview(brain.write_tools).after_model(state, SimpleNamespace(context=turn)) is None
    )
    assert len(pending_rows(demo_db)) == 1

    core.handle("U_SUPPORT1", "yes", THREAD)

    # The approved tool body again, twice: it reports the outcome and applies nothing.
    tool = {t.name: t for t in build_tools()}["change_plan"]
    runtime = ToolRuntime(
        state=state,
        context=turn,
        config={},
        stream_writer=None,
        tool_call_id=upgrade["id"],
        store=None,
    )
    for _ in range(2):
        result = tool.invoke({**upgrade, "args": {**upgrade["args"], "runtime": runtime}})
        assert json.loads(result.content)["status"] == "applied"
    assert len(invoices(demo_db, "Initech", "upgrade")) == 1
    assert len(audits(demo_db, action="change_plan", outcome="applied")) == 1


def test_one_message_proposes_at_most_three_changes(make_core, demo_db):
    """40 seat changes in one model message (the red-team case): three cards at most, for
    three different accounts here, and the person is told the rest were left out."""
    many = [call("set_seats", account=name, seats=50) for name in ("Initech", "Globex")]
    many += [call("pause_subscription", account="Soylent", length=10)]
    many += [call("set_seats", account="Initech", seats=n) for n in range(11, 48)]
    model = script(ai("", *many), ai("Done."))
    core = make_core(model)
    asked = core.handle("U_MANAGER1", "add seats everywhere", THREAD)
    cards = [p for p in asked.parts if getattr(p, "action_id", None)]
    assert 1 <= len(cards) <= 3
    assert "at most 3 changes at a time; 37 more were left out" in render(asked)
    assert len(pending_rows(demo_db)) <= 3


def test_a_tool_call_number_beyond_64_bits_is_a_one_line_refusal(make_core, demo_db):
    model = script(
        ai("", call("set_seats", account="Initech", seats=2**70)),
        ai("That seat count is not possible."),
    )
    core = make_core(model)
    reply = core.handle("U_MANAGER1", "Initech wants a huge number of seats", THREAD)
    assert "went wrong" not in render(reply)
    assert "That seat count is not possible." in render(reply)
    assert subscription(demo_db, "Initech").seats == 10
    results = {m.tool_call_id: m for m in model.tool_results(1)}
    assert any("seats must be at most 100,000." in m.text for m in results.values())
