"""Checklist items 5-9 and 23 (§10), run-time input values and convert_input."""

from textwrap import dedent, indent

import pytest

from gcsapply.errors import TemplateError
from gcsapply.template import InputSpec, convert_input, parse_template

STEPS = """
workflow:
  hello:
    type: GCS.Job
    tool: busybox:1.36
    commands:
      - echo ${greeting}
"""


def template(inputs_yaml):
    text = "version: genecontainer_0_1\ninputs:\n" + indent(dedent(inputs_yaml).strip("\n"), "  ") + "\n" + \
        dedent(STEPS).lstrip("\n")
    return parse_template(text, "t.yaml")


def only(inputs_yaml, code, strict=True):
    found = [d for d in template(inputs_yaml).validate(strict) if d.code == code]
    assert len(found) == 1, [d.render() for d in template(inputs_yaml).validate(strict)]
    return found[0]


def test_declared_inputs_are_read_as_input_specs():
    t = template("""
      greeting: {type: string, default: hi, description: what to say, label: basic}
      n: {type: number}
    """)
    assert t.inputs == {
        "greeting": InputSpec("greeting", "string", "hi", True, "what to say", "basic"),
        "n": InputSpec("n", "number", None, False, None, None),
    }
    assert [d.code for d in t.validate() if d.is_error] == []


def test_an_input_name_with_a_dot_is_invalid():
    d = only("""
      greeting: {type: string, default: hi}
      my.name: {type: string, default: x}
    """, "input-name-invalid")
    assert d.message == "input name 'my.name' must be 1-20 letters, digits, '-' or '_'"
    assert (d.line, d.column) == (4, 3)


def test_an_input_name_longer_than_twenty_characters_is_invalid():
    d = only("""
      greeting: {type: string, default: hi}
      abcdefghijklmnopqrstu: {type: string, default: x}
    """, "input-name-invalid")
    assert d.line == 4


def test_more_than_sixty_inputs_is_an_error():
    lines = "\n".join(f"i{n}: {{type: string, default: x}}" for n in range(61))
    d = only("greeting: {type: string, default: hi}\n" + lines, "too-many-inputs")
    assert d.message == "the template declares 62 inputs; GCS allows at most 60"
    assert d.line == 2


def test_a_duplicate_input_name_is_an_error_on_the_second_definition():
    d = only("""
      greeting: {type: string, default: hi}
      greeting: {type: string, default: ho}
    """, "duplicate-key")
    assert d.line == 4
    assert d.message == "duplicate key 'greeting' (first defined on line 3)"


def test_an_input_without_type_is_an_error():
    d = only("""
      greeting: {default: hi}
    """, "input-type-missing")
    assert d.message == "input 'greeting' has no `type`"
    assert d.line == 3


def test_an_input_of_type_integer_is_an_error_suggesting_number():
    d = only("""
      greeting: {type: string, default: hi}
      n:
        type: integer
    """, "input-type-invalid")
    assert d.message == "input 'n' has type 'integer'; allowed types are string, number, bool, array"
    assert d.hint == "write `type: number`"
    assert (d.line, d.column) == (5, 11)


def test_a_quoted_number_default_does_not_match_type_number():
    d = only("""
      greeting: {type: string, default: hi}
      n:
        type: number
        default: "4"
    """, "input-default-type")
    assert d.message == 'default of input \'n\' does not match its type: expected a number, got string "4"'
    assert d.hint == "write the default without quotes: `default: 4`"
    assert (d.line, d.column, d.path) == (6, 14, "inputs.n.default")


def test_yes_is_a_string_in_yaml_1_2_so_it_is_not_a_bool_default():
    d = only("""
      greeting: {type: string, default: hi}
      flag: {type: bool, default: yes}
    """, "input-default-type")
    assert d.message == "default of input 'flag' does not match its type: expected a bool, got string \"yes\""
    assert (d.line, d.path) == (4, "inputs.flag.default")


def test_an_array_default_must_be_a_list():
    d = only("""
      greeting: {type: string, default: hi}
      samples: {type: array, default: s01}
    """, "input-default-type")
    assert d.message.endswith("expected an array, got string \"s01\"")


def test_a_long_input_description_is_a_warning_and_a_long_label_an_error():
    long_text = "x" * 256
    t = template(f"""
      greeting: {{type: string, default: hi, description: {long_text}}}
      other: {{type: string, default: x, label: {"y" * 65}}}
    """)
    found = {d.code: d for d in t.validate()}
    assert found["input-description-too-long"].severity == "warning"
    assert found["input-description-too-long"].message == (
        "description of input 'greeting' is 256 characters; GCS documents at most 255")
    assert found["input-label-too-long"].is_error
    assert found["input-label-too-long"].message == "label of input 'other' is 65 characters; at most 64 allowed"
    assert found["input-label-too-long"].line == 4


def test_inputs_whose_defaults_reference_each_other_in_a_cycle_are_an_error():
    d = only("""
      greeting: {type: string, default: "${a}"}
      a: {type: string, default: "x${greeting}"}
    """, "input-default-cycle")
    assert d.message == "input defaults reference each other in a cycle: ${greeting} -> ${a} -> ${greeting}"
    assert (d.line, d.path) == (3, "inputs.greeting.default")


def test_default_cycles_are_not_checked_in_lenient_mode():
    assert template("""
      greeting: {type: string, default: "${greeting}"}
    """).validate(strict=False) == []


def test_a_default_may_reference_another_input_and_is_resolved_in_dependency_order():
    t = template("""
      greeting: {type: string, default: "${home}/x"}
      home: {type: string, default: "/home/${base}"}
      base: {type: string, default: alice}
    """)
    assert t.resolve_inputs({}) == {"greeting": "/home/alice/x", "home": "/home/alice", "base": "alice"}
    assert t.resolve_inputs({"base": "bob"})["greeting"] == "/home/bob/x"
    assert t.expand({"home": "/srv"}).steps["hello"].commands == ["echo /srv/x"]


def test_resolving_a_default_cycle_raises_a_template_error():
    t = template("""
      greeting: {type: string, default: "${greeting}!"}
    """)
    with pytest.raises(TemplateError, match="cycle: greeting -> greeting"):
        t.resolve_inputs({})


def test_run_time_values_override_defaults_and_are_type_checked():
    t = template("""
      greeting: {type: string, default: hi}
      n: {type: number, default: 2}
      flag: {type: bool, default: false}
      samples: {type: array, default: [a]}
    """)
    assert t.resolve_inputs({"n": 4.0, "flag": True, "samples": ["x", "y"]}) == {
        "greeting": "hi", "n": 4, "flag": True, "samples": ["x", "y"]}
    assert t.check_inputs({"n": True, "flag": "true", "greeting": 3, "samples": "a"}) == [
        "input 'n': expected a number, got bool true",
        "input 'flag': expected a bool, got string \"true\"",
        "input 'greeting': expected a string, got number 3",
        "input 'samples': expected an array, got string \"a\"",
    ]
    with pytest.raises(TemplateError) as caught:
        t.resolve_inputs({"n": "4"})
    assert caught.value.problems == ["input 'n': expected a number, got string \"4\""]


def test_undeclared_and_missing_required_inputs_are_problems():
    t = template("""
      greeting: {type: string}
    """)
    assert t.check_inputs({"greting": "hi"}) == [
        "input 'greting' is not declared in the template (declared: greeting)",
        "input 'greeting' has no default and no value was supplied",
    ]
    assert t.check_inputs({"greeting": "hi"}) == []
    with pytest.raises(TemplateError, match="has no default and no value was supplied"):
        t.expand()
    assert t.expand({"greeting": "yo"}).steps["hello"].commands == ["echo yo"]


@pytest.mark.parametrize("value, type_name, expected", [
    ("4", "number", 4), ("0.5", "number", 0.5), (" 4.0 ", "number", 4), ("-3", "number", -3),
    ("1e3", "number", 1000), (7, "number", 7), (2.0, "number", 2),
    ("true", "bool", True), ("FALSE", "bool", False), (True, "bool", True),
    ('["a", 1]', "array", ["a", 1]), ("[]", "array", []), (["x"], "array", ["x"]),
    (" as is ", "string", " as is "),
])
def test_convert_input_turns_sample_sheet_text_into_typed_values(value, type_name, expected):
    result = convert_input(value, type_name)
    assert result == expected and type(result) is type(expected)


@pytest.mark.parametrize("value, type_name, reason", [
    ("four", "number", "not a number: 'four'"),
    ("nan", "number", "not a number: 'nan'"),
    ("9" * 5000, "number", "number out of range: '9999999999999999999999999999999999999...'"),
    ("1e400", "number", "number out of range: '1e400'"),
    ("yes", "bool", "expected true or false, got 'yes'"),
    ("a,b", "array", 'expected a JSON array such as ["a","b"], got \'a,b\''),
    ('{"a": 1}', "array", 'expected a JSON array such as ["a","b"]'),
    (True, "number", "expected a number, got bool true"),
    (3, "string", "expected a string, got number 3"),
    ("x", "integer", "unknown input type 'integer'"),
])
def test_convert_input_raises_value_error_with_a_short_reason(value, type_name, reason):
    with pytest.raises(ValueError) as caught:
        convert_input(value, type_name)
    assert str(caught.value).startswith(reason)


def test_a_chain_of_thousands_of_default_references_resolves_without_recursion_errors():
    chain = "\n".join(f'i{n}: {{type: string, default: "${{i{n + 1}}}"}}' for n in range(2000))
    t = template("greeting: {type: string, default: hi}\n" + chain + "\ni2000: {type: string, default: end}")
    assert {d.code for d in t.validate()} == {"too-many-inputs"}
    assert t.resolve_inputs({})["i0"] == "end"
