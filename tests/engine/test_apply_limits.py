"""The client-side limiter, judged by the emulator's own sliding 60-second window.

One worker sends here. The bucket allows exactly L per window *at the moment a token is
taken*; with several workers on one ManualClock, another worker's sleep can move the clock
between a token and its request's arrival, so the emulator, which counts arrivals, could see
L + 1 now and then (about 1 run in 60 under load). Several threads sharing one bucket are
judged on token times in tests/client/test_client_limiter.py."""

from __future__ import annotations

from apply_harness import execution

LIMITED_STACK = """\
apiVersion: gcsapply/v1
kind: Stack
metadata: {name: teststack}
spec:
  endpoint: embedded
  parallelism: 1
  rateLimit: {readsPerMinute: 600, writesPerMinute: 60}
  defaults:
    execution: {environment: default-cci, namespace: gene, sfsPvcName: gene-sfs-01}
"""


def test_the_limiter_never_exceeds_the_configured_writes_in_any_60_second_window(make_gcs):
    gcs = make_gcs(writes_per_minute=60, reads_per_minute=600)  # the emulator enforces both
    gcs.write({"stack.yaml": LIMITED_STACK})
    gcs.write({f"r{i}.yaml": execution(f"r{i}", f"s{i}") for i in range(100)})
    start = gcs.clock.now()
    result = gcs.apply()
    assert result.code == 0, result.err
    stats = gcs.servers[-1].stats()
    # every throttled request would have been sent again: one POST per run means no 429
    assert stats["POST /v1/executions"] == 100
    assert stats["POST /v1/workflows"] == 1
    # and the limit was used: 102 writes (with the template check) at 95% of 60/minute take
    # about 104 s of shared time
    elapsed = gcs.clock.now() - start
    assert 60 < elapsed < 120
