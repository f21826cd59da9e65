"""Finding what a stack declares in the tenant, and bringing it into the stack's state without writing.

Every resource the program registers has a stable identity in the tenant: a client its Auth0 name (or the
``client_id`` the stack pins), its credentials and grants their client (and audience), an organization
authorization its organization and grant, a managed organization its name, a managed API its identifier.
:func:`locate` finds each declared resource through the one tenant reader (:class:`TenantIndex`);
:func:`adopt` runs one ``pulumi up`` that imports the ones that exist and are missing from the state
(:mod:`auth0_m2m.resources.adoption` does the program's side) and leaves out the ones that do not exist.

``auth0-m2m import`` uses it for the applications it adds, its state-only mode (repair) for everything the stack
declares, and ``auth0-m2m up --fast`` to re-adopt what an interrupted deploy created.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, Mapping, Optional, Union

from .. import contract
from ..contract import (
    CLIENT_CREDENTIALS_TYPE,
    CLIENT_GRANT_TYPE,
    CLIENT_TYPE,
    ORGANIZATION_CLIENT_GRANT_TYPE,
    ORGANIZATION_TYPE,
    RESOURCE_SERVER_SCOPES_TYPE,
    RESOURCE_SERVER_TYPE,
)
from ..model.config import ApplicationConfig, StackConfig
from ..model.loading import read_project, stack_path
from ..resources import naming
from .management import ManagementClient, TenantIndex, is_m2m_client


class AdoptionError(RuntimeError):
    """Adoption cannot go on; the message is one line a person can act on. ``exit_code`` follows the command
    line's conventions: 3 (the default) when the tenant or pulumi failed, 1 when the answer is "nothing to do"."""

    def __init__(self, message: str, exit_code: int = 3):
        super().__init__(message)
        self.exit_code = exit_code


class RefusedUpdates(AdoptionError):
    """A strict import found objects that differ from the program (the read-only plugin refused the update that
    would have followed); ``resources``: resource name -> the properties that differ."""

    def __init__(self, resources: dict[str, str]):
        self.resources = resources
        listed = "; ".join(f"{name} ({diff})" for name, diff in list(resources.items())[:5])
        super().__init__(f"the imported objects differ from what the stack file can express: {listed}", exit_code=1)


@dataclass(frozen=True)
class Declared:
    """One custom resource the program registers for a stack."""

    type: str
    name: str
    parent: Optional["Declared"] = None
    application: Optional[str] = None

    @property
    def key(self) -> str:
        return f"{self.type}::{self.name}"

    @property
    def kind(self) -> str:
        return self.type.rsplit(":", 1)[-1]


@dataclass(frozen=True)
class Located:
    """A declared resource and the tenant object that is it (``id``: its import id; None: not in the tenant)."""

    declared: Declared
    id: Optional[str]
    in_state: bool

    @property
    def key(self) -> str:
        return self.declared.key


@dataclass
class Survey:
    """Every declared resource of a stack, located."""

    located: list[Located] = field(default_factory=list)

    def to_import(self) -> list[Located]:
        return [item for item in self.located if item.id and not item.in_state]

    def missing(self) -> list[Located]:
        return [item for item in self.located if not item.id and not item.in_state]

    def missing_roots(self) -> list[Located]:
        """Missing resources whose parent is not missing too: excluding these (with their dependents) leaves
        out everything that does not exist."""
        missing = {item.key for item in self.missing()}
        return [item for item in self.missing() if not (item.declared.parent and item.declared.parent.key in missing)]


# --- what the program declares ----------------------------------------------------------------------------
def declared_applications(config: StackConfig) -> Iterator[tuple[ApplicationConfig, Declared]]:
    for app in config.applications:
        yield app, Declared(CLIENT_TYPE, naming.client(app.name), application=app.name)


def declared_resources(config: StackConfig) -> list[Declared]:
    """Every custom resource the program registers for ``config`` (see ``Estate`` and ``M2MApplication``)."""
    resources: list[Declared] = []
    for name, org in sorted(config.organizations.items()):
        if org.manage:
            resources.append(Declared(ORGANIZATION_TYPE, naming.organization(name)))
    for key, api in sorted(config.apis.items()):
        if api.manage:
            server = Declared(RESOURCE_SERVER_TYPE, naming.api(key))
            resources.append(server)
            if api.scopes:
                resources.append(Declared(RESOURCE_SERVER_SCOPES_TYPE, naming.api_scopes(key), parent=server))
    for app, client in declared_applications(config):
        resources += application_resources(config, app, client)
    return resources


def application_resources(config: StackConfig, app: ApplicationConfig, client: Declared) -> list[Declared]:
    resources = [client, Declared(CLIENT_CREDENTIALS_TYPE, naming.credentials(app.name), client, app.name)]
    for grant in app.grants:
        audience = config.apis[grant.api].identifier
        grant_resource = Declared(CLIENT_GRANT_TYPE, naming.grant(app.name, audience), client, app.name)
        resources.append(grant_resource)
        for org in grant.organizations:
            resources.append(
                Declared(
                    ORGANIZATION_CLIENT_GRANT_TYPE,
                    naming.organization_grant(app.name, audience, org),
                    grant_resource,
                    app.name,
                )
            )
    return resources


# --- where it is in the tenant ----------------------------------------------------------------------------
def organization_ids(
    config: StackConfig, index: TenantIndex, state_ids: Mapping[str, str], lookup_by_name: bool = True
) -> dict[str, Optional[str]]:
    """Organization name -> id for every organization the stack names (None: it does not exist)."""
    ids: dict[str, Optional[str]] = {}
    for name, org in config.organizations.items():
        if org.id:
            ids[name] = org.id
        elif org.manage and f"{ORGANIZATION_TYPE}::{naming.organization(name)}" in state_ids:
            ids[name] = state_ids[f"{ORGANIZATION_TYPE}::{naming.organization(name)}"]
        elif not lookup_by_name and org.manage:
            ids[name] = None
        else:
            found = index.organization_named(name)
            ids[name] = found["id"] if found else None
    return ids


def locate(
    config: StackConfig,
    index: TenantIndex,
    state_ids: Mapping[str, str],
    only_applications: Optional[set[str]] = None,
) -> Survey:
    """Find every resource ``config`` declares; ``state_ids`` (``type::name`` -> id) is what the state has.

    A resource already in the state keeps its id and is not looked up (its children are found from it).
    Clients are found by pinned client id, else by Auth0 name among the tenant's M2M clients that no other
    resource of the state owns and no other application pins; two such clients are an error, never a guess.
    With ``only_applications``, only those applications are looked up (an import adopts nothing else): every
    other declared resource that is not in the state counts as missing.
    """
    survey = Survey()
    lookup_managed = only_applications is None
    org_ids = organization_ids(config, index, state_ids, lookup_by_name=lookup_managed)
    owned_clients = {cid for key, cid in state_ids.items() if key.startswith(f"{CLIENT_TYPE}::")}
    pinned = {app.client_id: app.name for app in config.applications if app.client_id}

    def add(declared: Declared, found: Optional[str]) -> Optional[str]:
        in_state = declared.key in state_ids
        identity = state_ids[declared.key] if in_state else found
        survey.located.append(Located(declared, identity, in_state))
        return identity

    for name, org in sorted(config.organizations.items()):
        if org.manage:
            add(Declared(ORGANIZATION_TYPE, naming.organization(name)), org_ids.get(name))
    for key, api in sorted(config.apis.items()):
        if not api.manage:
            continue
        server = Declared(RESOURCE_SERVER_TYPE, naming.api(key))
        found = None if server.key in state_ids or not lookup_managed else index.resource_server(api.identifier)
        server_id = add(server, found["id"] if found else None)
        if api.scopes:
            add(Declared(RESOURCE_SERVER_SCOPES_TYPE, naming.api_scopes(key), parent=server),
                api.identifier if server_id else None)

    for app, client in declared_applications(config):
        looked_up = only_applications is None or app.name in only_applications
        client_id = state_ids.get(client.key) or (
            _find_client(app, index, owned_clients, pinned) if looked_up else None
        )
        add(client, client_id)
        for declared in application_resources(config, app, client)[1:]:
            add(declared, _identity(declared, config, app, client_id, org_ids, index, state_ids) if client_id else None)
    return survey


def _find_client(app: ApplicationConfig, index: TenantIndex, owned: set[str], pinned: Mapping[str, str]) -> Optional[str]:
    if app.client_id:
        return app.client_id if index.client(app.client_id) else None
    candidates = [
        c for c in index.clients_named(app.auth0_name)
        if is_m2m_client(c) and c["client_id"] not in owned and pinned.get(c["client_id"], app.name) == app.name
    ]
    if len(candidates) > 1:
        ids = ", ".join(c["client_id"] for c in candidates)
        raise AdoptionError(
            f"application {app.name!r}: {len(candidates)} M2M clients are named {app.auth0_name!r} ({ids}) and none "
            "is in the stack's state; pin the right one with client_id in the stack file (or delete the others), "
            "then run again"
        )
    return candidates[0]["client_id"] if candidates else None


def _identity(
    declared: Declared,
    config: StackConfig,
    app: ApplicationConfig,
    client_id: str,
    org_ids: Mapping[str, Optional[str]],
    index: TenantIndex,
    state_ids: Mapping[str, str],
) -> Optional[str]:
    if declared.type == CLIENT_CREDENTIALS_TYPE:
        # The credentials resource is the client's authentication settings: its id is the client id.
        return client_id
    grants = {naming.grant(app.name, config.apis[g.api].identifier): g for g in app.grants}
    if declared.type == CLIENT_GRANT_TYPE:
        audience = config.apis[grants[declared.name].api].identifier
        grant = index.grant(client_id, audience)
        return grant["id"] if grant else None
    if declared.type == ORGANIZATION_CLIENT_GRANT_TYPE:
        assert declared.parent is not None
        grant_id = state_ids.get(declared.parent.key)
        if grant_id is None:
            audience = config.apis[grants[declared.parent.name].api].identifier
            grant = index.grant(client_id, audience)
            grant_id = grant["id"] if grant else None
        organization = declared.name.rsplit("/", 1)[-1]
        org_id = org_ids.get(organization)
        if grant_id is None or org_id is None:
            return None
        return f"{org_id}::{grant_id}" if index.is_linked(org_id, grant_id) else None
    raise AdoptionError(f"{declared.key}: no identity rule for this resource type")


def find_orphans(config: StackConfig, index: TenantIndex, survey: Survey, owned: Iterable[str] = ()) -> list[str]:
    """Tenant objects that look like the stack's own but that neither the stack declares nor its state holds
    (``owned``: the state's ids): M2M clients with an application's Auth0 name other than its client, and
    organization authorizations on the stack's grants. An interrupted deploy that was not repaired before the
    next one leaves these; the state's own (about to be deleted by the next ``up``) are not orphans."""
    adopted = {item.key: item.id for item in survey.located if item.id}
    owned = set(owned)
    orphans: list[str] = []
    for app, client in declared_applications(config):
        client_id = adopted.get(client.key)
        for other in index.clients_named(app.auth0_name):
            if other["client_id"] != client_id and is_m2m_client(other) and other["client_id"] not in owned and other[
                "client_id"
            ] not in {a.client_id for a in config.applications if a.client_id}:
                orphans.append(f"client {other['client_id']} named {app.auth0_name!r} (application {app.name!r} is "
                               f"{client_id or 'not deployed'})")
        if client_id is None:
            continue
        for grant in app.grants:
            audience = config.apis[grant.api].identifier
            grant_id = adopted.get(f"{CLIENT_GRANT_TYPE}::{naming.grant(app.name, audience)}")
            if grant_id is None:
                continue
            declared_orgs = {
                adopted.get(f"{ORGANIZATION_CLIENT_GRANT_TYPE}::{naming.organization_grant(app.name, audience, o)}", "")
                .split("::")[0]
                for o in grant.organizations
            }
            for org in index.grant_organizations(grant_id):
                if org["id"] not in declared_orgs and f"{org['id']}::{grant_id}" not in owned:
                    orphans.append(f"authorization of organization {org['name']!r} ({org['id']}) on grant {grant_id} "
                                   f"of application {app.name!r} for {audience}: not declared by the stack")
    return orphans


# --- the stack's state -------------------------------------------------------------------------------------
@dataclass
class StackState:
    """A stack's exported deployment, as the tools need it."""

    deployment: dict

    @property
    def resources(self) -> list[dict]:
        return self.deployment.get("deployment", {}).get("resources") or []

    @property
    def pending_operations(self) -> list[dict]:
        return self.deployment.get("deployment", {}).get("pending_operations") or []

    def ids(self) -> dict[str, str]:
        """``type::name`` -> id of every custom resource in the state."""
        return {
            f"{r['type']}::{r['urn'].rsplit('::', 1)[-1]}": r["id"]
            for r in self.resources
            if r.get("custom") and r.get("id") and not r["type"].startswith("pulumi:providers:")
        }

    def without_pending_operations(self) -> dict:
        copy = json.loads(json.dumps(self.deployment))
        copy.get("deployment", {}).pop("pending_operations", None)
        return copy


class Pulumi:
    """The Pulumi CLI for one stack of one project directory (tools run it as a user would)."""

    def __init__(self, stack: str, project_dir: Union[str, Path], env: Optional[Mapping[str, str]] = None):
        self.stack = stack
        self.project_dir = Path(project_dir)
        self.env = dict(env) if env is not None else None

    @property
    def project(self) -> str:
        return read_project(self.project_dir)[0]

    def run(
        self,
        *args: str,
        env: Optional[Mapping[str, str]] = None,
        capture: bool = True,
        check: bool = True,
    ) -> subprocess.CompletedProcess:
        """``pulumi <args> --stack <stack> --non-interactive``; ``capture=False`` streams stdout to the user
        (stderr is still captured, to read errors, and echoed afterwards)."""
        environment = {**(self.env or os.environ), **(env or {})}
        result = subprocess.run(
            ["pulumi", *args, "--stack", self.stack, "--non-interactive"],
            cwd=self.project_dir,
            env=environment,
            stdout=subprocess.PIPE if capture else None,
            stderr=subprocess.PIPE,
            text=True,
        )
        if not capture and result.stderr:
            sys.stderr.write(result.stderr)
        if check and result.returncode != 0:
            raise AdoptionError(f"`pulumi {args[0]}` failed for stack {self.stack!r}: {_last_error(result)}")
        return result

    def update(
        self,
        *args: str,
        env: Optional[Mapping[str, str]] = None,
        capture: bool = True,
        check: bool = True,
        say: Callable[[str], None] = print,
    ) -> subprocess.CompletedProcess:
        """An update command (``up``, ``refresh``); a lock left by a dead ``pulumi`` on this host is removed once."""
        from .recovery import stale_lock_holder

        result = self.run(*args, env=env, capture=capture, check=False)
        dead = stale_lock_holder(result.stderr or "")
        if dead is not None:
            say(f"removing the lock left by the interrupted pulumi process {dead}")
            self.run("cancel", "--yes")
            result = self.run(*args, env=env, capture=capture, check=False)
        if check and result.returncode != 0:
            raise AdoptionError(f"`pulumi {args[0]}` failed for stack {self.stack!r}: {_last_error(result)}")
        return result

    def export(self) -> StackState:
        return StackState(json.loads(self.run("stack", "export").stdout))

    def restore(self, state: StackState, say: Callable[[str], None] = lambda _: None) -> None:
        """Write ``state`` as the stack's deployment (a lock left by a dead ``pulumi`` on this host is removed)."""
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
            json.dump(state.deployment, handle)
        try:
            self.update("stack", "import", "--file", handle.name, say=say)
        finally:
            os.unlink(handle.name)

    def config(self) -> dict[str, str]:
        """The stack's configuration, secrets decrypted into memory."""
        values = json.loads(self.run("config", "--json", "--show-secrets").stdout)
        return {key: str(entry.get("value", "")) for key, entry in values.items()}


_MONITOR_TERMINATED = "error: Resource monitor has terminated"


def _last_error(result: subprocess.CompletedProcess) -> str:
    """The last ``error:`` line of a failed ``pulumi`` run, on one line. A provider's list of errors ("1 error
    occurred:" then "* reason" lines) keeps its reasons: its first line alone says nothing. The progress output
    repeats that first line without the reasons; the diagnostics have them."""
    lines = [line.strip() for line in (result.stderr or "").splitlines() + (result.stdout or "").splitlines()]
    errors = [n for n, line in enumerate(lines) if line.startswith("error:")]
    # The program's own "resource monitor has terminated" only follows a resource's error: name that one.
    errors = [n for n in errors if not lines[n].startswith(_MONITOR_TERMINATED)] or errors
    if not errors:
        return next((l for l in reversed(lines) if l), f"exit code {result.returncode}")[:600]

    def reasons(n: int) -> list[str]:
        found = []
        for line in lines[n + 1:]:
            if not line.startswith("* "):
                break
            found.append(line[2:])
        return found

    last = errors[-1]
    explained = [n for n in errors if lines[n] == lines[last] and reasons(n)]
    chosen = explained[-1] if explained else last
    return " ".join([lines[chosen], *reasons(chosen)])[:600]


# --- the adopting update ----------------------------------------------------------------------------------
def adoption_plan(survey: Survey, strict: Iterable[str] = ()) -> contract.AdoptionPlan:
    return {
        "imports": {item.key: item.id for item in survey.to_import() if item.id},
        "strict": sorted(strict),
        "known": sorted(item.key for item in survey.located if item.in_state),
        "excluded": sorted(item.key for item in survey.missing()),
    }


def declared_urns(config: StackConfig, stack: str, project: str) -> set[str]:
    """The URN of every resource, components included, that the program registers for ``config``."""
    urns = {contract.resource_urn(stack, project, contract.ESTATE_TYPE, config.environment)}
    urns |= {contract.resource_urn(stack, project, contract.M2M_APPLICATION_TYPE, app.name) for app in config.applications}
    urns |= {contract.resource_urn(stack, project, d.type, d.name) for d in declared_resources(config)}
    return urns


def adopt(
    pulumi: Pulumi,
    survey: Survey,
    config: StackConfig,
    state: StackState,
    config_file: Optional[Path] = None,
    say: Callable[[str], None] = print,
    strict: Iterable[str] = (),
) -> subprocess.CompletedProcess:
    """One ``pulumi up`` that only imports (``strict``: the imports that must match the program exactly): every located resource missing from the state is imported (a read),
    resources already in the state are left as they are (``ignore_changes``), and left out (``--exclude``) are
    the declared resources that do not exist in the tenant and the state's resources the stack no longer
    declares, so that nothing is created, updated or deleted. The plugin's read-only switch enforces it."""
    plan = adoption_plan(survey, strict)
    with tempfile.NamedTemporaryFile("w", suffix=".json", prefix="adoption-", delete=False) as handle:
        json.dump(plan, handle)
    args = ["up", "--yes", "--skip-preview"]
    if config_file is not None:
        args += ["--config-file", str(config_file)]
    project = pulumi.project
    excluded = [contract.resource_urn(pulumi.stack, project, item.declared.type, item.declared.name)
                for item in survey.missing_roots()]
    declared = declared_urns(config, pulumi.stack, project)
    excluded += sorted(
        r["urn"] for r in state.resources
        if r["urn"] not in declared and r["type"] != "pulumi:pulumi:Stack" and not r["type"].startswith("pulumi:providers:")
    )
    for urn in excluded:
        args += ["--exclude", urn]
    if excluded:
        args.append("--exclude-dependents")
    say(f"importing {len(plan['imports'])} existing objects into stack {pulumi.stack} (reads only)")
    try:
        # Without intermediate checkpoints (Pulumi's file backend rewrites the whole state after every step, which
        # is quadratic): an update that only reads cannot orphan anything. A failed one may leave some imports in
        # the state; the callers (import, the state-only repair) restore the state they exported first.
        env = {contract.ADOPTION_PLAN_ENV: handle.name, contract.READ_ONLY_ENV: "1", "PULUMI_SKIP_CHECKPOINTS": "true"}
        result = pulumi.update(*args, env=env, say=say, check=False)
        if result.returncode != 0:
            differing = refused_updates(result.stdout or "")
            if differing:
                raise RefusedUpdates(differing)
            raise AdoptionError(f"`pulumi up` failed for stack {pulumi.stack!r}: {_last_error(result)}")
        return result
    finally:
        os.unlink(handle.name)


_UPDATING = re.compile(r"~\s+(?P<type>auth0:index:\w+) (?P<name>\S+) updating.*\[diff: (?P<diff>[^\]]*)\]")


def refused_updates(output: str) -> dict[str, str]:
    """The resources a strict import would have updated right after importing (from Pulumi's progress output):
    resource name -> the properties that differ (``{"billing-sync": "-description"}``)."""
    seen: dict[str, str] = {}
    for match in _UPDATING.finditer(output):
        seen.setdefault(match["name"], match["diff"].strip())
    return seen


@dataclass(frozen=True)
class Change:
    """One step a preview plans: what the next ``pulumi up`` would do to one resource."""

    op: str
    type: str
    name: str
    properties: tuple[str, ...]

    def describe(self) -> str:
        what = f"{self.op} {self.type.rsplit(':', 1)[-1]} {self.name}"
        return what + (f" ({', '.join(self.properties)})" if self.properties else "")


def planned_changes(pulumi: Pulumi, config_file: Optional[Path] = None) -> list[Change]:
    """What the next ``pulumi up`` would change (a preview: no Management API call for an imported estate).

    The common answer, nothing, comes from ``--expect-no-changes``; only when something would change is the
    preview repeated as JSON (which carries every resource's state, large for a big stack) to say what.
    """
    config_args = ["--config-file", str(config_file)] if config_file else []
    if pulumi.run("preview", "--expect-no-changes", *config_args, check=False).returncode == 0:
        return []
    result = pulumi.run("preview", "--json", *config_args, check=False)
    try:
        steps = json.loads(result.stdout).get("steps", [])
    except json.JSONDecodeError:
        raise AdoptionError(f"`pulumi preview` failed for stack {pulumi.stack!r}: {_last_error(result)}") from None
    changes = []
    for step in steps:
        if step.get("op") in ("same", "read", None):
            continue
        state = step.get("newState") or step.get("oldState") or {}
        diff = step.get("detailedDiff") or {}
        properties = tuple(sorted({path.split(".")[0].split("[")[0] for path in diff} or set(step.get("diffReasons") or ())))
        changes.append(Change(step["op"], state.get("type", ""), step.get("urn", "").rsplit("::", 1)[-1], properties))
    return changes


def custom_changes(changes: Iterable[Change]) -> list[Change]:
    """Changes to tenant objects (components and the stack itself have none of their own)."""
    return [c for c in changes if c.type.startswith("auth0:")]


# --- connecting with the stack's own provider settings ----------------------------------------------------
def tenant_for(pulumi: Pulumi) -> ManagementClient:
    """A Management API reader with the stack's provider settings (``auth0:domain``, ``auth0:clientId``,
    ``auth0:clientSecret``; the provider's ``AUTH0_*`` environment variables when the stack has none)."""
    settings = pulumi.config()
    values = {}
    for key, variable in (("auth0:domain", "AUTH0_DOMAIN"), ("auth0:clientId", "AUTH0_CLIENT_ID"),
                          ("auth0:clientSecret", "AUTH0_CLIENT_SECRET")):
        values[key] = settings.get(key) or os.environ.get(variable, "")
        if not values[key]:
            raise AdoptionError(
                f"stack {pulumi.stack!r} has no {key} (set it with `pulumi config set{' --secret' if 'Secret' in key else ''} "
                f"{key} ...` or {variable})"
            )
    # Like the provider (go-auth0), take the domain without any scheme or path.
    domain = re.sub(r"^[a-z][a-z0-9+.-]*://", "", values["auth0:domain"].strip(), flags=re.I).split("/")[0]
    return ManagementClient(
        domain,
        values["auth0:clientId"],
        values["auth0:clientSecret"],
        verify=os.environ.get("SSL_CERT_FILE") or True,
    )


def stack_file(pulumi: Pulumi) -> Path:
    """``stacks/Pulumi.<stack>.yaml`` (the project's ``stackConfigDir``)."""
    return stack_path(pulumi.project_dir, pulumi.stack)
