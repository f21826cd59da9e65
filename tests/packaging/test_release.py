"""Release bookkeeping: one version, written once, with a changelog entry and a matching tag."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

import pytest

from auth0_m2m import __version__
from auth0_m2m._version import __version__ as written

REPO = Path(__file__).resolve().parents[2]


def test_the_version_is_written_once():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert "version" not in project["project"] and "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "auth0_m2m._version.__version__"}
    assert __version__ == written
    assert re.fullmatch(r"\d+\.\d+\.\d+", __version__)


def test_the_changelog_has_an_entry_for_this_version():
    headings = re.findall(r"^## \[([^\]]+)\]", (REPO / "CHANGELOG.md").read_text(), re.MULTILINE)
    assert headings and headings[0] == __version__, headings


def test_a_release_tag_on_this_commit_names_this_version():
    tags = subprocess.run(["git", "tag", "--points-at", "HEAD", "--list", "v*"], cwd=REPO, capture_output=True,
                          text=True).stdout.split()
    assert all(tag == f"v{__version__}" for tag in tags), (tags, __version__)


def test_the_license_is_apache_2():
    assert "Apache License\n" in (REPO / "LICENSE").read_text()
    assert tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["license"] == "Apache-2.0"


def _lock(key: str) -> str:
    return re.search(rf"^{key}=(\S+)$", (REPO / "scripts" / "toolchain.lock").read_text(), re.MULTILINE).group(1)


@pytest.mark.parametrize("requirements", ["package/requirements.txt", "examples/application-alone/requirements.txt"])
def test_programs_pin_the_pulumi_auth0_of_the_toolchain(requirements):
    """A program (the component package's plugin, an example) pins pulumi-auth0 exactly, to the plugin version the
    toolchain builds: the SDK asks the engine for its own version's plugin, which nothing else would provide."""
    pins = re.findall(r"^pulumi-auth0==(\S+)$", (REPO / requirements).read_text(), re.MULTILINE)
    assert pins == [_lock("PULUMI_AUTH0_VERSION")]
