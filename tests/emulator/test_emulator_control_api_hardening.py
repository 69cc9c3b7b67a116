"""The emulator survives every control-API attack: a foreign Host (DNS rebinding), a foreign
Origin and "simple" text/plain POSTs (CSRF), clock and settings values that would poison it, and
``serve`` off loopback without ``--allow-remote``.

The emulator here runs on its own clock (system time plus a stored offset, as ``serve`` runs
it), and signed requests use the real system clock: one that still succeeds proves the
emulator's clock was not moved.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys

import pytest
import requests
from emulator_helpers import SIMPLE, Gcs, assert_error

from gcsapply.cli import main
from gcsapply.client.auth import AkSkAuth
from gcsapply.commands.emulator import check_host
from gcsapply.emulator import EMBEDDED_AK, EMBEDDED_PROJECT_ID, EMBEDDED_SK, EmulatorServer
from gcsapply.emulator.backend.state import MAX_CLOCK_OFFSET_S
from gcsapply.emulator.store import Store

JSON = {"Content-Type": "application/json"}
TEN_YEARS_S = 315_576_000


@pytest.fixture
def served(tmp_path):
    server = EmulatorServer(tmp_path / "served.sqlite").start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def gcs(served) -> Gcs:
    """Signed with the system clock, not the emulator's."""
    return Gcs(served, auth=AkSkAuth(EMBEDDED_AK, EMBEDDED_SK, EMBEDDED_PROJECT_ID))


@pytest.fixture
def data(gcs) -> tuple[str, str]:
    """(workflow id, run id) that an attack must not wipe."""
    workflow = gcs.workflow("hello", SIMPLE)
    return workflow, gcs.launch(workflow, "run-1")


def _assert_data_still_there(gcs, data) -> None:
    workflow, run = data
    assert [w["id"] for w in gcs.get("/v1/workflows").json()["workflow"]] == [workflow]
    assert gcs.execution(run)["execution"]["name"] == "run-1"


def test_the_constant_ten_years_is_365_25_days_times_ten():
    assert MAX_CLOCK_OFFSET_S == TEN_YEARS_S == 10 * 365.25 * 86_400


# --- DNS rebinding: a foreign Host ---------------------------------------------------------------
@pytest.mark.parametrize("host", ["evil.example:80", "evil.example:{port}", "evil.example",
                                  "127.0.0.1.evil.example:{port}", "127.0.0.1:{other}",
                                  "localhost", "[::1]", "127.0.0.1:{port}:{port}", ""])
def test_a_reset_naming_a_foreign_host_is_refused_and_the_data_stay(served, gcs, data, host):
    host = host.format(port=served.port, other=served.port + 1)
    response = requests.post(served.url + "/_emulator/reset", json={}, timeout=10,
                             headers={"Host": host})
    body = assert_error(response, 403, "EMU.4030001")
    assert body["error_msg"] == (f"The control API answers only its own address: Host {host!r} "
                                 f"is not this emulator's address; use 127.0.0.1:{served.port}")
    _assert_data_still_there(gcs, data)


def test_a_request_without_a_host_header_is_refused(served, gcs, data):
    with socket.create_connection(("127.0.0.1", served.port), timeout=10) as sock:
        sock.sendall(b"POST /_emulator/reset HTTP/1.0\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 2\r\n\r\n{}")
        answer = b""
        while chunk := sock.recv(4096):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 403 "), answer
    assert b'"error_code":"EMU.4030001"' in answer and b"Host (none)" in answer
    _assert_data_still_there(gcs, data)


@pytest.mark.parametrize("path", ["/_emulator/stats", "/_emulator/faults", "/_emulator/clock"])
def test_reads_of_the_control_api_are_refused_to_a_foreign_host_too(served, path):
    response = requests.get(served.url + path, headers={"Host": "evil.example"}, timeout=10)
    assert_error(response, 403, "EMU.4030001")


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "LOCALHOST:{port}",
                                  "[::1]:{port}", "[0:0:0:0:0:0:0:1]:{port}"])
def test_the_control_api_answers_its_own_loopback_addresses(served, host):
    response = requests.post(served.url + "/_emulator/clock", json={"advance_s": 0}, timeout=10,
                             headers={"Host": host.format(port=served.port)})
    assert response.status_code == 200, response.text


# --- CSRF: a foreign Origin, a "simple" request ----------------------------------------------------
@pytest.mark.parametrize("origin", ["http://evil.example", "null", "https://127.0.0.1:{port}",
                                    "http://127.0.0.1:{other}", "http://127.0.0.1:{port}/",
                                    "http://evil.example:{port}"])
def test_a_reset_from_a_foreign_origin_is_refused_and_the_data_stay(served, gcs, data, origin):
    origin = origin.format(port=served.port, other=served.port + 1)
    response = requests.post(served.url + "/_emulator/reset", json={}, timeout=10,
                             headers={"Origin": origin})
    body = assert_error(response, 403, "EMU.4030001")
    assert body["error_msg"] == (f"The control API answers only its own address: Origin "
                                 f"{origin!r} is not this emulator's own (http://127.0.0.1:"
                                 f"{served.port})")
    _assert_data_still_there(gcs, data)


def test_the_emulators_own_origin_may_use_the_control_api(served):
    for origin in (served.url, f"http://localhost:{served.port}"):
        response = requests.get(served.url + "/_emulator/stats", headers={"Origin": origin},
                                timeout=10)
        assert response.status_code == 200, response.text


@pytest.mark.parametrize("content_type", ["text/plain", "text/plain; charset=utf-8",
                                          "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x", None])
def test_a_reset_whose_body_is_not_declared_json_is_refused_and_the_data_stay(
        served, gcs, data, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    response = requests.post(served.url + "/_emulator/reset", data=b"{}" if content_type else b"",
                             headers=headers, timeout=10)
    body = assert_error(response, 415, "EMU.4150001")
    shown = repr(content_type) if content_type else "(none)"
    assert body["error_msg"] == (f"The control API takes application/json only: Content-Type "
                                 f"{shown}; send a JSON object as application/json (an empty one "
                                 "is {})")
    _assert_data_still_there(gcs, data)


def test_settings_sent_as_text_plain_are_refused_and_nothing_changes(served):
    response = requests.put(served.url + "/_emulator/faults", data=b'{"fault_rate": 1}',
                            headers={"Content-Type": "text/plain"}, timeout=10)
    assert_error(response, 415, "EMU.4150001")
    assert served.settings.fault_rate == 0.0


def test_json_with_a_charset_is_json(served, gcs, data):
    response = requests.post(served.url + "/_emulator/reset", data=b"{}", timeout=10,
                             headers={"Content-Type": "Application/JSON; charset=utf-8"})
    assert response.json() == {"reset": True}
    assert gcs.get("/v1/workflows").json() == {"workflow": []}


# --- values that would poison the clock or the settings --------------------------------------------
ADVANCE_REFUSED = [
    (b"1e308", "advance_s=1e+308 must be a number of seconds between 0 and 315576000 (ten years)"),
    (b"-1e308", "advance_s=-1e+308 must be a number of seconds between 0 and 315576000 (ten years)"),
    (b"-1", "advance_s=-1 must be a number of seconds between 0 and 315576000 (ten years)"),
    (b"315576001", "advance_s=315576001 must be a number of seconds between 0 and 315576000 "
                   "(ten years)"),
    (b'"1"', "advance_s='1' must be a number of seconds between 0 and 315576000 (ten years)"),
    (b"true", "advance_s=True must be a number of seconds between 0 and 315576000 (ten years)"),
    (b"null", "advance_s=None must be a number of seconds between 0 and 315576000 (ten years)"),
    (b"Infinity", "advance_s is not a finite number (NaN, Infinity or beyond 1.8e308)"),
    (b"-Infinity", "advance_s is not a finite number (NaN, Infinity or beyond 1.8e308)"),
    (b"NaN", "advance_s is not a finite number (NaN, Infinity or beyond 1.8e308)"),
    (b"1e400", "advance_s is not a finite number (NaN, Infinity or beyond 1.8e308)"),
    (b"99999999999999999999", "advance_s is an integer beyond 64 bits (at most "
                              "9223372036854775807 either way)"),
]


@pytest.mark.parametrize("value,problem", ADVANCE_REFUSED)
def test_a_clock_advance_out_of_bounds_is_refused_before_anything_is_stored(served, gcs, value,
                                                                              problem):
    response = requests.post(served.url + "/_emulator/clock", data=b'{"advance_s": %s}' % value,
                             headers=JSON, timeout=10)
    assert assert_error(response, 400, "GCS.4003109")["error_msg"] == f"Field value invalid: {problem}"
    assert served.clock.offset == 0.0
    assert served.store.get_meta("clock_offset") is None
    assert gcs.get("/v1/tools").status_code == 200  # signed on the system clock: still in time


def test_the_clock_may_run_ten_years_ahead_in_all_and_not_a_second_more(served):
    for step in (TEN_YEARS_S - 100, 100):
        response = requests.post(served.url + "/_emulator/clock", json={"advance_s": step},
                                 timeout=10)
        assert response.status_code == 200, response.text
    refused = requests.post(served.url + "/_emulator/clock", json={"advance_s": 1}, timeout=10)
    assert assert_error(refused, 400, "GCS.4003109")["error_msg"] == (
        "Field value invalid: advance_s=1: the clock is 315576000 s ahead of system time; it may "
        "be at most 315576000 s (ten years) ahead in all")
    assert served.clock.offset == TEN_YEARS_S
    assert served.store.get_meta("clock_offset") == "315576000.0"


@pytest.mark.parametrize("settings,problem", [
    ({"latency_ms": 1e9}, "latency_ms=1000000000.0 must be between 0 and 60000"),
    ({"latency_ms": 1e308}, "latency_ms=1e+308 must be between 0 and 60000"),
    ({"job_seconds": 30 * 86_400 + 1}, "job_seconds=2592001 must be between 0 and 2592000"),
    ({"job_seconds": "5"}, "job_seconds='5' must be a number between 0 and 2592000"),
    ({"fault_rate": 1.5}, "fault_rate=1.5 must be between 0 and 1"),
    ({"fault_rate": -0.1}, "fault_rate=-0.1 must be between 0 and 1"),
    ({"reads_per_minute": 10**9 + 1}, "reads_per_minute=1000000001 must be between 0 and 1000000000"),
    ({"writes_per_minute": 1.5}, "writes_per_minute=1.5 must be an integer between 0 and 1000000000"),
    ({"fault_seed": 2**63}, "fault_seed is an integer beyond 64 bits (at most 9223372036854775807 "
                            "either way)"),
    ({"execution_names": ["any"]}, "execution_names=['any'] must be one of unique, any"),
    ({"fault_rate": 1, "latency_ms": -1}, "latency_ms=-1 must be between 0 and 60000")])
def test_a_setting_out_of_bounds_is_refused_and_no_setting_changes(served, gcs, settings, problem):
    before = vars(served.settings)
    response = requests.put(served.url + "/_emulator/faults", json=settings, timeout=10)
    assert assert_error(response, 400, "GCS.4003109")["error_msg"] == f"Field value invalid: {problem}"
    assert vars(served.settings) == before
    assert gcs.get("/v1/tools").status_code == 200


@pytest.mark.parametrize("body,problem", [
    ({"executions": {"workflow": "w", "count": 100_001}},
     "executions asks for 100001 runs; at most 100000 per call"),
    ({"executions": [{"workflow": "w", "count": 60_000}, {"workflow": "w", "count": 40_001}]},
     "executions asks for 100001 runs; at most 100000 per call"),
    ({"executions": [{"workflow": "w"}] * 100_001}, "executions holds 100001 groups; at most 100000"),
    ({"workflows": [{"name": "w"}] * 1001}, "workflows holds 1001 workflows; at most 1000"),
    ({"executions": {"workflow": "w", "count": -1}}, "executions.count must be an integer >= 0")])
def test_a_seed_too_large_is_refused_before_anything_is_stored(served, gcs, body, problem):
    response = requests.post(served.url + "/_emulator/seed", json=body, timeout=10)
    assert assert_error(response, 400, "GCS.4003109")["error_msg"] == f"Field value invalid: {problem}"
    assert gcs.get("/v1/workflows").json() == {"workflow": []}


# --- survival across a restart ---------------------------------------------------------------------
def test_the_emulator_survives_every_control_api_attack(tmp_path):
    db = tmp_path / "survivor.sqlite"
    with EmulatorServer(db) as server:
        gcs = Gcs(server, auth=AkSkAuth(EMBEDDED_AK, EMBEDDED_SK, EMBEDDED_PROJECT_ID))
        workflow = gcs.workflow("hello", SIMPLE)
        run = gcs.launch(workflow, "run-1")
        url = server.url
        attacks = [
            requests.post(url + "/_emulator/reset", json={}, headers={"Host": "evil.example:80"},
                          timeout=10),
            requests.post(url + "/_emulator/reset", json={},
                          headers={"Origin": "http://evil.example"}, timeout=10),
            requests.post(url + "/_emulator/reset", data=b"{}", headers={"Content-Type": "text/plain"},
                          timeout=10),
            requests.put(url + "/_emulator/faults", json={"fault_rate": 1},
                         headers={"Host": "evil.example"}, timeout=10),
            *[requests.post(url + "/_emulator/clock", data=b'{"advance_s": %s}' % value,
                            headers=JSON, timeout=10) for value, _ in ADVANCE_REFUSED],
        ]
        assert [a.status_code for a in attacks] == [403, 403, 415, 403] + [400] * len(ADVANCE_REFUSED)
        assert server.clock.offset == 0.0
        assert gcs.execution(run)["execution"]["name"] == "run-1"
    with EmulatorServer(db) as restarted:
        assert restarted.clock.offset == 0.0
        gcs = Gcs(restarted, auth=AkSkAuth(EMBEDDED_AK, EMBEDDED_SK, EMBEDDED_PROJECT_ID))
        assert [w["id"] for w in gcs.get("/v1/workflows").json()["workflow"]] == [workflow]
        assert gcs.execution(run)["execution"]["name"] == "run-1"
        assert restarted.settings.fault_rate == 0.0


def test_a_clock_moved_within_bounds_is_kept_across_a_restart_and_attacks_leave_it_alone(tmp_path):
    db = tmp_path / "clock.sqlite"
    with EmulatorServer(db) as server:
        assert requests.post(server.url + "/_emulator/clock", json={"advance_s": 3600},
                             timeout=10).status_code == 200
        assert requests.post(server.url + "/_emulator/clock", data=b'{"advance_s": 1e308}',
                             headers=JSON, timeout=10).status_code == 400
    with EmulatorServer(db) as restarted:
        assert restarted.clock.offset == 3600.0
        gcs = Gcs(restarted)  # signed on the emulator's own clock, an hour ahead
        assert gcs.get("/v1/tools").status_code == 200


@pytest.mark.parametrize("stored", ["1e+308", "inf", "nan", "-5.0", "315576000.5", "soon"])
def test_a_database_poisoned_with_an_impossible_clock_offset_starts_at_system_time(tmp_path, stored):
    db = tmp_path / "poisoned.sqlite"
    store = Store(db)
    store.set_meta("clock_offset", stored)
    store.close()
    with EmulatorServer(db) as server:
        assert server.clock.offset == 0.0
        assert server.store.get_meta("clock_offset") == "0.0"
        gcs = Gcs(server, auth=AkSkAuth(EMBEDDED_AK, EMBEDDED_SK, EMBEDDED_PROJECT_ID))
        assert gcs.get("/v1/tools").status_code == 200


# --- binding off loopback --------------------------------------------------------------------------
@pytest.mark.parametrize("host,shown", [("0.0.0.0", "0.0.0.0"), ("::", "::"),
                                        ("192.0.2.1", "192.0.2.1"), ("", "(every interface)"),
                                        ("emulator.example", "emulator.example")])
def test_serve_off_loopback_without_allow_remote_is_a_usage_error_before_anything_opens(
        tmp_path, capsys, host, shown):
    db = tmp_path / "never.sqlite"
    assert main(["emulator", "serve", "--host", host, "--db", str(db)]) == 1
    assert capsys.readouterr().err == (
        f"error: --host {shown} is not a loopback address (127.0.0.0/8, ::1, localhost)\n"
        "  hint: the emulator's control API has no authentication and its built-in credentials "
        "are public: keep the default 127.0.0.1, or add --allow-remote to serve the network "
        "anyway\n")
    assert not db.exists()


def test_allow_remote_turns_the_refusal_into_a_warning_and_loopback_needs_none():
    assert check_host("0.0.0.0", allow_remote=True) == [
        "--host 0.0.0.0 is not a loopback address: the control API (/_emulator/*: reset, seed, "
        "clock, faults; no authentication) and the credentials it accepts (the built-in ones "
        "unless --ak/--user are given) are reachable from the network"]
    for host in ("127.0.0.1", "127.8.9.10", "::1", "localhost", "LocalHost"):
        assert check_host(host, allow_remote=False) == []


def test_the_in_process_emulator_binds_loopback_and_refuses_anything_else(tmp_path):
    assert EmulatorServer(tmp_path / "a.sqlite").host == "127.0.0.1"
    with pytest.raises(ValueError, match="not a loopback address"):
        EmulatorServer(tmp_path / "b.sqlite", host="0.0.0.0")
    assert not (tmp_path / "b.sqlite").exists()


def test_an_emulator_on_ipv6_loopback_answers_only_its_own_address(tmp_path):
    if not socket.has_ipv6:
        pytest.skip("no IPv6 on this machine")
    try:
        server = EmulatorServer(tmp_path / "v6.sqlite", host="::1").start()
    except OSError:
        pytest.skip("no IPv6 loopback on this machine")
    try:
        assert server.url == f"http://[::1]:{server.port}"
        assert requests.get(server.url + "/_emulator/stats", timeout=10).status_code == 200
        foreign = requests.get(server.url + "/_emulator/stats", headers={"Host": "evil.example"},
                               timeout=10)
        assert_error(foreign, 403, "EMU.4030001")
    finally:
        server.stop()


def _serve(tmp_path, *args):
    return subprocess.Popen(
        [sys.executable, "-m", "gcsapply", "emulator", "serve", "--db", str(tmp_path / "e.sqlite"),
         *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("GCSAPPLY_EMULATOR_")})


def _stop(process) -> tuple[str, str]:
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=20)
    return process.stdout.read(), process.stderr.read()


def test_serve_with_allow_remote_warns_and_still_guards_its_control_api(tmp_path):
    # 127.1 is not literally loopback, so it takes --allow-remote, yet binds 127.0.0.1: the whole
    # warning path runs without opening a socket off loopback
    process = _serve(tmp_path, "--host", "127.1", "--allow-remote")
    try:
        url = process.stdout.readline().rsplit(" ", 1)[1].strip()
        port = url.rsplit(":", 1)[1]
        foreign = requests.get(url + "/_emulator/stats", headers={"Host": "evil.example"}, timeout=10)
        own = requests.get(url + "/_emulator/stats", timeout=10)
        bound = requests.get(url + "/_emulator/stats", headers={"Host": f"127.0.0.1:{port}"},
                             timeout=10)
    finally:
        out, err = _stop(process)
    assert url == f"http://127.1:{port}"
    assert_error(foreign, 403, "EMU.4030001")
    assert own.status_code == 200 and bound.status_code == 200
    assert err == ("warning: --host 127.1 is not a loopback address: the control API "
                   "(/_emulator/*: reset, seed, clock, faults; no authentication) and the "
                   "credentials it accepts (the built-in ones unless --ak/--user are given) are "
                   "reachable from the network\ngcsapply emulator stopped\n")


def test_secrets_given_as_flags_get_a_warning_naming_the_environment_variables(tmp_path):
    process = _serve(tmp_path, "--ak", "FLAGAK", "--sk", "flag-secret-key", "--user", "carol",
                     "--password", "flag-password", "--domain", "flags")
    try:
        assert process.stdout.readline().startswith("gcsapply emulator listening on http://")
    finally:
        out, err = _stop(process)
    assert err == (
        "warning: --sk on the command line is visible to other users of this machine (ps, "
        "/proc); set $GCSAPPLY_EMULATOR_SK instead\n"
        "warning: --password on the command line is visible to other users of this machine "
        "(ps, /proc); set $GCSAPPLY_EMULATOR_PASSWORD instead\n"
        "gcsapply emulator stopped\n")
    assert "flag-secret-key" not in out + err and "flag-password" not in out + err
