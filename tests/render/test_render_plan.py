"""Text, JSON, Markdown and saved plans, all from one Plan (DESIGN §4), with no server."""

from __future__ import annotations

import json
import textwrap

from jsonschema import Draft202012Validator
from planbuild import binding, desired, execution, live, live_run, live_workflow, plan, workflow

from gcsapply.engine.record_changes import execution_entry
from gcsapply.plan.build import PlanOptions, build_plan
from gcsapply.render.markdown import render_markdown
from gcsapply.render.plan_text import (
    mask,
    render_json,
    render_saved_plan,
    render_text,
)
from gcsapply.schemas import load_schema
from gcsapply.state.file import State

NOTIFY = {"events": ["exec_failed"], "email": ["ops@example.org"], "sms": ["+8613800001234"]}


def _mixed_plan():
    """One create, two updates, one delete, one deleted-outside drift, one warning."""
    wf = live_workflow(workflow())
    kept = execution("na12878", priority=3)
    run = live_run(kept, "Running", workflow=wf)
    gone = execution("old", deletion_policy="delete")
    gone_run = live_run(gone, "Succeeded", workflow=wf)
    lost = execution("lost", inputs={"sample": "L"})
    state = State(binding(), "lineage-1", 4, {
        kept.address: execution_entry(kept, gcs_id=run.id),
        gone.address: execution_entry(gone, gcs_id=gone_run.id),
        lost.address: execution_entry(lost, gcs_id="e19d3faf-9f04-9685-e5c0-fbe8d40b96cd")})
    stack = desired([workflow(description="GATK germline")],
                    [execution("na12878", priority=9), lost,
                     execution("hg002", inputs={"sample": "HG002"}, notification=NOTIFY)])
    return build_plan(stack, live([wf], [run, gone_run]), state, PlanOptions(),
                      target_line="Target: embedded emulator (.gcsapply/emulator.sqlite), "
                                  "project 0e5c5d3bc1a54c5fa3a2e1d6f0b1c2d3, stack genomics-prod")


def test_text_output_is_exactly_the_golden_plan():
    assert render_text(_mixed_plan()) == textwrap.dedent("""\
        Target: embedded emulator (.gcsapply/emulator.sqlite), project 0e5c5d3bc1a54c5fa3a2e1d6f0b1c2d3, stack genomics-prod

        Actions: + create  ~ update  - delete
        Cost: 1 run to launch, ≥ 0 jobs, ≥ 0 vCPU, ≥ 0 GB memory requested; 1 to delete.

        # execution/hg002 will be created
          reason: new
          + deletion_policy: "retain"
          + gcs_name: "hg002-ea9e9383"
          + image_pull_policy: "IfNotPresent"
          + inputs.sample: "HG002"
          + notification.email[0]: "o***@example.org"
          + notification.events[0]: "exec_failed"
          + notification.sms[0]: "+*********1234"
          + priority: 0
          + run_policy.max_retries: 2
          + run_policy.mode: "once"
          + target: "cci"
          + timeout: 1440
          + workflow: "germline"
          + workflow_version: "germline-7739219d"

        # execution/na12878 will be updated in place
          reason: fields-changed
          ~ priority: 3 -> 9

        # execution/old will be deleted
          reason: removed-from-manifests
          - old-45f89397 (3e5d9e6f-b380-49ad-2b2a-bffb2c5bdc3b), status Succeeded

        # workflow/germline will be updated in place
          reason: fields-changed
          ~ description: "" -> "GATK germline"

        Drift (changed outside gcsapply):
          execution/lost: deleted-outside: run lost-a2809837 (e19d3faf-9f04-9685-e5c0-fbe8d40b96cd) was launched by this stack and is gone from GCS; it is not relaunched (use --relaunch-missing to launch it again)

        1 unchanged.
        Plan: 1 to create, 2 to update, 0 to replace, 0 to retry, 0 to cancel, 1 to delete, 0 to forget.
        """)


def test_a_plan_without_changes_ends_with_no_changes():
    wf = live_workflow(workflow())
    text = render_text(plan(desired([workflow()]), live([wf])))
    assert text == "Cost: no runs to launch.\n\n1 unchanged.\nNo changes.\n"


def test_colour_is_only_added_when_asked():
    result = _mixed_plan()
    assert "\x1b[" not in render_text(result)
    assert "\x1b[32m# execution/hg002 will be created\x1b[0m" in render_text(result, colour=True)


def test_markdown_output_is_exactly_the_golden_plan():
    assert render_markdown(_mixed_plan()) == textwrap.dedent("""\
        ### gcsapply plan: `genomics-prod`

        | action | count |
        |---|---:|
        | create | 1 |
        | update | 2 |
        | replace | 0 |
        | retry | 0 |
        | cancel | 0 |
        | delete | 1 |
        | forget | 0 |
        | noop | 1 |

        **Plan: 1 to create, 2 to update, 0 to replace, 0 to retry, 0 to cancel, 1 to delete, 0 to forget.** Cost: 1 run to launch, ≥ 0 jobs, ≥ 0 vCPU, ≥ 0 GB memory requested; 1 to delete.

        **Launches (1):** `execution/hg002`
        **Deletes (1):** `execution/old`

        <details><summary><b>delete</b> <code>execution/old</code> (removed-from-manifests)</summary>

        ```diff
        - old-45f89397 (3e5d9e6f-b380-49ad-2b2a-bffb2c5bdc3b), status Succeeded
        ```

        </details>
        <details><summary><b>update</b> <code>execution/na12878</code> (fields-changed)</summary>

        ```diff
        ~ priority: 3 -> 9
        ```

        </details>
        <details><summary><b>update</b> <code>workflow/germline</code> (fields-changed)</summary>

        ```diff
        ~ description: "" -> "GATK germline"
        ```

        </details>
        <details><summary><b>create</b> <code>execution/hg002</code> (new)</summary>

        ```diff
        + deletion_policy: "retain"
        + gcs_name: "hg002-ea9e9383"
        + image_pull_policy: "IfNotPresent"
        + inputs.sample: "HG002"
        + notification.email[0]: "o***@example.org"
        + notification.events[0]: "exec_failed"
        + notification.sms[0]: "+*********1234"
        + priority: 0
        + run_policy.max_retries: 2
        + run_policy.mode: "once"
        + target: "cci"
        + timeout: 1440
        + workflow: "germline"
        + workflow_version: "germline-7739219d"
        ```

        </details>

        #### Drift (changed outside gcsapply)

        - `execution/lost`: **deleted-outside**: run lost-a2809837 (e19d3faf-9f04-9685-e5c0-fbe8d40b96cd) was launched by this stack and is gone from GCS; it is not relaunched (use --relaunch-missing to launch it again)

        1 unchanged.
        """)


def test_markdown_is_cut_on_entry_boundaries_with_destructive_entries_first():
    wf = live_workflow(workflow())
    doomed = execution("zz-doomed", deletion_policy="delete")
    run = live_run(doomed, "Succeeded", workflow=wf)
    state = State(binding(), "l", 1, {doomed.address: execution_entry(doomed, gcs_id=run.id)})
    runs = [execution(f"run-{i:04d}", inputs={"sample": f"S{i}"}) for i in range(400)]
    text = render_markdown(plan(desired([workflow()], runs), live([wf], [run]), state),
                           limit=20_000)
    assert len(text) < 20_000
    assert text.count("<details>") == text.count("</details>")
    assert "more changes not shown: the comment would pass 20,000 characters" in text
    first = text.index("<details>")
    assert text[first:].startswith("<details><summary><b>delete</b> <code>execution/zz-doomed")


def test_json_validates_against_the_plan_schema_and_lists_noops():
    document = json.loads(render_json(_mixed_plan()))
    Draft202012Validator(load_schema("plan")).validate(document)
    assert [c["address"] for c in document["changes"]] == [
        "execution/hg002", "execution/lost", "execution/na12878", "execution/old",
        "workflow/germline"]
    assert document["summary"] == {"create": 1, "update": 2, "replace": 0, "retry": 0,
                                   "cancel": 0, "delete": 1, "forget": 0, "noop": 1}
    assert document["changes"][2]["diff"] == [{"path": "priority", "before": 3, "after": 9}]


def test_the_same_plan_gives_byte_identical_json():
    assert render_json(_mixed_plan()) == render_json(_mixed_plan())


def test_json_keeps_values_unmasked_and_text_masks_them():
    result = _mixed_plan()
    assert "ops@example.org" in render_json(result)
    assert "ops@example.org" not in render_text(result) + render_markdown(result)
    assert "8613800001234" not in render_text(result) + render_markdown(result)


def test_mask_keeps_ids_digests_and_small_numbers():
    text = "e19d3faf-9f04-9685-e5c0-fbe8d40b96cd 45f89397f88d1856 1440 priority: 3 -> 9"
    assert mask(text) == text
    all_digit_ids = "germline-12344185 a23da3d2-1234-4362-8765-123456789012 run-20261128"
    assert mask(all_digit_ids) == all_digit_ids
    assert mask("call +86 138 0000 1234 or a.b@lab.example.cn") == \
        "call +** *** **** 1234 or a***@lab.example.cn"


def test_a_saved_plan_records_fingerprints_stack_dir_and_options_and_validates():
    result = _mixed_plan()
    options = PlanOptions(targets=("execution/hg002",))
    files = {"stack.yaml": "sha256:" + "1" * 64, "samples/trio.csv": "sha256:" + "2" * 64}
    document = json.loads(render_saved_plan(result, stack_dir="../stack", files=files,
                                            options=options, binding=binding().to_json()))
    Draft202012Validator(load_schema("plan")).validate(document)
    saved = document["saved"]
    assert saved["lineage"] == "lineage-1" and saved["serial"] == 4
    assert saved["fingerprints"]["execution/hg002"] == "absent"
    assert set(saved["fingerprints"]) == {"execution/hg002", "execution/na12878",
                                          "execution/old", "workflow/germline"}
    assert PlanOptions.from_json(saved["options"]) == options
    assert saved["stack_dir"] == "../stack"
    assert list(saved["files"]) == ["samples/trio.csv", "stack.yaml"]


def test_markdown_stays_under_the_limit_with_thousands_of_drift_entries():
    wf = live_workflow(workflow())
    runs = [execution(f"run-{i:04d}", inputs={"sample": f"S{i}"}) for i in range(2000)]
    state = State(binding(), "l", 1, {r.address: execution_entry(r, gcs_id=f"gone-{i}")
                                      for i, r in enumerate(runs)})
    result = plan(desired([workflow()], runs), live([wf]), state)
    assert len(result.drift) == 2000
    text = render_markdown(result, limit=20_000)
    assert len(text) < 20_000
    assert "#### Drift (changed outside gcsapply)" in text
    assert "more drift entries not shown" in text
    assert text.rstrip().endswith("2001 unchanged.")
