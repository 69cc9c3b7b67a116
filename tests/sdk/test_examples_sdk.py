"""examples/sdk as the README runs it: ``python demo.py`` against a served emulator, twice in a
row, then ``token_demo.py`` with a user name and password."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "sdk"


def _demo_output(served, executions: int) -> str:
    return dedent(f"""\
        ['default-cci', 'default-cce', 'cromwell-env']
        status: Succeeded
        {{'outputs': {{'report': {{'paths': ['NA24385/report.txt']}}}}}}
        {executions} execution(s) in the project
        404 GCS.4040002 Workflow not found: no workflow no-such-id in project {served.project_id}
        """)


def _aksk(served) -> dict:
    return {"HW_ACCESS_KEY": served.ak, "HW_SECRET_KEY": served.sk, "HW_PROJECT_ID": served.project_id}


def test_the_readme_demo_runs_twice_in_a_row_reusing_its_workflow_with_a_new_run(served_emulator):
    first = served_emulator.run(EXAMPLES / "demo.py", **_aksk(served_emulator))
    second = served_emulator.run(EXAMPLES / "demo.py", **_aksk(served_emulator))
    assert (first.returncode, first.stderr) == (0, "")
    assert (second.returncode, second.stderr) == (0, "")
    assert first.stdout == _demo_output(served_emulator, 1)
    assert second.stdout == _demo_output(served_emulator, 2)


def test_the_token_demo_signs_in_with_three_arguments_and_lists_the_demo_workflow(served_emulator):
    assert served_emulator.run(EXAMPLES / "demo.py", **_aksk(served_emulator)).returncode == 0
    user = {"HW_USER_NAME": served_emulator.user, "HW_USER_PASSWORD": served_emulator.password,
            "HW_PROJECT_ID": served_emulator.project_id}
    result = served_emulator.run(EXAMPLES / "token_demo.py", **user)
    assert (result.returncode, result.stdout, result.stderr) == (0, "['hello-sdk']\n", "")


def test_the_token_demo_with_another_account_name_fails_with_iam_401(served_emulator):
    user = {"HW_USER_NAME": served_emulator.user, "HW_USER_PASSWORD": served_emulator.password,
            "HW_PROJECT_ID": served_emulator.project_id, "HW_DOMAIN_NAME": "another-account"}
    result = served_emulator.run(EXAMPLES / "token_demo.py", **user)
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (f"requests.exceptions.HTTPError: 401 Client Error: Unauthorized "
                                              f"for url: {served_emulator.url}/v3/auth/tokens")
