"""The workflows' permission model: which job sees which secret, which job can write state, what a pull request
(from this repository or a fork) gets, and that every job running Pulumi uses the project's auth0 plugin.

Read from the workflow files themselves (the same YAML GitHub reads), so a change that widens what a job gets
fails here before it is merged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
WORKFLOWS = REPO / ".github" / "workflows"
PROVIDER_ACTION = "./.github/actions/auth0-provider"
FORK_GUARD = "github.event.pull_request.head.repo.full_name == github.repository"
# Commands that change the state (or the tenant through it); `preview` (with or without --refresh) never saves.
STATE_WRITERS = re.compile(
    r"^\s*pulumi\s+(up|refresh|destroy|import|cancel|state\b|stack\s+(rm|import|rename)|config\s+(set|rm))", re.M
)
# A pulumi command in a script: at the start of a line (words in messages, e.g. `echo "... pulumi destroy"`, are not).
SCRIPT_COMMAND = re.compile(r"^\s*pulumi\s+([a-z]+(?:\s+--refresh)?)", re.M)
PREVIEW_SECRETS = {"AUTH0_CLIENT_ID", "AUTH0_CLIENT_SECRET", "PULUMI_CONFIG_PASSPHRASE"}


@dataclass
class Job:
    workflow: str
    id: str
    spec: dict
    triggers: set[str]
    default_permissions: object

    @property
    def text(self) -> str:
        return yaml.safe_dump(self.spec)

    @property
    def secrets(self) -> set[str]:
        names = set(re.findall(r"secrets\.([A-Za-z_][A-Za-z0-9_]*)", self.text))
        assert "secrets[" not in self.text, f"{self}: secrets looked up by a computed name"
        return names

    @property
    def permissions(self) -> dict:
        granted = self.spec.get("permissions", self.default_permissions)
        assert isinstance(granted, dict), f"{self}: permissions must be listed (not read-all/write-all)"
        return granted

    @property
    def environment(self) -> str | None:
        env = self.spec.get("environment")
        return env.get("name") if isinstance(env, dict) else env

    @property
    def steps(self) -> list[dict]:
        return self.spec.get("steps", [])

    @property
    def pulumi_commands(self) -> list[tuple[int, str]]:
        """(step index, command) for every Pulumi command the job runs, through the Action or a script."""
        found = []
        for i, step in enumerate(self.steps):
            if step.get("uses", "").startswith("pulumi/actions@") and step.get("with", {}).get("command"):
                command = step["with"]["command"]
                if step["with"].get("refresh"):
                    command += " --refresh"
                found.append((i, command))
            for match in SCRIPT_COMMAND.finditer(step.get("run", "")):
                found.append((i, match.group(1)))
        return found

    @property
    def writes_state(self) -> bool:
        scripts = "\n".join(s.get("run", "") for s in self.steps)
        actions = {c for _, c in self.pulumi_commands if not c.startswith("preview")}
        return bool(STATE_WRITERS.search(scripts)) or bool(actions)

    @property
    def fork_guarded(self) -> bool:
        return FORK_GUARD in str(self.spec.get("if", ""))

    def __str__(self) -> str:
        return f"{self.workflow}:{self.id}"


def load(path: Path) -> dict:
    workflow = yaml.safe_load(path.read_text())
    if True in workflow:  # YAML 1.1 reads the key `on` as a boolean
        workflow["on"] = workflow.pop(True)
    return workflow


def all_jobs() -> list[Job]:
    jobs = []
    for path in sorted(WORKFLOWS.glob("*.yml")):
        workflow = load(path)
        triggers = set(workflow["on"]) if isinstance(workflow["on"], dict) else {workflow["on"]}
        for job_id, spec in workflow["jobs"].items():
            jobs.append(Job(path.name, job_id, spec, triggers, workflow.get("permissions")))
    return jobs


JOBS = all_jobs()
PULL_REQUEST_JOBS = [j for j in JOBS if "pull_request" in j.triggers]


def test_no_workflow_runs_a_pull_requests_code_with_the_base_repositorys_privileges():
    for job in JOBS:
        assert not job.triggers & {"pull_request_target", "workflow_run", "issue_comment"}, job


def test_workflows_grant_nothing_by_default_and_jobs_list_what_they_need():
    for path in sorted(WORKFLOWS.glob("*.yml")):
        workflow = load(path)
        assert workflow.get("permissions") in ({}, {"contents": "read"}), path.name
    for job in JOBS:
        granted = job.permissions  # asserts it is an explicit map
        assert granted.get("contents", "none") in ("read", "none"), job
        assert not {"actions", "packages", "deployments", "checks", "statuses"} & {
            k for k, v in granted.items() if v == "write"}, job


def test_secrets_come_only_from_environments():
    """No repository-level secret is read: every job that reads a secret names an environment, so each
    environment (one per stack and purpose) holds its own identity and secrets provider."""
    for job in JOBS:
        if job.secrets:
            assert job.environment, f"{job} reads {sorted(job.secrets)} outside an environment"
        assert "GITHUB_TOKEN" not in job.secrets, job


def test_each_environment_serves_one_purpose():
    purposes = {
        ("deploy.yml", "deploy"): "${{ matrix.stack }}",
        ("deploy.yml", "deploy-production"): "${{ matrix.stack }}",
        ("pull-request.yml", "preview"): "${{ matrix.stack }}-preview",
        ("drift.yml", "drift"): "${{ matrix.stack }}-drift",
    }
    with_environment = {(j.workflow, j.id): j.environment for j in JOBS if j.environment}
    assert with_environment == purposes


def test_what_a_pull_request_job_sees():
    with_secrets = [j for j in PULL_REQUEST_JOBS if j.secrets]
    assert [j.id for j in with_secrets] == ["preview"]
    preview = with_secrets[0]
    assert preview.secrets == PREVIEW_SECRETS
    assert preview.environment.endswith("-preview")  # production stacks' preview environments need approval
    assert preview.fork_guarded
    assert {c for _, c in preview.pulumi_commands} == {"preview"}
    assert not preview.writes_state
    assert preview.permissions == {"contents": "read", "pull-requests": "write", "id-token": "write"}


def test_what_a_forks_pull_request_gets():
    """GitHub gives a fork's pull request no secrets and a read-only token; here it also gets no environment:
    only the access diff runs, which reads nothing but the repository."""
    for_forks = [j for j in PULL_REQUEST_JOBS if not j.fork_guarded]
    assert {j.id for j in for_forks} == {"changes", "access-diff"}
    for job in for_forks:
        assert not job.secrets and not job.environment and not job.pulumi_commands, job
        assert "id-token" not in job.permissions, job
    comment = next(s for s in next(j for j in for_forks if j.id == "access-diff").steps if "github-script" in s.get("uses", ""))
    assert comment["if"] == FORK_GUARD


def test_only_deploys_on_main_can_write_state():
    writers = {str(j) for j in JOBS if j.writes_state}
    assert writers == {"deploy.yml:deploy", "deploy.yml:deploy-production"}
    for job in JOBS:
        if job.writes_state:
            assert job.triggers == {"push", "workflow_dispatch"}, job
            assert job.environment == "${{ matrix.stack }}", job
    deploy = load(WORKFLOWS / "deploy.yml")
    assert deploy["on"]["push"] == {"branches": ["main"]}


def test_oidc_tokens_only_where_an_environment_decides_the_role():
    """An OIDC token carries the job's environment: a cloud role trusted for `environment:<stack>-preview` can
    be read-only, one for `environment:<stack>` can write; a job without an environment gets none."""
    for job in JOBS:
        if job.permissions.get("id-token") == "write":
            assert job.environment, job


def test_jobs_that_can_write_to_github_see_no_secret_but_the_preview_comment():
    for job in JOBS:
        writes = {k for k, v in job.permissions.items() if v == "write" and k != "id-token"}
        if writes and job.secrets:
            assert str(job) == "pull-request.yml:preview" and writes == {"pull-requests"}, job


def test_tenant_credentials_reach_pulumi_as_environment_variables_never_through_the_stack_config():
    """The stack config is recorded in the state's provider at `up`: credentials there would be readable with
    the passphrase and reused by later refreshes and destroys."""
    for job in JOBS:
        assert not re.search(r"config\s+set[^\n]*auth0:client", job.text), job
        for step in job.steps:
            for name in ("AUTH0_CLIENT_ID", "AUTH0_CLIENT_SECRET", "PULUMI_CONFIG_PASSPHRASE"):
                if f"secrets.{name}" in yaml.safe_dump(step):
                    assert step.get("env", {}).get(name) == f"${{{{ secrets.{name} }}}}", (job, step.get("name"))
        assert not job.spec.get("env", {}).keys() & PREVIEW_SECRETS, f"{job}: secrets in the job's env reach every step"


def test_every_job_that_runs_pulumi_installs_the_project_plugin_first():
    for job in JOBS:
        commands = job.pulumi_commands
        if not commands:
            continue
        plugin = next((i for i, s in enumerate(job.steps) if s.get("uses") == PROVIDER_ACTION), None)
        assert plugin is not None, f"{job} runs Pulumi without the project's auth0 plugin"
        assert plugin < min(i for i, _ in commands), job
        cli = next(i for i, s in enumerate(job.steps) if s.get("uses", "").startswith("pulumi/actions@"))
        assert cli < plugin, f"{job}: the plugin is installed with the pulumi that Pulumi's action installs"
        # A pulumi-resource-auth0 on PATH would serve refresh and destroy (which run no program) whatever its version.
        assert job.spec.get("env", {}).get("PULUMI_IGNORE_AMBIENT_PLUGINS") == "true", job


def test_every_command_that_calls_the_tenant_checks_its_scopes_first():
    for job in JOBS:
        for index, command in job.pulumi_commands:
            before = [s.get("run", "") for s in job.steps[:index]]
            wanted = "preview" if command == "up" else command
            checks = [re.search(r'--check "?([a-z -]+?)"?$', r.strip(), re.M) for r in before if "auth0-m2m scopes" in r]
            assert any(c and c.group(1) in (command, wanted, "up") for c in checks), (job, command)


def test_the_plugin_action_builds_with_the_bootstrap_and_caches_per_pin():
    action = yaml.safe_load((REPO / ".github" / "actions" / "auth0-provider" / "action.yml").read_text())
    steps = action["runs"]["steps"]
    assert any(s.get("run", "").strip() == "scripts/bootstrap --provider-only" for s in steps)
    cache = next(s for s in steps if s.get("uses", "").startswith("actions/cache@"))
    for pinned in ("scripts/toolchain.lock", "scripts/bootstrap", "scripts/toolchain/auth0-provider/**"):
        assert pinned in cache["with"]["key"]


@pytest.mark.parametrize("job", [j for j in JOBS if j.pulumi_commands], ids=str)
def test_pulumi_jobs_name_their_backend_and_never_default_to_pulumi_cloud_by_accident(job):
    assert job.spec["env"]["PULUMI_BACKEND_URL"] == "${{ vars.PULUMI_BACKEND_URL }}", job


def test_the_model_sees_what_it_checks():
    """The readers above find secrets, state writes and Pulumi commands where a careless change would put them."""
    leaky = Job("x.yml", "j", {
        "env": {"P": "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}"},
        "steps": [
            {"run": 'echo "run pulumi destroy later"'},
            {"run": "pulumi stack select dev\npulumi refresh --yes"},
            {"uses": "pulumi/actions@v6.6.1", "with": {"command": "preview", "refresh": True}},
        ],
    }, {"pull_request"}, {})
    assert leaky.secrets == {"PULUMI_CONFIG_PASSPHRASE"}
    assert leaky.writes_state
    assert [c for _, c in leaky.pulumi_commands] == ["stack", "refresh", "preview --refresh"]
    assert not leaky.environment and not leaky.fork_guarded
