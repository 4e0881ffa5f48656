"""The alert outbox on SQLite and PostgreSQL: queued once, sent only when Slack took it,
retried after a failure, held outside business hours, never claimed by two deliverers."""

from __future__ import annotations

import datetime as dt
import threading
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

import alerts
from bot.notify import RecordingNotifier, deliver
from skills.parts import Alert, Button, Text
from store import outbox
from store.db import Database
from store.models import AlertDelivery, DeliveryStatus, Role, Staff
from tests.scheduler.conftest import at

UTC = ZoneInfo("UTC")
MONDAY = dt.date(2026, 11, 16)
HOURS = alerts.BusinessHours()


def alert(key: str, urgency: int = 50, kind: str = "renewal") -> Alert:
    return Alert(
        kind=kind,
        title=f"about {key}",
        detail="details",
        urgency=urgency,
        buttons=(Button("Open account", alerts.ACTION_OPEN, "7"),),
        key=key,
    )


def add_staff(db: Database, *people: tuple[str, str]) -> None:
    with db.uow() as s:
        for slack_id, tz in people:
            s.add(Staff(slack_user_id=slack_id, name=slack_id, role=Role.SALES, timezone=tz))


def queue(db: Database, notices: list[alerts.Notice], now: dt.datetime) -> list[str]:
    return alerts.queue(db, notices, now, HOURS, UTC)


def run(db: Database, notifier: RecordingNotifier, now: dt.datetime):  # type: ignore[no-untyped-def]
    return deliver(db, notifier, now, hours=HOURS, company_zone=UTC)


def rows(db: Database) -> list[outbox.Delivery]:
    with db.read() as s:
        return outbox.find(s)


def test_a_key_is_queued_once_and_each_recipient_gets_its_own_row(db: Database) -> None:
    now = at(MONDAY, 10)
    notice = alerts.Notice(alert("renewal:sub:1:2026-12-16:30d"), ("#renewals", "U_A"))
    assert sorted(queue(db, [notice], now)) == [
        "renewal:sub:1:2026-12-16:30d@#renewals",
        "renewal:sub:1:2026-12-16:30d@U_A",
    ]
    assert queue(db, [notice, notice], now) == []
    with db.uow() as s:
        assert not outbox.enqueue(
            s, "renewal:sub:1:2026-12-16:30d@U_A", "renewal", "U_A", {}, None, now
        )
        assert outbox.enqueue(s, "other@U_A", "renewal", "U_A", {"x": 1}, None, now)
    assert len(rows(db)) == 3


def test_two_replicas_queueing_the_same_alerts_at_once_write_one_row_each(db: Database) -> None:
    now = at(MONDAY, 10)
    notices = [alerts.Notice(alert(f"stalled:deal:{i}:2026-W47"), ("U_A",)) for i in range(50)]
    gate = threading.Barrier(2, timeout=30)
    new: list[list[str]] = []
    errors: list[BaseException] = []

    def replica() -> None:
        other = Database(db.url)
        try:
            gate.wait()
            new.append(queue(other, notices, now))
        except BaseException as exc:  # pragma: no cover
            errors.append(exc)
        finally:
            other.dispose()

    threads = [threading.Thread(target=replica) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert sorted(k for batch in new for k in batch) == sorted(
        alerts.delivery_key(n.alert.key, "U_A") for n in notices
    )
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(AlertDelivery)) == 50


def test_one_digest_per_recipient_most_urgent_first_with_a_cap(db: Database) -> None:
    now = at(MONDAY, 10)
    notices = [
        alerts.Notice(alert(f"renewal:sub:{i}:x:7d", urgency=i), ("#renewals",)) for i in range(15)
    ]
    notices.append(
        alerts.Notice(alert("failed_payment:invoice:I:attempt-1", 90), ("U_A", "#renewals"))
    )
    queue(db, notices, now)
    rec = RecordingNotifier()
    report = run(db, rec, now)
    assert report.messages == 2 and report.alerts == 17
    by = {s.recipient: s.reply for s in rec.sent}
    channel = by["#renewals"]
    shown = [p for p in channel.parts if isinstance(p, Alert)]
    assert len(shown) == alerts.DIGEST_CAP
    assert [a.urgency for a in shown] == [90, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4]
    assert (
        isinstance(channel.parts[0], Text)
        and channel.parts[0].text == "16 alerts, most urgent first"
    )
    tail = channel.parts[-1]
    assert isinstance(tail, Text) and tail.text.startswith("…and 4 more")
    assert len(channel.data["alert_keys"]) == 16
    assert shown[0].buttons == (Button("Open account", alerts.ACTION_OPEN, "7"),)
    assert [p.key for p in by["U_A"].parts if isinstance(p, Alert)] == [
        "failed_payment:invoice:I:attempt-1"
    ]
    # Everything is sent; a second run posts nothing.
    assert {str(r.status) for r in rows(db)} == {"sent"}
    assert run(db, rec, now + dt.timedelta(hours=1)).messages == 0
    assert len(rec.sent) == 2


def test_a_failed_send_is_retried_next_run_and_marked_sent_only_then(db: Database) -> None:
    now = at(MONDAY, 10)
    queue(db, [alerts.Notice(alert("trial:sub:3:2026-11-18", 80), ("U_A", "#billing"))], now)
    rec = RecordingNotifier(fail_recipients={"U_A"})
    first = run(db, rec, now)
    assert first.failed == 1 and first.alerts == 1
    state = {r.recipient: r for r in rows(db)}
    assert state["U_A"].status is DeliveryStatus.FAILED
    assert state["U_A"].attempts == 1 and state["U_A"].last_error
    assert state["#billing"].status is DeliveryStatus.SENT
    assert [s.recipient for s in rec.sent] == ["#billing"]

    rec.fail_recipients.clear()
    second = run(db, rec, now + dt.timedelta(hours=1))
    assert second.alerts == 1 and second.failed == 0
    state = {r.recipient: r for r in rows(db)}
    assert state["U_A"].status is DeliveryStatus.SENT and state["U_A"].attempts == 2
    assert state["U_A"].last_error is None
    assert [s.recipient for s in rec.sent] == ["#billing", "U_A"]
    assert run(db, rec, now + dt.timedelta(hours=2)).messages == 0


def test_a_notifier_that_raises_counts_as_a_failure(db: Database) -> None:
    class Broken(RecordingNotifier):
        def send(self, recipient, reply):  # type: ignore[no-untyped-def]
            raise ConnectionError("Slack is down")

    now = at(MONDAY, 10)
    queue(db, [alerts.Notice(alert("k:sub:1:e"), ("U_A",))], now)
    assert run(db, Broken(), now).failed == 1
    assert rows(db)[0].status is DeliveryStatus.FAILED


def test_a_send_that_keeps_failing_is_given_up_after_max_attempts(db: Database) -> None:
    now = at(MONDAY, 10)
    queue(db, [alerts.Notice(alert("k:sub:1:e"), ("U_A",))], now)
    rec = RecordingNotifier(fail_recipients={"U_A"})
    for n in range(outbox.MAX_ATTEMPTS + 2):
        run(db, rec, now + dt.timedelta(minutes=n))
    [row] = rows(db)
    assert row.attempts == outbox.MAX_ATTEMPTS and row.status is DeliveryStatus.FAILED


def test_alerts_wait_for_the_recipients_business_hours(db: Database) -> None:
    add_staff(db, ("U_LONDON", "Europe/London"), ("U_CHICAGO", "America/Chicago"))
    friday = dt.date(2026, 11, 20)
    # Friday 18:30 UTC: London (18:30) and the company (UTC) are closed, Chicago (12:30) open.
    late = at(friday, 18, 30)
    notices = [
        alerts.Notice(alert("renewal:sub:9:2026-12-16:30d"), ("U_LONDON", "U_CHICAGO", "#renewals"))
    ]
    queue(db, notices, late)
    held = {r.recipient: r for r in rows(db)}
    assert held["U_LONDON"].status is DeliveryStatus.HELD
    assert held["U_LONDON"].not_before == dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
    assert held["#renewals"].status is DeliveryStatus.HELD  # the company (UTC) is closed
    assert held["U_CHICAGO"].status is DeliveryStatus.PENDING
    rec = RecordingNotifier()
    assert run(db, rec, late).messages == 1
    assert [s.recipient for s in rec.sent] == ["U_CHICAGO"]
    # The weekend: nothing.
    assert run(db, rec, at(dt.date(2026, 11, 21), 12)).messages == 0
    assert run(db, rec, at(dt.date(2026, 11, 23), 8, 59)).messages == 0
    # Monday 09:00 London (= UTC in November): both held rows go.
    assert run(db, rec, at(dt.date(2026, 11, 23), 9)).messages == 2
    assert sorted(s.recipient for s in rec.sent) == ["#renewals", "U_CHICAGO", "U_LONDON"]


def test_a_pending_row_found_outside_hours_is_held_until_they_open(db: Database) -> None:
    add_staff(db, ("U_NY", "America/New_York"))
    queue(db, [alerts.Notice(alert("k:sub:1:e"), ("U_NY",))], at(MONDAY, 15))  # 10:00 in NY
    rec = RecordingNotifier(fail_recipients={"U_NY"})
    run(db, rec, at(MONDAY, 15))  # the send fails
    rec.fail_recipients.clear()
    report = run(db, rec, at(MONDAY, 23, 30))  # 18:30 in New York: closed
    assert report.held == 1 and rec.sent == []
    [row] = rows(db)
    assert row.status is DeliveryStatus.HELD
    assert row.not_before == dt.datetime(2026, 11, 17, 14, 0, tzinfo=dt.UTC)  # 09:00 EST
    assert run(db, rec, at(dt.date(2026, 11, 17), 14)).messages == 1


def test_two_deliverers_never_claim_the_same_row(db: Database) -> None:
    now = at(MONDAY, 10)
    queue(db, [alerts.Notice(alert(f"k:sub:{i}:e"), ("U_A",)) for i in range(20)], now)
    with db.read() as s:
        ids = [r.id for r in outbox.due(s, now)]
    with db.uow() as s:
        mine = outbox.claim(s, ids[:15], now)
    with db.uow() as s:
        theirs = outbox.claim(s, ids, now)
    assert mine == sorted(ids[:15]) and theirs == sorted(ids[15:])
    # A deliverer that died after claiming frees its rows when the claim runs out.
    with db.read() as s:
        assert outbox.due(s, now + dt.timedelta(minutes=1)) == []
        later = outbox.due(s, now + outbox.CLAIM_TTL)
    assert len(later) == 20


def test_a_subject_held_over_the_weekend_shows_once_in_its_newest_words(db: Database) -> None:
    saturday, monday = at(dt.date(2026, 11, 28), 10), at(dt.date(2026, 11, 30), 10)
    queue(
        db, [alerts.Notice(alert("stalled:deal:5:2026-W48", 40, "stalled_deal"), ("#x",))], saturday
    )
    queue(
        db, [alerts.Notice(alert("stalled:deal:5:2026-W49", 43, "stalled_deal"), ("#x",))], monday
    )
    rec = RecordingNotifier()
    assert run(db, rec, monday).alerts == 2
    [sent] = rec.sent
    assert sent.reply.data["alert_keys"] == ["stalled:deal:5:2026-W49"]
    assert {str(r.status) for r in rows(db)} == {"sent"}


def test_sent_rows_are_forgotten_after_the_retention(db: Database) -> None:
    now = at(MONDAY, 10)
    queue(db, [alerts.Notice(alert(f"k:sub:{i}:e"), ("U_A",)) for i in range(3)], now)
    rec = RecordingNotifier(fail_recipients={"U_B"})
    run(db, rec, now)
    queue(db, [alerts.Notice(alert("k:sub:9:e"), ("U_B",))], now)
    run(db, rec, now)  # fails: stays
    with db.uow() as s:
        assert outbox.prune(s, now) == 0
        assert outbox.prune(s, now + outbox.KEEP_SENT) == 3
    assert [r.recipient for r in rows(db)] == ["U_B"]
