"""Kind ``Workflow``: a genecontainer_0_1 template uploaded as a GCS workflow (DESIGN §2)."""

from __future__ import annotations

from pathlib import Path

from gcsapply.kinds.base import Effect, FieldRule, Kind
from gcsapply.manifest.model import KIND_WORKFLOW, Source, WorkflowSpec


class Workflow(Kind):
    KIND = KIND_WORKFLOW
    SCHEMA = "workflow"
    FIELDS = (
        FieldRule("spec.template", "digest", Effect.NEW_VERSION,
                  "a new version <name>-<digest[:8]>; under versioning: none an in-place update, "
                  "refused while executions use the workflow"),
        FieldRule("spec.versioning", "versioning", Effect.NEW_VERSION,
                  "changes the GCS name (<name>-<digest[:8]> or <name>)"),
        FieldRule("spec.description", "description", Effect.IN_PLACE),
        FieldRule("spec.vendor", "vendor", Effect.IN_PLACE),
        FieldRule("spec.lifecycle.preventDestroy", "prevent_destroy", Effect.STATE_ONLY),
    )

    @staticmethod
    def build(spec: dict, *, name: str, template_path: Path, template_bytes: bytes,
              source: Source | None) -> WorkflowSpec:
        lifecycle = spec.get("lifecycle") or {}
        return WorkflowSpec(
            name=name,
            template_path=template_path,
            template_bytes=template_bytes,
            description=spec.get("description", ""),
            vendor=spec.get("vendor", ""),
            versioning=spec.get("versioning", "content"),
            prevent_destroy=bool(lifecycle.get("preventDestroy", False)),
            source=source,
        )
