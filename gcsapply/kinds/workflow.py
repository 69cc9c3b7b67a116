"""Kind ``Workflow``: a genecontainer_0_1 template uploaded as a GCS workflow (DESIGN §2)."""

from __future__ import annotations

from gcsapply.kinds.base import KIND_WORKFLOW, Effect, FieldRule, Kind


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
