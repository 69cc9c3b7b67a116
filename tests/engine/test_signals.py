import os
import signal
import threading

import pytest

from gcsapply.engine.signals import StopSignals
from gcsapply.errors import Interrupted


def test_the_first_signal_sets_the_stop_event_and_the_second_raises_interrupted():
    told = []
    with StopSignals(on_first=told.append) as signals:
        os.kill(os.getpid(), signal.SIGTERM)
        assert signals.stop.is_set()
        assert told == ["SIGTERM"]
        with pytest.raises(Interrupted) as caught:
            os.kill(os.getpid(), signal.SIGINT)
    assert caught.value.exit_code == 130
    assert caught.value.message == "Ctrl-C: stopped at once"  # after a SIGTERM, not "again"


def test_the_previous_handlers_come_back_afterwards():
    before = signal.getsignal(signal.SIGTERM)
    with StopSignals():
        assert signal.getsignal(signal.SIGTERM) is not before
    assert signal.getsignal(signal.SIGTERM) is before


def test_outside_the_main_thread_nothing_is_installed_but_trigger_still_works():
    seen = {}

    def body():
        with StopSignals() as signals:
            seen["handler"] = signal.getsignal(signal.SIGINT)
            signals.trigger()
            seen["stopping"] = signals.stopping

    worker = threading.Thread(target=body)
    worker.start()
    worker.join()
    assert seen["stopping"] is True
    assert seen["handler"] is signal.getsignal(signal.SIGINT)
