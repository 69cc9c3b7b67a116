"""The stdout model, the error table and the routing table, as units."""

from __future__ import annotations

import pytest

from gcsapply.emulator.errors import ERROR_TABLE, EmulatorError
from gcsapply.emulator.routes import ROUTES, match_route
from gcsapply.emulator.stdout import job_fails, job_stdout


@pytest.mark.parametrize("command,printed", [
    ("echo 1 3", "1 3\n"),
    ("echo 1 2 3 ", "1 2 3\n"),
    ("echo -n ready", "ready"),
    ("echo 'a  b' \"c\"", "a  b c\n"),
    ('echo "a;b"; echo c && echo d || echo e', "a;b\nc\nd\ne\n"),
    ("echo CHK20| tee -a /out/result.txt;", "CHK20\n"),
    ("echo x > /tmp/file", ""),
    ("echo x 2>/dev/null", "x\n"),
    ("echo x | cut -c1", ""),
    ("cat list.txt", ""),
    ("ls /data\necho done", "done\n"),
    ("echo a\\\nb", "ab\n"),
    ("samtools index in.bam", ""),
])
def test_only_echo_prints(command, printed):
    assert job_stdout(command) == printed


@pytest.mark.parametrize("command,fails", [
    ("exit 3", True), (" exit 1 ", True), ("exit 0", False), ("echo x; exit 3", False),
    ("exit", False), ("false", False)])
def test_a_job_fails_iff_its_whole_command_is_exit_n(command, fails):
    assert job_fails(command) is fails


def test_the_routes_table_lists_the_longest_templates_first():
    lengths = [len(r.template) for r in ROUTES]
    assert lengths == sorted(lengths, reverse=True)
    assert len({(r.method, r.template) for r in ROUTES}) == len(ROUTES)


def test_a_literal_segment_and_a_parameter_never_shadow_each_other():
    assert match_route("POST", "/v1/workflows/validate")[0].template == "/v1/workflows/validate"
    assert match_route("GET", "/v1/workflows/validate")[1] == {"workflow_id": "validate"}
    assert match_route("DELETE", "/v1/p1/executions-extend")[0].template == "/v1/{project_id}/executions-extend"
    assert match_route("POST", "/v1/p1/executions-extend/x/stop")[1] == {"project_id": "p1", "execution_id": "x"}


def test_every_error_has_a_status_a_code_and_a_message():
    codes = [(cls.status, cls.error_code) for cls in ERROR_TABLE]
    assert all(400 <= status < 600 for status, _ in codes)
    assert all(cls.message for cls in ERROR_TABLE)
    assert len(set(codes)) == len(codes)
    body = ERROR_TABLE[0]("detail").body("rid")
    assert set(body) == {"error_code", "error_msg", "request_id"}
    assert issubclass(ERROR_TABLE[0], EmulatorError)
