"""One method per GCS REST operation (E1-T5), monitoring and Cromwell; returns parsed JSON.

Lists are iterators that page with ``offset`` + ``limit`` (sent together, as digit strings),
deduplicate by id, stop at a short page, and (executions) start over when ``total_num`` moves
between pages, so nothing is missed while others create or delete. Errors are ``ApiError``
subclasses raised by the session; auth and retries live on the session, never here.

Cromwell runs use ``/v1/{project_id}/executions-extend...``, the shape Huawei documents for the
WDL executions of its batch-computing service (reference §2.7; GCS publishes no Cromwell paths,
so this is inferred for GCS). The monitoring paths are not public in GCS: these use the
emulator's (``/v1/executions/{id}/resource-usage``, ``/v1/cromwell/executions/{id}/resource-usage``).
"""

from __future__ import annotations

import json
from typing import Callable, Iterator
from urllib.parse import quote

from gcsapply.client.session import GcsSession
from gcsapply.errors import ConfigError

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
MAX_RELISTS = 5
CROMWELL_PATH = "/v1/{project_id}/executions-extend"  # how ``calls`` counts the Cromwell operations
DEFAULT_TIMEOUT_S = 30.0  # what a session without a timeout is taken to wait


class GcsApi:
    """The GCS REST API over a :class:`GcsSession`."""

    def __init__(self, session: GcsSession):
        self.session = session

    def __repr__(self) -> str:
        return f"GcsApi({self.session!r})"

    @property
    def request_timeout(self) -> float:
        """Seconds one request may take before the client gives up on it (the session's
        timeout; connect and read added up when it is a pair). A write given up on may still
        land after this: the engine keeps looking for it a while longer (DESIGN §5)."""
        timeout = getattr(self.session, "timeout", None)
        if isinstance(timeout, (tuple, list)):
            return float(sum(t for t in timeout if t))
        return float(timeout) if timeout else DEFAULT_TIMEOUT_S

    # -- environments (E1-E4) -------------------------------------------------------------
    def create_environment(self, body: dict) -> str:
        return self._json("POST", "/v1/environments", "POST /v1/environments", json=body)["id"]

    def delete_environment(self, environment_id: str, delete_cluster: bool = False) -> None:
        self._call("DELETE", f"/v1/environments/{path_id(environment_id)}", "DELETE /v1/environments/{id}",
                   params={"delete_cluster": True} if delete_cluster else None)

    def list_environments(self, source: str | None = None, page_size: int = DEFAULT_PAGE_SIZE) -> list[dict]:
        return list(self._pages("/v1/environments", "environments", "guid", {"source": source}, page_size))

    def get_environment(self, environment_id: str) -> dict:
        return self._json("GET", f"/v1/environments/{path_id(environment_id)}", "GET /v1/environments/{id}")

    # -- workflows (W1-W9) ----------------------------------------------------------------
    def list_workflows(self, name: str | None = None, scope: str | None = None,
                       page_size: int = DEFAULT_PAGE_SIZE) -> Iterator[dict]:
        """Workflows (the response key is the singular ``workflow``); ``name`` is a substring filter."""
        return self._pages("/v1/workflows", "workflow", "id", {"name": name, "scope": scope}, page_size)

    def get_workflow(self, workflow_id: str, get_archive: bool = False) -> dict:
        return self._json("GET", f"/v1/workflows/{path_id(workflow_id)}", "GET /v1/workflows/{id}",
                          params={"get_archive": True} if get_archive else None)

    def download_workflow(self, workflow_id: str) -> bytes:
        return self._call("GET", f"/v1/workflows/{path_id(workflow_id)}/archive",
                          "GET /v1/workflows/{id}/archive").content

    def get_workflow_inputs(self, workflow_id: str) -> dict:
        return self._json("GET", f"/v1/workflows/{path_id(workflow_id)}/inputs", "GET /v1/workflows/{id}/inputs")

    def get_workflow_tools(self, workflow_id: str) -> dict:
        return self._json("GET", f"/v1/workflows/{path_id(workflow_id)}/tools", "GET /v1/workflows/{id}/tools")

    def create_workflow(self, resource: dict, filename: str, content: bytes) -> str:
        """Multipart upload: ``resource`` (a JSON string) and ``archive_content`` (the file)."""
        files = workflow_parts(resource, filename, content)
        return self._json("POST", "/v1/workflows", "POST /v1/workflows", files=files)["id"]

    def update_workflow(self, workflow_id: str, resource: dict | None = None, filename: str | None = None,
                        content: bytes | None = None) -> str:
        """Multipart update; give ``resource``, a new file, or both."""
        if not resource and content is None:
            raise ValueError("update_workflow needs a resource, a new file, or both")
        files = workflow_parts(resource, filename, content)
        return self._json("PUT", f"/v1/workflows/{path_id(workflow_id)}", "PUT /v1/workflows/{id}", files=files)["id"]

    def delete_workflow(self, workflow_id: str, del_workflow_package: bool = False) -> None:
        self._call("DELETE", f"/v1/workflows/{path_id(workflow_id)}", "DELETE /v1/workflows/{id}",
                   params={"del_workflow_package": True} if del_workflow_package else None)

    def validate_workflow(self, workflow_content: dict) -> dict:
        return self._json("POST", "/v1/workflows/validate", "POST /v1/workflows/validate",
                          json={"workflow_content": workflow_content}, changes_nothing=True)

    # -- executions (X1-X9) ---------------------------------------------------------------
    def create_execution(self, body: dict) -> str:
        return self._json("POST", "/v1/executions", "POST /v1/executions", json=body)["id"]

    def create_executions_batch(self, body: dict) -> list[str]:
        """X2: one execution per ``inputs_json_list`` element (at most 50)."""
        answer = self._json("POST", "/v1/executions_iter", "POST /v1/executions_iter", json=body)
        return batch_ids(answer)

    def list_executions(self, name: str | None = None, status: str | None = None,
                        workflow_name: str | None = None, batch_name: str | None = None,
                        page_size: int = DEFAULT_PAGE_SIZE, priority_sort: str | None = None) -> Iterator[dict]:
        """Items ``{execution, object, status, enterprise_project}``, deduplicated by guid."""
        filters = {"name": name, "status": status, "workflow_name": workflow_name,
                   "batch_name": batch_name, "priority_sort": priority_sort or None}
        return self._pages("/v1/executions", "executions", execution_guid, filters, page_size,
                           total_key="total_num")

    def get_execution(self, execution_id: str) -> dict:
        return self._json("GET", f"/v1/executions/{path_id(execution_id)}", "GET /v1/executions/{id}")

    def get_execution_inputs(self, execution_id: str) -> dict:
        return self._json("GET", f"/v1/executions/{path_id(execution_id)}/inputs", "GET /v1/executions/{id}/inputs")

    def get_execution_outputs(self, execution_id: str) -> dict:
        return self._json("GET", f"/v1/executions/{path_id(execution_id)}/outputs", "GET /v1/executions/{id}/outputs")

    def get_execution_events(self, execution_id: str) -> list:
        """X8 answers a bare JSON array."""
        return self._json("GET", f"/v1/executions/{path_id(execution_id)}/events", "GET /v1/executions/{id}/events")

    def operate_execution(self, execution_id: str, action: str, *, priority: int | None = None,
                          timeout: int | None = None, inputs_json: dict | None = None) -> str:
        """X9 ``cancel``/``retry``/``update``. Send ``priority`` every time: GCS resets what is omitted."""
        body = {"action": action, "priority": priority, "timeout": timeout, "inputs_json": inputs_json}
        body = {k: v for k, v in body.items() if v is not None}
        return self._json("PUT", f"/v1/executions/{path_id(execution_id)}", "PUT /v1/executions/{id}", json=body)["id"]

    def delete_execution(self, execution_id: str) -> None:
        self._call("DELETE", f"/v1/executions/{path_id(execution_id)}", "DELETE /v1/executions/{id}")

    # -- tools (T1-T5) --------------------------------------------------------------------
    def list_tools(self, scope: str = "domain", name: str | None = None, whole_name: str | None = None,
                   category: str | None = None, page_size: int = DEFAULT_PAGE_SIZE) -> Iterator[dict]:
        """Tools, flattened from the double nesting ``{"tools": [{"tool": [...]}]}``."""
        filters = {"scope": scope, "name": name, "whole_name": whole_name, "category": category}
        return self._pages("/v1/tools", flatten_tools, "guid", filters, page_size)

    def get_tool(self, tool_id: str) -> dict:
        return self._json("GET", f"/v1/tools/{path_id(tool_id)}", "GET /v1/tools/{id}")

    def create_tool(self, body: dict) -> str:
        return self._json("POST", "/v1/tools", "POST /v1/tools", json=body)["id"]

    def update_tool(self, tool_id: str, body: dict) -> str:
        return self._json("PUT", f"/v1/tools/{path_id(tool_id)}", "PUT /v1/tools/{id}", json=body)["id"]

    def delete_tool(self, tool_id: str) -> None:
        self._call("DELETE", f"/v1/tools/{path_id(tool_id)}", "DELETE /v1/tools/{id}")

    # -- monitoring (emulator-defined paths) ----------------------------------------------
    def get_resource_usage(self, execution_id: str, *, running: bool, show_datapoints: bool = False) -> dict:
        """Per-job metrics of a finished (``running=False``) or running execution."""
        return self._json("GET", f"/v1/executions/{path_id(execution_id)}/resource-usage",
                          "GET /v1/executions/{id}/resource-usage", params=usage_query(running, show_datapoints))

    # -- Cromwell: /v1/{project_id}/executions-extend (reference §2.7, inferred for GCS) ---
    def cromwell_submit(self, parameters: dict, *, workflow_source: tuple[str, bytes] | None = None,
                        workflow_inputs: tuple[str, bytes] | None = None,
                        workflow_options: tuple[str, bytes] | None = None,
                        workflow_depends: tuple[str, bytes] | None = None) -> dict:
        """Submit a WDL run: ``parameters`` (``env_name`` required) plus optional (filename, bytes)
        file parts (``workflow_depends``: a zip). Returns ``{id, message, status}``."""
        files = cromwell_parts(parameters, workflow_source, workflow_inputs, workflow_options,
                               workflow_depends)
        return self._json("POST", self._extend(), f"POST {CROMWELL_PATH}", files=files)

    def cromwell_get(self, execution_id: str) -> dict:
        """``{execution, metadata, status, enterprise_project}``."""
        return self._json("GET", self._extend(execution_id), f"GET {CROMWELL_PATH}/{{id}}")

    def cromwell_list(self, name: str | None = None, status: str | None = None,
                      workflow_name: str | None = None, workflow_id: str | None = None,
                      page_size: int = DEFAULT_PAGE_SIZE) -> Iterator[dict]:
        """Runs, deduplicated by guid; ``name`` matches a part of the run's name."""
        filters = {"name": name, "status": status, "workflow_name": workflow_name, "workflow_id": workflow_id}
        path = self._extend()
        return iterate_pages(lambda params: self._json("GET", path, f"GET {CROMWELL_PATH}", params=params),
                             "executions", execution_guid, filters, page_size, total_key="total_num")

    def cromwell_stop(self, execution_id: str) -> dict:
        """``{id, message, status}``; the status right after (``Aborting`` or ``Aborted``)."""
        return self._json("POST", self._extend(execution_id, "stop"), f"POST {CROMWELL_PATH}/{{id}}/stop")

    def cromwell_delete(self, execution_id: str) -> None:
        self._call("DELETE", self._extend(execution_id), f"DELETE {CROMWELL_PATH}/{{id}}")

    def cromwell_delete_many(self, execution_ids: list[str], *, clean_data: bool = False) -> list[dict]:
        """Batch delete; one ``{id, error}`` per id, ``error`` None for a run deleted."""
        answer = self._json("DELETE", self._extend(), f"DELETE {CROMWELL_PATH}",
                            json={"clean_data": bool(clean_data), "execution_ids": list(execution_ids)})
        return list(answer.get("executions") or [])

    def cromwell_resource_usage(self, execution_id: str, *, running: bool, show_datapoints: bool = False) -> dict:
        """Per-call metrics of a Cromwell run (an emulator-defined path, like all monitoring)."""
        return self._json("GET", f"/v1/cromwell/executions/{path_id(execution_id)}/resource-usage",
                          "GET /v1/cromwell/executions/{id}/resource-usage",
                          params=usage_query(running, show_datapoints))

    def _extend(self, *segments: str) -> str:
        """``/v1/<project>/executions-extend[/<id>[/stop]]`` for the session's project."""
        return cromwell_path(session_project_id(self.session), *segments)

    # -- plumbing -------------------------------------------------------------------------
    def _call(self, method: str, path: str, operation: str, **kwargs):
        return self.session.request(method, path, operation=operation, **kwargs)

    def _json(self, method: str, path: str, operation: str, **kwargs):
        response = self._call(method, path, operation, **kwargs)
        return response.json() if response.content else {}

    def _pages(self, path: str, items: str | Callable[[dict], list], key: str | Callable[[dict], str],
               filters: dict, page_size: int, *, total_key: str | None = None) -> Iterator[dict]:
        return iterate_pages(lambda params: self._json("GET", path, f"GET {path}", params=params),
                             items, key, filters, page_size, total_key=total_key)


def iterate_pages(fetch: Callable[[dict], dict], items: str | Callable[[dict], list],
                  key: str | Callable[[dict], str], filters: dict, page_size: int, *,
                  total_key: str | None = None, max_relists: int = MAX_RELISTS) -> Iterator[dict]:
    """Page through a list operation; yield each item once (by ``key``).

    With ``total_key``, a page whose total differs from the first page's means objects came or
    went meanwhile (offsets shifted): the listing starts over from offset 0, yielding only
    unseen items, at most ``max_relists`` times."""
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValueError(f"page_size must be 1..{MAX_PAGE_SIZE}, not {page_size}")
    get_items = (lambda doc: doc.get(items) or []) if isinstance(items, str) else items
    get_key = (lambda item: item.get(key)) if isinstance(key, str) else key
    base = {k: v for k, v in filters.items() if v is not None}
    seen: set = set()
    relists = 0
    offset, total = 0, None
    while True:
        doc = fetch({**base, "offset": str(offset), "limit": str(page_size)})
        page = get_items(doc)
        page_total = doc.get(total_key) if total_key else None
        if total_key and total is not None and page_total != total and relists < max_relists:
            relists += 1
            offset, total = 0, None
            continue
        if total is None:
            total = page_total
        for item in page:
            item_key = get_key(item)
            if item_key is None or item_key not in seen:
                if item_key is not None:
                    seen.add(item_key)
                yield item
        if len(page) < page_size:
            return
        offset += len(page)


def path_id(value) -> str:
    """An id as exactly one path segment: percent-encoded (``/``, ``?``, ``#`` too). An empty id,
    ``.`` or ``..`` is refused: it would address another resource (``../workflows/x``)."""
    text = str(value)
    if text in ("", ".", ".."):
        raise ValueError(f"{text!r} is not a resource id")
    return quote(text, safe="")


def flatten_tools(doc: dict) -> list[dict]:
    """``{"tools": [{"tool": [a, b]}, {"tool": [c]}]}`` -> ``[a, b, c]``."""
    flat: list[dict] = []
    for group in doc.get("tools") or []:
        if isinstance(group, dict):
            flat.extend(group.get("tool") or [])
    return flat


def batch_ids(answer) -> list[str]:
    """Ids from a batch-create answer: ``{"ids": [...]}`` (emulator) or other plausible shapes."""
    if isinstance(answer, dict):
        for field in ("ids", "id", "execution_ids", "executions"):
            value = answer.get(field)
            if isinstance(value, list):
                return [v["id"] if isinstance(v, dict) else str(v) for v in value]
    if isinstance(answer, list):
        return [v["id"] if isinstance(v, dict) else str(v) for v in answer]
    raise ValueError(f"unexpected batch-create answer: {answer!r}"[:200])


def workflow_parts(resource: dict | None, filename: str | None, content: bytes | None) -> dict:
    """The multipart parts of W1/W3: ``resource`` (JSON string) and ``archive_content`` (file)."""
    files: dict = {}
    if resource:
        files["resource"] = (None, json.dumps(resource, ensure_ascii=False), "application/json")
    if content is not None:
        files["archive_content"] = (filename or "workflow.yaml", content, "application/octet-stream")
    return files


def cromwell_path(project_id: str, *segments: str) -> str:
    """``/v1/{project_id}/executions-extend`` and below; the project and each id one segment.
    Only the literal ``stop`` may follow an id."""
    tail = "".join(f"/{segment if segment == 'stop' else path_id(segment)}" for segment in segments)
    return f"/v1/{path_id(project_id)}/executions-extend{tail}"


def session_project_id(session) -> str:
    """The project a session's credentials act in: the AK/SK's ``project_id``, a token's
    configured project or the project its token names once fetched. ConfigError without one."""
    auth = getattr(session, "auth", None)
    project_id = getattr(auth, "project_id", None) or getattr(auth, "token_project_id", None)
    if not project_id:
        raise ConfigError("Cromwell calls need a project id: the path is /v1/{project_id}/executions-extend",
                          hint="give the credentials a project id (spec.projectId or HW_PROJECT_ID)")
    return project_id


def cromwell_parts(parameters: dict, source, inputs, options, depends) -> dict:
    """The multipart parts of a Cromwell submit: ``parameters`` (a JSON string) and the optional
    (filename, bytes) files ``workflow_source``, ``workflow_inputs``, ``workflow_options`` and
    ``workflow_depends`` (a zip)."""
    files: dict = {"parameters": (None, json.dumps(parameters, ensure_ascii=False), "application/json")}
    for name, value in (("workflow_source", source), ("workflow_inputs", inputs),
                        ("workflow_options", options), ("workflow_depends", depends)):
        if value is not None:
            filename, data = value
            files[name] = (filename, data, "application/octet-stream")
    return files


def usage_query(running: bool, show_datapoints: bool) -> dict:
    return {"state": "running" if running else "finished", "show_datapoints": bool(show_datapoints)}


def execution_guid(item: dict) -> str | None:
    """The id of an executions list item ``{"execution": {"guid": ...}, ...}`` (None if absent)."""
    execution = item.get("execution") if isinstance(item, dict) else None
    return execution.get("guid") if isinstance(execution, dict) else None
