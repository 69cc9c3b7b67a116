"""One duration format for ``status`` and the ``apply --wait`` progress display."""

from __future__ import annotations

import pytest

from gcsapply.render.progress import render_duration


@pytest.mark.parametrize("seconds, text", [
    (None, "-"), (0, "0:00:00"), (59.9, "0:00:59"), (3600, "1:00:00"), (36_000 + 62, "10:01:02"),
    ("75", "0:01:15"), (-5, "0:00:00"),
])
def test_a_duration_is_hours_minutes_and_seconds_or_a_dash_when_unknown(seconds, text):
    assert render_duration(seconds) == text
