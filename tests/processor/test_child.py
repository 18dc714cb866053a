"""The helper-process plumbing both children use (processor/child.py): requests in, answers
out, a bounded queue, a stop request honoured with its time, a stuck child terminated."""

from __future__ import annotations

import queue
import time

from vendor_errors.processor.child import Child, Inbox, Stopped


def echo(inbox: Inbox, prefix: str) -> None:
    while True:
        try:
            item = inbox.get(0.05)
        except Stopped as stop:
            time.sleep(stop.within_seconds)  # uses the time it was given, no more
            return
        if item is not None:
            inbox.answer(f"{prefix}{item}")


def quits(inbox: Inbox) -> None:
    pass


def stuck(inbox: Inbox) -> None:
    inbox.answer("started")
    while True:  # never reads its inbox again
        time.sleep(0.1)


def test_requests_are_answered_in_order_and_stop_passes_its_time() -> None:
    child = Child("echo", echo, ("re: ",), capacity=8, log_level="WARNING")
    for n in range(3):
        assert child.offer(n)
    assert [child.answer(30) for _ in range(3)] == ["re: 0", "re: 1", "re: 2"]
    assert child.answers() == []
    started = time.monotonic()
    assert child.stop(3.0)  # finished by itself, within what it was given (less a margin)
    assert 2.5 <= time.monotonic() - started < 3.0
    assert not child.is_alive()


def test_a_full_queue_refuses_and_a_stuck_child_is_terminated_at_the_bound() -> None:
    child = Child("stuck", stuck, (), capacity=2, log_level="WARNING")
    assert child.answer(30) == "started"
    assert child.offer(1) and child.offer(2)
    time.sleep(0.2)  # the queue's feeder thread hands both over; nobody takes them
    assert not child.offer(3)  # full: refused at once, never blocks the caller
    started = time.monotonic()
    assert not child.stop(1.0)  # terminated
    assert time.monotonic() - started < 3.0
    assert not child.is_alive()


def test_an_answer_that_never_comes_ends_when_the_child_is_gone() -> None:
    child = Child("quits", quits, (), capacity=1, log_level="WARNING")
    child.join(30)
    started = time.monotonic()
    try:
        child.answer(30.0)
    except queue.Empty:
        pass
    else:
        raise AssertionError("an answer from a child that is gone")
    assert time.monotonic() - started < 2.0
    child.stop(1.0)
