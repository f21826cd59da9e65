"""The library is installable on its own, as another team installs it: `pip install "auth0-m2m @ git+<repo>@<tag>"`.

A snapshot of this checkout (the files git tracks or would track, as they are now) is committed into a scratch
git repository, and pip installs it from there with `git+file://` into a fresh virtual environment, resolving
the dependencies from PyPI like any consumer (pip's cache makes repeated runs quick). Then: nothing of the
emulator or the operator tools' dependencies came along, the package is typed and versioned, and a consumer
program (examples/application-alone) runs under mocks with that environment's Python alone.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from auth0_m2m import __version__

REPO = Path(__file__).resolve().parents[2]
TOOLS_DISTRIBUTIONS = {"click", "rich", "jinja2", "httpx", "pyjwt", "ruamel.yaml"}
EMULATOR_DISTRIBUTIONS = {"auth0-emulator", "starlette", "uvicorn"}


def _run(*args: str, cwd: Path, env: dict | None = None, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
    return result


def _snapshot(destination: Path) -> Path:
    """The checkout's tracked and addable files, as they are in the working tree, committed in a new repository."""
    if not (REPO / ".git").exists():
        pytest.skip("not a git checkout: nothing to install from")
    listed = _run("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=REPO).stdout
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        if source.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target, follow_symlinks=False)
    git = ["git", "-c", "user.name=test", "-c", "user.email=test@example.invalid", "-c", "init.defaultBranch=main"]
    _run(*git, "init", "-q", cwd=destination)
    _run(*git, "add", "-A", cwd=destination)
    _run(*git, "commit", "-q", "-m", "snapshot", cwd=destination)
    return destination


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A fresh virtual environment with `auth0-m2m` installed from a git URL of this checkout."""
    root = tmp_path_factory.mktemp("distribution")
    source = _snapshot(root / "repo")
    env_dir = root / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTHON", "PIP_"))}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    _run(str(python), "-m", "pip", "install", "--quiet", "--no-compile", f"git+file://{source}", cwd=root, env=env)
    listing = json.loads(_run(str(python), "-m", "pip", "list", "--format", "json", cwd=root, env=env).stdout)
    return {"python": python, "env": env, "source": source, "root": root,
            "distributions": {d["name"].lower().replace("_", "-"): d["version"] for d in listing}}


def _probe(installed: dict, code: str) -> str:
    """Output of Python code run by the fresh environment's interpreter, outside any checkout."""
    return _run(str(installed["python"]), "-c", code, cwd=installed["root"], env=installed["env"]).stdout


def test_the_core_install_has_neither_the_tools_nor_the_emulator(installed):
    distributions = installed["distributions"]
    assert "auth0-m2m" in distributions
    assert not (TOOLS_DISTRIBUTIONS | EMULATOR_DISTRIBUTIONS) & set(distributions), distributions
    files = _probe(installed, "import importlib.metadata as m; print('\\n'.join(str(f) for f in m.files('auth0-m2m')))").split()
    packages = {f.split("/")[0] for f in files if not f.startswith(("auth0_m2m-", "../"))}
    assert packages == {"auth0_m2m"}, packages
    assert "auth0_m2m/py.typed" in files
    assert any(f.endswith("licenses/LICENSE") for f in files), files
    missing = _run(str(installed["python"]), "-c", "import auth0_emulator", cwd=installed["root"], env=installed["env"],
                   check=False)
    assert missing.returncode != 0 and "No module named 'auth0_emulator'" in missing.stderr


def test_importing_the_library_loads_no_tool_and_reports_its_version(installed):
    probe = (
        "import sys, importlib.metadata as m, auth0_m2m, auth0_m2m.resources, auth0_m2m.model;"
        "tools = sorted(n for n in sys.modules if n.startswith('auth0_m2m.tools') or n in ('click', 'rich', 'httpx', 'jwt', 'jinja2'));"
        "print(auth0_m2m.__version__, m.version('auth0-m2m'), tools)"
    )
    assert _probe(installed, probe).split() == [__version__, __version__, "[]"]


def test_the_command_says_how_to_install_the_tools(installed):
    result = _run(str(installed["python"].parent / "auth0-m2m"), "--help", cwd=installed["root"], env=installed["env"],
                  check=False)
    assert result.returncode == 3  # something the command depends on is missing (README, Exit codes)
    assert "pip install 'auth0-m2m[tools]'" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_consumer_program_runs_under_mocks(installed):
    result = _run(str(installed["python"]), str(REPO / "tests" / "packaging" / "consumer.py"),
                  str(installed["source"] / "examples" / "application-alone"), cwd=installed["root"], env=installed["env"])
    registrations = json.loads(result.stdout.splitlines()[-1])["registrations"]
    by_type = {}
    for r in registrations:
        by_type.setdefault(r["type"], []).append(r)
    (grant,) = by_type["auth0:index/clientGrant:ClientGrant"]
    assert grant["inputs"]["audience"] == "https://invoices.example.com/"
    assert grant["inputs"]["organizationUsage"] == "require"
    (link,) = by_type["auth0:index/organizationClientGrant:OrganizationClientGrant"]
    assert link["inputs"]["organizationId"].startswith("org_")
    assert [r["name"] for r in by_type["auth0-m2m:index:M2MApplication"]] == ["invoice-exporter"]


def test_the_emulator_is_a_distribution_of_its_own(installed, tmp_path):
    wheels = tmp_path / "wheels"
    _run(str(installed["python"]), "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(wheels),
         str(installed["source"] / "emulator"), cwd=installed["root"], env=installed["env"])
    (wheel,) = wheels.glob("auth0_emulator-*.whl")
    tops = {name.split("/")[0] for name in zipfile.ZipFile(wheel).namelist() if not name.startswith("auth0_emulator-")}
    assert tops == {"auth0_emulator"}, tops
