"""Recovering a lost or damaged state: adopt everything the stack file declares, without rewriting it.

``auth0-m2m import --stack S --state-only`` reads the stack file (validated, unchanged), finds every resource it
declares in the tenant by its stable identity (applications, their credentials, grants and organization
authorizations, and the organizations, APIs and scopes the stack manages) and imports the ones that exist but are
missing from the state. It writes nothing to the tenant: declared objects that do not exist are left for the next
``pulumi up`` to create, and tenant objects that look like the stack's own but are not (orphans) are reported.

Pending operations of an interrupted update are dropped first: every object they may have created is found by
its identity like any other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from ..model.loading import load_stack_file
from .adoption import (
    AdoptionError,
    Change,
    Located,
    Pulumi,
    StackState,
    Survey,
    adopt,
    custom_changes,
    find_orphans,
    locate,
    planned_changes,
    stack_file,
    tenant_for,
)
from .management import TenantIndex


@dataclass
class RepairOutcome:
    survey: Survey
    imported: list[Located] = field(default_factory=list)
    dropped_pending: int = 0
    orphans: list[str] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    previewed: bool = False
    dry_run: bool = False
    reads: int = 0


def run_repair(
    pulumi: Pulumi, *, preview: bool = True, dry_run: bool = False, say: Callable[[str], None] = print
) -> RepairOutcome:
    """Adopt what the stack declares and the tenant has; ``dry_run`` only reports what it would import."""
    path = stack_file(pulumi)
    if not path.exists():
        raise AdoptionError(f"{path} does not exist: the state-only mode adopts what the stack file declares")
    config = load_stack_file(path)
    state = pulumi.export()
    dropped = len(state.pending_operations)
    if dropped and not dry_run:
        say(f"dropping {dropped} pending operations of an interrupted update (their objects are looked up below)")
    if not dry_run:
        # Writing the state back (without pending operations) also removes a lock that a killed `pulumi` on this
        # host left behind, so that the next `pulumi up` can run even when there is nothing to import.
        pulumi.restore(StackState(state.without_pending_operations()), say=say)
        state = pulumi.export()
    with tenant_for(pulumi) as tenant:
        index = TenantIndex(tenant)
        survey = locate(config, index, state.ids())
        outcome = RepairOutcome(survey, survey.to_import(), dropped)
        outcome.orphans = find_orphans(config, index, survey, owned=state.ids().values())
        outcome.reads = sum(tenant.calls.values())
    outcome.dry_run = dry_run
    if dry_run:
        return outcome
    if outcome.imported:
        try:
            adopt(pulumi, survey, config, state, say=say)
        except AdoptionError:
            # Nothing half-applied: the state goes back to what it was before the adopting update (the update
            # only read, so the tenant is unchanged either way).
            pulumi.restore(state, say=say)
            raise
    if preview:
        outcome.changes = custom_changes(planned_changes(pulumi))
        outcome.previewed = True
    return outcome


def render_repair(stack: str, outcome: RepairOutcome) -> str:
    survey = outcome.survey
    in_state = sum(1 for item in survey.located if item.in_state)
    imported = "would be imported" if outcome.dry_run else "imported"
    lines = [
        f"stack {stack}: {len(survey.located)} declared resources; {in_state} were in the state, "
        f"{len(outcome.imported)} {imported} from the tenant, {len(survey.missing())} do not exist in the tenant"
    ]
    if outcome.dry_run:
        lines.append("Dry run: nothing was written. It would import:")
        lines += [f"  {item.declared.kind} {item.declared.name} = {item.id}" for item in outcome.imported]
    if outcome.dropped_pending:
        lines.append(f"dropped {outcome.dropped_pending} pending operations of an interrupted update")
    if survey.missing():
        lines.append("not in the tenant (the next `pulumi up` creates them):")
        lines += [f"  + {item.declared.kind} {item.declared.name}" for item in survey.missing_roots()]
    if outcome.orphans:
        lines.append(f"orphans: {len(outcome.orphans)} tenant objects look like this stack's but are not in it:")
        lines += [f"  ! {orphan}" for orphan in outcome.orphans]
    if outcome.changes:
        lines.append(f"the next `pulumi up` would change {len(outcome.changes)} resources:")
        lines += [f"  ~ {change.describe()}" for change in outcome.changes[:50]]
    elif outcome.previewed and not survey.missing():
        lines.append(f"Next: `pulumi preview --stack {stack}` shows no change.")
    elif not outcome.dry_run:
        lines.append(f"Next: `pulumi up --stack {stack}` (preview it first).")
    lines.append(f"Management API reads: {outcome.reads}")
    return "\n".join(lines)


def repair_json(stack: str, outcome: RepairOutcome, file: str = "") -> dict:
    """The ``--json`` result of ``auth0-m2m import --state-only`` (:class:`auth0_m2m.tools.schemas.ImportResult`)."""
    survey = outcome.survey

    def objects(items):
        return [{"type": i.declared.type, "name": i.declared.name, "id": i.id} for i in items]

    return {
        "stack": stack,
        "file": file,
        "mode": "state-only",
        "dry_run": outcome.dry_run,
        "written": bool(outcome.imported) and not outcome.dry_run,
        "imported": [],
        "already_in_stack": 0,
        "skipped": [],
        "organizations_added": [],
        "apis_added": [],
        "pinned": {},
        "objects": objects(outcome.imported),
        "missing": objects(survey.missing()),
        "orphans": list(outcome.orphans),
        "dropped_pending_operations": outcome.dropped_pending,
        "next_up_changes": [
            {"op": c.op, "type": c.type, "name": c.name, "properties": list(c.properties)} for c in outcome.changes
        ],
        "diff": None,
        "management_api_reads": outcome.reads,
    }
