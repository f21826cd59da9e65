"""`auth0-m2m`: the project's command line (validate stack files, check real access after a deploy)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Optional

import click
from rich.console import Console
from rich.table import Table

from .access import outcome
from .access_check import CheckRow, StackOutputs, TokenClient, mismatches, run_check
from .config import StackConfig
from .diff import render_markdown as render_diff_markdown
from .errors import StackConfigError
from .loading import load_stack_file
from .management import ManagementClient
from .pulumi_cli import PulumiError, pulumi_read
from .recovery import export_stack, pending_creates, refresh_arguments, resolve, stale_lock_holder, state_ids
from .report import render_html as render_report_html
from .report import render_markdown as render_report_markdown
from .revisions import changed_stacks, git_show, validate_text

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
@click.argument("stack_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["markdown", "html"]), default="markdown", show_default=True)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="Write here instead of stdout.")
def report(stack_file: Path, fmt: str, output: Optional[Path]) -> None:
    """Access report of one stack file: application x API -> usage, organizations, scopes."""
    config = _load_or_exit(stack_file)
    stack = _stack_name(stack_file)
    text = render_report_markdown(config, stack) if fmt == "markdown" else render_report_html(config, stack)
    _write(text, output)


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
        path = f"stacks/Pulumi.{name}.yaml"
        head_text = git_show(head_rev, path)
        if head_text is None:
            sections.append(f"### M2M access diff: stack `{name}`\n\nStack file removed: every application of the stack "
                            "would be destroyed by `pulumi destroy`; `pulumi up` no longer runs for it.\n")
            continue
        try:
            head = validate_text(head_text, path)
        except StackConfigError as error:
            failed = True
            sections.append(f"### M2M access diff: stack `{name}`\n\n```\n{error}\n```\n")
            continue
        base_text = git_show(base_rev, path)
        try:
            base = validate_text(base_text, path) if base_text is not None else None
        except StackConfigError:
            base = None  # an invalid base is compared as if it granted nothing
        sections.append(render_diff_markdown(name, base, head))
    _write("\n".join(sections) or "No stack file changed.\n", output)
    sys.exit(1 if failed else 0)


@main.command("access-check")
@click.option("--stack", "stack", required=True, help="Pulumi stack whose config and outputs are checked.")
@click.option("--project-dir", default=".", type=click.Path(file_okay=False, path_type=Path), show_default=True)
@click.option("--domain", help="Tenant domain (default: the stack's auth0:domain).")
@click.option("--ca-cert", type=click.Path(exists=True, dir_okay=False), help="CA bundle (default: SSL_CERT_FILE, else the system's).")
@click.option("--outputs", "outputs_file", type=click.File("r"), help="Stack outputs as JSON (`pulumi stack output --json --show-secrets`); default: read them with pulumi.")
def access_check(stack: str, project_dir: Path, domain: Optional[str], ca_cert: Optional[str], outputs_file) -> None:
    """Request a real token for every application x API x organization and compare with the stack config."""
    config = load_stack_file(project_dir / "stacks" / f"Pulumi.{stack}.yaml")
    outputs = StackOutputs.from_json(json.load(outputs_file)) if outputs_file else StackOutputs.from_pulumi(stack, cwd=str(project_dir))
    domain = domain or _pulumi_config(stack, "auth0:domain", project_dir)
    verify = ca_cert or os.environ.get("SSL_CERT_FILE") or True
    tokens = TokenClient(domain, verify=verify)
    try:
        rows = run_check(config, outputs, tokens)
    finally:
        tokens.close()
    wrong = mismatches(rows)

    console.print(access_matrix(rows, config, outputs, title=f"Access check: stack {stack} on {domain}"))
    checked = sum(r.observation is not None for r in rows)
    if wrong:
        console.print(f"[bold red]{len(wrong)} of {checked} token requests differ from the stack config.[/]")
        sys.exit(1)
    console.print(f"[green]All {checked} token requests match the stack config.[/]")


def access_matrix(rows: list[CheckRow], config: StackConfig, outputs: StackOutputs, title: str) -> Table:
    """Application x API rows, one column per organization (and none); each cell is what the tenant did.

    "token" = issued without organization, "token:acme" = issued with org_id of acme, "refused";
    a cell that differs from the stack config is red and says what was expected.
    """
    names_by_id = {org_id: name for name, org_id in outputs.organization_ids.items()}
    organizations = [None, *sorted(config.organizations)]
    table = Table(title=title)
    table.add_column("application")
    table.add_column("API")
    for org in organizations:
        table.add_column(org or "(no org)")
    cells = {(r.expectation.application, r.expectation.api, r.expectation.requested_organization): r for r in rows}
    for app in config.applications:
        for api in sorted(config.apis):
            rendered = []
            for org in organizations:
                row = cells[(app.name, api, org)]
                if row.observation is None:
                    rendered.append("[dim]n/a[/]")
                    continue
                observed = outcome(row.observation.allowed, names_by_id.get(row.observation.org_id, row.observation.org_id))
                if row.matches:
                    rendered.append(observed if row.observation.allowed else f"[dim]{observed}[/]")
                else:
                    expected = outcome(row.expectation.allowed, row.expectation.decision.organization)
                    rendered.append(f"[bold red]{observed} (expected {expected})[/]")
            table.add_row(app.name, api, *rendered)
    return table


@main.command()
@click.option("--stack", "stack", required=True, help="Pulumi stack whose interrupted update is recovered.")
@click.option("--project-dir", default=".", type=click.Path(file_okay=False, path_type=Path), show_default=True)
def recover(stack: str, project_dir: Path) -> None:
    """After an interrupted `pulumi up`: import the objects its pending creates made, clear the rest, refresh.

    Run it, then `pulumi up`: the result has no duplicate clients, grants or organization links.
    """
    deployment = export_stack(stack, cwd=str(project_dir))
    pending = pending_creates(deployment)
    if not pending:
        click.echo(f"stack {stack}: no pending creates; running a plain refresh")
    else:
        tenant = ManagementClient(
            _pulumi_config(stack, "auth0:domain", project_dir),
            _pulumi_config(stack, "auth0:clientId", project_dir),
            _pulumi_config(stack, "auth0:clientSecret", project_dir),
            verify=os.environ.get("SSL_CERT_FILE") or True,
        )
        try:
            known = state_ids(deployment)
            resolutions = [resolve(p, tenant, known) for p in pending]
        finally:
            tenant.close()
        table = Table(title=f"Pending creates of stack {stack}")
        for column in ("resource", "type", "in the tenant", "action"):
            table.add_column(column)
        for r in resolutions:
            table.add_row(r.pending.name, r.pending.type.split(":")[-1], r.id or "not found",
                          "import" if r.id else "clear")
        console.print(table)
    args = ["pulumi", "refresh", "--yes", "--skip-preview", "--non-interactive", "--stack", stack]
    if pending:
        args += refresh_arguments(resolutions)
    result = subprocess.run(args, cwd=project_dir, stderr=subprocess.PIPE, text=True)
    dead = stale_lock_holder(result.stderr)
    if dead is not None:
        # The interrupted CLI (pid `dead`, this host) left its lock behind; nothing else holds the stack.
        click.echo(f"removing the lock left by the interrupted pulumi process {dead}")
        subprocess.run(["pulumi", "cancel", "--yes", "--stack", stack], cwd=project_dir, check=True)
        result = subprocess.run(args, cwd=project_dir, stderr=subprocess.PIPE, text=True)
    sys.stderr.write(result.stderr)
    sys.exit(result.returncode)


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
