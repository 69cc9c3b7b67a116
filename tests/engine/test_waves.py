import threading
from dataclasses import dataclass

import pytest

from gcsapply.engine.waves import FAILED, NOT_STARTED, SKIPPED, SUCCEEDED, Outcome, run_waves, wave_of


@dataclass(frozen=True)
class FakeChange:
    address: str
    action: str
    depends_on: tuple = ()
    gcs_id: str | None = None
    gcs_name: str | None = None

    @property
    def kind(self):
        return self.address.split("/")[0]


def ok(change):
    return Outcome(change.address, change.action, SUCCEEDED)


def test_changes_run_in_the_four_waves_of_the_design():
    changes = [FakeChange("workflow/old", "delete"), FakeChange("execution/gone", "delete"),
               FakeChange("execution/a", "create"), FakeChange("workflow/w", "create"),
               FakeChange("execution/b", "retry"), FakeChange("workflow/n", "noop")]
    order = []

    def perform(change):
        order.append(change.address)
        return ok(change)

    outcomes = run_waves(changes, perform, parallelism=1, stop=threading.Event())
    assert order == ["workflow/w", "execution/a", "execution/b", "execution/gone", "workflow/old"]
    assert [o.address for o in outcomes] == ["workflow/old", "execution/gone", "execution/a",
                                             "workflow/w", "execution/b"]
    assert wave_of(changes[-1]) is None


def test_a_failure_skips_its_dependents_and_independent_changes_continue():
    changes = [FakeChange("workflow/w", "create"), FakeChange("workflow/v", "create"),
               FakeChange("execution/a", "create", ("workflow/w",)),
               FakeChange("execution/b", "create", ("workflow/v",)),
               FakeChange("execution/c", "create", ("workflow/unchanged",))]

    def perform(change):
        if change.address == "workflow/w":
            return Outcome(change.address, change.action, FAILED, message="boom",
                           error_code="GCS.4003015")
        return ok(change)

    outcomes = {o.address: o for o in run_waves(changes, perform, parallelism=4,
                                                  stop=threading.Event())}
    assert outcomes["workflow/w"].result == FAILED
    assert outcomes["execution/a"].result == SKIPPED
    assert outcomes["execution/a"].message == "skipped: depends on workflow/w, which failed"
    assert outcomes["execution/b"].result == SUCCEEDED
    assert outcomes["execution/c"].result == SUCCEEDED


def test_no_more_than_parallelism_changes_run_at_once_and_that_many_do():
    changes = [FakeChange(f"execution/r{i}", "create") for i in range(10)]
    lock = threading.Lock()
    active = {"now": 0, "max": 0}
    full = threading.Event()
    release = threading.Event()

    def perform(change):
        with lock:
            active["now"] += 1
            active["max"] = max(active["max"], active["now"])
            if active["now"] == 3:
                full.set()
        release.wait(10)
        with lock:
            active["now"] -= 1
        return ok(change)

    threading.Thread(target=lambda: (full.wait(10), release.set()), daemon=True).start()
    outcomes = run_waves(changes, perform, parallelism=3, stop=threading.Event())
    assert active["max"] == 3
    assert all(o.result == SUCCEEDED for o in outcomes)


def test_once_stop_is_set_nothing_new_starts_and_the_rest_is_reported_not_started():
    changes = [FakeChange(f"execution/r{i}", "create") for i in range(5)]
    changes.append(FakeChange("workflow/old", "delete"))
    stop = threading.Event()
    started = []

    def perform(change):
        started.append(change.address)
        stop.set()  # the first call in flight sees the signal arrive; it still finishes
        return ok(change)

    outcomes = {o.address: o for o in run_waves(changes, perform, parallelism=1, stop=stop)}
    assert started == ["execution/r0"]
    assert outcomes["execution/r0"].result == SUCCEEDED
    assert {outcomes[f"execution/r{i}"].result for i in range(1, 5)} == {NOT_STARTED}
    assert outcomes["workflow/old"].result == NOT_STARTED


def test_an_exception_in_a_worker_becomes_a_failure_not_a_hang():
    def perform(change):
        raise RuntimeError("bug")

    [outcome] = run_waves([FakeChange("workflow/w", "create")], perform, parallelism=2,
                          stop=threading.Event())
    assert outcome.result == FAILED
    assert outcome.message == "internal error: RuntimeError: bug"


def test_parallelism_outside_1_to_64_is_refused():
    with pytest.raises(ValueError):
        run_waves([], ok, parallelism=0, stop=threading.Event())
