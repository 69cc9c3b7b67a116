"""ExecutionSet sample sheets: parsing, placeholders, typed conversion and row errors."""

import pytest

from gcsapply.errors import InputError
from gcsapply.manifest.build import load_stack


def set_manifest(samples="samples.csv", key="sample_id", inputs='{sample: "{{ sample.sample_id }}"}',
                 extra=""):
    return f"""\
        apiVersion: gcsapply/v1
        kind: ExecutionSet
        metadata: {{name: cohort}}
        spec:
          samples: {samples}
          key: {key}
          template:
            workflow: align
            inputs: {inputs}
{extra}"""


def errors(root):
    with pytest.raises(InputError) as exc_info:
        load_stack(root)
    return [d.render() for d in exc_info.value.diagnostics if d.code != "stack-name-from-directory"]


def test_each_csv_row_becomes_a_member_with_typed_inputs(tree):
    root = tree({
        "cohort.yaml": set_manifest(inputs='{sample: "{{ sample.sample_id }}", depth: "{{sample.depth}}", '
                                           'regions: "{{ sample.regions }}", paired: "{{ sample.paired }}"}'),
        "samples.csv": '\ufeffsample_id,depth,regions,paired\nNA1,30,"[""chr1""]",true\nNA2, 12.0 ,[],FALSE\n',
    })
    desired = load_stack(root).desired
    assert desired.sets == {"executionset/cohort": ("execution/cohort-na1", "execution/cohort-na2")}
    one, two = desired.executions["execution/cohort-na1"], desired.executions["execution/cohort-na2"]
    assert one.inputs == {"sample": "NA1", "depth": 30, "regions": ["chr1"], "paired": True}
    assert two.inputs == {"sample": "NA2", "depth": 12, "regions": [], "paired": False}
    assert isinstance(two.inputs["depth"], int)
    assert (one.set_name, str(one.source), str(two.source)) == ("cohort", "samples.csv:2", "samples.csv:3")


def test_tsv_sheets_split_on_tabs_and_embedded_placeholders_give_strings(tree):
    root = tree({
        "cohort.yaml": set_manifest(samples="sheets/cohort.tsv",
                                    inputs='{sample: "{{ sample.sample_id }}-{{ sample.lane }}"}',
                                    extra='            labels: {lane: "{{ sample.lane }}"}\n'),
        "sheets/cohort.tsv": "sample_id\tlane\nNA1\t1\n\nNA2\t2\n",
    })
    desired = load_stack(root).desired
    members = [desired.executions[a] for a in desired.sets["executionset/cohort"]]
    assert [(m.name, m.inputs, m.labels, str(m.source)) for m in members] == [
        ("cohort-na1", {"sample": "NA1-1"}, {"lane": "1"}, "sheets/cohort.tsv:2"),
        ("cohort-na2", {"sample": "NA2-2"}, {"lane": "2"}, "sheets/cohort.tsv:4"),
    ]


def test_inline_rows_keep_their_yaml_types_and_convert_to_the_declared_type(tree):
    root = tree({"cohort.yaml": set_manifest(
        samples="[{sample_id: A, depth: 7}, {sample_id: 12, depth: '8'}]",
        inputs='{sample: "{{ sample.sample_id }}", depth: "{{ sample.depth }}"}')})
    desired = load_stack(root).desired
    assert sorted((e.name, tuple(e.inputs.items())) for e in desired.executions.values()) == [
        ("cohort-a", (("sample", "A"), ("depth", 7))),
        ("cohort-" + __import__("gcsapply.manifest.names", fromlist=["x"]).hashed_suffix("12"),
         (("sample", "12"), ("depth", 8))),
    ]


def test_sheet_errors_are_reported_at_the_physical_line_of_the_row(tree):
    root = tree({
        "cohort.yaml": set_manifest(inputs='{sample: "{{ sample.sample_id }}", depth: "{{ sample.depth }}"}'),
        "samples.csv": (
            "sample_id,depth\n"
            "NA1,30\n"
            '"NA\n2",x\n'        # a quoted newline: the row starts on line 3
            "NA1,31\n"           # line 5: duplicate key
            ",32\n"              # line 6: empty key
            "na_1,33\n"          # line 7: na_1 and NA1 both give cohort-na-1? no: cohort-na-1 vs cohort-na1
            "NA-1,34\n"          # line 8: collides with line 7 after s()
            "NA9\n"              # line 9: too few fields
        ),
    })
    assert errors(root) == [
        "samples.csv:3: error: column 'depth': not a number: 'x' (input 'depth' is declared as number)\n"
        "  hint: fix the value, or the type of 'depth' in templates/align.yaml",
        "samples.csv:5: error: column 'sample_id': duplicate key 'NA1' (first on line 2)\n"
        "  hint: keys must be unique: each row is one run",
        "samples.csv:6: error: column 'sample_id' is empty; every row needs a key\n"
        "  hint: fill in the key, or delete the row",
        "samples.csv:8: error: column 'sample_id': key 'NA-1' gives member name 'cohort-na-1', as does "
        "key 'na_1' (line 7)\n  hint: make the keys differ in more than case and punctuation",
        "samples.csv:9: error: row has 1 field; the header has 2\n  hint: quote values that contain commas",
    ]


def test_a_missing_key_column_is_reported_at_the_header(tree):
    root = tree({"cohort.yaml": set_manifest(key="sample"), "samples.csv": "sample_id\nNA1\n"})
    assert errors(root) == [
        "samples.csv:1: error: key column 'sample' is not in the sample sheet header\n"
        "  hint: did you mean 'sample_id'? (columns: sample_id)"]


def test_a_placeholder_naming_a_missing_column_is_reported_at_the_manifest_line(tree):
    root = tree({"cohort.yaml": set_manifest(inputs='{sample: "{{ sample.sampleid }}"}',
                                             extra='            description: "{{ sampel.x }}"\n'),
                 "samples.csv": "sample_id\nNA1\n"})
    assert errors(root) == [
        "cohort.yaml:9:22: error: {{ sample.sampleid }} names no column of the sample sheet "
        "(at spec.template.inputs.sample)\n"
        "  hint: did you mean 'sample_id'? (columns of samples.csv: sample_id)",
        "cohort.yaml:10:18: error: placeholders are written {{ sample.<column> }} "
        "(at spec.template.description)\n  hint: columns: sample_id",
    ]


@pytest.mark.parametrize("content, expected", [
    (b"", "samples.csv:1: error: sample sheet is empty"),
    (b"\n\n", "samples.csv:1: error: sample sheet is empty"),
    (b"sample_id\n", "samples.csv:1: error: sample sheet has a header but no rows"),
    (b"sample_id,,x\nA,B,C\n", "samples.csv:1: error: column 2 has no name"),
    (b"sample_id,x,x\nA,B,C\n", "samples.csv:1: error: column 'x' appears twice"),
    (b"sample_id\n\xff\n", "samples.csv:2: error: sample sheet is not valid UTF-8"),
    (b'sample_id\n"NA1\n', "samples.csv:2: error: cannot parse the sample sheet: unexpected end of data"),
])
def test_unusable_sheets_are_reported_in_the_sheet(tree, content, expected):
    root = tree({"cohort.yaml": set_manifest(), "samples.csv": content})
    assert [line.split("\n")[0] for line in errors(root)] == [expected]


def test_a_missing_sheet_is_reported_where_the_manifest_names_it(tree):
    root = tree({"cohort.yaml": set_manifest(samples="data/samples.csv")})
    assert errors(root) == [
        "cohort.yaml:5:12: error: sample sheet 'data/samples.csv' does not exist (at spec.samples)\n"
        "  hint: paths are relative to the folder of cohort.yaml"]


def test_member_names_that_would_break_the_length_rule_name_the_row(tree):
    name = "c" * 50
    root = tree({"cohort.yaml": set_manifest().replace("{name: cohort}", f"{{name: {name}}}"),
                 "samples.csv": "sample_id\nA\nNA12878\n"})
    assert errors(root) == [
        f"samples.csv:3: error: member name '{name}-k{__import__('hashlib').sha256(b'NA12878').hexdigest()[:10]}' "
        "for key 'NA12878' is 62 characters (at most 54)\n"
        "  hint: shorten the ExecutionSet name to at most 42 characters"]


def test_values_substituted_outside_inputs_are_checked_like_the_manifest(tree):
    root = tree({"cohort.yaml": set_manifest(extra='            labels: {note: "{{ sample.note }}"}\n'),
                 "samples.csv": "sample_id,note\nA,ok\nB," + "x" * 64 + "\n"})
    assert errors(root) == [
        "samples.csv:3: error: member 'cohort-b': spec.template.labels.note: must be at most 63 characters "
        "(got 64)\n  hint: the value comes from this row"]


def test_members_carry_the_merged_stack_defaults(tree):
    root = tree({"cohort.yaml": set_manifest(extra="            priority: 5\n"),
                 "samples.csv": "sample_id\nA\n",
                 "stack.yaml": """\
                     apiVersion: gcsapply/v1
                     kind: Stack
                     metadata: {name: lab}
                     spec:
                       defaults: {execution: {priority: 1, environment: default-cci, labels: {team: x}}}
                     """})
    member = load_stack(root).desired.executions["execution/cohort-a"]
    assert (member.priority, member.environment, member.labels) == (5, "default-cci", {"team": "x"})
