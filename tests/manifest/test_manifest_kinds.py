"""The kinds table and its field rules: data that plan uses to decide update vs new run."""

import dataclasses

from gcsapply.kinds import KINDS, Effect, Execution, ExecutionSet, Stack, Workflow
from gcsapply.manifest.model import ExecutionSpec, StackSpec, WorkflowSpec
from gcsapply.manifest.names import (
    EXECUTION_NAME_MAX,
    EXECUTIONSET_NAME_MAX,
    NAME_RE,
    STACK_NAME_MAX,
    WORKFLOW_NAME_MAX,
)
from gcsapply.schemas import load_schema


def test_the_kinds_table_maps_each_kind_name_to_its_class():
    assert KINDS == {"Stack": Stack, "Workflow": Workflow, "Execution": Execution, "ExecutionSet": ExecutionSet}
    assert [cls.address("x") for cls in KINDS.values()] == [
        "stack/x", "workflow/x", "execution/x", "executionset/x"]


def test_the_run_key_fields_force_a_new_run_and_only_priority_updates_in_place():
    assert [r.path for r in Execution.rules(Effect.NEW_RUN)] == [
        "spec.workflow", "spec.inputs", "spec.runPolicy.rerunToken"]
    assert [r.path for r in Execution.rules(Effect.IN_PLACE)] == ["spec.priority"]
    assert [r.path for r in Execution.rules(Effect.NEXT_RUN)] == [
        "spec.environment", "spec.target", "spec.namespace", "spec.sfsPvcName", "spec.timeout",
        "spec.jobRetryCount", "spec.imagePullPolicy", "spec.description", "spec.labels", "spec.notification"]
    assert [r.path for r in Execution.rules(Effect.STATE_ONLY)] == [
        "spec.runPolicy.mode", "spec.runPolicy.maxRetries", "spec.deletionPolicy", "spec.lifecycle.preventDestroy"]


def test_workflow_template_changes_make_a_new_version_and_metadata_updates_in_place():
    assert [r.path for r in Workflow.rules(Effect.NEW_VERSION)] == ["spec.template", "spec.versioning"]
    assert [r.path for r in Workflow.rules(Effect.IN_PLACE)] == ["spec.description", "spec.vendor"]


def test_every_rule_names_a_field_of_the_schema_and_of_the_model():
    models = {Stack: StackSpec, Workflow: WorkflowSpec, Execution: ExecutionSpec, ExecutionSet: ExecutionSpec}
    for cls, model in models.items():
        schema = load_schema(cls.SCHEMA)
        names = {f.name for f in dataclasses.fields(model)} | {"digest"}
        for rule in cls.FIELDS:
            assert _schema_has(schema, rule.path.split(".")), (cls.KIND, rule.path)
            if rule.attribute:
                assert rule.attribute.split(".")[0] in names, (cls.KIND, rule.attribute)


def _schema_has(schema, parts):
    """Whether the manifest path exists in a schema (following local and cross-file $refs)."""
    node = schema
    for part in parts:
        node = _resolve(node)
        props = node.get("properties", {})
        if part not in props:
            return False
        node = props[part]
    return True


def _resolve(node):
    ref = node.get("$ref")
    if not ref:
        return node
    file, _, pointer = ref.partition("#")
    root = load_schema(file.removesuffix(".schema.json")) if file else load_schema("execution")
    for part in pointer.strip("/").split("/"):
        root = root[part]
    return _resolve(root)


def test_every_kind_schema_states_the_one_name_rule_and_its_kinds_length_cap():
    caps = {Stack: STACK_NAME_MAX, Workflow: WORKFLOW_NAME_MAX, Execution: EXECUTION_NAME_MAX,
            ExecutionSet: EXECUTIONSET_NAME_MAX}
    for cls, cap in caps.items():
        name = load_schema(cls.SCHEMA)["properties"]["metadata"]["properties"]["name"]
        assert (name["pattern"], name["maxLength"]) == (NAME_RE.pattern, cap), cls.KIND
