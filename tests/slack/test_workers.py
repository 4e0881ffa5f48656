"""The worker pool: turns of one conversation in order, others in parallel, bounded queue."""

from __future__ import annotations

import threading

from bot.slack.workers import Workers, wait_until


def test_turns_of_one_conversation_run_in_arrival_order() -> None:
    workers = Workers(size=4)
    done: list[int] = []
    gate = threading.Event()

    def turn(n: int) -> None:
        if n == 0:
            gate.wait(5)  # the first turn is slow; the next ones must wait for it
        done.append(n)

    for n in range(5):
        assert workers.submit("slack:C1:1.0", lambda n=n: turn(n))
    gate.set()
    assert workers.shutdown(timeout=5)
    assert done == [0, 1, 2, 3, 4]


def test_other_conversations_do_not_wait_behind_a_slow_one() -> None:
    workers = Workers(size=2)
    gate = threading.Event()
    fast = threading.Event()
    workers.submit("slow", lambda: gate.wait(5))
    workers.submit("fast", fast.set)
    assert fast.wait(5)
    gate.set()
    assert workers.shutdown(timeout=5)


def test_a_full_queue_refuses_instead_of_piling_up() -> None:
    workers = Workers(size=1, max_pending=2)
    gate = threading.Event()
    assert workers.submit("a", lambda: gate.wait(5))
    assert workers.submit("b", lambda: None)
    assert not workers.submit("c", lambda: None)
    gate.set()
    assert wait_until(lambda: workers.pending == 0, 5)
    assert workers.submit("c", lambda: None)
    assert workers.shutdown(timeout=5)
    assert not workers.submit("d", lambda: None)  # closed


def test_a_failing_task_does_not_stop_the_queue() -> None:
    workers = Workers(size=1)
    ran: list[str] = []

    def boom() -> None:
        raise RuntimeError("boom")

    workers.submit("k", boom)
    workers.submit("k", lambda: ran.append("after"))
    assert workers.shutdown(timeout=5)
    assert ran == ["after"]
