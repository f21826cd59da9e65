"""A deploy without intermediate checkpoints that a crash cannot orphan: ``auth0-m2m up --fast``.

Pulumi's file backend rewrites the whole state after every step, which is quadratic in the size of the stack
(200 applications: about 1,160 s with checkpoints, 61 s without; see bench/). ``PULUMI_SKIP_CHECKPOINTS`` writes
the state once, at the end, so a crash loses the record of what the update created. That is safe here because
every object the program creates has a stable identity in the tenant: before it deploys, ``up --fast`` looks up
every declared resource missing from the state and adopts the ones that exist (the state-only repair of
``auth0-m2m import --state-only``), so an interrupted fast deploy is simply run again: no duplicate client, no
grant or authorization created twice, nothing left behind.

The normal, checkpointed ``pulumi up`` stays the default; ``auth0-m2m up`` without ``--fast`` runs it after the
same stale-lock check.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

from ..model.loading import load_stack_file
from .adoption import Pulumi, StackState, Survey, adopt, declared_resources, locate, stack_file, tenant_for
from .management import TenantIndex

SKIP_CHECKPOINTS = {"PULUMI_SKIP_CHECKPOINTS": "true"}


@dataclass
class FastUpOutcome:
    adopted: int
    dropped_pending: int
    reads: int
    returncode: int


def run_up(
    pulumi: Pulumi,
    pulumi_args: Sequence[str],
    *,
    fast: bool,
    say: Callable[[str], None] = print,
) -> FastUpOutcome:
    """Adopt what an interrupted deploy left (fast mode), then ``pulumi up`` with the given arguments."""
    adopted = dropped = reads = 0
    if fast:
        config = load_stack_file(stack_file(pulumi))
        state = pulumi.export()
        dropped = len(state.pending_operations)
        if dropped:
            say(f"dropping {dropped} pending operations of an interrupted update (their objects are looked up)")
            pulumi.restore(StackState(state.without_pending_operations()))
            state = pulumi.export()
        ids = state.ids()
        # Only resources missing from the state need a look in the tenant; a deployed, unchanged stack needs none.
        if any(item.key not in ids for item in declared_resources(config)):
            with tenant_for(pulumi) as tenant:
                survey: Survey = locate(config, TenantIndex(tenant), ids)
                reads = sum(tenant.calls.values())
            if survey.to_import():
                say(f"adopting {len(survey.to_import())} objects an interrupted deploy created")
                adopt(pulumi, survey, config, state, say=say)
                adopted = len(survey.to_import())
    args = ["up", "--yes", *pulumi_args]
    result = pulumi.update(*args, env=SKIP_CHECKPOINTS if fast else None, capture=False, check=False, say=say)
    return FastUpOutcome(adopted, dropped, reads, result.returncode)
