"""Deletion safety: in protected (production) stacks, clients and client grants cannot be deleted by accident.

Applied as one Pulumi resource transform on the Estate component, so it reaches every client and grant
below it without per-resource boilerplate. Organization authorizations are left unprotected on purpose:
revoking an organization's access must stay a one-line change.
Retiring an application deliberately: see the README ("Retiring an application").
"""

from __future__ import annotations

from typing import Optional

import pulumi

from ..contract import PROTECTED_TYPES


def protect_clients_and_grants(args: pulumi.ResourceTransformArgs) -> Optional[pulumi.ResourceTransformResult]:
    if not args.custom:
        return None
    # Pulumi hands a parent's protect flag down to its children; organization authorizations (children
    # of grants) and credentials are explicitly unprotected so that revoking access stays possible.
    protect = args.type_ in PROTECTED_TYPES
    return pulumi.ResourceTransformResult(
        props=args.props, opts=pulumi.ResourceOptions.merge(args.opts, pulumi.ResourceOptions(protect=protect))
    )
