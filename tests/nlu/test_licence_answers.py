"""Reclaim answers in words on the seeded demo: the holder's and the owner's are told apart,
and with nothing waiting each says what it looked for (nothing is proposed)."""

from __future__ import annotations

from bot.core import Core


def test_answers_without_a_case_say_what_is_missing(core: Core) -> None:
    keep = core.handle("U_SUPPORT1", "i still use it, keep my seat", "L9")
    assert keep.pending is None
    assert keep.parts[0].text == "No seat reclaim is waiting for your answer."  # type: ignore[union-attr]
    approve = core.handle("U_ADMIN1", "fine, they can keep their seat", "L9")
    assert approve.pending is None
    assert approve.parts[0].text == (  # type: ignore[union-attr]
        "No request to keep a seat is waiting for your decision."
    )
    refuse = core.handle("U_ADMIN1", "no, revoke that seat anyway", "L9")
    assert refuse.parts[0].text == approve.parts[0].text  # type: ignore[union-attr]
