"""CromwellClient scripts written as the SDK reference (the seed, chapter 4.2) writes them run
unchanged against a served emulator: its three submit modes -- local files (a dependencies
directory zipped by the SDK), OBS objects, a GCS ``workflow_id`` -- and the rest of the chapter.

Each script runs as a user runs it: ``python script.py`` in a fresh process, with only
``GCSAPPLY_ENDPOINT`` pointing it at the emulator. The seed hard-codes its credentials, paths
(``/home/test/...``) and workflow id (``xxxxxxxx-...``): the ``@...@`` marks and the id are
filled in before the script is written, as a user would edit them. The seed's environment
``cromwell_env`` is not a valid environment name (no ``_``): the scripts use the emulator's
``cromwell-env``.
"""

from __future__ import annotations

import json
from pathlib import Path
from textwrap import dedent

import requests

from gcsapply.clock import ManualClock
from gcsapply.sdk import CromwellClient, GCSClient

TEMPLATE = Path(__file__).resolve().parents[2] / "examples" / "sdk" / "hello.yaml"
WDL = """\
version 1.0
workflow test_wdl {
  input { String sample }
  call align
  call sort
}
task align { command { echo align } }
task sort { command { echo sort } }
"""
SEED_WORKFLOW_ID = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"

# 4.1.3 (AK/SK) and 4.2.1's first example: local files, the dependencies given as a directory.
LOCAL_FILES = """\
from cromwell import CromwellClient

ak = "@AK@"
sk = "@SK@"
project_id = "@PROJECT_ID@"
cromwell_client = CromwellClient()
cromwell_client.set_aksk_auth_param(ak, sk, project_id)

# 使用本地文件提交任务
wf_source = "@DIR@/test.wdl"
wf_inputs = "@DIR@/test.inputs"
wf_options = "@DIR@/test.options"
wf_dependencies = "@DIR@/dependency/" # dependency目录, 将自动生成压缩包提交,也可以赋值为已压缩好的dependency文件路径
param = {
    "env_name": "cromwell-env",
}
response = cromwell_client.create_execution(workflow_source_file=wf_source, workflow_inputs_file=wf_inputs,
workflow_options_file=wf_options, workflow_dependencies_path=wf_dependencies, parameters=param)
print("create:", response.status_code, sorted(response.json()), response.json()["status"])
result = cromwell_client.get_execution(response.json()["id"]).json()
execution = result["execution"]
print("execution:", execution["workflow_name"], execution["wdl_name"], execution["status"])
print("inputs:", result["metadata"]["inputs"])
"""

# 4.1.2 (username/password) and 4.2.1's second example: OBS objects, nothing local.
OBS_OBJECTS = """\
from cromwell import CromwellClient

cromwell_client = CromwellClient()
cromwell_client.set_user_auth_param("@USER@", "@PASSWORD@", "@PROJECT_ID@", "@USER@")

# 使用OBS对象提交任务
param = {
    "env_name": "cromwell-env",
    "workflow_source": "obs://bucketName/path",
    "workflow_inputs": "https://bucketName.obs.cn-north-4.myhuaweicloud.com:443/path/object",
    "workflow_options": "https://bucketName.obs.cn-north-1.myhuaweicloud.com:443/path/object",
    "workflow_depends": "https://bucketName.obs.cn-north-1.myhuaweicloud.com:443/path/object"
}
response = cromwell_client.create_execution(parameters=param)
print("create:", response.status_code, sorted(response.json()), response.json()["status"])
execution = cromwell_client.get_execution(response.json()["id"]).json()["execution"]
print("execution:", execution["workflow_name"], execution["status"], execution["inputs_json"])
"""

# 4.2.1's third example: a workflow stored in GCS, by its id.
WORKFLOW_ID = """\
from cromwell import CromwellClient

cromwell_client = CromwellClient()
cromwell_client.set_aksk_auth_param("@AK@", "@SK@", "@PROJECT_ID@")

# 使用workflow_id方式提交任务
param = {
    "env_name": "cromwell-env",
    "workflow_id": "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", # WDL流程在GCS中的ID
    "workflow_inputs": "https://bucketName.obs.cn-north-4.myhuaweicloud.com:443/path/object",
    "workflow_options": "https://bucketName.obs.cn-north-1.myhuaweicloud.com:443/path/object",
    "workflow_depends": "https://bucketName.obs.cn-north-1.myhuaweicloud.com:443/path/object"
}
response = cromwell_client.create_execution(parameters=param)
print("create:", response.status_code, sorted(response.json()), response.json()["status"])
execution = cromwell_client.get_execution(response.json()["id"]).json()["execution"]
print("execution:", execution["workflow_name"], execution["workflow_id"] == param["workflow_id"])
"""

# The rest of 4.2 (list, stop, delete one, delete many) and 4.3 (monitoring), with chapter 6's
# errors as requests exceptions.
THE_REST = """\
import requests
from cromwell import CromwellClient

cromwell_client = CromwellClient()
cromwell_client.set_aksk_auth_param("@AK@", "@SK@", "@PROJECT_ID@")
param = {"env_name": "cromwell-env", "workflow_source": "obs://bucketName/wgs.wdl"}
first = cromwell_client.create_execution(parameters=param).json()["id"]
second = cromwell_client.create_execution(parameters=param).json()["id"]
third = cromwell_client.create_execution(parameters=param).json()["id"]
executions = cromwell_client.get_executions().json()
print("get_executions:", executions["total_num"], len(executions["executions"]))
print("by name:", [e["execution"]["guid"] == first for e in
                   cromwell_client.get_executions(name=first[:8]).json()["executions"]])
print("by workflow_name:", cromwell_client.get_executions(workflow_name="wgs.wdl").json()["total_num"])
print("by status:", cromwell_client.get_executions(status="Succeeded").json()["total_num"])
stopped = cromwell_client.stop_execution(first)
print("stop_execution:", stopped.status_code, stopped.json()["id"] == first)
print("running usage:", cromwell_client.get_running_execution_resource_usage(second).status_code)
print("finished usage:", cromwell_client.get_finished_execution_resource_usage(second, show_datapoints=True).json())
print("delete_execution:", cromwell_client.delete_execution(second).status_code)
response = cromwell_client.delete_executions(execution_ids=[second, third])
print("delete_executions:", response.status_code, [e["error"] and e["error"]["error_code"]
                                                   for e in response.json()["executions"]])
try:
    cromwell_client.get_execution(third)
except requests.HTTPError as e:
    print("HTTPError:", e.response.status_code, e.response.json()["error_code"])
print("left:", [e["execution"]["guid"] == first for e in cromwell_client.get_executions().json()["executions"]])
"""


def _script(served, name: str, text: str) -> Path:
    for mark, value in (("@AK@", served.ak), ("@SK@", served.sk), ("@USER@", served.user),
                        ("@PASSWORD@", served.password), ("@PROJECT_ID@", served.project_id),
                        ("@DIR@", str(served.workdir))):
        text = text.replace(mark, value)
    path = served.workdir / name
    path.write_text(text, encoding="utf-8")
    return path


def _ok(result) -> str:
    assert (result.returncode, result.stderr) == (0, ""), result.stderr
    return result.stdout


def _client(served, cls, clock=None):
    client = cls(endpoint=served.url, clock=clock)
    client.set_aksk_auth_param(served.ak, served.sk, served.project_id)
    return client


def test_a_run_is_submitted_from_local_files_with_a_dependencies_directory_as_the_seed_writes_it(served_emulator):
    workdir = served_emulator.workdir
    (workdir / "test.wdl").write_text(WDL)
    (workdir / "test.inputs").write_text(json.dumps({"test_wdl.sample": "NA24385"}))
    (workdir / "test.options").write_text(json.dumps({"final_workflow_outputs_dir": "obs://bucketName/out"}))
    (workdir / "dependency" / "tasks").mkdir(parents=True)
    (workdir / "dependency" / "tasks" / "align.wdl").write_text("version 1.0\n")
    result = served_emulator.run(_script(served_emulator, "local_files.py", LOCAL_FILES))
    assert _ok(result) == dedent("""\
        create: 201 ['id', 'message', 'status'] Submitted
        execution: test_wdl test.wdl Succeeded
        inputs: {'test_wdl.sample': 'NA24385'}
        """)


def test_a_run_is_submitted_from_obs_objects_with_a_password_as_the_seed_writes_it(served_emulator):
    result = served_emulator.run(_script(served_emulator, "obs_objects.py", OBS_OBJECTS))
    location = "https://bucketName.obs.cn-north-4.myhuaweicloud.com:443/path/object"
    assert _ok(result) == dedent(f"""\
        create: 201 ['id', 'message', 'status'] Submitted
        execution: path Succeeded {json.dumps({"location": location})}
        """)


def test_a_run_is_submitted_by_the_id_of_a_gcs_workflow_as_the_seed_writes_it(served_emulator):
    gcs = _client(served_emulator, GCSClient)
    workflow_id = gcs.create_workflow("wgs-flow", "lab", "", str(TEMPLATE)).json()["id"]
    script = _script(served_emulator, "workflow_id.py", WORKFLOW_ID.replace(SEED_WORKFLOW_ID, workflow_id))
    assert _ok(served_emulator.run(script)) == dedent("""\
        create: 201 ['id', 'message', 'status'] Submitted
        execution: wgs-flow True
        """)
    cromwell = _client(served_emulator, CromwellClient)
    [run] = cromwell.get_executions().json()["executions"]
    assert run["execution"]["workflow_id"] == workflow_id


def test_the_rest_of_chapter_4_lists_stops_deletes_and_monitors_as_the_seed_writes_it(served_emulator):
    url = served_emulator.url
    assert requests.put(url + "/_emulator/faults", json={"job_seconds": 3600}, timeout=10).status_code == 200
    result = served_emulator.run(_script(served_emulator, "the_rest.py", THE_REST))
    assert _ok(result) == dedent("""\
        get_executions: 3 3
        by name: [True]
        by workflow_name: 3
        by status: 0
        stop_execution: 200 True
        running usage: 200
        finished usage: {}
        delete_execution: 204
        delete_executions: 200 ['GCS.4040005', None]
        HTTPError: 404 GCS.4040005
        left: [True]
        """)
    moved = requests.post(url + "/_emulator/clock", json={"advance_s": 7200}, timeout=10).json()
    later = _client(served_emulator, CromwellClient, clock=ManualClock(moved["now"]))  # signs at its time
    [left] = later.get_executions().json()["executions"]
    assert left["execution"]["status"] == "Aborted"
