"""State benchmark: what a state kept in a bucket costs, against the local state, in one run.

    python bench/state_bench.py                  # 1,000 launches per apply
    python bench/state_bench.py --launches 300
    python bench/state_bench.py --json           # the figures as JSON on stdout

One GCS emulator per backend (its own process, its own database, no latency, rate limits off; the
Stack's limits at 1,000,000/minute) and one S3 server (moto, its own process on 127.0.0.1). The
same fresh stack — an ExecutionSet over an N-row sample sheet — is applied twice, in separate
directories: with the local backend (the baseline) and with ``spec.state: {backend: s3, ...}``.
``gcsapply apply DIR --auto-approve --parallelism 10`` is timed whole, as a child process; then
``gcsapply plan DIR --detailed-exitcode`` (no changes: exit 0), median of 3.

The bucket is reached through a counting proxy in this process (in front of moto): the PUTs of
the state object and of the lock object, the bytes they uploaded, and the GETs. The remote
apply pushes the whole state object at every compaction (every 100 journal entries, every 5 s
and at exit), so its bytes uploaded grow with N x the state's size: quadratically with N.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchlib import start_emulator, stop, write_cohort_stack  # noqa: E402

from gcsapply.emulator import EMBEDDED_AK, EMBEDDED_PROJECT_ID, EMBEDDED_SK  # noqa: E402

BUCKET = "gcsapply-state-bench"
STACK = "statebench"
STATE_KEY = f"gcsapply/{STACK}/state.json"
PLAN_REPEATS = 3
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "te", "trailer",
               "upgrade", "proxy-connection"}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--launches", type=int, default=1000, help="runs per apply (default 1000)")
    parser.add_argument("--parallelism", type=int, default=10, help="apply's --parallelism (default 10)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    say = (lambda *a: print(*a, file=sys.stderr)) if args.json else print
    env = child_env()
    with tempfile.TemporaryDirectory(prefix="gcsapply-state-bench-") as tmp:
        tmp = Path(tmp)
        moto, moto_url = start_moto(tmp / "moto.log")
        try:
            make_bucket(moto_url)
            with CountingProxy(moto_url) as proxy:
                say(f"state bench: {args.launches} launches, parallelism {args.parallelism}, "
                    f"S3 (moto) at {moto_url} behind a counting proxy at {proxy.url}")
                say("  local backend ...")
                local = measure(tmp / "local", args, env, state=None, proxy=proxy)
                say("  s3 backend ...")
                remote = measure(tmp / "s3", args, env, proxy=proxy,
                                 state=f"{{backend: s3, bucket: {BUCKET}, endpoint: {proxy.url}, "
                                       "region: us-east-1}")
                remote["final_state_bytes"] = state_object_size(moto_url)
        finally:
            stop(moto)
    figures = {"launches": args.launches, "parallelism": args.parallelism,
               "local": local, "s3": remote,
               "ratio_apply_wall": round(remote["apply_wall_s"] / max(local["apply_wall_s"], 1e-9), 2),
               "ratio_plan_wall": round(remote["plan_wall_s"] / max(local["plan_wall_s"], 1e-9), 2),
               "ratio_state_bytes_uploaded_to_final": round(
                   remote["apply"]["state_put_bytes"] / max(remote["final_state_bytes"], 1), 1)}
    print(json.dumps(figures, indent=2) if args.json else render(figures))
    return 0


def measure(root: Path, args, env: dict, *, state: str | None, proxy: CountingProxy) -> dict:
    emulator, url = start_emulator(root / "emulator.sqlite", "--reads-per-minute", "0",
                                   "--writes-per-minute", "0", "--latency-ms", "0")
    try:
        stack = write_stack(root / "stack", url, args.launches, args.parallelism, state)
        proxy.reset()
        apply_wall = run(["apply", str(stack), "--auto-approve", "--parallelism",
                          str(args.parallelism)], env)
        apply_counts = proxy.reset()
        launched = requests.get(f"{url}/_emulator/stats", timeout=10).json().get("POST /v1/executions", 0)
        if launched != args.launches:
            raise SystemExit(f"expected {args.launches} launches, the emulator saw {launched}")
        plan_walls = [run(["plan", str(stack), "--detailed-exitcode"], env)
                      for _ in range(PLAN_REPEATS)]
        plan_counts = proxy.reset()
    finally:
        stop(emulator)
    local_state = stack / ".gcsapply" / "state.json"
    result = {"apply_wall_s": round(apply_wall, 2),
              "plan_wall_s": round(statistics.median(plan_walls), 3),
              "plan_walls_s": [round(w, 3) for w in plan_walls]}
    if state is None:
        result["final_state_bytes"] = local_state.stat().st_size
    else:
        result["apply"] = apply_counts
        result["plan_requests_each"] = {k: v / PLAN_REPEATS for k, v in plan_counts.items()
                                        if k.endswith("_requests") and v}
    return result


def render(f: dict) -> str:
    local, remote, counts = f["local"], f["s3"], f["s3"]["apply"]
    rows = [
        "",
        f"State backends, {f['launches']} launches, parallelism {f['parallelism']}:",
        f"  {'':34}{'local':>12}{'s3':>12}{'s3/local':>10}",
        f"  {'apply (whole command)':34}{local['apply_wall_s']:>10.2f} s{remote['apply_wall_s']:>10.2f} s"
        f"{f['ratio_apply_wall']:>9.2f}x",
        f"  {'plan, no changes (median of 3)':34}{local['plan_wall_s']:>10.2f} s"
        f"{remote['plan_wall_s']:>10.2f} s{f['ratio_plan_wall']:>9.2f}x",
        f"  {'final state':34}{kb(local['final_state_bytes']):>12}{kb(remote['final_state_bytes']):>12}",
        "",
        "  s3 apply, through the proxy:",
        f"    state object: {counts['state_put_requests']} PUTs, {kb(counts['state_put_bytes'])} uploaded "
        f"({f['ratio_state_bytes_uploaded_to_final']}x the final state), "
        f"{counts['state_get_requests']} GETs",
        f"    lock object:  {counts['lock_put_requests']} PUTs ({kb(counts['lock_put_bytes'])}), "
        f"{counts['lock_get_requests']} GETs, {counts['lock_delete_requests']} DELETEs",
        f"    other:        {counts['other_requests']} requests (the conditional-write probe)",
        f"    all:          {counts['requests']} requests, {kb(counts['uploaded_bytes'])} up, "
        f"{kb(counts['downloaded_bytes'])} down",
        "  s3 plan, each: " + ", ".join(f"{k.removesuffix('_requests').replace('_', ' ')} x{v:g}"
                                        for k, v in sorted(remote["plan_requests_each"].items())
                                        if k != "requests"),
    ]
    return "\n".join(rows)


def kb(n: int) -> str:
    return f"{n / 1024:.1f} KiB" if n < 2 ** 20 else f"{n / 2 ** 20:.2f} MiB"


# -- the processes -----------------------------------------------------------------------------

def child_env() -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("HW_", "HUAWEICLOUD_", "GCSAPPLY_", "AWS_"))}
    env.update({"HW_ACCESS_KEY": EMBEDDED_AK, "HW_SECRET_KEY": EMBEDDED_SK,
                "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_EC2_METADATA_DISABLED": "true", "NO_COLOR": "1"})
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def start_moto(log: Path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with open(log, "w") as handle:
        process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                                   stdout=handle, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"moto server exited: {log.read_text()[-1000:]}")
        try:
            requests.get(f"{url}/moto-api/", timeout=1)
            return process, url
        except requests.ConnectionError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("moto server did not start within 30 s")


def make_bucket(url: str) -> None:
    s3_client(url).create_bucket(Bucket=BUCKET)


def state_object_size(url: str) -> int:
    return s3_client(url).head_object(Bucket=BUCKET, Key=STATE_KEY)["ContentLength"]


def s3_client(url: str):
    import boto3

    return boto3.client("s3", endpoint_url=url, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def write_stack(root: Path, url: str, launches: int, parallelism: int, state: str | None) -> Path:
    return write_cohort_stack(root, f"""\
apiVersion: gcsapply/v1
kind: Stack
metadata: {{name: {STACK}}}
spec:
  endpoint: {url}
  projectId: {EMBEDDED_PROJECT_ID}
  parallelism: {parallelism}
  rateLimit: {{readsPerMinute: 1000000, writesPerMinute: 1000000}}
  limits: {{maxLaunchesPerApply: null}}
""" + (f"  state: {state}\n" if state else "") + """\
  defaults:
    execution: {environment: default-cci, namespace: gene, sfsPvcName: gene-sfs-01}
""", launches)


def run(arguments: list[str], env: dict) -> float:
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "gcsapply", *arguments], env=env,
                            capture_output=True, text=True)
    wall = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"gcsapply {arguments[0]} failed ({result.returncode}):\n"
                         f"{result.stdout[-1500:]}\n{result.stderr[-2000:]}")
    return wall


# -- the counting proxy ------------------------------------------------------------------------

class CountingProxy:
    """A loopback HTTP proxy in front of the S3 server that counts requests and bytes by object:
    ``state`` (the state object), ``lock`` (``<key>.lock``), ``other``."""

    def __init__(self, upstream: str):
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname, parts.port)
        self._lock = threading.Lock()
        self._counts = self._zero()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @staticmethod
    def _zero() -> dict:
        counts = {"requests": 0, "other_requests": 0, "uploaded_bytes": 0, "downloaded_bytes": 0}
        for what in ("state", "lock"):
            for method in ("put", "get", "delete", "head"):
                counts[f"{what}_{method}_requests"] = 0
            counts[f"{what}_put_bytes"] = 0
        return counts

    def count(self, method: str, path: str, sent: int, received: int) -> None:
        path = path.split("?")[0]
        what = ("lock" if path.endswith(".lock") else
                "state" if path == f"/{BUCKET}/{STATE_KEY}" else None)
        with self._lock:
            counts = self._counts
            counts["requests"] += 1
            counts["uploaded_bytes"] += sent
            counts["downloaded_bytes"] += received
            name = f"{what}_{method.lower()}_requests"
            if what is None or name not in counts:
                counts["other_requests"] += 1
                return
            counts[name] += 1
            if method == "PUT":
                counts[f"{what}_put_bytes"] += sent

    def reset(self) -> dict:
        """The counts so far; start counting afresh."""
        with self._lock:
            counts, self._counts = self._counts, self._zero()
        return counts

    def __enter__(self) -> CountingProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


def _handler(proxy: CountingProxy):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def do_GET(self):  # noqa: N802 - http.server's names
            body = self._body()
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
            headers["Content-Length"] = str(len(body))
            connection = http.client.HTTPConnection(*proxy.upstream, timeout=60)
            try:
                connection.request(self.command, self.path, body=body, headers=headers)
                answer = connection.getresponse()
                status, answer_headers, data = answer.status, answer.getheaders(), answer.read()
            finally:
                connection.close()
            decoded = self.headers.get("x-amz-decoded-content-length")
            proxy.count(self.command, self.path, int(decoded) if decoded else len(body), len(data))
            self.send_response(status)
            for name, value in answer_headers:
                if name.lower() not in _HOP_BY_HOP:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        do_PUT = do_DELETE = do_HEAD = do_POST = do_GET  # noqa: N815

        def log_message(self, *args) -> None:
            pass

        def _body(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                chunks = []
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                            pass
                        return b"".join(chunks)
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

    return Handler


if __name__ == "__main__":
    sys.exit(main())
