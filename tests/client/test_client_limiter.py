"""Token buckets: capacity, refill, the 60-second guarantee, interruptible waiting."""

from __future__ import annotations

import threading

import pytest

from gcsapply.client.limiter import TokenBucket, wait_interruptibly
from gcsapply.clock import ManualClock, SystemClock
from gcsapply.errors import Interrupted


def _max_in_any_window(stamps: list[float], window: float = 60.0) -> int:
    stamps = sorted(stamps)
    best, start = 0, 0
    for end, t in enumerate(stamps):
        while stamps[start] < t - window:  # closed window [t - 60, t]
            start += 1
        best = max(best, end - start + 1)
    return best


@pytest.mark.parametrize("limit, capacity", [(600, 30), (300, 15), (20, 1), (19, 1), (1, 1), (45, 2)])
def test_capacity_is_five_percent_of_the_limit_but_at_least_one(limit, capacity):
    bucket = TokenBucket(limit, ManualClock())
    assert bucket.capacity == capacity
    assert bucket.rate_per_s == pytest.approx(0.95 * limit / 60)


def test_a_new_bucket_starts_full_and_hands_out_its_capacity_without_waiting():
    clock = ManualClock()
    bucket = TokenBucket(600, clock)
    start = clock.now()
    for _ in range(30):
        bucket.acquire()
    assert clock.now() == start
    bucket.acquire()
    assert clock.now() - start == pytest.approx(60 / (0.95 * 600))


def test_refill_never_exceeds_the_capacity():
    clock = ManualClock()
    bucket = TokenBucket(300, clock)
    for _ in range(15):
        bucket.acquire()
    clock.advance(3600)
    assert bucket.available() == 15


@pytest.mark.parametrize("limit", [1, 7, 19, 20, 21, 300, 600, 6000])
def test_no_sixty_second_window_ever_sees_more_than_the_limit(limit):
    clock = ManualClock()
    bucket = TokenBucket(limit, clock)
    stamps = []
    horizon = clock.now() + 600
    while clock.now() < horizon:
        bucket.acquire()
        stamps.append(clock.now())
    assert _max_in_any_window(stamps) <= limit
    # and throughput stays at >= 95% of the limit over the ten minutes
    assert len(stamps) >= 0.95 * limit * 10


def test_threads_sharing_one_bucket_and_clock_stay_within_the_limit():
    clock = ManualClock()
    bucket = TokenBucket(120, clock)
    stamps, lock = [], threading.Lock()

    def worker():
        for _ in range(50):
            bucket.acquire()
            with lock:
                stamps.append(clock.now())

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(stamps) == 400
    assert _max_in_any_window(stamps) <= 120


def test_a_limit_of_zero_disables_the_bucket():
    clock = ManualClock()
    bucket = TokenBucket(0, clock)
    for _ in range(10_000):
        bucket.acquire()
    assert clock.now() == ManualClock().now()


def test_waiting_for_a_token_ends_with_interrupted_when_the_event_is_already_set():
    bucket = TokenBucket(60, ManualClock())
    event = threading.Event()
    event.set()
    with pytest.raises(Interrupted):
        bucket.acquire(event)
    assert bucket.available() == bucket.capacity  # nothing was taken


class _SignalDuringSleep(ManualClock):
    """A clock on which the stop event fires while a caller sleeps (Ctrl-C mid-wait)."""

    def __init__(self, event):
        super().__init__()
        self.event = event
        self.slept = []

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.event.set()
        super().sleep(seconds)


def test_a_signal_arriving_while_waiting_for_a_token_interrupts_without_taking_it():
    event = threading.Event()
    clock = _SignalDuringSleep(event)
    bucket = TokenBucket(20, clock)  # capacity 1
    bucket.acquire(event)  # the one token in a full bucket: no wait
    with pytest.raises(Interrupted):
        bucket.acquire(event)
    assert clock.slept == [pytest.approx(60 / 19)]  # it did wait for the next token...
    assert bucket.available() == pytest.approx(1.0)  # ...and left it in the bucket


def test_a_real_clock_wait_returns_at_once_when_the_event_is_set():
    event = threading.Event()
    event.set()
    with pytest.raises(Interrupted):
        wait_interruptibly(SystemClock(), 3600, event)


def test_a_real_clock_wait_is_cut_short_by_the_event_from_another_thread():
    event = threading.Event()
    errors = []
    started = threading.Event()

    def waiter():
        started.set()
        try:
            wait_interruptibly(SystemClock(), 3600, event)
        except Interrupted as exc:
            errors.append(exc)

    thread = threading.Thread(target=waiter)
    thread.start()
    started.wait()
    event.set()
    thread.join()
    assert len(errors) == 1
