"""Scripts written as the SDK reference (the seed) writes them run unchanged against a served
emulator: ``from gcs import GCSClient``, ``GCSClient()`` with no argument, the quick start's
three-argument ``set_user_auth_param``, both spellings of the AK/SK call, ``requests`` errors.

Each script is run as a user runs it: ``python script.py`` in a fresh process, with only
``GCSAPPLY_ENDPOINT`` pointing it at the emulator (the seed's examples hard-code their
credentials; the ``@...@`` marks are filled in before the script is written).
"""

from __future__ import annotations

import socket
from pathlib import Path
from textwrap import dedent

import pytest

TEMPLATE = Path(__file__).resolve().parents[2] / "examples" / "sdk" / "hello.yaml"

# The seed's chapter 1 demo (gcs_demo.py), then every GCSClient call of its chapter 3.
GCS_DEMO = """\
# -*- coding: UTF-8 -*-
import requests
from gcs import GCSClient
# 初始化gcs客户端
gcs = GCSClient()
# [二选一]设置用户名密码，默认region='cn-north-4',如在北京四运行无需设置,
# 默认project_name=region,无需指定
username="@USER@"
password="@PASSWORD@"
project_id="@PROJECT_ID@"
gcs.set_user_auth_param(username, password, project_id)

environments = gcs.get_environments().json()["environments"]
print("environments:", [e["name"] for e in environments])
print("environment:", gcs.get_environment(environments[0]["guid"]).json()["name"])
workflow_id = gcs.create_workflow("gcs-demo", "", "示例流程", "gcs-grammar.yaml").json()["id"]
workflow = gcs.get_workflow(workflow_id).json()
print("workflow:", workflow["name"], workflow["vendor"], workflow["description"])
print("workflows:", [w["name"] for w in gcs.get_workflows().json()["workflow"]])
print("inputs:", list(gcs.get_workflow_inputs(workflow_id).json()["inputs"]))
print("tools:", list(gcs.get_workflow_tools(workflow_id).json()["tools"]))
print("download:", gcs.download_workflow(workflow_id).content == open("gcs-grammar.yaml", "rb").read())
print("update:", gcs.update_workflow(workflow_id, vendor="lab").json() == {"id": workflow_id})
workflow = gcs.get_workflow(workflow_id).json()
print("workflow:", workflow["name"], workflow["vendor"], repr(workflow["description"]))
execution_id = gcs.create_execution("gcs-demo-run", workflow_id, "gene-sfs", namespace="gene",
                                    inputs_json={"sample": "NA24385"}).json()["id"]
execution = gcs.get_execution(execution_id).json()["execution"]
print("execution:", execution["name"], execution["status"], execution["priority"])
print("executions:", gcs.get_executions(priority_sort="asc").json()["total_num"])
print("execution inputs:", gcs.get_execution_inputs(execution_id).json()["inputs"]["sample"]["value"])
print("execution outputs:", gcs.get_execution_outputs(execution_id).json())
print("execution events:", gcs.get_execution_events(execution_id).json()[-1]["reason"])
print("usage:", len(gcs.get_finished_execution_resource_usage(execution_id, show_datapoints=True).json()))
try:
    gcs.operate_execution(execution_id, "cancel")
except requests.HTTPError as e:
    print("cancel:", e.response.status_code, e.response.json()["error_code"])
tools = gcs.get_tools().json()["tools"][0]["tool"]
bwa = [t["guid"] for t in tools if (t["name"], t["version"]) == ("bwa", "0.7.12")][0]
tool = gcs.get_tool(bwa).json()
print("tool:", tool["name"], tool["version"], tool["scope"])
print("delete execution:", gcs.delete_execution(execution_id).status_code)
print("delete workflow:", gcs.delete_workflow(workflow_id).status_code)
"""

# Chapter 1's other choice (set_aksk_auth_param), 3.1.3's spelling (set_aks_auth_param) with a
# region, and 3.1.2's four-argument user call: all three see the same project.
AUTH_CALLS = """\
from gcs import GCSClient
ak="@AK@"
sk="@SK@"
username="@USER@"
password="@PASSWORD@"
domain_name="@USER@"
project_id="@PROJECT_ID@"

gcs = GCSClient()
gcs.set_aksk_auth_param(ak, sk, project_id)
workflow_id = gcs.create_workflow("aksk-demo", "lab", "", "gcs-grammar.yaml").json()["id"]
gcs = GCSClient()
gcs.set_aks_auth_param(ak, sk, project_id, "cn-north-4")
print("set_aks_auth_param:", [w["id"] for w in gcs.get_workflows().json()["workflow"]] == [workflow_id])
gcs = GCSClient()
gcs.set_user_auth_param(username, password, project_id, domain_name)
print("set_user_auth_param:", [w["id"] for w in gcs.get_workflows().json()["workflow"]] == [workflow_id])
"""

# Chapters 5 and 6: the Response object, and requests' exceptions for errors.
ERRORS = """\
import requests
from gcs import GCSClient
gcs = GCSClient()
gcs.set_aksk_auth_param("@AK@", "@SK@", "@PROJECT_ID@")
response = gcs.get_environments()
print("response:", response.ok, response.status_code, response.headers["content-type"], response.encoding)
try:
    gcs.get_workflow("no-such-id")
except requests.HTTPError as e:
    print("HTTPError:", e.response.status_code, e.response.json()["error_code"])
gcs = GCSClient()
gcs.set_user_auth_param("@USER@", "not-the-password", "@PROJECT_ID@")
try:
    gcs.get_workflows()
except requests.RequestException as e:
    print(type(e).__name__ + ":", e.response.status_code, e.response.json()["error_code"])
"""

# A wrong endpoint: requests' own exception, raised by the first call.
UNREACHABLE = """\
import requests
from gcs import GCSClient
gcs = GCSClient()
gcs.set_aksk_auth_param("@AK@", "@SK@", "@PROJECT_ID@")
try:
    gcs.get_environments()
except requests.RequestException as e:
    print(type(e).__name__)
"""

# The Cromwell client's import and sign-in, as chapter 4.1 writes them. The submit modes of
# 4.2.1 (local files, OBS objects, a GCS workflow_id) belong with the CromwellClient tests.
CROMWELL_IMPORT = """\
from cromwell import CromwellClient
cromwell = CromwellClient()
cromwell.set_user_auth_param("@USER@", "@PASSWORD@", "@PROJECT_ID@")
cromwell = CromwellClient()
cromwell.set_aksk_auth_param("@AK@", "@SK@", "@PROJECT_ID@")
print(type(cromwell).__name__)
"""


def _script(served, name: str, text: str) -> Path:
    for mark, value in (("@AK@", served.ak), ("@SK@", served.sk), ("@USER@", served.user),
                        ("@PASSWORD@", served.password), ("@PROJECT_ID@", served.project_id)):
        text = text.replace(mark, value)
    (served.workdir / "gcs-grammar.yaml").write_bytes(TEMPLATE.read_bytes())
    path = served.workdir / name
    path.write_text(text, encoding="utf-8")
    return path


def _ok(result) -> str:
    assert (result.returncode, result.stderr) == (0, ""), result.stderr
    return result.stdout


def test_the_seed_quick_start_signs_in_with_three_arguments_and_every_gcs_call_runs_unchanged(served_emulator):
    result = served_emulator.run(_script(served_emulator, "gcs_demo.py", GCS_DEMO))
    assert _ok(result) == dedent("""\
        environments: ['default-cci', 'default-cce', 'cromwell-env']
        environment: default-cci
        workflow: gcs-demo alice 示例流程
        workflows: ['gcs-demo']
        inputs: ['sample']
        tools: ['samtools:1.9']
        download: True
        update: True
        workflow: gcs-demo lab ''
        execution: gcs-demo-run Succeeded 0
        executions: 1
        execution inputs: NA24385
        execution outputs: {'outputs': {'report': {'paths': ['NA24385/report.txt']}}}
        execution events: 执行成功##SuccessfulFinish
        usage: 1
        cancel: 400 GCS.4003107
        tool: bwa 0.7.12 public
        delete execution: 204
        delete workflow: 204
        """)


def test_both_aksk_spellings_and_the_four_argument_user_call_see_the_same_project(served_emulator):
    result = served_emulator.run(_script(served_emulator, "auth_calls.py", AUTH_CALLS))
    assert _ok(result) == "set_aks_auth_param: True\nset_user_auth_param: True\n"


def test_errors_are_requests_exceptions_carrying_the_response_as_the_seed_says(served_emulator):
    result = served_emulator.run(_script(served_emulator, "errors.py", ERRORS))
    assert _ok(result) == dedent("""\
        response: True 200 application/json;charset=UTF-8 utf-8
        HTTPError: 404 GCS.4040002
        HTTPError: 401 IAM.0101
        """)


@pytest.mark.parametrize("endpoint,raised", [("gcs.example.test", "MissingSchema"),
                                             ("http://127.0.0.1:{port}", "ConnectionError")])
def test_a_malformed_or_unreachable_endpoint_raises_the_requests_exception(served_emulator, endpoint, raised):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    script = _script(served_emulator, "unreachable.py", UNREACHABLE)
    result = served_emulator.run(script, GCSAPPLY_ENDPOINT=endpoint.format(port=port))
    assert _ok(result) == f"{raised}\n"


def test_the_cromwell_client_is_imported_and_signed_in_as_chapter_4_writes_it(served_emulator):
    result = served_emulator.run(_script(served_emulator, "cromwell_demo.py", CROMWELL_IMPORT))
    assert _ok(result) == "CromwellClient\n"
