"""The decision rules on hand-made rankings (no model): unknown, knowledge, clarify, writes."""

from __future__ import annotations

import datetime as dt

from bot.nlu.decide import SkillSpec, decide

TODAY = dt.date(2026, 11, 16)
SPECS = {
    "pause_subscription": SkillSpec(True, frozenset({"account", "length"}), "account"),
    "resume_subscription": SkillSpec(True, frozenset({"account"}), "account"),
    "find_account": SkillSpec(False, frozenset({"account"}), "account"),
    "renewals": SkillSpec(False, frozenset()),
    "renewal_summary": SkillSpec(False, frozenset()),
    "search_knowledge": SkillSpec(False, frozenset({"question"})),
}
KNOWN = frozenset({"longest", "pause", "allowed", "the", "what's"})


def test_nothing_close_is_unknown() -> None:
    out = decide("sing me a song", [("renewals", 0.9)], 0.2, SPECS, TODAY)
    assert out.route == "unknown"


def test_a_clear_write_with_its_subject_is_run() -> None:
    ranked = [("pause_subscription", 0.8), ("resume_subscription", 0.6)]
    out = decide("pause Initech 2 weeks", ranked, 0.8, SPECS, TODAY, known=KNOWN)
    assert out.route == "skill" and out.reading is not None
    assert out.reading.args == {"account": "initech", "length": 2, "unit": "weeks"}


def test_a_write_without_a_subject_gives_way_to_the_documents() -> None:
    ranked = [("pause_subscription", 0.8), ("search_knowledge", 0.7)]
    out = decide("can I pause an annual plan for 2 months?", ranked, 0.8, SPECS, TODAY)
    assert out.route == "knowledge"


def test_a_question_is_never_read_as_a_write() -> None:
    ranked = [("resume_subscription", 0.75), ("search_knowledge", 0.6)]
    out = decide("what's the longest pause allowed", ranked, 0.7, SPECS, TODAY, known=KNOWN)
    assert out.route == "knowledge"


def test_a_write_too_close_to_another_reading_is_asked_about() -> None:
    ranked = [("pause_subscription", 0.80), ("resume_subscription", 0.79)]
    out = decide("pause or resume globex 2 weeks", ranked, 0.8, SPECS, TODAY)
    assert out.route == "clarify"
    assert [c.intent for c in out.choices] == ["pause_subscription", "resume_subscription"]


def test_an_unsure_write_is_asked_about() -> None:
    ranked = [("pause_subscription", 0.5), ("find_account", 0.3)]
    out = decide("globex 2 weeks", ranked, 0.6, SPECS, TODAY)
    assert out.route == "clarify"


def test_between_two_reads_the_better_answers() -> None:
    ranked = [("renewal_summary", 0.80), ("renewals", 0.79)]
    out = decide("renewals this month", ranked, 0.8, SPECS, TODAY)
    assert out.route == "skill" and out.intent == "renewal_summary"


def test_general_questions_about_a_policy_and_questions_about_ones_own_facts() -> None:
    from bot.nlu.wording import asks_price, own_fact, policy_question

    for text in ("can I pause?", "what happens if our card fails", "is there a refund",
                 "how are seat additions billed", "we cancelled, can we undo it?"):  # fmt: skip
        assert policy_question(text), text
    requests = ("can you pause us for two weeks", "can I see our invoices", "pause initech")
    for text in (*requests, "what's our next bill?", "how many seats do we have"):
        assert not policy_question(text), text
    assert own_fact("what plan are we on?") and own_fact("show my invoices")
    assert not own_fact("what happens if we remove seats") and not own_fact("what is SCIM")
    assert asks_price("how much would 5 more seats cost") and not asks_price("add 5 seats")


def test_limits_how_tos_and_accounts_of_a_kind_are_general_questions() -> None:
    from bot.nlu.wording import policy_question

    for text in (
        "what's the maximum number of seats on starter",
        "what's the longest we can suspend billing for?",
        "how do we take over the account after our admin left?",
        "when does a churned account get the comeback offer?",
        "we hired three people, when do we pay for their logins?",
    ):
        assert policy_question(text), text
    for text in ("how many seats do we have", "pause initech for two weeks"):
        assert not policy_question(text), text


def test_a_general_question_whose_account_no_one_has_names_nothing() -> None:
    """ "how long are audit logs kept" reads "long" as an account: a name none of the
    speaker's accounts could be is no account, so the question goes to the documents; a
    real account (a typo of one included) still makes it a request."""
    from seed.accounts import NAMED_ACCOUNTS
    from store.accounts import names_an_account

    def readable(value: str) -> bool:
        return names_an_account(value, list(NAMED_ACCOUNTS))

    ranked = [("find_account", 0.62), ("search_knowledge", 0.46)]
    text = "when does a churned account get the comeback offer?"
    assert decide(text, ranked, 0.7, SPECS, TODAY, known=KNOWN).intent == "find_account"
    out = decide(text, ranked, 0.7, SPECS, TODAY, known=KNOWN, is_account=readable)
    assert out.route == "knowledge"
    named = "when does globx get the comeback offer?"
    out = decide(named, ranked, 0.7, SPECS, TODAY, known=KNOWN, is_account=readable)
    assert out.intent == "find_account" and out.reading is not None
    assert out.reading.args["account"] == "globx"
    assert names_an_account("hoolie", list(NAMED_ACCOUNTS))
    assert names_an_account("stark", list(NAMED_ACCOUNTS))
    assert not names_an_account("long", list(NAMED_ACCOUNTS))
    assert not names_an_account("", list(NAMED_ACCOUNTS))


def test_a_policy_question_goes_to_the_documents_unless_it_gives_a_changes_specifics() -> None:
    ranked = [("cancel_subscription", 0.7), ("search_knowledge", 0.55)]
    out = decide("can I cancel?", ranked, 0.7, SPECS | CANCEL, TODAY, known=KNOWN)
    assert out.route == "knowledge"
    ranked = [("pause_subscription", 0.8), ("search_knowledge", 0.5)]
    out = decide("can we pause for two weeks", ranked, 0.8, SPECS, TODAY, known=KNOWN)
    assert out.route == "skill" and out.reading is not None
    assert out.reading.args == {"account": "us", "length": 2, "unit": "weeks"}


def test_a_question_about_ones_own_account_goes_to_the_read_skill() -> None:
    ranked = [("search_knowledge", 0.6), ("find_account", 0.5)]
    out = decide("what plan are we on?", ranked, 0.7, SPECS, TODAY, known=KNOWN)
    assert out.route == "skill" and out.intent == "find_account"


def test_a_price_question_is_a_quote_never_a_write() -> None:
    specs = SPECS | {
        "set_seats": SkillSpec(True, frozenset({"account", "seats"}), "account"),
        "quote": SkillSpec(False, frozenset(), "account", frozenset({"more_seats", "seats"})),
    }
    ranked = [("set_seats", 0.75), ("quote", 0.6)]
    out = decide("how much would 5 more seats cost us", ranked, 0.8, specs, TODAY, known=KNOWN)
    assert out.route == "skill" and out.intent == "quote"
    assert out.reading is not None and out.reading.args == {"account": "us", "more_seats": 5}
    ranked = [("quote", 0.75), ("find_account", 0.6)]  # a quote of no change cannot run
    out = decide("how many seats do we have", ranked, 0.8, specs, TODAY, known=KNOWN)
    assert out.intent == "find_account"


def test_alternatives_named_for_a_write_are_asked_about() -> None:
    ranked = [("resume_subscription", 0.77), ("cancel_subscription", 0.74)]
    out = decide("globex resume or cancel", ranked, 0.9, SPECS | CANCEL, TODAY, known=KNOWN)
    assert out.route == "clarify"


CANCEL = {"cancel_subscription": SkillSpec(True, frozenset({"account"}), "account")}


def test_only_the_speakers_skills_are_readings() -> None:
    # A customer's "how many seats do we have": the company's licences are not theirs to see.
    specs = {**SPECS, "licences_underused": SkillSpec(False, frozenset())}
    ranked = [("licences_underused", 0.8), ("find_account", 0.7), ("search_knowledge", 0.5)]
    text = "how many seats do we have"
    assert decide(text, ranked, 0.8, specs, TODAY).intent == "licences_underused"
    allowed = frozenset({"find_account", "pause_subscription", "search_knowledge"})
    out = decide(text, ranked, 0.8, specs, TODAY, allowed=allowed)
    assert out.route == "skill" and out.intent == "find_account"
    assert all(r.intent in allowed for r in out.ranked)


def test_a_change_the_role_may_never_make_is_not_replaced_by_another() -> None:
    # "please unpause us" from a customer: resuming is support's; pausing is not meant.
    ranked = [("resume_subscription", 0.85), ("pause_subscription", 0.8), ("find_account", 0.5)]
    allowed = frozenset({"pause_subscription", "find_account", "search_knowledge"})
    out = decide("please unpause us", ranked, 0.85, SPECS, TODAY, allowed=allowed)
    assert out.route == "knowledge" and out.choices == ()


def test_a_missing_value_is_asked_for_in_words_with_the_command() -> None:
    from bot.nlu.decide import Reading
    from bot.nlu.understand import missing_text

    assert missing_text(Reading("plan_details", {}, 0.8, ("name",))) == (
        "I need the plan name for that. For example: `plan <name>`."
    )
    assert missing_text(Reading("extend_trial", {}, 0.8, ("account", "days"))).startswith(
        "I need the account and the number of days for that."
    )


def test_a_question_about_one_plan_is_that_plans_details_not_the_catalogue() -> None:
    """ "the cheapest plan" is Starter: its details answer; naming two plans compares them."""
    specs = SPECS | {
        "list_plans": SkillSpec(False, frozenset()),
        "plan_details": SkillSpec(False, frozenset({"name"})),
    }
    ranked = [("list_plans", 0.60), ("plan_details", 0.42), ("search_knowledge", 0.3)]
    text = "how many people can we have on the cheapest plan?"
    out = decide(text, ranked, 0.63, specs, TODAY, known=KNOWN)
    assert out.route == "skill" and out.reading is not None
    assert (out.reading.intent, out.reading.args) == ("plan_details", {"name": "starter"})
    out = decide("compare pro and business", ranked, 0.63, specs, TODAY, known=KNOWN)
    assert out.intent == "list_plans"
