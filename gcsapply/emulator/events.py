"""Execution events: one table of kinds, bilingual ``中文##English`` texts, KubeDAG-style types."""

from __future__ import annotations

from dataclasses import dataclass

from gcsapply.emulator.wire import iso

NORMAL, WARNING = "Normal", "Warning"
# kind -> (elemType, type, reason, message); {name} {step} {job} {code} {detail} are filled in
EVENT_KINDS: dict[str, tuple[str, str, str, str]] = {
    "Initialized": ("KubeDAG.init", NORMAL, "初始化##Initialized",
                    "执行{name}已创建##Execution {name} created"),
    "Started": ("KubeDAG.start", NORMAL, "开始执行##Started",
                "执行{name}开始运行##Execution {name} started running"),
    "Restarted": ("KubeDAG.start", NORMAL, "重新执行##Restarted",
                  "执行{name}重试后重新运行##Execution {name} is running again after retry"),
    "StepStarted": ("GCS.Job", NORMAL, "步骤开始##StepStarted",
                    "步骤{step}开始运行##Step {step} started"),
    "StepSucceeded": ("GCS.Job", NORMAL, "步骤成功##StepSucceeded",
                      "步骤{step}执行成功##Step {step} succeeded"),
    "StepSkipped": ("GCS.Job", NORMAL, "步骤跳过##StepSkipped",
                    "步骤{step}的条件不满足，已跳过##The condition of step {step} is false; "
                    "the step was skipped"),
    "StepFailed": ("GCS.Job", WARNING, "步骤失败##StepFailed",
                   "步骤{step}执行失败##Step {step} failed{detail}"),
    "JobFailed": ("GCS.Job", WARNING, "任务失败##JobFailed",
                  "任务{job}退出码为{code}##Job {job} exited with code {code}"),
    "CancelRequested": ("KubeDAG.cancel", NORMAL, "取消执行##CancelRequested",
                        "停止分发新任务，运行中的任务将继续完成##No new jobs are dispatched; "
                        "running jobs finish"),
    "Cancelled": ("KubeDAG.finish", NORMAL, "执行已取消##Cancelled",
                  "执行{name}已取消##Execution {name} cancelled"),
    "RetryRequested": ("KubeDAG.retry", NORMAL, "重试执行##RetryRequested",
                       "重新运行失败和未运行的任务##Failed and never-run jobs will run again"),
    "SuccessfulFinish": ("KubeDAG.finish", NORMAL, "执行成功##SuccessfulFinish",
                         "执行{name}成功结束##Execution {name} finished successfully"),
    "FailedFinish": ("KubeDAG.finish", WARNING, "执行失败##FailedFinish",
                     "执行{name}失败##Execution {name} failed"),
}
_ACTION_NAMES = {"create": "create", "cancel": "stop", "retry": "retry"}


@dataclass(frozen=True)
class Event:
    at: float
    kind: str
    elem_type: str
    elem_id: str
    type: str
    reason: str
    message: str
    action_name: str


def make_event(kind: str, at: float, execution: str, action: str, step: str | None = None,
               **details) -> Event:
    elem_type, event_type, reason, message = EVENT_KINDS[kind]
    detail = details.pop("detail", None)
    fields = {"name": execution, "step": step or "", "detail": f": {detail}" if detail else "",
              **{k: str(v) for k, v in details.items()}}
    return Event(at, kind, elem_type, step or execution, event_type, reason,
                 message.format(**fields), _ACTION_NAMES.get(action, action))


def render_events(events: list[Event], execution: str, namespace: str) -> list[dict]:
    """The events endpoint's bare array."""
    out = []
    for seq, event in enumerate(events):
        out.append({
            "metadata": {"name": f"{execution}.{seq:04x}", "namespace": namespace},
            "involvedObject": {"name": execution, "namespace": namespace},
            "reason": event.reason,
            "message": event.message,
            "firstTimestamp": iso(event.at),
            "lastTimestamp": iso(event.at),
            "count": 1,
            "type": event.type,
            "elemType": event.elem_type,
            "elemId": event.elem_id,
            "actionName": event.action_name,
        })
    return out


def job_name(step: str, index: int, guid: str) -> str:
    """``<step>-<index>-<execution id suffix>``, as GCS names a step's Kubernetes jobs."""
    return f"{step}-{index}-{guid.replace('-', '')[-8:]}"
