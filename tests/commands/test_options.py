"""Flags shared by several commands (``gcsapply.commands.options``): defined once, so every
command accepts and refuses the same values with the same message, before any call to GCS."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
from apply_harness import ECHO_TEMPLATE, STACK, WORKFLOW, Gcs, execution

from gcsapply import cli


@pytest.fixture
def gcs(tmp_path, monkeypatch, capsys):
    gcs = Gcs(tmp_path / "stack", monkeypatch, capsys)
    gcs.write({"stack.yaml": STACK, "workflows.yaml": WORKFLOW,
               "templates/hello.yaml": ECHO_TEMPLATE, "a.yaml": execution("a", "s1")})
    return gcs


@pytest.fixture
def saved_plan(gcs, tmp_path) -> Path:
    path = tmp_path / "plan.json"
    assert gcs.run("plan", gcs.root, "--out", path).code == 0
    return path


@pytest.mark.parametrize("command", ["plan", "apply"])
@pytest.mark.parametrize("flag", ["--allow-launches", "--allow-deletes"])
@pytest.mark.parametrize("value, shown", [("-1", "-1"), ("many", "'many'"), ("2.5", "'2.5'")],
                         ids=["negative", "a-word", "a-fraction"])
def test_plan_and_apply_refuse_a_bad_allowance_with_the_same_message(gcs, command, flag, value,
                                                                      shown):
    result = gcs.run(command, gcs.root, flag, value)
    assert (result.code, result.out) == (1, "")
    assert result.err == f"error: {flag} must be a number of changes >= 0, not {shown}\n"
    assert gcs.executions() == []


def test_destroy_refuses_a_negative_allow_deletes_like_plan_and_apply(gcs):
    result = gcs.run("destroy", gcs.root, "--auto-approve", "--allow-deletes", "-1")
    assert (result.code, result.out) == (1, "")
    assert result.err == "error: --allow-deletes must be a number of changes >= 0, not -1\n"


def test_an_allowance_of_0_is_a_valid_value(gcs):
    result = gcs.run("plan", gcs.root, "--allow-deletes", "0")
    assert result.code == 0, result.err


@pytest.mark.parametrize("command", ["apply", "destroy"])
@pytest.mark.parametrize("value, shown", [("0", "0"), ("65", "65"), ("-3", "-3"),
                                          ("ten", "'ten'")], ids=["0", "65", "-3", "a-word"])
def test_apply_and_destroy_refuse_parallelism_outside_1_to_64_alike(gcs, command, value, shown):
    result = gcs.run(command, gcs.root, "--auto-approve", "--parallelism", value)
    assert (result.code, result.out) == (1, "")
    assert result.err == f"error: --parallelism must be between 1 and 64, not {shown}\n"
    assert gcs.executions() == []


def test_parallelism_1_and_64_are_accepted(gcs):
    assert gcs.apply("--parallelism", "1").code == 0
    assert gcs.run("destroy", gcs.root, "--auto-approve", "--parallelism", "64").code == 0


@pytest.mark.parametrize("option", [
    ["--allow-launches", "0"],
    ["--allow-deletes", "0"],
    ["--allow-launches", "5"],
    ["--relaunch-missing"],
    ["--target", "execution/a"],
    ["--replace", "workflow/hello"],
])
def test_a_plan_option_given_with_a_saved_plan_is_refused_whatever_its_value(gcs, saved_plan,
                                                                             option):
    result = gcs.run("apply", saved_plan, *option)
    assert (result.code, result.out) == (1, "")
    assert result.err == (f"error: {option[0]} cannot change a saved plan\n"
                          "  hint: give the options to 'gcsapply plan --out' instead\n")
    assert gcs.executions() == []


def test_every_plan_option_given_with_a_saved_plan_is_named(gcs, saved_plan):
    result = gcs.run("apply", saved_plan, "--allow-deletes", "0", "--target", "execution/a")
    assert result.code == 1
    assert result.err.startswith("error: --target, --allow-deletes cannot change a saved plan\n")


def test_a_timeout_is_read_by_the_waits_own_rule(gcs):
    result = gcs.run("apply", gcs.root, "--auto-approve", "--wait", "--timeout", "soon")
    assert (result.code, result.out) == (1, "")
    assert result.err == ("error: --timeout takes a positive duration like 90s, 30m, 2h or "
                          "600, not 'soon'\n")


def test_a_flag_shared_by_several_commands_reads_the_same_in_each():
    seen: dict[str, dict[tuple, list[str]]] = {}
    for name, parser in _command_parsers(cli.build_parser()):
        for action in parser._actions:
            if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
                continue
            key = action.option_strings[0] if action.option_strings else \
                (action.metavar if action.nargs is None else f"[{action.metavar}]")  # DIR vs [DIR]
            definition = (action.dest, action.metavar, action.type, action.help, action.default,
                          action.nargs, action.const)
            seen.setdefault(key, {}).setdefault(definition, []).append(name)
    shared = {key: definitions for key, definitions in seen.items()
              if sum(len(names) for names in definitions.values()) > 1}
    assert {"DIR", "[DIR]", "ADDR", "--json", "--auto-approve", "--parallelism", "--target", "--replace",
            "--relaunch-missing", "--allow-launches", "--allow-deletes"} <= set(shared)
    differing = {key: definitions for key, definitions in shared.items() if len(definitions) > 1}
    assert differing == {}


def _command_parsers(parser, prefix=""):
    """Every (sub)command parser under ``parser``, with its name (``state show``)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield f"{prefix}{name}", sub
                yield from _command_parsers(sub, f"{prefix}{name} ")
