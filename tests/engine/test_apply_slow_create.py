"""A create whose request is slow to reach GCS launches once (DESIGN §5: unknown outcomes).

The network edge is a loopback HTTP proxy in front of the real emulator (:class:`HoldingProxy`).
It holds the first launch (``POST /v1/executions``): the client's request ends without an
answer -- the connection dropped, or an API gateway's 504 -- while the request itself is still on
its way, and reaches the emulator only after a few of apply's exact-name lookups have found
nothing. The emulator takes any number of runs of one name (``execution_names="any"``), so only
apply's patience stands between the slow request and a second run. Everything waits on the
test's ManualClock; the proxy notes the clock's time of every launch it sees.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from apply_harness import ECHO_TEMPLATE, STACK, WORKFLOW, Gcs, execution

from gcsapply.client.api import GcsApi
from gcsapply.client.auth import AkSkAuth
from gcsapply.client.session import GcsSession
from gcsapply.clock import ManualClock
from gcsapply.emulator import EMBEDDED_AK, EMBEDDED_PROJECT_ID, EMBEDDED_SK, EmulatorServer
from gcsapply.engine.recorder import SETTLE_GRACE_SECONDS, ApplyRecorder, resolve_pending
from gcsapply.errors import ApiError, TransportError
from gcsapply.manifest.model import DesiredStack, ExecutionSpec, StackSpec, WorkflowSpec
from gcsapply.plan.build import Action, Change
from gcsapply.state import Binding, State

LAUNCH = ("POST", "/v1/executions")
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length"}
REQUEST_TIMEOUT = 30.0  # GcsSession's default


class HoldingProxy:
    """Forwards every request to ``upstream`` unchanged, except the first launch: that one is
    held (the client gets ``answer``: ``drop`` closes the connection, ``504`` is a gateway
    timeout) and delivered after ``release_after`` lookups of executions (never, with None)."""

    def __init__(self, upstream: str, clock: ManualClock, *, answer: str = "drop",
                 release_after: int | None = 3):
        self.upstream = upstream.removeprefix("http://")
        self.clock = clock
        self.answer = answer
        self.release_after = release_after
        self.launch_times: list[float] = []  # the clock's time of every launch the client sent
        self.lookups_while_held = 0
        self._held: tuple | None = None
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> HoldingProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def exchange(self, method: str, path: str, headers: dict, body: bytes):
        """What the proxy answers ``(status, headers, body)``, or None to drop the connection."""
        with self._lock:
            if (method, path.split("?")[0]) == LAUNCH:
                self.launch_times.append(self.clock.now())
                if len(self.launch_times) == 1:
                    self._held = (method, path, headers, body)
                    if self.answer == "drop":
                        return None
                    return 504, {"Content-Type": "application/json"}, \
                        b'{"error_code": "APIG.0201", "error_msg": "Backend timeout."}'
            elif method == "GET" and path.startswith("/v1/executions?") and self._held:
                self.lookups_while_held += 1
                if self.lookups_while_held == self.release_after:
                    held, self._held = self._held, None
                    self._forward(*held)  # the slow request arrives at last
        return self._forward(method, path, headers, body)

    def _forward(self, method, path, headers, body):
        connection = http.client.HTTPConnection(self.upstream, timeout=10)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()

    def _handler_class(self):
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                answer = proxy.exchange(self.command, self.path, headers, body)
                if answer is None:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                status, response_headers, content = answer
                self.send_response(status)
                for name, value in response_headers.items():
                    if name.lower() not in HOP_BY_HOP:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            do_POST = do_PUT = do_DELETE = do_GET

            def log_message(self, *args):
                pass

        return Handler


class ProxiedEmulator(EmulatorServer):
    """The real emulator, reached through a :class:`HoldingProxy` (its ``url`` is the proxy's)."""

    proxy: HoldingProxy | None = None

    @property
    def url(self) -> str:
        return self.proxy.url if self.proxy is not None else EmulatorServer.url.fget(self)

    def stop(self) -> None:
        if self.proxy is not None:
            self.proxy.stop()
            self.proxy = None
        super().stop()


class ProxiedGcs(Gcs):
    """The harness's stack and CLI, with every embedded emulator behind a HoldingProxy."""

    def __init__(self, *args, answer="drop", release_after=3, **options):
        self.proxy_options = {"answer": answer, "release_after": release_after}
        self.proxies: list[HoldingProxy] = []
        super().__init__(*args, **options)

    def start_emulator(self, db_path) -> EmulatorServer:
        server = ProxiedEmulator(db_path, clock=self.clock, **self.options).start()
        server.proxy = HoldingProxy(EmulatorServer.url.fget(server), self.clock,
                                    **self.proxy_options).start()
        self.proxies.append(server.proxy)
        self.servers.append(server)
        return server


def _stack(gcs: Gcs) -> None:
    gcs.write({"stack.yaml": STACK, "workflows.yaml": WORKFLOW,
               "templates/hello.yaml": ECHO_TEMPLATE, "run.yaml": execution("na12878", "NA12878")})


def _launches_landed(gcs: Gcs) -> int:
    return sum(server.stats().get("POST /v1/executions", 0) for server in gcs.servers)


@pytest.mark.parametrize("answer", ["drop", "504"])
def test_a_launch_that_reaches_gcs_after_the_client_gave_up_is_adopted_and_never_sent_twice(
        tmp_path, monkeypatch, capsys, answer):
    gcs = ProxiedGcs(tmp_path / "stack", monkeypatch, capsys, answer=answer, release_after=3,
                     execution_names="any")
    _stack(gcs)
    result = gcs.apply()
    assert result.code == 0, result.err
    run_id = gcs.executions()[0]["execution"]["guid"]
    assert (f"execution/na12878: create succeeded: adopted after an unknown outcome "
            f"[id={run_id}]") in result.out
    [proxy] = gcs.proxies
    assert len(proxy.launch_times) == 1  # the client never sent the launch again
    assert proxy.lookups_while_held == 3
    assert _launches_landed(gcs) == 1
    [run] = gcs.executions()
    state = gcs.run("state", "show", gcs.root, "execution/na12878", "--json")
    assert json.loads(state.out)["gcs_id"] == run["execution"]["guid"] == run_id
    assert gcs.plan_exitcode() == 0


def test_a_launch_that_never_arrives_is_sent_again_only_once_it_could_no_longer_land(
        tmp_path, monkeypatch, capsys):
    gcs = ProxiedGcs(tmp_path / "stack", monkeypatch, capsys, release_after=None,
                     execution_names="any")
    _stack(gcs)
    result = gcs.apply()
    assert result.code == 0, result.err
    assert "execution/na12878: create succeeded: launched [id=" in result.out
    [proxy] = gcs.proxies
    first, second = proxy.launch_times
    assert second - first >= REQUEST_TIMEOUT + SETTLE_GRACE_SECONDS
    assert proxy.lookups_while_held == 10  # at 0, 1, 3, 7, 15, 25, 35, 45, 55 and 60 s
    assert _launches_landed(gcs) == 1
    assert len(gcs.executions()) == 1
    assert gcs.plan_exitcode() == 0


def _desired(run: ExecutionSpec) -> DesiredStack:
    workflow = WorkflowSpec(name="hello", template_path=Path("t.yaml"),
                            template_bytes=ECHO_TEMPLATE.encode())
    return DesiredStack(stack=StackSpec(name="slowtest", root=Path(".")),
                        workflows={workflow.address: workflow}, executions={run.address: run})


@pytest.mark.parametrize("began_seconds_ago,outcome", [
    (5, "was found and adopted"),
    (2 * (REQUEST_TIMEOUT + SETTLE_GRACE_SECONDS), "never happened; planned again")])
def test_a_crashed_launch_is_looked_for_until_it_could_no_longer_land_before_it_is_planned_again(
        tmp_path, began_seconds_ago, outcome):
    clock = ManualClock()
    with EmulatorServer(tmp_path / "emulator.sqlite", clock=clock,
                        execution_names="any") as emulator:
        proxy = HoldingProxy(emulator.url, clock, release_after=2).start()
        session = GcsSession(proxy.url, AkSkAuth(EMBEDDED_AK, EMBEDDED_SK, EMBEDDED_PROJECT_ID,
                                                 clock=clock),
                             reads_per_minute=0, writes_per_minute=0, clock=clock)
        try:
            api = GcsApi(session)
            run = ExecutionSpec(name="na12878", workflow="hello", inputs={"sample": "NA12878"},
                                environment="default-cci", namespace="gene", sfs_pvc_name="pvc")
            workflow_id = api.create_workflow({"name": "hello-x"}, "hello-x.yaml",
                                              ECHO_TEMPLATE.encode())
            labels = run.gcs_labels("slowtest")
            crashed = ApplyRecorder(tmp_path / "state.json", State.empty(), clock,
                                    binding=Binding("embedded", "p", "slowtest"))
            clock.advance(-began_seconds_ago)
            crashed.begin(Change(run.address, "Execution", run.name, run.gcs_name, None,
                                 Action.CREATE, None, None, {}, desired=run),
                          "create_execution", labels=labels)
            clock.advance(began_seconds_ago)
            with pytest.raises((TransportError, ApiError)):  # the process dies with it in flight
                api.create_execution({"name": run.gcs_name, "workflow_id": workflow_id,
                                      "sfs_pvc_name": "pvc", "namespace": "gene",
                                      "label": labels})
            crashed.journal.close()

            recorder = ApplyRecorder(tmp_path / "state.json", State.empty(), clock)
            [note] = resolve_pending(crashed.journal.pending(), api, recorder, _desired(run))
            assert note == f"execution/na12878: an interrupted launch of {run.gcs_name} {outcome}"
            assert ("execution/na12878" in recorder.close().resources) is (outcome[0] == "w")
        finally:
            session.close()
            proxy.stop()
