"""Adopting objects that already exist in the tenant, instead of creating them.

``auth0-m2m import``, its state-only mode (repair) and ``auth0-m2m up --fast`` find the tenant objects a stack
declares by their stable identity and hand the program an adoption plan (:class:`auth0_m2m.contract.AdoptionPlan`)
through the ``AUTH0_M2M_ADOPTION_PLAN`` environment variable. One stack transformation, registered before any
resource, then gives each listed resource Pulumi's ``import_`` option: the import reads the object and records it
in the state. A *strict* import (``auth0-m2m import`` of a supported application) must match what the program
declares: a difference would be an update right after the import, which the plugin, run read-only, refuses, so
the import fails instead of writing. The other imports (repair, applications imported with unsupported
settings) get ``ignore_changes=["*"]``: they keep the tenant's values in the state, for the next ``up`` to change
(the tools preview afterwards to show what it would change).

Resources already in the state get ``ignore_changes=["*"]`` too, and the tools leave out (``--exclude``) the
declared resources that do not exist and the state's resources the stack no longer declares: an adopting
update imports and does nothing else. Any other custom resource that the plan does not know is refused: an
adopting update must never create an object the tools did not look for (a duplicate of one they missed).
"""

from __future__ import annotations

import json
import os
from typing import Optional

import pulumi

from ..contract import ADOPTION_PLAN_ENV, AdoptionPlan


def adopt_from_environment() -> Optional[AdoptionPlan]:
    """Turn adoption on when the tools asked for it (``AUTH0_M2M_ADOPTION_PLAN``); a no-op otherwise."""
    path = os.environ.get(ADOPTION_PLAN_ENV)
    if not path:
        return None
    with open(path) as handle:
        plan: AdoptionPlan = json.load(handle)
    pulumi.runtime.register_stack_transformation(adoption_transformation(plan))
    return plan


def adoption_transformation(plan: AdoptionPlan) -> pulumi.ResourceTransformation:
    imports = dict(plan["imports"])
    strict = set(plan.get("strict", ()))
    known = set(plan["known"])
    excluded = set(plan["excluded"])

    def adopt(args: pulumi.ResourceTransformationArgs) -> Optional[pulumi.ResourceTransformationResult]:
        if not isinstance(args.resource, pulumi.CustomResource):
            return None
        key = f"{args.type_}::{args.name}"
        if key in imports:
            options = pulumi.ResourceOptions(import_=imports[key], ignore_changes=None if key in strict else ["*"])
            return pulumi.ResourceTransformationResult(args.props, pulumi.ResourceOptions.merge(args.opts, options))
        if key in known:
            # Already in the state: an adopting update leaves it exactly as it is (changes wait for `up`).
            return pulumi.ResourceTransformationResult(
                args.props, pulumi.ResourceOptions.merge(args.opts, pulumi.ResourceOptions(ignore_changes=["*"]))
            )
        if key not in excluded:
            raise pulumi.RunError(
                f"adoption: the program declares {key}, which the adoption plan does not list; refusing to create "
                "it in an adopting update (the tools' view of the estate is out of date; nothing was created)"
            )
        return None

    return adopt
