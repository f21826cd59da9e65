"""Stack files at git revisions, and which stacks a change touches (the workflows' stack selection).

Every git command runs in the project directory (``git -C``) with paths relative to it, so the result
does not depend on the current directory, and the project may sit anywhere in its repository.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Union

from ..model.errors import UnreadableStackFile
from ..model.key_files import KeyFileReader, repository_root, revision_reader, working_tree_reader
from ..model.loading import DEFAULT_LIMITS, read_project
from .output import CommandError, Exit

#: Changes to these (relative to the project) touch every stack: the program, the library, the policy pack,
#: and scripts/toolchain.lock (the one exact pin of pulumi-auth0 the program runs with).
SHARED_PATHS = ("components/", "policy/")
SHARED_FILES = ("__main__.py", "Pulumi.yaml", "pyproject.toml", "scripts/toolchain.lock")
#: Stack names that are production whatever their file says (as the policy pack's default).
PRODUCTION_STACK_NAMES = ("prod", "production")


class Repository:
    """The git repository around a Pulumi project, seen from the project's directory."""

    def __init__(self, project_dir: Union[str, Path]):
        self.project_dir = Path(project_dir)
        self.config_dir = read_project(self.project_dir)[1] or "."

    def git(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run(["git", "-C", str(self.project_dir), *args], capture_output=True)
        if check and result.returncode != 0:
            raise CommandError(f"`git {' '.join(args)}` failed: {result.stderr.decode('utf-8', 'replace').strip()[:500]}",
                               Exit.EXTERNAL)
        return result

    def stack_file(self, stack: str) -> str:
        """A stack's file, relative to the project."""
        return Path(self.config_dir, f"Pulumi.{stack}.yaml").as_posix()

    def commit(self, revision: str) -> str:
        """The commit a revision names; a usage error (exit 2) when there is none."""
        result = self.git("rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}", check=False)
        if result.returncode != 0 and b"not a git repository" in result.stderr:
            raise CommandError(f"{self.project_dir} is not in a git repository", Exit.USAGE, kind="usage")
        if result.returncode != 0:
            raise CommandError(f"unknown git revision {revision[:100]!r} (fetch it, e.g. with fetch-depth: 0)",
                               Exit.USAGE, kind="usage")
        return result.stdout.decode().strip()

    def usable(self, revision: Optional[str]) -> bool:
        """Whether ``revision`` names a commit here (empty, all zeros or unknown: no)."""
        if not revision or set(revision) == {"0"}:
            return False
        return self.git("cat-file", "-e", f"{revision}^{{commit}}", check=False).returncode == 0

    def read(self, revision: Optional[str], path: str) -> Optional[bytes]:
        """A file's bytes at ``revision`` (None: the working tree); None when it does not exist there.

        A file over the loader's size limit is refused (UnreadableStackFile) without being read whole.
        """
        limit = DEFAULT_LIMITS.max_bytes
        if revision is None:
            file = self.project_dir / path
            if not file.is_file():
                return None
            size = file.stat().st_size
            data = file.read_bytes() if size <= limit else None
        else:
            spec = f"{revision}:./{path}"
            if self.git("cat-file", "-e", spec, check=False).returncode != 0:
                return None
            size = int(self.git("cat-file", "-s", spec).stdout.decode().strip() or 0)
            data = self.git("cat-file", "blob", spec).stdout if size <= limit else None
        if data is None:
            raise UnreadableStackFile(path, f"the file is {size:,} bytes; the limit is {limit:,} bytes (1 MiB)")
        return data

    def changed_files(self, base: str, head: Optional[str], *paths: str) -> list[str]:
        """Files (relative to the project) that differ between ``base`` and ``head`` (or the working tree)."""
        args = ["diff", "--relative", "--name-only", "--no-renames", base] + ([head] if head else []) + ["--", *paths]
        return [line for line in self.git(*args).stdout.decode().splitlines() if line.strip()]

    def stacks_in(self, files: list[str]) -> set[str]:
        pattern = re.compile(rf"^{re.escape(Path(self.config_dir).as_posix().rstrip('/') + '/') if self.config_dir != '.' else ''}Pulumi\.([^/]+)\.yaml$")
        return {m.group(1) for f in files if (m := pattern.match(f))}

    def stacks_at_head(self) -> set[str]:
        directory = self.project_dir / self.config_dir
        return {p.name[len("Pulumi."):-len(".yaml")] for p in directory.glob("Pulumi.*.yaml") if p.is_file()}

    def key_files(self, revision: Optional[str]) -> KeyFileReader:
        """Public keys named by ``pem_file`` (relative to the repository root) as they are at ``revision``
        (None: the working tree), like the stack files read at it."""
        if revision is None:
            return working_tree_reader(repository_root(self.project_dir))
        return revision_reader(revision, cwd=self.project_dir)

    def stacks_naming(self, base: str, head: Optional[str]) -> set[str]:
        """Stacks whose file names (``pem_file``) a public key file that differs between the revisions."""
        changed = {
            line.strip() for line in self.git("diff", "--name-only", "--no-renames", base, *([head] if head else []))
            .stdout.decode().splitlines() if line.strip()
        }
        if not changed:
            return set()
        names = set()
        for stack in self.stacks_at_head():
            data = self.read(head, self.stack_file(stack)) or b""
            if set(_PEM_FILE.findall(data.decode("utf-8", "replace"))) & changed:
                names.add(stack)
        return names


# A public key file a stack file names (read textually: the stack file need not validate).
_PEM_FILE = re.compile(r"pem_file:\s*['\"]?([^'\"\s,}]+)")


def changed_stacks(repository: Repository, base: str, head: Optional[str]) -> list[str]:
    """Names of the stacks whose file, or a public key file it names, differs between ``base`` and ``head`` (or
    the working tree)."""
    names = repository.stacks_in(repository.changed_files(base, head, repository.config_dir))
    return sorted(names | repository.stacks_naming(base, head))


@dataclass(frozen=True)
class Selection:
    """The stacks a change touches, and why."""

    stacks: list[str]
    reason: str


def touched_stacks(repository: Repository, base: Optional[str], head: Optional[str]) -> Selection:
    """The stacks a change from ``base`` to ``head`` touches: those whose file changed, every stack when the
    program, the library or the policy pack changed, or when there is no usable base."""
    at_head = repository.stacks_at_head()
    if not repository.usable(base):
        return Selection(sorted(at_head), f"no usable base revision ({(base or '')[:40]!r}): every stack")
    assert base is not None
    changed = repository.changed_files(base, head)
    names = repository.stacks_in(changed)
    keyed = repository.stacks_naming(base, head) - names
    if any(f.startswith(SHARED_PATHS) or f in SHARED_FILES for f in changed):
        return Selection(sorted(names | keyed | at_head), "the program, library or policy pack changed: every stack")
    if keyed:
        return Selection(sorted(names | keyed), "stack files or the public key files they name changed")
    return Selection(sorted(names), "stack files changed" if names else "no stack is touched")
