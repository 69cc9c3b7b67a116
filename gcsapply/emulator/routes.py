"""ONE routing table: every path the emulator answers, longest path template first (as moto
matches REST routes). Paths beyond the public reference: the Cromwell paths
(``/v1/{project_id}/executions-extend...``, the shape Huawei documents for WDL executions of its
batch-computing service, inferred for GCS: reference §2.7), and emulator-defined ones: the
monitoring paths (not public in GCS), the IAM token endpoint (IAM's own path, on the same
server) and the control API under ``/_emulator``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import unquote

from gcsapply.emulator.errors import MethodNotAllowed, UnknownRoute
from gcsapply.emulator.handlers import control as ctl
from gcsapply.emulator.handlers import cromwell as crw
from gcsapply.emulator.handlers import environments as env
from gcsapply.emulator.handlers import executions as exe
from gcsapply.emulator.handlers import monitoring as mon
from gcsapply.emulator.handlers import tools as tool
from gcsapply.emulator.handlers import workflows as wf

API, IAM, CONTROL = "api", "iam", "control"


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    handler: Callable = field(compare=False)
    kind: str = API

    @property
    def key(self) -> str:
        """How ``/_emulator/stats`` counts it: ``"GET /v1/executions"``."""
        return f"{self.method} {self.template}"

    def match(self, path: str) -> dict[str, str] | None:
        found = _compiled(self.template).match(path)
        return None if found is None else {k: unquote(v) for k, v in found.groupdict().items()}


_TABLE = (
    Route("GET", "/v1/executions/{execution_id}/resource-usage", mon.get_resource_usage),
    Route("GET", "/v1/cromwell/executions/{execution_id}/resource-usage",
          mon.get_cromwell_resource_usage),
    Route("POST", "/v1/{project_id}/executions-extend/{execution_id}/stop", crw.stop_execution),
    Route("GET", "/v1/{project_id}/executions-extend/{execution_id}", crw.get_execution),
    Route("DELETE", "/v1/{project_id}/executions-extend/{execution_id}", crw.delete_execution),
    Route("POST", "/v1/{project_id}/executions-extend", crw.submit_execution),
    Route("GET", "/v1/{project_id}/executions-extend", crw.list_executions),
    Route("DELETE", "/v1/{project_id}/executions-extend", crw.delete_executions),
    Route("GET", "/v1/executions/{execution_id}/outputs", exe.get_execution_outputs),
    Route("GET", "/v1/executions/{execution_id}/inputs", exe.get_execution_inputs),
    Route("GET", "/v1/executions/{execution_id}/events", exe.get_execution_events),
    Route("GET", "/v1/workflows/{workflow_id}/archive", wf.download_workflow),
    Route("GET", "/v1/workflows/{workflow_id}/inputs", wf.get_workflow_inputs),
    Route("GET", "/v1/workflows/{workflow_id}/tools", wf.get_workflow_tools),
    Route("GET", "/v1/environments/{environment_id}", env.get_environment),
    Route("DELETE", "/v1/environments/{environment_id}", env.delete_environment),
    Route("GET", "/v1/executions/{execution_id}", exe.get_execution),
    Route("PUT", "/v1/executions/{execution_id}", exe.operate_execution),
    Route("DELETE", "/v1/executions/{execution_id}", exe.delete_execution),
    Route("GET", "/v1/workflows/{workflow_id}", wf.get_workflow),
    Route("PUT", "/v1/workflows/{workflow_id}", wf.update_workflow),
    Route("DELETE", "/v1/workflows/{workflow_id}", wf.delete_workflow),
    Route("POST", "/v1/workflows/validate", wf.validate_workflow),
    Route("GET", "/v1/tools/{tool_id}", tool.get_tool),
    Route("PUT", "/v1/tools/{tool_id}", tool.update_tool),
    Route("DELETE", "/v1/tools/{tool_id}", tool.delete_tool),
    Route("POST", "/v1/executions_iter", exe.create_executions_batch),
    Route("GET", "/v1/environments", env.list_environments),
    Route("POST", "/v1/environments", env.deploy_environment),
    Route("GET", "/v1/executions", exe.list_executions),
    Route("POST", "/v1/executions", exe.create_execution),
    Route("POST", "/_emulator/faults", ctl.put_faults, CONTROL),
    Route("PUT", "/_emulator/faults", ctl.put_faults, CONTROL),
    Route("GET", "/_emulator/faults", ctl.get_faults, CONTROL),
    Route("GET", "/v1/workflows", wf.list_workflows),
    Route("POST", "/v1/workflows", wf.create_workflow),
    Route("POST", "/v3/auth/tokens", ctl.issue_token, IAM),
    Route("POST", "/_emulator/reset", ctl.reset, CONTROL),
    Route("GET", "/_emulator/stats", ctl.get_stats, CONTROL),
    Route("DELETE", "/_emulator/stats", ctl.delete_stats, CONTROL),
    Route("POST", "/_emulator/clock", ctl.advance_clock, CONTROL),
    Route("GET", "/_emulator/clock", ctl.get_clock, CONTROL),
    Route("POST", "/_emulator/seed", ctl.seed, CONTROL),
    Route("GET", "/v1/tools", tool.list_tools),
    Route("POST", "/v1/tools", tool.create_tool),
)
ROUTES: tuple[Route, ...] = tuple(sorted(_TABLE, key=lambda r: -len(r.template)))  # stable sort


def match_route(method: str, path: str) -> tuple[Route, dict[str, str]]:
    """The route for ``METHOD path``; UnknownRoute / MethodNotAllowed naming what was asked."""
    methods = []
    for route in ROUTES:
        params = route.match(path)
        if params is None:
            continue
        if route.method == method:
            return route, params
        methods.append(route.method)
    if methods:
        raise MethodNotAllowed(f"{method} {path} (allowed: {', '.join(sorted(set(methods)))})")
    raise UnknownRoute(f"{method} {path}")


_CACHE: dict[str, re.Pattern] = {}


def _compiled(template: str) -> re.Pattern:
    pattern = _CACHE.get(template)
    if pattern is None:
        regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
        pattern = _CACHE[template] = re.compile(f"^{regex}/?$")
    return pattern
