"""go-auth0's own Management API tests as a test binary, built once and cached.

go-auth0 (the Go SDK inside the auth0 provider) ships tests that run against a real tenant when
``AUTH0_HTTP_RECORDINGS`` is off. They are compiled with ``go test -c`` from the module as the Go
module proxy serves it, into ``$AUTH0_M2M_CACHE/go-auth0-tests/<version>-<go version>/`` (outside the
repository, like the rest of the toolchain), so the suite costs one build per machine and version.
The Go environment is the bootstrap's (same module and build caches, ``GOTOOLCHAIN=local``).
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

MODULE = "github.com/auth0/go-auth0"
# The go-auth0 that terraform-provider-auth0 v1.44.0 (scripts/toolchain.lock, TF_AUTH0_VERSION) requires,
# i.e. the SDK inside the provider this project runs. The test tables in test_go_auth0.py are for it.
VERSION = "v1.38.0"
PACKAGE = "./management"

BUILD_TIMEOUT = 30 * 60


class BuildError(RuntimeError):
    pass


def cache_root() -> Path:
    return Path(os.environ.get("AUTH0_M2M_CACHE") or Path.home() / ".cache" / "auth0-m2m")


def go_env(cache: Path) -> dict[str, str]:
    """The bootstrap's Go environment, with a read-only main module (the module cache is read-only)."""
    env = dict(os.environ)
    env.update(
        GOMODCACHE=str(cache / "go" / "mod"),
        GOCACHE=str(cache / "go" / "build"),
        GOPATH=str(cache / "go" / "path"),
        GOTOOLCHAIN="local",
        CGO_ENABLED="0",
        GOWORK="off",
        GOFLAGS="-mod=readonly -buildvcs=false",
    )
    return env


def _go(args: list[str], *, cwd: Path, env: dict[str, str], log: Path) -> str:
    with open(log, "a") as out:
        out.write(f"$ go {' '.join(args)}  (in {cwd})\n")
        out.flush()
        started = time.monotonic()
        result = subprocess.run(
            ["go", *args], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=out, text=True, timeout=BUILD_TIMEOUT
        )
        out.write(result.stdout[-4000:] + f"\n(exit {result.returncode} after {time.monotonic() - started:.0f} s)\n")
    if result.returncode != 0:
        tail = "".join(log.read_text().splitlines(keepends=True)[-25:])
        raise BuildError(f"go {' '.join(args)} failed (exit {result.returncode}); log {log}:\n{tail}")
    return result.stdout


@dataclass(frozen=True)
class SuiteBinary:
    path: Path
    source: Path  # the module's directory in the Go module cache (test sources, for the suite's checks)


def build() -> SuiteBinary:
    """The management package's test binary: reused when built before, else downloaded and compiled."""
    if shutil.which("go") is None:
        raise BuildError("the go-auth0 suite needs Go on PATH (the toolchain bootstrap needs it too)")
    cache = cache_root()
    env = go_env(cache)
    go_version = subprocess.run(
        ["go", "env", "GOVERSION"], env=env, capture_output=True, text=True, check=True
    ).stdout.strip()
    out_dir = cache / "go-auth0-tests" / f"{VERSION}-{go_version}"
    out_dir.mkdir(parents=True, exist_ok=True)
    binary = out_dir / "management.test"
    source_file = out_dir / "source-dir"
    # One build at a time per cache (several worktrees and CI share it); the loser waits and reuses.
    with open(out_dir / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if binary.exists() and source_file.exists() and Path(source_file.read_text()).is_dir():
            return SuiteBinary(binary, Path(source_file.read_text()))
        log = out_dir / "build.log"
        log.write_text("")
        with tempfile.TemporaryDirectory() as scratch:
            # Outside any module: `go mod download` fetches the module (and checks it against the sum database).
            info = json.loads(
                _go(["mod", "download", "-json", f"{MODULE}@{VERSION}"], cwd=Path(scratch),
                    env={**env, "GOFLAGS": "-mod=mod -buildvcs=false"}, log=log)
            )
        source = Path(info["Dir"])
        # Inside the module (its own go.mod and go.sum pin the test dependencies); the module cache is
        # read-only, so the binary is written to a temporary name and renamed into place.
        partial = out_dir / f".management.test.{os.getpid()}"
        try:
            _go(["test", "-c", "-o", str(partial), PACKAGE], cwd=source, env=env, log=log)
            partial.replace(binary)
        finally:
            partial.unlink(missing_ok=True)
        source_file.write_text(str(source))
        return SuiteBinary(binary, source)


_TEST_FUNC = re.compile(r"^func (Test\w+)\(t \*testing\.T\)", re.MULTILINE)
_SUBTEST = re.compile(r'^\s*t\.Run\("([^"]+)"', re.MULTILINE)


def tests_in(source: Path, file: str) -> list[str]:
    """The top-level test functions of one test file of the management package."""
    return _TEST_FUNC.findall((source / "management" / file).read_text())


def subtests_in(source: Path, file: str) -> list[str]:
    """Subtest names of one file as Go reports them (spaces become underscores)."""
    return [name.replace(" ", "_") for name in _SUBTEST.findall((source / "management" / file).read_text())]
