"""Every malformed stack file of the corpus (tests/corpus), through every command that reads stack files and
through the policy pack's config reading: the exact error, the documented exit code, no traceback, nothing
written. (The Pulumi program's reading of the same files runs with the real CLI in tests/integration.)"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from auth0_m2m.contract import PRODUCTION_KEY
from auth0_m2m.model.errors import StackConfigError
from auth0_m2m.model.loading import read_stack_file
from auth0_m2m.tools.cli import main
from auth0_m2m.tools.schemas import envelope_model

from .. import corpus

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "policy"))
from auth0_m2m_policy import hooks, policies  # noqa: E402

CASES = sorted(corpus.CASES)


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A project whose every corpus case is a stack: the base file committed, the malformed file in the tree."""
    root = tmp_path_factory.mktemp("corpus") / "project"
    (root / "stacks").mkdir(parents=True)
    shutil.copy(REPO / "Pulumi.yaml", root / "Pulumi.yaml")
    for case in CASES:
        shutil.copy(corpus.BASE, root / "stacks" / f"Pulumi.{case}.yaml")
    git = lambda *args: subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)  # noqa: E731
    git("init", "-q")
    git("add", ".")
    git("-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "base")
    for case, path in corpus.files().items():
        shutil.copy(path, root / "stacks" / f"Pulumi.{case}.yaml")
    return root


def run(*args: str):
    result = CliRunner().invoke(main, list(args))
    assert "Traceback" not in result.output and "Traceback" not in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file() and ".git" not in p.parts}


def test_every_file_has_an_expected_error():
    assert set(corpus.files()) == set(corpus.CASES)
    assert corpus.PULUMI_REFUSES <= set(corpus.CASES)


@pytest.mark.parametrize("case", CASES)
def test_the_loader_gives_the_exact_error(case):
    status, _ = corpus.CASES[case]
    with pytest.raises(StackConfigError) as error:
        read_stack_file(corpus.files()[case], project="auth0-m2m", source="bad.yaml").validate()
    assert [p.format("bad.yaml") for p in error.value.problems] == corpus.expected(case, "bad.yaml")
    assert error.value.unreadable == (status == 2)


@pytest.mark.parametrize("case", CASES)
def test_validate(project, case):
    status, _ = corpus.CASES[case]
    source = f"stacks/Pulumi.{case}.yaml"
    before = snapshot(project)
    human = run("validate", "--project-dir", str(project), "--stack", case)
    assert human.exit_code == status
    assert human.stdout == ""
    for line in corpus.expected(case, source):
        assert line in human.stderr
    machine = run("validate", "--project-dir", str(project), "--stack", case, "--json")
    assert machine.exit_code == status
    document = json.loads(machine.stdout)
    envelope_model("validate").model_validate(document)
    assert [e["text"] for e in document["errors"]] == corpus.expected(case, source)
    assert document["result"]["files"][0]["valid"] is False
    assert {e["kind"] for e in document["errors"]} == {"unreadable" if status == 2 else "config"}
    assert snapshot(project) == before


@pytest.mark.parametrize("case", CASES)
def test_report(project, tmp_path, case):
    status, _ = corpus.CASES[case]
    output = tmp_path / "report.md"
    result = run("report", "--project-dir", str(project), "--stack", case, "--output", str(output))
    assert result.exit_code == status
    for line in corpus.expected(case, f"stacks/Pulumi.{case}.yaml"):
        assert line in result.stderr
    assert not output.exists()
    machine = run("report", "--project-dir", str(project), "--stack", case, "--json")
    assert machine.exit_code == status
    assert [e["text"] for e in json.loads(machine.stdout)["errors"]] == corpus.expected(case, f"stacks/Pulumi.{case}.yaml")


@pytest.mark.parametrize("case", CASES)
def test_diff_fails_on_the_head_and_shows_why(project, case):
    status, _ = corpus.CASES[case]
    source = f"stacks/Pulumi.{case}.yaml"
    result = run("diff", "--project-dir", str(project), "--base", "HEAD", case)
    assert result.exit_code == status
    assert "does not validate" in result.stdout
    for line in corpus.expected(case, source):
        assert line in result.stdout  # in the PR comment, inside a code block
        assert line in result.stderr
    machine = run("diff", "--project-dir", str(project), "--base", "HEAD", case, "--json")
    document = json.loads(machine.stdout)
    envelope_model("diff").model_validate(document)
    assert machine.exit_code == status
    assert document["result"]["stacks"][0]["status"] == "invalid"
    assert [e["text"] for e in document["errors"]] == corpus.expected(case, source)


@pytest.mark.parametrize("case", CASES)
def test_access_check_stops_at_the_file_before_any_request(project, tmp_path, case):
    status, _ = corpus.CASES[case]
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps({"applications": {}, "client_secrets": {}, "organization_ids": {}}))
    # An address nothing listens on: reaching the network would end with exit 3, not the file's status.
    result = run("access-check", "--project-dir", str(project), "--stack", case, "--outputs", str(outputs),
                 "--domain", "127.0.0.1:9", "--json")
    assert result.exit_code == status
    assert [e["text"] for e in json.loads(result.stdout)["errors"]] == corpus.expected(case, f"stacks/Pulumi.{case}.yaml")


def test_stacks_counts_every_unreadable_or_undecidable_file_as_production(project):
    result = run("stacks", "--project-dir", str(project), "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    envelope_model("stacks").model_validate(document)
    found = {entry["stack"]: entry["production"] for entry in document["result"]["stacks"]}
    assert set(found) == set(CASES)
    for case in CASES:
        try:
            flag = read_stack_file(corpus.files()[case], project="auth0-m2m").boolean(PRODUCTION_KEY)
        except (StackConfigError, ValueError):
            flag = True  # cannot be read, or not a boolean: fail closed
        assert found[case] is bool(flag), case


def readable_cases() -> list[str]:
    cases = []
    for case in CASES:
        try:
            read_stack_file(corpus.files()[case], project="auth0-m2m")
        except StackConfigError:
            continue
        cases.append(case)
    return cases


@pytest.mark.parametrize("case", readable_cases())
def test_the_policy_pack_reads_the_config_like_the_loader(case, monkeypatch):
    """The engine hands the pack the same text it hands the program (ConfigureStack): production and the
    plain-text credentials the pack sees are the ones the loader sees."""
    stack_file = read_stack_file(corpus.files()[case], project="auth0-m2m")
    config = {key: text if text is not None else "decrypted" for key, text in stack_file.engine_config.items()}
    monkeypatch.setattr(hooks, "STACK", hooks.StackInfo(received=True, stack="staging", project="auth0-m2m",
                                                        config=config, secret_keys=stack_file.secret_keys))
    reason = policies.production_reason({}, "urn:pulumi:staging::auth0-m2m::auth0:index/client:Client::x")
    try:
        library = stack_file.boolean(PRODUCTION_KEY)
    except ValueError:
        library = None
        assert reason is not None and "not true or false" in reason  # the library refuses; the pack fails closed
    else:
        assert (reason is not None) is bool(library)
    library_credentials = {
        problem.key for problem in _problems(stack_file) if problem.message.startswith("holds a credential")
    }
    assert set(policies.plaintext_secret_config_keys()) == library_credentials


def _problems(stack_file):
    try:
        stack_file.validate()
    except StackConfigError as error:
        return error.problems
    return ()
