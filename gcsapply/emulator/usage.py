"""Resource-usage series for the monitoring endpoints (SDK tables 3-27..3-38), made up but
deterministic: every job gets steady usage derived from its name, sampled every 60 s."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

SAMPLE_PERIOD_S = 60.0
CLUSTER_ID = "CCI-ClusterID"
# metricName -> unit
METRICS = (("cpuCoreLimit", "Core"), ("cpuCoreUsed", "Core"), ("cpuUsage", "%"),
           ("memCapacity", "MB"), ("memUsed", "MB"), ("memUsage", "%"))


@dataclass(frozen=True)
class JobUsage:
    """One job (or Cromwell call) to report: its requests and when it ran."""

    name: str
    cpu: float
    memory_gb: float
    start: float
    end: float  # now, for a running job
    running: bool


def usage_report(jobs: list[JobUsage], *, show_datapoints: bool) -> dict:
    """``{job-name: [metric record, ...]}``."""
    return {job.name: [_metric(job, name, unit, show_datapoints) for name, unit in METRICS]
            for job in jobs}


def _metric(job: JobUsage, name: str, unit: str, show: bool) -> dict:
    points = [(ts, _value(job, name, k)) for k, ts in enumerate(_sample_times(job))]
    values = [v for _, v in points]
    maximum, minimum = max(points, key=lambda p: p[1]), min(points, key=lambda p: p[1])
    record = {
        "metric": {"namespace": "PAAS.CONTAINER", "metricName": name,
                   "dimensions": [{"name": "clusterId", "value": CLUSTER_ID},
                                  {"name": "podID", "value": f"{job.name}-pod"}]},
        "max_value_metric": {"timestamp": _ms(maximum[0]), "value": maximum[1], "unit": unit},
        "min_value_metric": {"timestamp": _ms(minimum[0]), "value": minimum[1], "unit": unit},
        "average_value_metric": round(sum(values) / len(values), 3),
    }
    if job.running:
        record["current_value_metric"] = {"timestamp": _ms(points[-1][0]), "value": points[-1][1],
                                          "unit": unit}
    if show:
        record["dataPoints"] = [{"timestamps": _ms(ts), "unit": unit,
                                 "statistics": [{"statistic": s, "value": v}
                                                for s in ("maximum", "average", "minimum")]}
                                for ts, v in points]
    return record


def _sample_times(job: JobUsage) -> list[float]:
    count = max(1, int((job.end - job.start) // SAMPLE_PERIOD_S) + 1)
    return [job.start + k * SAMPLE_PERIOD_S for k in range(count)]


def _value(job: JobUsage, name: str, k: int) -> float:
    seed = int(hashlib.sha256(job.name.encode()).hexdigest()[:8], 16)
    cpu_share = 0.3 + (seed % 60) / 100  # 30% .. 89% of the request
    mem_share = 0.2 + (seed // 60 % 70) / 100
    wave = 1 + 0.05 * math.sin(k + seed % 7)
    capacity = job.memory_gb * 1024
    value = {
        "cpuCoreLimit": job.cpu,
        "cpuCoreUsed": job.cpu * cpu_share * wave,
        "cpuUsage": 100 * cpu_share * wave,
        "memCapacity": capacity,
        "memUsed": capacity * mem_share * wave,
        "memUsage": 100 * mem_share * wave,
    }[name]
    return round(value, 3)


def _ms(ts: float) -> int:
    return int(ts * 1000)
