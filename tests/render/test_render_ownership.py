"""foreign-run warnings and duplicate-run drift in text, JSON and Markdown, from one Plan."""

from __future__ import annotations

import json
import textwrap

from jsonschema import Draft202012Validator
from planbuild import STACK, binding, desired, execution, live, live_run, live_workflow, plan, workflow

from gcsapply.engine.record_changes import execution_entry
from gcsapply.render.markdown import render_markdown
from gcsapply.render.plan_text import render_json, render_text
from gcsapply.schemas import load_schema
from gcsapply.state.file import State

WF = workflow()
LIVE_WF = live_workflow(WF)
SPEC = execution("sample1", inputs={"sample": "BRAVO"})
FIRST, SECOND = "a0a0a0a0-0000-4000-8000-000000000001", "a0a0a0a0-0000-4000-8000-000000000002"
DETAIL = (f"2 runs are named {SPEC.gcs_name} with this stack's labels: {FIRST}, {SECOND}; plan "
          f"follows {FIRST} and leaves {SECOND} alone (launched twice outside this plan: delete "
          "the extra run in GCS if it is not wanted)")
WARNING = ("another stack named genomics-prod, lineage b2b2b2b2, has 1 run in this project; "
           "rename one of the stacks")


def _plan():
    labels = SPEC.gcs_labels(STACK, "a1a1a1a1-aaaa-4aaa-8aaa-aaaaaaaaaaaa")
    first = live_run(SPEC, "Running", workflow=LIVE_WF, id=FIRST, labels=labels, create_at="1")
    second = live_run(SPEC, "Running", workflow=LIVE_WF, id=SECOND, labels=labels,
                      create_at="2")
    alpha = execution("sample1", inputs={"sample": "ALPHA"})
    theirs = live_run(alpha, "Succeeded", workflow=LIVE_WF,
                      labels=alpha.gcs_labels(STACK, "b2b2b2b2-bbbb-4bbb-8bbb-bbbbbbbbbbbb"))
    state = State(binding(), "a1a1a1a1-aaaa-4aaa-8aaa-aaaaaaaaaaaa", 2,
                  {SPEC.address: execution_entry(SPEC, gcs_id=FIRST)})
    return plan(desired([WF], [SPEC]), live([LIVE_WF], [first, theirs],
                                            duplicates={SPEC.gcs_name: (first, second)}), state)


def test_text_shows_duplicate_runs_as_drift_and_foreign_runs_as_a_warning():
    assert render_text(_plan()) == textwrap.dedent(f"""\
        Cost: no runs to launch.

        Drift (changed outside gcsapply):
          execution/sample1: duplicate-run: {DETAIL}

        Warnings:
          stack/genomics-prod: foreign-run: {WARNING}

        2 unchanged.
        No changes.
        """)


def test_json_lists_the_drift_and_the_warning():
    document = json.loads(render_json(_plan()))
    Draft202012Validator(load_schema("plan")).validate(document)
    assert document["drift"] == [{"address": "execution/sample1", "observation": "duplicate-run",
                                  "detail": DETAIL}]
    assert document["warnings"] == [{"address": "stack/genomics-prod", "code": "foreign-run",
                                     "message": WARNING}]
    assert document["summary"]["noop"] == 2


def test_markdown_lists_the_drift_and_the_warning():
    text = render_markdown(_plan())
    assert text.endswith(textwrap.dedent(f"""\
        #### Drift (changed outside gcsapply)

        - `execution/sample1`: **duplicate-run**: {DETAIL}

        #### Warnings

        - `stack/genomics-prod`: **foreign-run**: {WARNING}

        2 unchanged.
        """))
