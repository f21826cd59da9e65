"""The Auth0 resources of a stack and how they relate, as the stack policies see them.

Relations are resolved the way the resources were declared, strongest evidence first, so that they also
hold during a preview, when ids of resources that are not created yet are unknown:

1. the parent: the auth0-m2m library parents a grant to its client and an organization authorization to
   its grant;
2. the property dependency: ``grant_id=grant.id`` records the grant's URN as a dependency of ``grantId``
   (likewise ``client_id=client.client_id``, ``organization_id=org.id``), known even in a preview;
3. the value: an id that is known equals the other resource's id output.

When none of these decides a relation, the resolver says so with a reason instead of guessing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Optional

from . import hooks
from .shared import CLIENT, CREDENTIALS, GRANT, M2M_APPLICATION, ORGANIZATION, ORGANIZATION_GRANT  # noqa: F401
from .values import UNKNOWN, get, plain

PROVIDER = "pulumi:providers:auth0"

# Inputs whose declared value stands in for an output that a preview leaves unknown (the provider echoes
# them): stack policies see outputs, and a resource to be created has unknown optional outputs even when
# the program declared the input, or declared none.
INPUT_FALLBACKS = {
    CLIENT: ("defaultOrganization",),
    GRANT: ("organizationUsage", "allowAnyOrganization", "audience"),
}


@dataclass
class Node:
    """One resource: its type, URN name, properties (plain, with UNKNOWN) and relations."""

    urn: str
    type: str
    name: str
    props: dict
    parent: Optional[str] = None
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"'{self.name}'"


def node_from_policy_resource(resource: Any) -> Node:
    """A Node from a pulumi_policy.PolicyResource (stack validation)."""
    parent = getattr(resource, "parent", None)
    parent_urn = getattr(parent, "urn", None) if parent is not None else None
    if parent_urn is None:
        opts = getattr(resource, "opts", None)
        parent_urn = getattr(opts, "parent", None) or None
    dependencies = {
        key: [getattr(dep, "urn", str(dep)) for dep in deps]
        for key, deps in (getattr(resource, "property_dependencies", None) or {}).items()
    }
    props = plain(resource.props)
    inputs = hooks.inputs_of(resource.urn)
    if inputs is not None:
        for key in INPUT_FALLBACKS.get(resource.resource_type, ()):
            if props.get(key, UNKNOWN) is UNKNOWN:
                props[key] = inputs.get(key)
    return Node(
        urn=resource.urn,
        type=resource.resource_type,
        name=resource.name,
        props=props,
        parent=parent_urn,
        property_dependencies=dependencies,
    )


@dataclass(frozen=True)
class Resolved:
    """The result of resolving a relation: the node, or why it could not be resolved."""

    node: Optional[Node]
    reason: str = ""


class Estate:
    """The stack's resources, indexed by URN and type."""

    def __init__(self, nodes: Iterable[Node]):
        self.nodes = {node.urn: node for node in nodes}

    def of_type(self, resource_type: str) -> list[Node]:
        return [n for n in self.nodes.values() if n.type == resource_type]

    def _dependency(self, node: Node, prop: str, resource_type: str) -> Optional[Node]:
        for urn in node.property_dependencies.get(prop, []):
            other = self.nodes.get(urn)
            if other is not None and other.type == resource_type:
                return other
        return None

    def _by_value(self, value: Any, resource_type: str, output: str) -> list[Node]:
        return [n for n in self.of_type(resource_type) if get(n.props, output) == value]

    def _resolve(self, node: Node, prop: str, resource_type: str, output: str, what: str) -> Resolved:
        if node.parent and node.parent in self.nodes and self.nodes[node.parent].type == resource_type:
            return Resolved(self.nodes[node.parent])
        by_dependency = self._dependency(node, prop, resource_type)
        if by_dependency is not None:
            return Resolved(by_dependency)
        value = get(node.props, prop)
        if value is UNKNOWN:
            return Resolved(None, f"{prop} of {node.label} is not known yet and it neither has the {what} as parent "
                                  f"nor takes {prop} from a {what} of this stack")
        if not value:
            return Resolved(None, f"{node.label} has no {prop}")
        matches = self._by_value(value, resource_type, output)
        if not matches:
            return Resolved(None, f"{prop} {value} of {node.label} is not a {what} of this stack")
        return Resolved(matches[0])

    def grant_of(self, organization_grant: Node) -> Resolved:
        """The client grant an organization authorization is attached to."""
        return self._resolve(organization_grant, "grantId", GRANT, "id", "client grant")

    def client_of(self, grant: Node) -> Resolved:
        """The client a client grant belongs to."""
        return self._resolve(grant, "clientId", CLIENT, "clientId", "client")

    def organization_identities(self, node: Node, prop: str, *path: str) -> Optional[set]:
        """What identifies the organization ``node.props[prop][path]`` refers to, or None if undecidable.

        Identities are ("id", org id) for a known id, and ("urn", URN) of an auth0 Organization of this
        stack that the property depends on (plus that organization's id when known), so a reference
        through a not-yet-created organization still matches another reference to the same one.
        """
        identities: set = set()
        value = get(node.props, prop, *path)
        if isinstance(value, str) and value:
            identities.add(("id", value))
        for urn in node.property_dependencies.get(prop, []):
            other = self.nodes.get(urn)
            if other is not None and other.type == ORGANIZATION:
                identities.add(("urn", urn))
                org_id = get(other.props, "id")
                if isinstance(org_id, str) and org_id:
                    identities.add(("id", org_id))
        if not identities:
            return None
        return identities

    def organization_name(self, identities: set) -> str:
        """A readable name for an organization: its auth0 Organization resource's name, or its id."""
        for kind, value in sorted(identities):
            if kind == "urn" and value in self.nodes:
                org = self.nodes[value]
                name = get(org.props, "name")
                return f"'{name}'" if isinstance(name, str) else org.label
        for kind, value in sorted(identities):
            if kind == "id":
                for org in self.of_type(ORGANIZATION):
                    if get(org.props, "id") == value:
                        name = get(org.props, "name")
                        return f"'{name}' ({value})" if isinstance(name, str) else value
                return value
        return "(unknown)"
