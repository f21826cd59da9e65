"""`auth0-m2m`: the project's command line (validate stack files, check real access after a deploy)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Optional

import click
from rich.console import Console

from ..contract import ESTATE_TYPE, M2M_APPLICATION_TYPE, STACK_CONFIG_DIR, stack_file_name
from ..model.config import StackConfig
from ..model.errors import StackConfigError
from ..model.loading import load_stack_file, read_stack_file
from .access_check import StackOutputs, TokenClient, mismatches, render_matrix, run_check
from .diff import render_stack_diff
from .from_state import Scope, scopes_from_state
from .management import ManagementClient
from .pulumi_cli import PulumiError, pulumi_read
from .recovery import export_stack, pending_creates, refresh, render_resolutions, resolve_pending
from .report import render_html as render_report_html
from .report import render_markdown as render_report_markdown
from .revisions import changed_stacks, git_show

# Tables are wide (one column per organization): outside a terminal (CI logs, pipes) do not wrap at 80.
console = Console(width=None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 160)


@click.group()
def main() -> None:
    """Auth0 machine-to-machine applications as Pulumi stacks."""


@main.command()
@click.argument("stack_files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def validate(stack_files: tuple[Path, ...]) -> None:
    """Validate stack files (stacks/Pulumi.<stack>.yaml) with every rule; no Pulumi or tenant needed."""
    failed = False
    for path in stack_files:
        try:
            config = load_stack_file(path)
        except StackConfigError as error:
            failed = True
            click.echo(str(error), err=True)
            continue
        click.echo(f"{path}: ok ({len(config.applications)} applications)")
    sys.exit(1 if failed else 0)


@main.command()
@click.argument("stack_file", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--stack", "stack", help="Report a deployed stack from its state instead of a stack file (for programs "
              "in any language: the components' recorded inputs).")
@click.option("--project-dir", default=".", type=click.Path(file_okay=False, path_type=Path), show_default=True)
@click.option("--format", "fmt", type=click.Choice(["markdown", "html"]), default="markdown", show_default=True)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="Write here instead of stdout.")
def report(stack_file: Optional[Path], stack: Optional[str], project_dir: Path, fmt: str, output: Optional[Path]) -> None:
    """Access report of one stack file (or, with --stack, of a deployed stack): application x API -> usage,
    organizations, scopes."""
    render = render_report_markdown if fmt == "markdown" else render_report_html
    if (stack_file is None) == (stack is None):
        raise click.UsageError("give either a STACK_FILE or --stack")
    if stack_file is not None:
        _write(render(_load_or_exit(stack_file), _stack_name(stack_file)), output)
        return
    scopes = _scopes_or_exit(stack, project_dir)
    _write("\n".join(render(scope.config, f"{stack}: {scope.source}") for scope in scopes), output)


@main.command()
@click.option("--base", "base_rev", required=True, help="Git revision of the base (e.g. origin/main).")
@click.option("--head", "head_rev", help="Git revision of the head (default: the working tree).")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="Write here instead of stdout.")
@click.argument("stacks", nargs=-1)
def diff(base_rev: str, head_rev: Optional[str], output: Optional[Path], stacks: tuple[str, ...]) -> None:
    """Access diff between two revisions of the stack files, riskiest changes first (Markdown).

    STACKS are stack names (default: every stack file that differs between the revisions).
    """
    names = list(stacks) or changed_stacks(base_rev, head_rev)
    sections = []
    failed = False
    for name in names:
        path = stack_file_name(name)
        section, invalid = render_stack_diff(name, path, git_show(base_rev, path), git_show(head_rev, path))
        sections.append(section)
        failed = failed or invalid
    _write("\n".join(sections) or "No stack file changed.\n", output)
    sys.exit(1 if failed else 0)


@main.command("access-check")
@click.option("--stack", "stack", required=True, help="Pulumi stack whose config and outputs are checked.")
@click.option("--project-dir", default=".", type=click.Path(file_okay=False, path_type=Path), show_default=True)
@click.option("--domain", help="Tenant domain (default: the stack's auth0:domain).")
@click.option("--ca-cert", type=click.Path(exists=True, dir_okay=False), help="CA bundle (default: SSL_CERT_FILE, else the system's).")
@click.option("--outputs", "outputs_file", type=click.File("r"), help="Stack outputs as JSON (`pulumi stack output --json --show-secrets`); default: read them with pulumi.")
@click.option("--from-state", is_flag=True, help="Check what the components recorded in the stack's state (the default "
              "when the project has no stack file with auth0-m2m: keys, e.g. a YAML or TypeScript program).")
def access_check(stack: str, project_dir: Path, domain: Optional[str], ca_cert: Optional[str], outputs_file, from_state: bool) -> None:
    """Request a real token for every application x API x organization and compare with the stack config."""
    stack_file = project_dir / STACK_CONFIG_DIR / f"Pulumi.{stack}.yaml"
    if from_state or not _has_estate_keys(stack_file):
        scopes = [(scope.source, scope.config, scope.outputs) for scope in _scopes_or_exit(stack, project_dir)]
        if not scopes:
            raise click.ClickException(f"stack {stack!r} has no {ESTATE_TYPE} or {M2M_APPLICATION_TYPE} in its state")
    else:
        config = load_stack_file(stack_file)
        outputs = StackOutputs.from_json(json.load(outputs_file)) if outputs_file else StackOutputs.from_pulumi(stack, cwd=str(project_dir))
        scopes = [(None, config, outputs)]
    domain = domain or _pulumi_config(stack, "auth0:domain", project_dir)
    verify = ca_cert or os.environ.get("SSL_CERT_FILE") or True
    tokens = TokenClient(domain, verify=verify)
    wrong = checked = 0
    try:
        for source, config, outputs in scopes:
            rows = run_check(config, outputs, tokens)
            wrong += len(mismatches(rows))
            checked += sum(r.observation is not None for r in rows)
            title = f"Access check: stack {stack}{f' ({source})' if source else ''} on {domain}"
            console.print(render_matrix(rows, config, outputs, title=title))
    finally:
        tokens.close()
    expected_from = "the stack config" if scopes[0][0] is None else "the components' recorded configuration"
    if wrong:
        console.print(f"[bold red]{wrong} of {checked} token requests differ from {expected_from}.[/]")
        sys.exit(1)
    console.print(f"[green]All {checked} token requests match {expected_from}.[/]")


@main.command()
@click.option("--stack", "stack", required=True, help="Pulumi stack whose interrupted update is recovered.")
@click.option("--project-dir", default=".", type=click.Path(file_okay=False, path_type=Path), show_default=True)
def recover(stack: str, project_dir: Path) -> None:
    """After an interrupted `pulumi up`: import the objects its pending creates made, clear the rest, refresh.

    Run it, then `pulumi up`: the result has no duplicate clients, grants or organization links.
    """
    deployment = export_stack(stack, cwd=str(project_dir))
    resolutions = []
    if not pending_creates(deployment):
        click.echo(f"stack {stack}: no pending creates; running a plain refresh")
    else:
        tenant = ManagementClient(
            _pulumi_config(stack, "auth0:domain", project_dir),
            _pulumi_config(stack, "auth0:clientId", project_dir),
            _pulumi_config(stack, "auth0:clientSecret", project_dir),
            verify=os.environ.get("SSL_CERT_FILE") or True,
        )
        try:
            resolutions = resolve_pending(deployment, tenant)
        finally:
            tenant.close()
        console.print(render_resolutions(stack, resolutions))
    result = refresh(stack, project_dir, resolutions, say=click.echo)
    sys.stderr.write(result.stderr)
    sys.exit(result.returncode)


def _has_estate_keys(stack_file: Path) -> bool:
    return stack_file.is_file() and bool(read_stack_file(stack_file))


def _scopes_or_exit(stack: str, project_dir: Path) -> list[Scope]:
    """The stack's Estates and lone M2MApplications from its state (secrets revealed into memory only)."""
    try:
        deployment = json.loads(pulumi_read(stack, "stack", "export", "--show-secrets", cwd=project_dir))
    except PulumiError as error:
        raise click.ClickException(str(error)) from None
    try:
        return scopes_from_state(deployment)
    except (StackConfigError, ValueError) as error:
        raise click.ClickException(str(error)) from None


def _load_or_exit(path: Path) -> StackConfig:
    try:
        return load_stack_file(path)
    except StackConfigError as error:
        click.echo(str(error), err=True)
        sys.exit(1)


def _stack_name(path: Path) -> str:
    name = path.name
    return name[len("Pulumi.") : -len(".yaml")] if name.startswith("Pulumi.") and name.endswith(".yaml") else name


def _write(text: str, output: Optional[Path]) -> None:
    if output:
        output.write_text(text)
    else:
        click.echo(text, nl=False)


def _pulumi_config(stack: str, key: str, project_dir: Path) -> str:
    try:
        return pulumi_read(stack, "config", "get", key, cwd=project_dir).strip()
    except PulumiError as error:
        raise click.ClickException(str(error)) from None
