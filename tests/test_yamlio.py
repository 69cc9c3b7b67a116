"""The YAML loader: YAML 1.2 core scalars, positions, and hostile input that stays cheap."""

from gcsapply.yamlio import MAX_ALIAS_VALUES, MAX_DEPTH, load_yaml_file, load_yaml_text


def load(text):
    documents, diagnostics = load_yaml_text(text, "f.yaml")
    return documents, [d.render() for d in diagnostics]


def test_plain_scalars_follow_yaml_1_2_core_rules():
    [document], problems = load(
        "a: [yes, no, on, off, True, FALSE, tRue, ~, null, NULL, nULL, 2026-11-28, 12:30, 017, 0o17,"
        " 0x1F, 0b101, 1_000, .5, 1e3, -.Inf, '1', \"true\", +12]\nb:\n")
    assert problems == []
    assert document.data == {"a": [
        "yes", "no", "on", "off", True, False, "tRue", None, None, None, "nULL", "2026-11-28", "12:30", 17, 15,
        31, "0b101", "1_000", 0.5, 1000.0, float("-inf"), "1", "true", 12], "b": None}


def test_an_explicit_str_tag_keeps_the_text_and_core_tags_resolve():
    [document], problems = load("a: [!!str 42, !!str true, !!int '3', !!bool 'false', !custom 5, 42]\n")
    assert problems == []
    assert document.data == {"a": ["42", "true", 3, False, "5", 42]}


def test_every_value_and_key_has_its_line_and_column():
    [document], _ = load("spec:\n  inputs:\n    - a\n    - {b: 1}\n")
    assert document.where(("spec", "inputs", 1, "b")) == (4, 11)
    assert document.where_key(("spec", "inputs")) == (2, 3)
    assert document.where(("spec", "nope")) == (2, 3)  # the nearest ancestor: spec's mapping


def test_a_merge_key_is_reported_instead_of_becoming_a_key_named_lt_lt():
    [document], problems = load("base: &b {k: 1}\nrun:\n  <<: *b\n  j: 2\n'<<': quoted keys are text\n")
    assert problems == ["f.yaml:3:3: error: YAML merge keys (<<) are not supported (at run)\n"
                        "  hint: write the keys out in full"]
    assert document.data["run"] == {"j": 2} and document.data["<<"] == "quoted keys are text"


def test_a_complex_key_is_reported_with_a_hint():
    _, problems = load("? [a, b]\n: 1\n")
    assert problems == ["f.yaml:1:3: error: mapping keys must be plain scalars\n"
                        "  hint: write the key as a plain or quoted string"]


def test_a_tab_inside_a_block_scalar_is_text_not_indentation():
    [document], problems = load("commands:\n  - |\n    cat <<-EOF\n    \tindented by a tab\n    EOF\n")
    assert problems == []
    assert document.data["commands"][0] == "cat <<-EOF\n\tindented by a tab\nEOF\n"


def test_a_tab_in_block_indentation_is_reported_on_its_line_before_the_syntax_error():
    _, problems = load("a:\n  b: 1\n\tc: 2\n")
    assert problems == ["f.yaml:3:1: error: tab character in indentation\n  hint: indent YAML with spaces only"]


def test_an_alias_bomb_is_refused_quickly_at_the_first_value_beyond_the_budget():
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    levels += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    [document], problems = load("\n".join(levels) + "\n")
    assert len(document.positions) <= 100 + MAX_ALIAS_VALUES  # not the 10**9 values the aliases name
    assert len(problems) == 1
    assert problems[0].startswith(f"f.yaml:1:19: error: YAML aliases expand to more than {MAX_ALIAS_VALUES} "
                                  "values (at a4[")
    assert problems[0].endswith("\n  hint: write the values out, or use fewer nested aliases")


def test_a_few_aliases_are_fine():
    [document], problems = load("d: &d {team: wgs}\nx: {labels: *d}\ny: {labels: *d}\n")
    assert problems == [] and document.data["y"] == {"labels": {"team": "wgs"}}
    assert document.where(("y", "labels", "team")) == (1, 14)


def test_an_alias_inside_its_own_anchor_is_an_error_not_a_recursion_error():
    [document], problems = load("x: &a [1, *a]\n")
    assert problems == ["f.yaml:1:4: error: a YAML alias refers to its own anchor (at x[1])\n"
                        "  hint: an anchored value cannot contain itself"]
    assert document.data == {"x": [1, None]}


def test_nesting_deeper_than_the_limit_is_an_error_and_never_reaches_the_recursive_composer():
    for depth in (MAX_DEPTH + 1, 1000, 100_000):  # 100,000 used to crash libyaml's composer
        documents, problems = load("x: " + "[" * depth + "]" * depth + "\n")
        assert documents == []
        assert problems == [f"f.yaml:1:{MAX_DEPTH + 3}: error: YAML nested more than {MAX_DEPTH} levels deep\n"
                            "  hint: flatten the structure; no manifest or template needs this depth"]
    [document], problems = load("[" * MAX_DEPTH + "]" * MAX_DEPTH + "\n")
    assert problems == []


def test_aliases_cannot_build_nesting_beyond_the_limit():
    lines = ["a0: &a0 [" + "[" * 40 + "]" * 40 + "]"]
    lines += [f"a{i}: &a{i} [" + "[" * 30 + f"*a{i - 1}" + "]" * 30 + "]" for i in range(1, 4)]
    _, problems = load("\n".join(lines) + "\n")
    assert problems and all("YAML nested more than 64 levels deep" in p for p in problems)


def test_integers_beyond_the_range_of_a_float_are_errors_not_crashes():
    [document], problems = load(f"a: {'9' * 5000}\nb: 0x{'f' * 300}\nc: {'9' * 300}\nd: {{{'1' * 400}: k}}\n")
    assert problems == [
        "f.yaml:1:4: error: integer too large (at a)\n  hint: quote it to make it a string, or use a smaller number",
        "f.yaml:2:4: error: integer too large (at b)\n  hint: quote it to make it a string, or use a smaller number",
    ]
    assert document.data["c"] == int("9" * 300)
    assert document.data["d"] == {"1" * 400: "k"}  # keys are the text written


def test_unreadable_and_non_utf8_files_are_diagnostics_with_hints(tmp_path):
    (tmp_path / "loop.yaml").symlink_to(tmp_path / "loop.yaml")
    _, [problem] = load_yaml_file(tmp_path / "loop.yaml", "loop.yaml")
    assert problem.render() == ("loop.yaml: error: cannot read file: Too many levels of symbolic links\n"
                                "  hint: check the file's permissions, or where its symbolic link points")
    (tmp_path / "bin.yaml").write_bytes(b"a: 1\n\xff\xfe\n")
    _, [problem] = load_yaml_file(tmp_path / "bin.yaml", "bin.yaml")
    assert problem.render() == "bin.yaml:2: error: file is not valid UTF-8\n  hint: save the file as UTF-8"
