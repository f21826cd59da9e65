"""The project reads stack files exactly as the real Pulumi CLI does, and refuses every file Pulumi refuses.

* Every corpus file (tests/corpus) through `pulumi config --json --config-file`: what Pulumi refuses, the loader
  refuses; where both read a file, every key's text (what the engine hands the program and the policy pack) and
  secretness are equal.
* Hundreds of scalar spellings (YAML 1.1 booleans, Go integer syntaxes, floats, timestamps, nulls), top-level
  and nested: the loader's text equals Pulumi's, byte for byte.
* The program (`pulumi preview`) refuses the corpus cases the engine's config shows (booleans, credentials,
  namespaces, ignored settings) with the loader's message, before anything is registered.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from auth0_m2m.model.errors import StackConfigError
from auth0_m2m.model.loading import read_stack_file

from .. import corpus
from .harness import REPO, PulumiProject, isolated_pulumi_env

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def pulumi(tmp_path_factory):
    """`pulumi config --json` of any stack file, in a scratch project named like this one."""
    root = tmp_path_factory.mktemp("reading")
    (root / "stacks").mkdir()
    (root / "Pulumi.yaml").write_text((REPO / "Pulumi.yaml").read_text())
    env = isolated_pulumi_env(root / "backend", "reading-tests", ca_cert="")
    env.pop("SSL_CERT_FILE")
    subprocess.run(["pulumi", "stack", "init", "reading", "--non-interactive"], cwd=root, env=env, check=True,
                   capture_output=True)

    def read(path: Path) -> tuple[int, dict, str]:
        result = subprocess.run(["pulumi", "config", "--json", "--stack", "reading", "--config-file", str(path)],
                                cwd=root, env=env, capture_output=True, text=True, timeout=120)
        values = json.loads(result.stdout) if result.returncode == 0 else {}
        return result.returncode, values, result.stderr

    return read


def engine_view(path: Path):
    """The loader's view of a file, or None when it refuses to read it at all."""
    try:
        stack_file = read_stack_file(path, project="auth0-m2m")
    except StackConfigError:
        return None
    return {key: (entry.text, entry.secret) for key, entry in stack_file.config.items()}


def pulumi_view(values: dict) -> dict:
    return {key: (None if value["secret"] else value.get("value"), value["secret"]) for key, value in values.items()}


@pytest.mark.parametrize("case", sorted(corpus.CASES))
def test_pulumi_and_the_loader_read_the_corpus_alike(pulumi, case):
    status, values, stderr = pulumi(corpus.files()[case])
    assert (status != 0) == (case in corpus.PULUMI_REFUSES), stderr
    ours = engine_view(corpus.files()[case])
    if status != 0:
        assert corpus.CASES[case][0] in (1, 2)  # refused by the project too
        return
    if ours is not None:
        assert ours == pulumi_view(values)


# Plain scalars Pulumi (gopkg.in/yaml.v3) reads in ways YAML 1.1 readers and people may not.
SCALARS = [
    *"true True TRUE false False FALSE yes Yes YES no No NO on On ON off Off OFF y Y n N".split(),
    *"null Null NULL ~ nulL".split(),
    *"0 1 -1 +1 007 017 08 09 0o17 0O17 0x1F 0X1f 0b101 0B11 -0b101 -0x1F -017 +0x10 0x 0b 0o 1_000 _1 1__0 0_7".split(),
    *"9223372036854775807 9223372036854775808 18446744073709551615 18446744073709551616 -9223372036854775808".split(),
    *"-9223372036854775809 99999999999999999999999".split(),
    *"1.5 1.50 .5 -.5 +.5 1. 1e3 1E3 1e+3 1e-3 1.5e-7 1e21 1e20 123456789.123456789 1e999 -1e999 .1e1".split(),
    *"1e-400 08.5 1_0.5 inf nan Infinity 0x1p3 .e5 1e 1.2.3 -0 -0.0 0.000001 0.0000001".split(),
    "2001-12-14", "2001-12-14T21:59:43.10Z", "2001-12-14t21:59:43.10-05:00", "2001-12-14 21:59:43.10", "2001-1-2",
    "2001-12-14T21:59:43Z", "2001-12-14T21:59:43.123456789123Z", "2001-13-14", "2001-02-30", "2024-02-29",
    "2001-12-14 21:59:43", "2001-12-14T21:59:43+00:00", "12:30:00", "1:20", "190:20:30",
    ":a", "'it''s'", '"a\\tb"', "a b", "x #comment", "-x", ".", "..", "+", "0.", "00", "0x_1", "1e1_0",
]


def scalar_file(tmp_path: Path) -> Path:
    lines = ["config:"]
    for index, text in enumerate(SCALARS):
        lines.append(f"  probe:s{index:03d}: {text}")
    lines.append("  probe:nested:")
    lines += [line.replace("  probe:s", "    s") for line in lines[1:] if line.startswith("  probe:s")]
    path = tmp_path / "scalars.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_every_scalar_reads_as_pulumi_reads_it(pulumi, tmp_path):
    path = scalar_file(tmp_path)
    status, values, stderr = pulumi(path)
    assert status == 0, stderr
    ours = engine_view(path)
    theirs = pulumi_view(values)
    nested_ours = json.loads(ours.pop("probe:nested")[0])
    nested_theirs = json.loads(theirs.pop("probe:nested")[0])
    assert {k: v for k, v in ours.items()} == theirs
    assert nested_ours == nested_theirs


def test_the_repositorys_stack_files_read_alike(pulumi):
    for path in sorted((REPO / "stacks").glob("Pulumi.*.yaml")):
        status, values, stderr = pulumi(path)
        if status != 0 and "decrypt" in stderr:
            continue  # secrets encrypted with another machine's passphrase
        assert status == 0, stderr
        assert engine_view(path) == pulumi_view(values), path


# --------------------------------------------------------------------------------------------------
# The program, with the real CLI


@pytest.fixture(scope="module")
def emulator(module_emulator):
    return module_emulator


PROGRAM_CASES = [
    "yes-as-production", "quoted-true-as-manage", "y-as-allow-any-organization", "plain-text-client-secret",
    "namespace-with-underscore", "name-on-an-unmanaged-api", "justification-without-any-organization", "huge-value",
]


def program_message(line: str) -> str:
    """The loader's line as the program prints it: the program names the stack file, without a line."""
    return re.sub(r"^\{file\}(:\d+)?: ", "stacks/Pulumi.local.yaml: ", line)


@pytest.mark.parametrize("case", PROGRAM_CASES)
def test_the_program_refuses_what_the_loader_refuses(tmp_path, emulator, case):
    project = PulumiProject(tmp_path / "project", emulator)
    text = corpus.files()[case].read_text()
    connection = [line for line in project.stack_file.read_text().splitlines(keepends=True)
                  if line.startswith("  auth0:") and not (case == "plain-text-client-secret" and "clientSecret" in line)]
    salt = [line for line in project.stack_file.read_text().splitlines(keepends=True) if line.startswith("encryptionsalt")]
    body = "".join(line for line in text.splitlines(keepends=True) if not line.startswith("  auth0:domain"))
    project.stack_file.write_text("".join(salt) + body.replace("config:\n", "config:\n" + "".join(connection), 1))
    emulator.reset_requests()
    result = project.preview(check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    for line in corpus.CASES[case][1]:
        assert program_message(line) in output, output
    assert "Traceback" not in output
    assert emulator.requests()["total"] == 0
    assert "auth0:index" not in project.run("stack", "export").stdout


def test_pulumi_refuses_duplicate_keys_itself(tmp_path, emulator):
    project = PulumiProject(tmp_path / "project", emulator)
    text = project.stack_file.read_text()
    project.stack_file.write_text(text.replace("config:\n", "config:\n  auth0-m2m:environment: other\n", 1))
    result = project.preview(check=False)
    assert result.returncode != 0
    assert re.search(r'mapping key "auth0-m2m:environment" already defined at line \d+', result.stderr), result.stderr
