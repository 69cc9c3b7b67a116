"""Upload hello.yaml (once), run it, wait for the run, print its outputs; safe to run again.

    export GCSAPPLY_ENDPOINT=http://127.0.0.1:8787 HW_ACCESS_KEY=... HW_SECRET_KEY=... HW_PROJECT_ID=...
    python demo.py
"""
import os
import time
import uuid
from pathlib import Path

import requests

from gcs import GCSClient

gcs = GCSClient()  # endpoint: $GCSAPPLY_ENDPOINT, else https://gcs.<region>.myhuaweicloud.com
gcs.set_aksk_auth_param(os.environ["HW_ACCESS_KEY"], os.environ["HW_SECRET_KEY"], os.environ["HW_PROJECT_ID"])

print([env["name"] for env in gcs.get_environments().json()["environments"]])
# Workflow names are unique in a project: reuse hello-sdk when an earlier run uploaded it.
workflows = {w["name"]: w["id"] for w in gcs.get_workflows().json()["workflow"]}
workflow_id = workflows.get("hello-sdk") or gcs.create_workflow(
    "hello-sdk", "my-lab", "SDK demo", str(Path(__file__).with_name("hello.yaml"))).json()["id"]
# Run names are unique too: each run gets its own.
run = gcs.create_execution(f"hello-sdk-{uuid.uuid4().hex[:8]}", workflow_id, "gene-sfs", namespace="gene",
                           inputs_json={"sample": "NA24385"}).json()["id"]
while (status := gcs.get_execution(run).json()["execution"]["status"]) not in ("Succeeded", "Failed", "Cancelled"):
    print("status:", status)
    time.sleep(2)
print("status:", status)
print(gcs.get_execution_outputs(run).json())
print(len(gcs.get_executions().json()["executions"]), "execution(s) in the project")
try:
    gcs.get_workflow("no-such-id")
except requests.HTTPError as exc:
    print(exc.response.status_code, exc.response.json()["error_code"], exc.response.json()["error_msg"])
