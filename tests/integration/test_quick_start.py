"""The README's quick start, run as written against the local tenant.

Only what cannot run here is replaced, and said so: the Auth0 dashboard step is a management client created with
exactly the scopes the README lists; `pip install` from GitHub is the repository's own virtualenv (the package
itself is installed into fresh virtualenvs elsewhere); the plugin build from a fresh clone is this checkout's
`scripts/bootstrap --provider-only`, into a Pulumi home of its own, as an official Pulumi install would have it.
"""

from __future__ import annotations

import re
import subprocess

import pytest

from auth0_m2m import load_stack_file
from auth0_m2m.model.scopes import Command, scopes_for

from .harness import REPO, isolated_pulumi_env

pytestmark = pytest.mark.integration

README = (REPO / "README.md").read_text()
SECTION = README[README.index("## Quick start: your Pulumi, your tenant") :]
SECTION = SECTION[: SECTION.index("\n## ", 10)]
BLOCKS = [textblock for textblock in re.findall(r"```bash\n(.*?)```", SECTION, re.S)]


def unindent(block: str) -> str:
    lines = block.splitlines()
    width = min(len(l) - len(l.lstrip()) for l in lines if l.strip())
    return "\n".join(l[width:] for l in lines) + "\n"


def listed_scopes() -> list[str]:
    step = SECTION[SECTION.index("2. In the Auth0 dashboard") : SECTION.index("3. The stack")]
    return re.search(r"`((?:[a-z_]+:[a-z_]+ ?)+)`", step).group(1).split()


def substitute(script: str, domain: str, client_id: str) -> str:
    replaced = {
        # The repository's virtualenv stands in for a fresh one with the package from GitHub.
        "python3 -m venv venv && . venv/bin/activate": f"ln -s '{REPO / '.venv'}' venv && . venv/bin/activate",
        'pip install "auth0-m2m[tools] @ git+https://github.com/<your-org>/auth0-m2m.git@$ref"':
            "python -c 'import auth0_m2m.tools.cli'",
        'git clone --depth 1 --branch "$ref" https://github.com/<your-org>/auth0-m2m.git ../auth0-m2m && '
        "../auth0-m2m/scripts/bootstrap --provider-only": f"'{REPO}/scripts/bootstrap' --provider-only",
        "<your-tenant>.eu.auth0.com": domain,
        "<client id>": client_id,
    }
    written = "".join(unindent(b) for b in BLOCKS)
    for old, new in replaced.items():
        assert old in written, f"the README's quick start no longer says {old!r}: update this test with it"
        script = script.replace(old, new)
    assert "<" not in re.sub(r"<<'EOF'", "", script), f"a placeholder is left:\n{script}"
    return "set -euo pipefail\n" + script


def test_the_quick_start_deploys_and_checks_access(tmp_path, emulator):
    assert len(BLOCKS) == 3, BLOCKS
    work = tmp_path / "work"
    work.mkdir()
    env = isolated_pulumi_env(tmp_path / "state", "quick-start", emulator.ca_cert)
    env["PULUMI_HOME"] = str(tmp_path / "pulumi-home")  # an official install's home: no plugin of ours yet
    scopes = listed_scopes()
    client_id, client_secret = emulator.management_client_with_scopes(scopes, name="pulumi")

    def bash(block: str, stdin: str = "") -> subprocess.CompletedProcess:
        script = substitute(unindent(block), emulator.connection["domain"], client_id)
        result = subprocess.run(["bash", "-c", script], cwd=work / "m2m-quickstart" if (work / "m2m-quickstart").exists() else work,
                                env=env, input=stdin, capture_output=True, text=True, timeout=900)
        assert result.returncode == 0, f"{script}\n{result.stdout}\n{result.stderr}"
        return result

    bash(BLOCKS[0])
    project = work / "m2m-quickstart"
    bash(BLOCKS[1], stdin=client_secret)
    # The scopes listed are exactly what `up` needs for the quick start's stack.
    assert sorted(scopes) == sorted(scopes_for(Command.UP, load_stack_file(project / "Pulumi.dev.yaml")))
    assert client_secret not in (project / "Pulumi.dev.yaml").read_text()
    deployed = bash(BLOCKS[2])
    assert "All 2 token requests match the stack config." in deployed.stdout, deployed.stdout
    names = {c["name"] for c in emulator.state()["clients"]}
    assert "billing-sync" in names
