"""Pulumi programs run by the real CLI with the policy pack, against the local tenant emulator.

``Program`` copies a program directory (a test program under tests/policy/programs/, or this project)
into a temporary directory with its own file backend and passphrase, like tests/integration/harness.py
does for the project, and runs `pulumi` with the offline environment of scripts/pulumi-env.sh.
``Run.violations`` reads the policy violations from the engine's event log (``--event-log``, enabled by
PULUMI_DEBUG_COMMANDS; `preview --json` carries no policy events), so tests assert on the exact policy
name, resource and message the engine reported.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from tests.integration.harness import REPO, Emulator, copy_project, isolated_pulumi_env

POLICY_PACK = REPO / "policy"
PROGRAMS = Path(__file__).resolve().parent / "programs"


@dataclass(frozen=True)
class Violation:
    policy: str
    level: str
    urn: str
    message: str


@dataclass
class Run:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    events: list[dict]

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    @property
    def violations(self) -> list[Violation]:
        found = []
        for event in self.events:
            policy = event.get("policyEvent")
            if policy:
                found.append(Violation(policy.get("policyName", ""), policy.get("enforcementLevel", ""),
                                       policy.get("resourceUrn", ""), policy.get("message", "")))
        return found

    def of(self, policy: str) -> list[Violation]:
        return [v for v in self.violations if v.policy == policy]

    def diagnostics(self) -> list[str]:
        return [e["diagnosticEvent"].get("message", "") for e in self.events if "diagnosticEvent" in e]

    def describe(self) -> str:
        return f"$ pulumi {' '.join(self.args)} -> {self.returncode}\n{self.stdout[-8000:]}\n{self.stderr[-4000:]}"


class Program:
    """A Pulumi program in ``root`` with its own stack, state and passphrase, pointed at ``emulator``."""

    def __init__(self, root: Path, emulator: Emulator, source: Path, stack: str, secret_credentials: bool = True,
                 stack_file: Optional[str] = None):
        self.root = root
        self.stack = stack
        self.emulator = emulator
        if source == REPO:
            copy_project(root)
        else:
            shutil.copytree(source, root, dirs_exist_ok=True)
        if stack_file is not None:
            path = self.stack_path
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(stack_file)
        self.state_dir = root / ".state" / "backend"
        self.env = isolated_pulumi_env(self.state_dir, "policy-tests", emulator.ca_cert)
        # Enables `--event-log` (a debug flag at 3.276), the structured record of policy violations.
        self.env["PULUMI_DEBUG_COMMANDS"] = "true"
        self.runs: list[Run] = []
        self.pulumi("stack", "init", check=True)
        connection = emulator.connection
        self.set_config("auth0:domain", connection["domain"])
        self.set_config("auth0:clientId", connection["client_id"])
        self.set_config("auth0:clientSecret", connection["client_secret"], secret=secret_credentials)

    @property
    def stack_path(self) -> Path:
        project = (self.root / "Pulumi.yaml").read_text()
        config_dir = "stacks" if "stackConfigDir: stacks" in project else "."
        return self.root / config_dir / f"Pulumi.{self.stack}.yaml"

    def set_config(self, key: str, value: str, secret: bool = False) -> None:
        # --plaintext: the CLI refuses to store a value that looks like a secret in plain text without it,
        # and these tests store credentials in plain text on purpose.
        args = ["config", "set", key, "--secret" if secret else "--plaintext"]
        # Through stdin, like the workflows do: never on a command line.
        self.pulumi(*args, input=value, check=True)

    def pulumi(self, *args: str, check: bool = False, input: Optional[str] = None, timeout: float = 900) -> Run:
        event_log = self.root / f".events-{len(self.runs)}.jsonl"
        uses_events = args and args[0] in ("preview", "up", "destroy", "refresh")
        full = [*args, "--stack", self.stack, "--non-interactive"] + (["--event-log", str(event_log)] if uses_events
                                                                        else [])
        result = subprocess.run(["pulumi", *full], cwd=self.root, env=self.env, input=input, capture_output=True,
                                text=True, timeout=timeout)
        events = []
        if uses_events and event_log.exists():
            for line in event_log.read_text().splitlines():
                if line.strip():
                    events.append(json.loads(line))
        run = Run(tuple(full), result.returncode, result.stdout, result.stderr, events)
        self.runs.append(run)
        if check and result.returncode != 0:
            raise AssertionError(run.describe())
        return run

    def preview(self, *extra: str, policy_pack: bool = True, policy_config: Optional[dict] = None) -> Run:
        args = ["preview", *extra]
        if policy_pack:
            args += ["--policy-pack", str(POLICY_PACK)]
            if policy_config is not None:
                config_file = self.root / f".policy-config-{len(self.runs)}.json"
                config_file.write_text(json.dumps(policy_config))
                args += ["--policy-pack-config", str(config_file)]
        return self.pulumi(*args)

    def up(self, *extra: str, policy_pack: bool = False, check: bool = True) -> Run:
        args = ["up", "--yes", *extra]
        if policy_pack:
            args += ["--policy-pack", str(POLICY_PACK)]
        return self.pulumi(*args, check=check)
