"""A tenant emulator per test (`emulator`) or per module (`module_emulator`), stopped afterwards."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from .harness import REPO, Emulator


@pytest.fixture
def emulator(tmp_path):
    emulator = Emulator(tmp_path / "tenant")
    yield emulator
    emulator.stop()


@pytest.fixture(scope="module")
def module_emulator(tmp_path_factory):
    emulator = Emulator(tmp_path_factory.mktemp("tenant"))
    yield emulator
    emulator.stop()


@pytest.fixture(scope="session")
def upstream_standin() -> Path:
    """A stand-in for the official auth0 plugin 3.41.0: the same provider, bridge and mapping built without the
    project's read fix and without its build marker (the official plugin cannot be downloaded here). Built once
    into the toolchain cache by `scripts/bootstrap --upstream-standin` (about a minute with warm Go caches)."""
    result = subprocess.run(
        [str(REPO / "scripts" / "bootstrap"), "--upstream-standin"], capture_output=True, text=True, timeout=1800
    )
    if result.returncode != 0:
        pytest.fail(f"scripts/bootstrap --upstream-standin failed:\n{result.stderr[-4000:]}", pytrace=False)
    return Path(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="session")
def project_plugin() -> Path:
    """The project's auth0 plugin as scripts/bootstrap built it."""
    version = next(
        line.split("=", 1)[1].strip()
        for line in (REPO / "scripts" / "toolchain.lock").read_text().splitlines()
        if line.startswith("AUTH0_M2M_PROVIDER_VERSION=")
    )
    cache = Path(subprocess.run(["bash", "-c", f"source '{REPO}/scripts/pulumi-env.sh' && echo $AUTH0_M2M_CACHE"],
                                capture_output=True, text=True, check=True).stdout.strip())
    binary = cache / "build" / f"auth0-{version}" / "pulumi-resource-auth0"
    assert binary.is_file(), f"{binary} is missing: run scripts/bootstrap"
    return binary
