"""Deadlines stop work in the main thread, a backtracking regular expression included."""

from __future__ import annotations

import re
import signal
import threading

import pytest

from pipeline.deadline import DeadlineExceeded, alarm

#: Nested quantifiers on a string that fails at its end: 2**26 paths to try, far longer
#: than the deadlines below on any machine, and finite should the deadline not fire.
CATASTROPHIC = re.compile(r"(a+)+$")
SUBJECT = "a" * 26 + "b"


def test_a_deadline_stops_a_catastrophic_regex_in_the_main_thread() -> None:
    with alarm() as clock:
        assert clock.enforced
        with pytest.raises(DeadlineExceeded), clock.within(0.2):
            CATASTROPHIC.match(SUBJECT)


def test_work_within_its_deadline_finishes_and_the_timer_is_cleared() -> None:
    with alarm() as clock:
        with clock.within(5):
            assert CATASTROPHIC.match("aaa")
        with clock.within(0):  # no limit
            assert not CATASTROPHIC.match("aab")


def test_off_the_main_thread_a_deadline_is_not_enforced() -> None:
    seen: list[bool] = []

    def work() -> None:
        with alarm() as clock, clock.within(0.01):
            seen.append(clock.enforced)
            CATASTROPHIC.match("a" * 16 + "b")  # runs to its end

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert seen == [False]


def test_an_unwanted_alarm_leaves_the_callers_handler_alone() -> None:
    before = signal.getsignal(signal.SIGALRM)
    with alarm(wanted=False) as clock:
        assert not clock.enforced
        assert signal.getsignal(signal.SIGALRM) is before
