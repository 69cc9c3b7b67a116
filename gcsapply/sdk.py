"""A drop-in for the official GCS Python SDK: ``GCSClient`` and ``CromwellClient``.

Imported as the SDK's examples do (``from gcs import GCSClient``, ``from cromwell import CromwellClient``),
with every method, parameter name and default of the SDK reference (``seed/000_...``). Like the SDK, a
thin ``requests`` client: one request per call (no retries, no rate limits), a ``requests.Response``
back, ``requests.HTTPError`` for an error status, ``requests``' own exception at once for a bad URL or
no answer, a 3xx returned as it came (never followed: credentials stay with the endpoint). List
methods page through everything: the Response's JSON holds every item (status and headers of the
last page). Auth (AK/SK signing or an IAM token) lives on the session.

Endpoint: the ``endpoint=`` keyword, else ``GCSAPPLY_ENDPOINT``, else
``https://gcs.<region>.myhuaweicloud.com``. IAM tokens come from
``https://iam.<region>.myhuaweicloud.com/v3/auth/tokens``, or ``<endpoint>/v3/auth/tokens`` for
a custom endpoint (the URL rules and the default region are :mod:`gcsapply.config`'s). GCS
publishes no Cromwell or monitoring REST paths: ``CromwellClient`` uses the
``/v1/{project_id}/executions-extend`` shape Huawei documents for its batch-computing service's
WDL executions (inferred for GCS); the monitoring calls use the gcsapply emulator's paths.
"""

from __future__ import annotations

import copy
import io
import json
import os
import zipfile
from pathlib import Path

import requests

from gcsapply.client.api import (
    cromwell_parts,
    execution_guid,
    flatten_tools,
    iterate_pages,
    path_id,
    usage_query,
    workflow_parts,
)
from gcsapply.client.auth import AkSkAuth, TokenAuth
from gcsapply.client.session import GcsSession
from gcsapply.config import DEFAULT_REGION, iam_url, region_url
from gcsapply.errors import ApiError, ConfigError, TransportError

ENDPOINT_ENV = "GCSAPPLY_ENDPOINT"
SDK_PAGE_SIZE = 100

__all__ = ["GCSClient", "CromwellClient"]


class _Client:
    """Endpoint and credentials shared by both clients."""

    def __init__(self, endpoint: str | None = None, *, verify: bool | str = True, timeout: float = 30,
                 clock=None, reads_per_minute: float = 0, writes_per_minute: float = 0):
        self._endpoint = endpoint
        self._verify = verify
        self._timeout = timeout
        self._clock = clock
        self._limits = (reads_per_minute, writes_per_minute)
        self._session: GcsSession | None = None
        self.region: str | None = None
        self.project_id: str | None = None
        self.project_name: str | None = None

    def __repr__(self) -> str:
        endpoint = self._session.endpoint if self._session else self._endpoint
        return f"{type(self).__name__}(endpoint={endpoint!r}, region={self.region!r}, auth={self._auth()!r})"

    def set_user_auth_param(self, username, password, project_id, domain_name=None, region=DEFAULT_REGION,
                            project_name=None):
        """IAM token credentials; ``domain_name`` (the account) defaults to ``username``, as for an
        account's main user (the SDK's quick start); ``project_name`` defaults to ``region``."""
        endpoint, custom = self._resolve_endpoint(region)
        token_url = iam_url(endpoint_url=endpoint) if custom else iam_url(region=region)
        auth = TokenAuth(token_url, username, password, domain_name or username, project_name=project_name or region,
                         project_id=project_id or None, verify=self._verify, timeout=self._timeout,
                         clock=self._clock)
        self._connect(endpoint, auth, region, project_id, project_name)

    def set_aksk_auth_param(self, ak, sk, project_id, region=DEFAULT_REGION, project_name=None):
        """AK/SK (SDK-HMAC-SHA256) credentials; the project travels as ``X-Project-Id``."""
        endpoint, _ = self._resolve_endpoint(region)
        self._connect(endpoint, AkSkAuth(ak, sk, project_id, clock=self._clock), region, project_id,
                      project_name)

    set_aks_auth_param = set_aksk_auth_param  # the name the SDK reference uses in 3.1.3

    def close(self) -> None:
        if self._session is not None:
            self._session.close()

    # -- plumbing -------------------------------------------------------------------------
    def _auth(self):
        return self._session.auth if self._session else None

    def _resolve_endpoint(self, region: str) -> tuple[str, bool]:
        custom = self._endpoint or os.environ.get(ENDPOINT_ENV)
        if custom:
            return custom.rstrip("/"), True
        return region_url(region), False

    def _connect(self, endpoint, auth, region, project_id, project_name) -> None:
        self.close()
        reads, writes = self._limits
        self._session = GcsSession(endpoint, auth, reads_per_minute=reads, writes_per_minute=writes,
                                   timeout=self._timeout, verify=self._verify, clock=self._clock,
                                   max_retries=0)  # one request per call, as the SDK sends
        self.region = region
        self.project_id = project_id
        self.project_name = project_name or region

    def _send(self, method, path, **kwargs) -> requests.Response:
        if self._session is None:
            raise ConfigError("no credentials set", hint="call set_aksk_auth_param(ak, sk, project_id) or "
                                                         "set_user_auth_param(username, password, project_id) "
                                                         "first")
        try:
            response = self._session.send(method, path, **kwargs)
        except TransportError as exc:
            cause = exc.__cause__
            if isinstance(cause, requests.RequestException):
                raise cause from None
            raise requests.ConnectionError(exc.message) from exc
        except ApiError as exc:  # no token: IAM refused the password, redirected, or sent none
            response = getattr(exc, "response", None)
            if response is None:
                raise
            if response.status_code < 400:  # a redirect, or a success without a token
                raise requests.HTTPError(f"{exc.message} (HTTP {response.status_code} from {response.url})",
                                         response=response) from None
        response.raise_for_status()  # outside the except: the traceback shows requests' error alone
        return response

    def _list(self, path, items, key, merged, params=None) -> requests.Response:
        """Page through a list; a Response whose JSON is ``merged(all_items)`` (a 3xx as it came)."""
        last, everything = self._collect(path, items, key, params)
        return last if everything is None else _rebuild(last, merged(everything))

    def _collect(self, path, items, key, params=None) -> tuple[requests.Response, list | None]:
        """Every item of a paged list and the last page's Response; ``None`` items after a 3xx."""
        last: list[requests.Response] = []

        def fetch(query):
            response = self._send("GET", path, params=query)
            last[:] = [response]
            if response.status_code >= 300:
                raise _Redirected()
            return response.json()

        try:
            everything = list(iterate_pages(fetch, items, key, params or {}, SDK_PAGE_SIZE,
                                            total_key="total_num"))
        except _Redirected:
            return last[0], None
        return last[0], everything


class GCSClient(_Client):
    """The GCS client of the SDK reference, chapter 3."""

    # -- environments ---------------------------------------------------------------------
    def get_environments(self):
        return self._list("/v1/environments", "environments", "guid", lambda items: {"environments": items})

    def get_environment(self, environment_id):
        return self._send("GET", f"/v1/environments/{path_id(environment_id)}")

    # -- workflows ------------------------------------------------------------------------
    def create_workflow(self, name, vendor, description, file_obj, epid='0'):
        """``file_obj``: the path of the template YAML (an open binary file works too)."""
        filename, content = _read_file(file_obj)
        resource = {"name": name, "vendor": vendor, "description": description, "filename": filename,
                    "enterprise_project_id": epid}
        return self._send("POST", "/v1/workflows", files=workflow_parts(resource, filename, content))

    def delete_workflow(self, workflow_id):
        return self._send("DELETE", f"/v1/workflows/{path_id(workflow_id)}")

    def update_workflow(self, workflow_id, file_obj=None, vendor=None, description=None):
        """As the SDK reference's table says: a ``vendor`` left out is the service's default (the
        tenant name, sent as ""), a ``description`` left out empties it; ``file_obj`` replaces
        the template, which stays when it is left out."""
        resource = {"vendor": vendor or "", "description": description or ""}
        filename = content = None
        if file_obj is not None:
            filename, content = _read_file(file_obj)
            resource["filename"] = filename
        return self._send("PUT", f"/v1/workflows/{path_id(workflow_id)}",
                          files=workflow_parts(resource, filename, content))

    def download_workflow(self, workflow_id):
        """The template's bytes are ``response.content``."""
        return self._send("GET", f"/v1/workflows/{path_id(workflow_id)}/archive")

    def get_workflows(self):
        return self._list("/v1/workflows", "workflow", "id", lambda items: {"workflow": items})

    def get_workflow(self, workflow_id):
        return self._send("GET", f"/v1/workflows/{path_id(workflow_id)}")

    def get_workflow_inputs(self, workflow_id):
        return self._send("GET", f"/v1/workflows/{path_id(workflow_id)}/inputs")

    def get_workflow_tools(self, workflow_id):
        return self._send("GET", f"/v1/workflows/{path_id(workflow_id)}/tools")

    # -- executions -----------------------------------------------------------------------
    def create_execution(self, name, workflow_id, sfs_pvc_name, cluster_id="", priority=0, inputs_json={},
                         namespace="", timeout=720, description="", email=[], sms=[],
                         events=["exec_failed", "exec_succeeded"], email_message="", email_subject="",
                         email_display_name="", sms_message="", image_pull_policy="IfNotPresent",
                         job_retry_count=3, target="cci", epid="0"):
        body = execution_body(name, workflow_id, sfs_pvc_name, cluster_id, priority, inputs_json, namespace,
                              timeout, description, email, sms, events, email_message, email_subject,
                              email_display_name, sms_message, image_pull_policy, job_retry_count, target, epid)
        return self._send("POST", "/v1/executions", json=body)

    def delete_execution(self, execution_id):
        return self._send("DELETE", f"/v1/executions/{path_id(execution_id)}")

    def get_execution(self, execution_id):
        return self._send("GET", f"/v1/executions/{path_id(execution_id)}")

    def get_executions(self, priority_sort=""):
        """Every execution; ``priority_sort``: "" (newest first), "desc" or "asc"."""
        return self._list("/v1/executions", "executions", execution_guid,
                          lambda items: {"executions": items, "total_num": len(items)},
                          {"priority_sort": priority_sort or None})

    def get_execution_inputs(self, execution_id):
        return self._send("GET", f"/v1/executions/{path_id(execution_id)}/inputs")

    def get_execution_outputs(self, execution_id):
        return self._send("GET", f"/v1/executions/{path_id(execution_id)}/outputs")

    def get_execution_events(self, execution_id):
        return self._send("GET", f"/v1/executions/{path_id(execution_id)}/events")

    def operate_execution(self, execution_id, action, priority=0, timeout=720, inputs_json={}):
        """``action``: ``cancel`` or ``retry`` (``inputs_json`` only matters for retry)."""
        body = {"action": action, "priority": priority, "timeout": timeout}
        if inputs_json:
            body["inputs_json"] = dict(inputs_json)
        return self._send("PUT", f"/v1/executions/{path_id(execution_id)}", json=body)

    # -- tools ----------------------------------------------------------------------------
    def get_tool(self, tool_id):
        return self._send("GET", f"/v1/tools/{path_id(tool_id)}")

    def get_tools(self):
        """Every tool the project can use: its own (scope ``domain``, the REST default), then the public
        catalogue, in the service's double nesting ``{"tools": [{"tool": [...]}]}``."""
        found: list = []
        for scope in ("domain", "public"):
            last, tools = self._collect("/v1/tools", flatten_tools, "guid", {"scope": scope})
            if tools is None:
                return last
            found += tools
        return _rebuild(last, {"tools": [{"tool": found}]})

    # -- monitoring -----------------------------------------------------------------------
    def get_finished_execution_resource_usage(self, execution_id, show_datapoints=False):
        return self._send("GET", f"/v1/executions/{path_id(execution_id)}/resource-usage",
                          params=usage_query(False, show_datapoints))

    def get_running_execution_resource_usage(self, execution_id, show_datapoints=False):
        return self._send("GET", f"/v1/executions/{path_id(execution_id)}/resource-usage",
                          params=usage_query(True, show_datapoints))


class CromwellClient(_Client):
    """The Cromwell client of the SDK reference, chapter 4, at ``/v1/{project_id}/executions-extend``:
    the shape Huawei documents for the WDL executions of its batch-computing service, whose
    parameters are exactly this SDK's (reference §2.7; inferred for GCS, which publishes no
    Cromwell paths). The two monitoring calls use the emulator's paths."""

    def create_execution(self, workflow_source_file="", workflow_inputs_file="", workflow_options_file="",
                         workflow_dependencies_path="", parameters={}):
        """Submit a WDL run (201 ``{id, message, status}``): ``parameters`` travels as the JSON
        part ``parameters``, local files as the parts ``workflow_source``, ``workflow_inputs``,
        ``workflow_options`` and ``workflow_depends`` (a dependencies directory is zipped in memory)."""
        files = cromwell_parts(
            dict(parameters),
            _read_file(workflow_source_file) if workflow_source_file else None,
            _read_file(workflow_inputs_file) if workflow_inputs_file else None,
            _read_file(workflow_options_file) if workflow_options_file else None,
            _dependencies(workflow_dependencies_path) if workflow_dependencies_path else None)
        return self._send("POST", self._extend(), files=files)

    def delete_execution(self, execution_id):
        return self._send("DELETE", self._extend(execution_id))

    def get_execution(self, execution_id):
        return self._send("GET", self._extend(execution_id))

    def get_executions(self, name="", status="", workflow_name=""):
        filters = {"name": name or None, "status": status or None, "workflow_name": workflow_name or None}
        return self._list(self._extend(), "executions", execution_guid,
                          lambda items: {"executions": items, "total_num": len(items)}, filters)

    def delete_executions(self, execution_ids=[]):
        """Batch delete with ``clean_data`` false (the runs' data are kept); the Response's JSON
        holds one ``{id, error}`` per id, ``error`` null for a run deleted."""
        return self._send("DELETE", self._extend(),
                          json={"clean_data": False, "execution_ids": list(execution_ids)})

    def stop_execution(self, execution_id):
        return self._send("POST", self._extend(execution_id, "stop"))

    def get_finished_execution_resource_usage(self, execution_id, show_datapoints=False):
        return self._send("GET", f"/v1/cromwell/executions/{path_id(execution_id)}/resource-usage",
                          params=usage_query(False, show_datapoints))

    def get_running_execution_resource_usage(self, execution_id, show_datapoints=False):
        return self._send("GET", f"/v1/cromwell/executions/{path_id(execution_id)}/resource-usage",
                          params=usage_query(True, show_datapoints))

    def _extend(self, execution_id=None, action=None) -> str:
        """``/v1/<project>/executions-extend[/<id>[/<action>]]``, the project the credentials name."""
        project_id = self.project_id or getattr(self._auth(), "token_project_id", None)
        if not project_id:
            raise ConfigError("no credentials with a project id set (Cromwell paths are "
                              "/v1/{project_id}/executions-extend)",
                              hint="call set_aksk_auth_param(ak, sk, project_id) or set_user_auth_param("
                                   "username, password, project_id, domain_name) first")
        path = f"/v1/{path_id(project_id)}/executions-extend"
        if execution_id is not None:
            path += f"/{path_id(execution_id)}"
        return path + (f"/{action}" if action else "")

def execution_body(name, workflow_id, sfs_pvc_name, cluster_id, priority, inputs_json, namespace, timeout,
                   description, email, sms, events, email_message, email_subject, email_display_name,
                   sms_message, image_pull_policy, job_retry_count, target, epid) -> dict:
    """The X1 body for the SDK's ``create_execution`` arguments (reference §6 mapping)."""
    notification = {"events": list(events), "endpoints": {"email": list(email), "sms": list(sms)}}
    extras = {"email_message": email_message, "email_subject": email_subject,
              "email_display_name": email_display_name, "sms_message": sms_message}
    notification.update({k: v for k, v in extras.items() if v})
    body = {"name": name, "workflow_id": workflow_id, "sfs_pvc_name": sfs_pvc_name, "priority": priority,
            "inputs_json": dict(inputs_json), "namespace": namespace, "timeout": timeout,
            "description": description, "target": target, "notification": notification,
            "advanced_options": {"image_pull_policy": image_pull_policy,
                                 "job_retry_count": str(job_retry_count)},
            "enterprise_project_id": epid}
    if cluster_id:
        body["cluster_id"] = cluster_id
    return body


class _Redirected(Exception):
    """A list page answered 3xx: the SDK returns that response as it came."""


def _read_file(file_obj) -> tuple[str, bytes]:
    if hasattr(file_obj, "read"):
        data = file_obj.read()
        name = Path(getattr(file_obj, "name", "workflow.yaml")).name
        return name, data.encode("utf-8") if isinstance(data, str) else data
    path = Path(file_obj)
    return path.name, path.read_bytes()


def _dependencies(path) -> tuple[str, bytes]:
    path = Path(path)
    if path.is_file():
        return path.name, path.read_bytes()
    if not path.is_dir():
        raise FileNotFoundError(f"workflow_dependencies_path {str(path)!r} is neither a zip file nor a directory")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in sorted(path.rglob("*")):
            if item.is_file():
                archive.write(item, item.relative_to(path).as_posix())
    return f"{path.name or 'dependencies'}.zip", buffer.getvalue()


def _rebuild(last: requests.Response, document: dict) -> requests.Response:
    response = copy.copy(last)
    response._content = json.dumps(document, ensure_ascii=False).encode("utf-8")
    response.encoding = "utf-8"
    response.headers = requests.structures.CaseInsensitiveDict(last.headers)
    response.headers["Content-Length"] = str(len(response._content))
    response.headers["Content-Type"] = "application/json;charset=UTF-8"
    return response
