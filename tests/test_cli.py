"""The CLI boundary: ``cli.main`` is the one place that turns exceptions into exit codes."""

import subprocess
import sys

import pytest

from gcsapply import __version__, cli
from gcsapply.commands import validate
from gcsapply.diagnostics import Diagnostic
from gcsapply.errors import EXIT_ERROR, EXIT_INTERRUPTED, InputError


def test_version_prints_the_version_and_exits_0(capsys):
    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out == f"gcsapply {__version__}\n"


def test_help_exits_0(capsys):
    assert cli.main(["--help"]) == 0
    assert "validate" in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["bogus"], "error: argument COMMAND: invalid choice: 'bogus'"),
    (["validate"], "error: the following arguments are required: DIR"),
    (["validate", ".", "--bogus"], "error: unrecognized arguments: --bogus"),
    (["--bogus"], "error: unrecognized arguments: --bogus"),
])
def test_usage_errors_exit_1_not_argparse_2_with_a_hint(argv, message, capsys):
    assert cli.main(argv) == EXIT_ERROR
    out, err = capsys.readouterr()
    assert out == ""
    first, hint = err.splitlines()[-2:]
    assert first.startswith(message)
    assert hint.startswith("  hint: run 'gcsapply") and hint.endswith("--help' for usage")
    assert "Traceback" not in err


@pytest.mark.parametrize("argv, hint", [
    (["apply", "x", "y"], "run 'gcsapply apply --help' for usage"),
    (["validate", ".", "--bogus"], "run 'gcsapply validate --help' for usage"),
    (["state", "list", ".", "extra"], "run 'gcsapply state list --help' for usage"),
    (["emulator", "serve", "--nope"], "run 'gcsapply emulator serve --help' for usage"),
    (["--bogus", "validate", "."], "run 'gcsapply --help' for usage"),
])
def test_too_many_arguments_point_at_the_help_of_the_command_that_got_them(argv, hint, capsys):
    assert cli.main(argv) == EXIT_ERROR
    out, err = capsys.readouterr()
    extra = argv[-1] if argv[0] != "--bogus" else "--bogus"
    assert (out, err) == ("", f"error: unrecognized arguments: {extra}\n  hint: {hint}\n")


def test_no_command_prints_the_usage_and_exits_1(capsys):
    assert cli.main([]) == EXIT_ERROR
    assert capsys.readouterr().err.startswith("usage: gcsapply")


def _raise(exc):
    def run(args):
        raise exc
    return run


def test_an_internal_error_is_one_plain_line_and_a_hint_without_a_traceback(monkeypatch, capsys):
    monkeypatch.setattr(validate, "run", _raise(KeyError("boom")))
    assert cli.main(["validate", "."]) == EXIT_ERROR
    out, err = capsys.readouterr()
    assert out == ""
    assert err == ("error: internal error: KeyError: 'boom'\n"
                   "  hint: rerun with --debug and report the traceback\n")


def test_debug_adds_the_traceback_of_an_internal_error(monkeypatch, capsys):
    monkeypatch.setattr(validate, "run", _raise(KeyError("boom")))
    assert cli.main(["--debug", "validate", "."]) == EXIT_ERROR
    err = capsys.readouterr().err
    assert err.startswith("error: internal error: KeyError: 'boom'\n")
    assert "Traceback (most recent call last):" in err and err.rstrip().endswith("KeyError: 'boom'")


def test_input_errors_show_diagnostics_and_a_traceback_only_with_debug(monkeypatch, capsys):
    problem = Diagnostic("error", "x", "bad value", "a.yaml", 3, 5, "spec.x", "fix it")
    monkeypatch.setattr(validate, "run", _raise(InputError("1 error in manifests", diagnostics=[problem])))
    assert cli.main(["validate", "."]) == EXIT_ERROR
    err = capsys.readouterr().err
    assert err == "a.yaml:3:5: error: bad value (at spec.x)\n  hint: fix it\n1 error, 0 warnings\n"
    assert cli.main(["validate", ".", "--debug"]) == EXIT_ERROR
    assert "Traceback (most recent call last):" in capsys.readouterr().err


def test_input_errors_with_json_print_only_the_diagnostics_document(monkeypatch, capsys):
    problem = Diagnostic("error", "x", "bad value", "a.yaml", 3, 5, "spec.x", "fix it")
    monkeypatch.setattr(validate, "run", _raise(InputError("1 error in manifests", diagnostics=[problem])))
    assert cli.main(["validate", ".", "--json"]) == EXIT_ERROR
    out, err = capsys.readouterr()
    assert out.startswith('{\n  "format_version": "1.0",\n  "valid": false,') and err == ""


def test_ctrl_c_exits_130(monkeypatch, capsys):
    monkeypatch.setattr(validate, "run", _raise(KeyboardInterrupt()))
    assert cli.main(["validate", "."]) == EXIT_INTERRUPTED == 130
    assert capsys.readouterr().err == "\nInterrupted.\n"


def test_python_dash_m_gcsapply_runs_the_cli():
    done = subprocess.run([sys.executable, "-m", "gcsapply", "--version"], capture_output=True, text=True,
                          timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (0, f"gcsapply {__version__}\n", "")
    done = subprocess.run([sys.executable, "-m", "gcsapply", "validate"], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 1 and "the following arguments are required: DIR" in done.stderr


@pytest.mark.parametrize("argv", [["--debug", "validate", "x"], ["validate", "x", "--debug"]])
def test_debug_is_seen_before_or_after_the_command(argv):
    assert cli.build_parser().parse_args(argv).debug is True


def test_debug_is_off_unless_asked_for():
    assert cli.build_parser().parse_args(["validate", "x"]).debug is False


def test_every_command_of_the_table_is_built_into_the_parser_with_its_summary():
    [commands] = [a for a in cli.build_parser()._actions if a.dest == "command"]
    assert list(commands.choices) == list(cli.COMMANDS)
    for name, (module, summary) in cli.COMMANDS.items():
        assert module.__name__ == f"gcsapply.commands.{name}"
        assert commands.choices[name].description == summary
