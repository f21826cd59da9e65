"""`auth0-m2m`: the project's command line (validate and review stack files, check real access after a deploy).

Thin: reading is :mod:`auth0_m2m.model.loading`, rendering is :mod:`.report` and :mod:`.diff`, exit codes,
``--json`` and error printing are :mod:`.output` (shared by every command).
"""

from __future__ import annotations

import json
import os
import re
import ssl
import sys
from pathlib import Path
from typing import Any, Optional

import click
from rich.console import Console

from .. import __version__
from ..contract import ESTATE_TYPE, M2M_APPLICATION_TYPE, NAMESPACE, PRODUCTION_KEY
from ..model.errors import StackConfigError
from ..model.key_files import KeyFileReader, repository_root, working_tree_reader
from ..model.loading import find_project, read_project, read_stack_file, stack_path
from ..model.scopes import Command, StackNeeds, missing_scopes_message, required_scopes, scopes_for
from .access_check import (
    AccessCheckError,
    StackOutputs,
    TokenClient,
    credentials_for,
    load_private_key,
    mismatches,
    parse_private_key_options,
    plan,
    planned_requests,
    quota_json,
    render_matrix,
    render_quota,
    rows_json,
    run_check,
    skipped_summary,
)
from .adoption import AdoptionError, Pulumi
from .diff import StackDiff, stack_diff
from .fast_up import run_up
from .from_state import Scope, scopes_from_state
from .importing import import_json, render_import, run_import
from .management import ManagementClient, ManagementError, TenantIndex
from .markdown import GITHUB_COMMENT_LIMIT, truncate
from .output import CommandError, Exit, Group, finish, json_option, problem_errors
from .public_keys import read_public_keys
from .pulumi_cli import PulumiError, provider_settings, pulumi_read
from .recovery import export_stack, pending_creates, refresh, render_resolutions, resolve_pending
from .repair import render_repair, repair_json, run_repair
from .report import render_html as render_report_html
from .report import render_markdown as render_report_markdown
from .report import report_json
from .secret_rotation import SecretRotationError, rotate_secret
from .revisions import PRODUCTION_STACK_NAMES, Repository, changed_stacks, touched_stacks
from .schemas import RESULTS, envelope_model

# Tables are wide (one column per organization): outside a terminal (CI logs, pipes) do not wrap at 80.
console = Console(width=None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 160)


def project_dir_option(command):
    return click.option(
        "--project-dir",
        type=click.Path(file_okay=False, path_type=Path),
        help="The Pulumi project (the directory of its Pulumi.yaml). Default: the nearest one at or above the "
        "current directory (or above the stack files given).",
    )(command)


@click.group(cls=Group)
@click.version_option(__version__, "--version", prog_name="auth0-m2m", message="%(prog)s %(version)s")
def main() -> None:
    """Auth0 machine-to-machine applications as Pulumi stacks.

    Exit codes: 0 done; 1 invalid configuration or access mismatch; 2 usage error or unreadable input;
    3 the tenant, pulumi or git failed; 4 internal error.
    """


# --------------------------------------------------------------------------------------------------
# Projects and stack files


def _project(project_dir: Optional[Path], near: Optional[Path] = None, required: bool = True) -> Optional[Path]:
    if project_dir is not None:
        if not (project_dir / "Pulumi.yaml").is_file():
            raise CommandError(f"{project_dir}: no Pulumi.yaml there (--project-dir names the project's directory)",
                               Exit.USAGE, kind="usage")
        return project_dir
    found = find_project(near if near is not None else Path.cwd())
    if found is None and required:
        raise CommandError("no Pulumi.yaml in the current directory or above: pass --project-dir", Exit.USAGE,
                           kind="usage")
    return found


def _source(path: Path, project: Optional[Path]) -> str:
    if project is not None:
        try:
            return path.resolve().relative_to(project.resolve()).as_posix()
        except ValueError:
            pass
    return str(path)


def _stack_name(path: Path) -> Optional[str]:
    match = re.fullmatch(r"Pulumi\.(.+)\.yaml", path.name)
    return match.group(1) if match else None


def _targets(files: tuple[Path, ...], stacks: tuple[str, ...], project_dir: Optional[Path]) -> list[tuple[Path, Optional[Path]]]:
    """(stack file, its project) for the files and stacks named; every stack file of the project if none."""
    targets = []
    for file in files:
        targets.append((file, _project(project_dir, near=file.parent if file.parent.exists() else None, required=False)))
    if stacks or not files:
        project = _project(project_dir)
        assert project is not None
        if stacks:
            targets += [(stack_path(project, stack), project) for stack in stacks]
        else:
            directory = project / (read_project(project)[1] or ".")
            found = sorted(directory.glob("Pulumi.*.yaml"))
            if not found:
                raise CommandError(f"no stack files (Pulumi.<stack>.yaml) in {directory}", Exit.USAGE, kind="usage")
            targets += [(path, project) for path in found]
    return targets


def _key_files(path: Path, project: Optional[Path]) -> KeyFileReader:
    """Public keys a stack file names by pem_file: relative to the root of the repository the file is in."""
    return working_tree_reader(repository_root(project if project is not None else path.resolve().parent))


def _read(path: Path, project: Optional[Path]):
    name = read_project(project)[0] if project is not None else None
    return read_stack_file(path, name, _source(path, project))


# --------------------------------------------------------------------------------------------------
# validate


@main.command()
@click.argument("stack_files", nargs=-1, type=click.Path(dir_okay=True, path_type=Path))
@click.option("--stack", "stacks", multiple=True, help="A stack of the project, by name (repeatable).")
@project_dir_option
@json_option
def validate(stack_files: tuple[Path, ...], stacks: tuple[str, ...], project_dir: Optional[Path], as_json: bool) -> None:
    """Validate stack files with every rule, as Pulumi would read them; no Pulumi or tenant needed.

    STACK_FILES default to every stack file of the project.
    """
    entries, errors, lines = [], [], []
    code = Exit.OK
    for path, project in _targets(stack_files, stacks, project_dir):
        source = _source(path, project)
        try:
            config = _read(path, project).validate(key_files=_key_files(path, project))
        except StackConfigError as error:
            code = max(code, Exit.USAGE if error.unreadable else Exit.FINDINGS)
            found = problem_errors(error)
            errors += found
            entries.append({"file": source, "stack": _stack_name(path), "valid": False, "production": None,
                            "applications": None, "grants": None, "errors": found})
            lines.append((True, str(error)))
            continue
        grants = sum(len(app.grants) for app in config.applications)
        entries.append({"file": source, "stack": _stack_name(path), "valid": True, "production": config.production,
                        "applications": len(config.applications), "grants": grants, "errors": []})
        lines.append((False, f"{source}: ok ({len(config.applications)} applications, {grants} grants"
                             f"{', production' if config.production else ''})"))

    def human() -> None:
        for err, line in lines:
            click.echo(line, err=err)

    finish("validate", code, {"files": entries}, human, errors)


# --------------------------------------------------------------------------------------------------
# report


@main.command()
@click.argument("stack_file", required=False, type=click.Path(path_type=Path))
@click.option("--stack", help="A stack of the project, by name (instead of STACK_FILE). A stack without auth0-m2m: "
              "keys (a YAML or TypeScript program) is reported from its state.")
@click.option("--from-state", is_flag=True, help="With --stack: report what the components recorded in the stack's "
              "state instead of its stack file.")
@click.option("--format", "fmt", type=click.Choice(["markdown", "html"]), default="markdown", show_default=True)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="Write here instead of stdout.")
@project_dir_option
@json_option
def report(stack_file: Optional[Path], stack: Optional[str], from_state: bool, fmt: str, output: Optional[Path],
           project_dir: Optional[Path], as_json: bool) -> None:
    """Access report of one stack file (or of a deployed stack's state): application x API -> usage,
    organizations, scopes."""
    if (stack_file is None) == (stack is None):
        raise click.UsageError("name either a STACK_FILE or --stack")
    if from_state and stack is None:
        raise click.UsageError("--from-state needs --stack")
    [(path, project)] = _targets((stack_file,) if stack_file else (), (stack,) if stack else (), project_dir)
    render = render_report_markdown if fmt == "markdown" else render_report_html
    if stack is not None and project is not None and (from_state or not _has_estate_keys(path, project)):
        scopes = _scopes_from_state(stack, project)
        result = {"scopes": [report_json(scope.config, f"{stack}: {scope.source}", scope.source) for scope in scopes]}
        text = "\n".join(render(scope.config, f"{stack}: {scope.source}") for scope in scopes)
    else:
        config = _read(path, project).validate(key_files=_key_files(path, project))
        name = _stack_name(path) or path.name
        result = report_json(config, name, _source(path, project))
        text = render(config, name)
    if output:  # written with --json too: --json only decides what goes to stdout
        _write(text, output)
    finish("report", Exit.OK, result, lambda: None if output else _write(text, None))


# --------------------------------------------------------------------------------------------------
# diff


@main.command()
@click.option("--base", "base_rev", required=True, help="Git revision of the base (e.g. origin/main).")
@click.option("--head", "head_rev", help="Git revision of the head (default: the working tree).")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="Write the Markdown here instead of stdout.")
@click.option("--max-chars", type=click.IntRange(min=1000), help=f"Cut the Markdown to at most this many characters "
              f"with a note saying so (GitHub refuses comments over {GITHUB_COMMENT_LIMIT:,}).")
@click.option("--full-output", type=click.Path(dir_okay=False, path_type=Path), help="Also write the whole Markdown here.")
@click.option("--truncation-note", default="", help="Where the full report is, for the note added when cut.")
@click.argument("stacks", nargs=-1)
@project_dir_option
@json_option
def diff(base_rev: str, head_rev: Optional[str], output: Optional[Path], max_chars: Optional[int],
         full_output: Optional[Path], truncation_note: str, stacks: tuple[str, ...], project_dir: Optional[Path],
         as_json: bool) -> None:
    """Access diff between two revisions of the stack files, riskiest changes first (Markdown).

    STACKS are stack names (default: every stack whose file differs between the revisions). Exits 1 when a
    head stack file does not validate, 2 when it cannot be read as a stack file (the Markdown says why).
    """
    project = _project(project_dir)
    assert project is not None
    repository = Repository(project)
    base = repository.commit(base_rev)
    head = repository.commit(head_rev) if head_rev else None
    name = read_project(project)[0]
    diffs: list[StackDiff] = []
    for stack in stacks or changed_stacks(repository, base, head):
        path = repository.stack_file(stack)
        try:
            head_data = repository.read(head, path)
        except StackConfigError as error:
            diffs.append(StackDiff(stack, path, "invalid", None, None, error=error))
            continue
        try:
            base_data = repository.read(base, path)
        except StackConfigError:
            base_data = b""
        diffs.append(stack_diff(stack, path, base_data, head_data, name, repository.key_files(base),
                                repository.key_files(head)))
    failed = [d for d in diffs if d.invalid]
    code = max([Exit.OK] + [Exit.USAGE if d.error.unreadable else Exit.FINDINGS for d in failed])
    markdown = "\n".join(d.markdown() for d in diffs) or "No stack file changed.\n"
    if full_output:
        _write(markdown, full_output)
    truncated = False
    if max_chars:
        note = ("> [!NOTE]\n> This access diff was cut to stay within GitHub's comment size limit ("
                f"{len(markdown):,} characters in full). {truncation_note or 'Run the auth0-m2m diff command above for the whole report.'}")
        markdown, truncated = truncate(markdown, max_chars, note)
    result = {"base": base, "head": head, "stacks": [d.as_dict() for d in diffs]}
    errors = [e for d in failed for e in problem_errors(d.error)]

    if output:  # written with --json too: --json only decides what goes to stdout
        _write(markdown, output)

    def human() -> None:
        if not output:
            _write(markdown, None)
        for d in failed:
            click.echo(str(d.error), err=True)
        if truncated:
            click.echo(f"auth0-m2m: the diff was cut to {max_chars:,} characters", err=True)

    finish("diff", code, result, human, errors)


# --------------------------------------------------------------------------------------------------
# stacks (the workflows' selection)


@main.command()
@click.option("--base", "base_rev", help="Only stacks touched since this revision (empty, all zeros or unknown: every stack).")
@click.option("--head", "head_rev", help="Git revision of the head (default: the working tree).")
@click.option("--exclude", "excluded", multiple=True, help="Leave this stack out (repeatable).")
@project_dir_option
@json_option
def stacks(base_rev: Optional[str], head_rev: Optional[str], excluded: tuple[str, ...], project_dir: Optional[Path],
           as_json: bool) -> None:
    """The project's stacks (or those a change touches) and whether each is production.

    A stack is production when it is named prod or production, or its file says auth0-m2m:production: true
    as Pulumi reads it. A file that cannot be read, or a production value that is not true or false, counts
    as production (fail closed: the policy pack runs).
    """
    project = _project(project_dir)
    assert project is not None
    repository = Repository(project)
    if base_rev is None:
        names, reason = sorted(repository.stacks_at_head()), "every stack of the project"
    else:
        selection = touched_stacks(repository, base_rev, head_rev)
        names, reason = selection.stacks, selection.reason
    entries = [_stack_entry(project, repository, stack) for stack in names if stack not in set(excluded)]

    def human() -> None:
        click.echo(f"{reason}:")
        for entry in entries:
            click.echo(f"  {entry['stack']}: {'production' if entry['production'] else 'not production'} "
                       f"({entry['why']}){'' if entry['exists'] else ', file removed'}")

    finish("stacks", Exit.OK, {"reason": reason, "stacks": entries}, human)


def _stack_entry(project: Path, repository: Repository, stack: str) -> dict:
    relative = repository.stack_file(stack)
    path = project / relative
    entry = {"stack": stack, "suffix": re.sub(r"[^A-Z0-9]", "_", stack.upper()), "file": relative,
             "exists": path.is_file()}
    if stack in PRODUCTION_STACK_NAMES:
        return {**entry, "production": True, "why": f"named {stack}"}
    if not entry["exists"]:
        return {**entry, "production": False, "why": "file removed"}
    try:
        flag = _read(path, project).boolean(PRODUCTION_KEY)
    except StackConfigError as error:
        return {**entry, "production": True, "why": f"unreadable, so counted as production: {error.problems[0].message[:200]}"}
    except ValueError:
        return {**entry, "production": True, "why": f"{PRODUCTION_KEY} is not true or false, so counted as production"}
    return {**entry, "production": bool(flag), "why": f"{PRODUCTION_KEY}: {'true' if flag else 'false' if flag is False else 'unset'}"}


# --------------------------------------------------------------------------------------------------
# access-check and recover


@main.command("access-check")
@click.option("--stack", "stack", required=True, help="Pulumi stack whose config and outputs are checked.")
@project_dir_option
@click.option("--domain", help="Tenant domain (default: the stack's auth0:domain).")
@click.option("--ca-cert", type=click.Path(dir_okay=False, path_type=Path), help="CA bundle (default: SSL_CERT_FILE, else the system's).")
@click.option("--outputs", "outputs_file", type=click.Path(dir_okay=False, path_type=Path), help="Stack outputs as JSON (`pulumi stack output --json --show-secrets`); default: read them with pulumi.")
@click.option("--from-state", is_flag=True, help="Check what the components recorded in the stack's state (the default "
              "when the project has no stack file with auth0-m2m: keys, e.g. a YAML or TypeScript program).")
@click.option(
    "--private-key", "private_keys", multiple=True, envvar="AUTH0_M2M_PRIVATE_KEYS", metavar="APP=PATH|APP=env:VAR",
    help="Private key of a private_key_jwt application: a PEM file, or an environment variable holding the PEM. "
    "Repeatable; also from AUTH0_M2M_PRIVATE_KEYS (entries separated by spaces). Read into memory only.",
)
@click.option("--token-budget", default=500, show_default=True, type=click.IntRange(min=1),
              help="Most token requests the check may make; it refuses to start above it (each is an issued token).")
@click.option("--quota-reserve", default=1, show_default=True, type=click.IntRange(min=0),
              help="Tokens the check leaves in every quota bucket it sees (Auth0's quota headers).")
@click.option("--application", "applications", multiple=True, help="Check only this application (repeatable).")
@click.option("--api", "apis", multiple=True, help="Check only this API key (repeatable).")
@json_option
def access_check(stack: str, project_dir: Optional[Path], domain: Optional[str], ca_cert: Optional[Path],
                 outputs_file: Optional[Path], from_state: bool, private_keys: tuple[str, ...], token_budget: int,
                 quota_reserve: int, applications: tuple[str, ...], apis: tuple[str, ...], as_json: bool) -> None:
    """Request a real token for every application x API x organization and compare with the stack config.

    private_key_jwt applications sign their requests with the private key given by --private-key; the check
    refuses to start above --token-budget requests and leaves --quota-reserve tokens in every quota bucket.
    """
    project = _project(project_dir)
    assert project is not None
    path = stack_path(project, stack)
    if from_state or not _has_estate_keys(path, project):
        scopes = _scopes_from_state(stack, project)
        expected_from = "the components' recorded configuration"
    else:
        config = _read(path, project).validate(key_files=_key_files(path, project))
        outputs = StackOutputs.from_json(_outputs_json(outputs_file)) if outputs_file else StackOutputs.from_pulumi(stack, cwd=str(project))
        scopes = [Scope(source="", config=config, outputs=outputs)]
        expected_from = "the stack config"
    plans = _plan_check(scopes, private_keys, applications, apis, token_budget)
    domain = domain or _stack_domain(stack, project)
    tokens = TokenClient(domain, verify=tls_verification(ca_cert))
    checks = []
    try:
        for scope, credentials, not_checkable, expectations in plans:
            report = run_check(scope.config, scope.outputs, tokens, credentials, expectations, not_checkable, None,
                               quota_reserve)
            checks.append((scope, report))
    finally:
        tokens.close()
    wrong = sum(len(mismatches(report.rows)) for _, report in checks)
    checked = sum(r.observation is not None for _, report in checks for r in report.rows)
    requested = sum(report.requested for _, report in checks)
    shown_rows = [(row, shown) for scope, report in checks
                  for row, shown in zip(report.rows, rows_json(report.rows, scope.outputs))]
    result = {"stack": stack, "domain": domain, "checked": checked, "mismatches": wrong,
              "rows": [shown for _, shown in shown_rows], "requested": requested, "token_budget": token_budget,
              "quota": [usage for _, report in checks for usage in quota_json(report)]}

    def human() -> None:
        for scope, report in checks:
            title = f"Access check: stack {stack}{f' ({scope.source})' if scope.source else ''} on {domain}"
            console.print(render_matrix(report.rows, scope.config, scope.outputs, title=title))
            quota = render_quota(report)
            if quota is not None:
                console.print(quota)
            for reason, count in skipped_summary(report.rows).items():
                console.print(f"[yellow]not checked ({count} requests): {reason}[/]")
        console.print(f"{requested} token requests made (budget {token_budget}).")
        if wrong:
            console.print(f"[bold red]{wrong} of {checked} token requests differ from {expected_from}.[/]")
        else:
            console.print(f"[green]All {checked} token requests match {expected_from}.[/]")

    errors = []
    for row, shown in shown_rows:
        if row.matches:
            continue
        where = f"{shown['application']} / {shown['api']} / {shown['organization'] or '(no organization)'}"
        message = f"expected {shown['expected']}, observed {shown['observed']} ({shown['detail']})"
        errors.append({"kind": "findings", "file": None, "line": None, "key": None, "application": shown["application"],
                       "api": shown["api"], "audience": shown["audience"], "organization": shown["organization"],
                       "field": None, "message": message, "text": f"{where}: {message}"})
    finish("access-check", Exit.FINDINGS if wrong else Exit.OK, result, human, errors)


def _plan_check(scopes: list[Scope], private_keys: tuple[str, ...], applications: tuple[str, ...],
                apis: tuple[str, ...], token_budget: int) -> list[tuple]:
    """Per scope: the applications' credentials, why some cannot be checked, and the requests to make; checked
    against the budget before any request (usage errors, exit 2)."""
    try:
        keys = {app: load_private_key(app, source) for app, source in parse_private_key_options(private_keys).items()}
        known = {app.name for scope in scopes for app in scope.config.applications}
        unknown = sorted(set(keys) - known) + sorted(set(applications) - known)
        if unknown:
            raise AccessCheckError(f"unknown applications: {', '.join(unknown)}")
        plans = []
        for scope in scopes:
            names = {app.name for app in scope.config.applications}
            wanted = [name for name in applications if name in names]
            if applications and not wanted:
                continue
            credentials, not_checkable = credentials_for(scope.config, scope.outputs, keys)
            expectations = plan(scope.config, wanted, [api for api in apis if api in scope.config.apis])
            plans.append((scope, credentials, not_checkable, expectations))
        needed = sum(planned_requests(expectations, credentials, scope.outputs)
                     for scope, credentials, _, expectations in plans)
        if needed > token_budget:
            raise AccessCheckError(
                f"the check needs {needed} token requests, over the budget of {token_budget} (--token-budget): each "
                "is an issued token that counts against the tenant's quotas; check fewer applications or APIs "
                "(--application, --api) or raise the budget"
            )
    except AccessCheckError as error:
        raise CommandError(str(error), Exit.USAGE, kind="usage") from None
    return plans


@main.command("rotate-secret")
@click.argument("application")
@click.option("--stack", "stack", required=True, help="Pulumi stack the application belongs to.")
@project_dir_option
@click.option("--yes", is_flag=True, help="Rotate without asking (the old secret stops working at once).")
def rotate_secret_command(application: str, stack: str, project_dir: Optional[Path], yes: bool) -> None:
    """Give APPLICATION a new client secret (Auth0's rotate-secret), stored only as a Pulumi secret.

    The old secret stops working at once: the workload must pick up the new one from the stack output
    `client_secrets` (`pulumi stack output client_secrets --show-secrets`). private_key_jwt applications
    rotate keys instead (README, "Rotating a key without downtime").
    """
    project = _project(project_dir)
    assert project is not None
    _check_scopes_first(Command.ROTATE_SECRET, stack, project)
    credentials = _credentials(stack, project)
    settings = {"auth0:domain": credentials.domain, "auth0:clientId": credentials.client_id or "",
                "auth0:clientSecret": credentials.client_secret or ""}
    if not yes:
        if not sys.stdin.isatty():
            raise CommandError("rotating a secret breaks the workload until it has the new one; pass --yes to confirm",
                               Exit.USAGE, kind="usage")
        click.confirm(f"Rotate the client secret of {application!r} in stack {stack!r}? The old secret stops working "
                      "at once", abort=True)
    try:
        message = rotate_secret(
            stack, application, project,
            tenant_config=settings.__getitem__,
            verify=tls_verification(None),
            say=click.echo,
        )
    except SecretRotationError as error:
        raise CommandError(str(error), Exit.USAGE if error.usage else Exit.EXTERNAL,
                           kind="usage" if error.usage else "external") from None
    click.echo(message)


def _has_estate_keys(path: Path, project: Path) -> bool:
    """Whether the stack file declares an estate (auth0-m2m: keys); a program in another language has none."""
    return path.is_file() and any(key.startswith(f"{NAMESPACE}:") for key in _read(path, project).config)


def _scopes_from_state(stack: str, project: Path) -> list[Scope]:
    """The stack's Estates and lone M2MApplications from its state (secrets revealed into memory only)."""
    try:
        deployment = json.loads(pulumi_read(stack, "stack", "export", "--show-secrets", cwd=project))
    except PulumiError as error:
        raise CommandError(str(error), Exit.EXTERNAL) from None
    try:
        scopes = scopes_from_state(deployment)
    except StackConfigError as error:
        raise CommandError(str(error), Exit.FINDINGS, kind="findings") from None
    except ValueError as error:
        raise CommandError(str(error), Exit.USAGE, kind="usage") from None
    if not scopes:
        raise CommandError(f"stack {stack!r} has no {ESTATE_TYPE} or {M2M_APPLICATION_TYPE} in its state", Exit.USAGE,
                           kind="usage")
    return scopes


def tls_verification(ca_cert: Optional[Path]) -> Any:
    """The TLS trust for tenant requests: --ca-cert, else SSL_CERT_FILE, else the system's CAs."""
    source, path = ("--ca-cert", ca_cert) if ca_cert else ("SSL_CERT_FILE", os.environ.get("SSL_CERT_FILE"))
    if not path:
        return True
    try:
        return ssl.create_default_context(cafile=str(path))
    except (OSError, ssl.SSLError) as error:
        raise CommandError(f"{source} {str(path)[:200]!r} is not a readable CA bundle ({getattr(error, 'strerror', None) or error}); "
                           "for the local tenant: eval \"$(scripts/local-tenant env)\"; for a real tenant: unset "
                           "SSL_CERT_FILE", Exit.USAGE, kind="usage") from None


def _outputs_json(path: Path) -> Any:
    try:
        return json.loads(path.read_bytes())
    except OSError as error:
        raise CommandError(f"{path}: cannot be read ({error.strerror})", Exit.USAGE, kind="usage") from None
    except (ValueError, RecursionError):
        raise CommandError(f"{path}: not JSON (expected `pulumi stack output --json --show-secrets`)", Exit.USAGE,
                           kind="usage") from None


@main.command()
@click.option("--stack", "stack", required=True, help="Pulumi stack whose interrupted update is recovered.")
@project_dir_option
def recover(stack: str, project_dir: Optional[Path]) -> None:
    """After an interrupted `pulumi up`: import the objects its pending creates made, clear the rest, refresh, then
    adopt whatever else the stack declares that exists in the tenant but not in the state (what an interrupted
    `auth0-m2m up --fast` leaves).

    Run it, then `pulumi up`: the result has no duplicate clients, grants or organization links.
    """
    project = _project(project_dir)
    assert project is not None
    config = _read(stack_path(project, stack), project).validate()
    credentials = _credentials(stack, project)
    _require_scopes(Command.RECOVER, config, credentials, stack)
    deployment = export_stack(stack, cwd=str(project))
    resolutions = []
    if not pending_creates(deployment):
        click.echo(f"stack {stack}: no pending creates; running a plain refresh")
    else:
        tenant = ManagementClient(
            credentials.domain, credentials.client_id, credentials.client_secret, verify=tls_verification(None)
        )
        try:
            resolutions = resolve_pending(deployment, TenantIndex(tenant), _pinned_clients(project, stack))
        except ManagementError as error:
            raise CommandError(str(error), Exit.EXTERNAL) from None
        except RuntimeError as error:
            raise CommandError(str(error), Exit.FINDINGS, kind="findings") from None
        finally:
            tenant.close()
        console.print(render_resolutions(stack, resolutions))
    result = refresh(stack, project, resolutions, say=click.echo)
    sys.stderr.write(result.stderr)
    if result.returncode != 0:
        sys.exit(Exit.EXTERNAL)
    # An interrupted `auth0-m2m up --fast` records no pending creates: adopt whatever the stack declares that
    # exists in the tenant but not in the state (the state-only repair of `import --state-only`).
    with _adoption_errors():
        click.echo(render_repair(stack, run_repair(Pulumi(stack, project), preview=False, say=click.echo)))
    sys.exit(Exit.OK)


# --------------------------------------------------------------------------------------------------
# import and up --fast (adoption)


@main.command("import")
@click.option("--stack", "stack", required=True, help="Pulumi stack to adopt the tenant into (its provider settings are used).")
@click.option("--select", "patterns", multiple=True, metavar="PATTERN",
              help="Only M2M applications whose Auth0 name matches this glob (repeatable).")
@click.option("--dry-run", is_flag=True, help="Print the stack-file diff and the objects it would import; write nothing.")
@click.option("--include-unsupported", is_flag=True,
              help="Also import applications with settings the stack file cannot express, and show what the next up "
              "changes.")
@click.option("--state-only", is_flag=True,
              help="Recover a lost or damaged state: adopt everything the stack file declares; the file is not changed.")
@click.option("--public-keys", "key_directories", multiple=True, metavar="DIR",
              type=click.Path(file_okay=False, path_type=Path),
              help="Directory of the public keys (PEM) of private_key_jwt applications, matched to their credentials by "
              "key id (Auth0 never returns a registered key); repeatable. Keys in the repository are written as "
              "pem_file, others inline.")
@project_dir_option
@json_option
def import_(stack: str, patterns: tuple[str, ...], dry_run: bool, include_unsupported: bool, state_only: bool,
            key_directories: tuple[Path, ...], project_dir: Optional[Path], as_json: bool) -> None:
    """Adopt an existing tenant: its M2M applications into the stack file and the state, with no write to Auth0.

    Reads the tenant with the stack's provider settings (read scopes only), writes the estate keys of the stack
    file (every other key and comment is kept) and imports every object into the state, so that the next
    `pulumi preview` shows no change. Exits 1 when there is no M2M application to import, 3 when the tenant or
    pulumi fails; nothing is written then.
    """
    project = _project(project_dir)
    assert project is not None
    pulumi = Pulumi(stack, project)
    say = lambda line: click.echo(line, err=True)  # noqa: E731 - progress on stderr, the summary on stdout
    if state_only and (patterns or include_unsupported or key_directories):
        raise click.UsageError("--state-only adopts what the stack file declares: no --select, --include-unsupported "
                               "or --public-keys")
    _check_scopes_first(Command.IMPORT_STATE_ONLY if state_only else Command.IMPORT, stack, project)
    if state_only:
        with _adoption_errors():
            repaired = run_repair(pulumi, dry_run=dry_run, say=say)
        finish("import", Exit.OK, repair_json(stack, repaired, _source(stack_path(project, stack), project)),
               lambda: click.echo(render_repair(stack, repaired)))
    try:
        given = read_public_keys(key_directories, repository_root(project))
    except ValueError as error:
        raise CommandError(str(error), Exit.USAGE, kind="usage") from None
    for note in given.ignored:
        say(f"--public-keys: {note}")
    with _adoption_errors():
        outcome = run_import(pulumi, patterns=patterns, dry_run=dry_run, include_unsupported=include_unsupported,
                             keys=given.keys, say=say)
    finish("import", Exit.OK, import_json(stack, outcome, _source(outcome.stack_file, project)),
           lambda: click.echo(render_import(stack, outcome)))


@main.command("up", context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.option("--stack", "stack", required=True, help="Pulumi stack to deploy.")
@click.option("--fast", is_flag=True, help="Skip Pulumi's intermediate state checkpoints; an interrupted fast deploy is "
              "recovered by running it again (or `auth0-m2m import --state-only`).")
@project_dir_option
@click.argument("pulumi_args", nargs=-1, type=click.UNPROCESSED)
def up(stack: str, fast: bool, project_dir: Optional[Path], pulumi_args: tuple[str, ...]) -> None:
    """`pulumi up --yes` for a stack (PULUMI_ARGS go to pulumi). With --fast: first adopt whatever an interrupted
    deploy created, then deploy without intermediate checkpoints. Exits with pulumi's status (3 when it failed)."""
    project = _project(project_dir)
    assert project is not None
    if fast:  # (a plain `pulumi up` checks its scopes in the program, before registering anything)
        _check_scopes_first(Command.UP_FAST, stack, project)
    with _adoption_errors():
        outcome = run_up(Pulumi(stack, project), pulumi_args, fast=fast, say=lambda line: click.echo(line, err=True))
    sys.exit(Exit.OK if outcome.returncode == 0 else Exit.EXTERNAL)


class _adoption_errors:
    """Adoption's own errors as the command line reports them: one line and an exit code."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, error, _traceback) -> bool:
        if isinstance(error, (AdoptionError, ManagementError)):
            code = getattr(error, "exit_code", Exit.EXTERNAL)
            raise CommandError(str(error), code, kind="findings" if code == Exit.FINDINGS else "external") from None
        return False


def _pinned_clients(project: Path, stack: str) -> dict[str, str]:
    """Application name -> client id of every application whose stack file entry pins its client."""
    try:
        path = stack_path(project, stack)
        config = _read(path, project).validate(key_files=_key_files(path, project))
    except StackConfigError:
        return {}
    return {app.name: app.client_id for app in config.applications if app.client_id}


# --------------------------------------------------------------------------------------------------
# scopes


@main.command("scopes")
@click.option("--stack", "stack", required=True, help="A stack of the project, by name: its file decides what is needed.")
@click.option(
    "--check",
    "check",
    type=click.Choice([c.value for c in Command]),
    help="Request a token with the stack's credentials (stack config, else AUTH0_* variables) and exit 1, naming "
    "each scope, when one that COMMAND needs is missing.",
)
@project_dir_option
@json_option
def scopes_command(stack: str, check: Optional[str], project_dir: Optional[Path], as_json: bool) -> None:
    """The Auth0 Management API scopes each command needs for a stack, and why.

    With --check COMMAND: verify the stack's Management API client before running COMMAND (the workflows do
    this before every Pulumi command; `pulumi up` also checks by itself).
    """
    project = _project(project_dir)
    assert project is not None
    config = _read(stack_path(project, stack), project).validate()
    table = {command.value: scopes_for(command, config) for command in Command}
    result: dict[str, Any] = {
        "stack": stack,
        "commands": [{"command": name, "scopes": [{"scope": s, "why": why} for s, why in needed.items()]}
                     for name, needed in table.items()],
        "check": None,
    }
    if check is None:
        def human() -> None:
            click.echo(f"Management API scopes for stack {stack}:")
            for name, needed in table.items():
                click.echo(f"\n{name}: {'none' if not needed else ' '.join(needed)}")
                for scope, why in needed.items():
                    click.echo(f"  {scope}: {why}")

        finish("scopes", Exit.OK, result, human)
    command = Command(check)
    needed = table[command.value]
    if not needed:
        result["check"] = {"command": command.value, "client": None, "missing": [], "extra": []}
        finish("scopes", Exit.OK, result, lambda: click.echo(f"stack {stack}: `{command.value}` needs no Management API scope"))
    credentials = _credentials(stack, project)
    granted = _require_scopes(command, config, credentials, stack)
    extra = sorted(granted - set(needed))
    result["check"] = {"command": command.value, "client": credentials.client_id, "missing": [], "extra": extra}

    def checked() -> None:
        click.echo(f"stack {stack}: the client {credentials.who} holds every scope `{command.value}` needs ({len(needed)})")
        if extra:
            click.echo(f"  it also holds {len(extra)} that `{command.value}` does not need: {' '.join(extra)}")

    finish("scopes", Exit.OK, result, checked)


def _credentials(stack: str, project: Path):
    """The stack's Management API credentials as the provider finds them: stack config, else AUTH0_* variables."""
    from ..resources.management_token import ManagementCredentials  # imports Pulumi: only for the commands using it

    try:
        settings = provider_settings(stack, cwd=project)
    except PulumiError:
        settings = {}  # no stack config readable here (e.g. no passphrase): the variables may still be set
    credentials = ManagementCredentials.of_provider(settings, os.environ)
    if credentials is None or not credentials.client_id:
        raise CommandError(
            f"stack {stack}: no Management API client: set auth0:domain, auth0:clientId and auth0:clientSecret "
            "(a secret) in the stack, or AUTH0_DOMAIN, AUTH0_CLIENT_ID and AUTH0_CLIENT_SECRET",
            Exit.USAGE, kind="usage",
        )
    return credentials


def _check_scopes_first(command: Command, stack: str, project: Path) -> None:
    """Before ``command`` reads or writes anything: the stack's client holds every scope it needs for the stack
    file as it is (a stack file that does not exist yet is the command's own error to report)."""
    path = stack_path(project, stack)
    if not path.exists():
        return
    try:
        config = _read(path, project).validate()
    except StackConfigError:
        if command is not Command.IMPORT:
            raise
        config = None  # a stack file with no estate yet: import writes it
    _require_scopes(command, config, _credentials(stack, project), stack)


def _require_scopes(command: Command, config, credentials, stack: str) -> frozenset[str]:
    """The client's scopes; ends the command (exit 1) naming each scope ``command`` needs and the client lacks."""
    from ..resources.management_token import ManagementTokenError, granted_scopes

    needed = scopes_for(command, config) if config is not None else required_scopes(command, StackNeeds(False, False, False))
    try:
        granted = granted_scopes(credentials)
    except ManagementTokenError as error:
        raise CommandError(f"stack {stack}: {error}", Exit.EXTERNAL) from None
    missing = {scope: why for scope, why in needed.items() if scope not in granted}
    if missing:
        raise CommandError(missing_scopes_message(command, missing, credentials.who, f"stack {stack}"),
                           Exit.FINDINGS, kind="findings")
    return granted


# --------------------------------------------------------------------------------------------------
# schema


@main.command()
@click.argument("command", type=click.Choice(sorted(RESULTS)))
def schema(command: str) -> None:
    """Print the JSON Schema of COMMAND's --json output."""
    click.echo(json.dumps(envelope_model(command).model_json_schema(by_alias=True), indent=2))


def _write(text: str, output: Optional[Path]) -> None:
    if output:
        try:
            output.write_text(text)
        except OSError as error:
            raise CommandError(f"{output}: cannot be written ({error.strerror})", Exit.USAGE, kind="usage") from None
    else:
        click.echo(text, nl=False)


def _stack_domain(stack: str, project_dir: Path) -> str:
    """The tenant domain: the stack's auth0:domain, else AUTH0_DOMAIN (as the provider reads it)."""
    try:
        return pulumi_read(stack, "config", "get", "auth0:domain", cwd=project_dir).strip()
    except PulumiError as error:
        if os.environ.get("AUTH0_DOMAIN"):
            return os.environ["AUTH0_DOMAIN"]
        raise CommandError(str(error), Exit.EXTERNAL) from None

