"""Collisions between components of one program, found before any of the colliding component is registered.

Pulumi reports two resources with one URN only when the second registers, after everything before it (and in
an ``up``, possibly its creation) already happened. Each ``Estate`` and ``M2MApplication`` therefore *claims* what it
is about to make before it registers anything, and a claim that another component of the same program already
holds fails the whole component with one error listing every collision:

- resource names: a URN is the types of a resource's ancestors (not their names) plus its own name, so the key is
  (parent resource, type chain below it, name). Everything below an application starts with its (scoped) name, so
  claiming the estate, its applications, organizations and APIs covers every descendant;
- tenant identities, per provider resource (None: the default provider): an Auth0 client name (two clients with
  one name cannot be told apart in the dashboard, nor by ``auth0-m2m recover``; an adopted client pinned by its
  ``client_id`` is claimed by that id instead, as the rules let such clients share a name), a managed organization's name, a
  managed API's identifier (Auth0 refuses the second).

Claims live as long as the program's run (keyed by the runtime's per-run RPC manager), so tests that run many
programs under mocks in one process never see each other's claims.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Hashable, Iterable, Optional

import pulumi
from pulumi.runtime import settings

from ..contract import CLIENT_TYPE

if TYPE_CHECKING:
    from ..model.config import ApplicationConfig


class NameCollisionError(pulumi.RunError):
    """Two components of one program would make the same resource or the same tenant object."""


@dataclass(frozen=True)
class Claim:
    key: Hashable
    """What is claimed: ("name", parent, type chain, name) or ("tenant", provider, kind, value)."""
    holder: Hashable
    """Who makes it: the component itself, or a reservation an estate makes for an application it will create."""
    thing: str
    """The claimed thing in words: "Auth0 client name 'billing-sync'"."""
    by: str
    """Its holder in words: "application 'billing-sync' of Estate 'dev'"."""
    reservation: Optional[Hashable] = None
    """The reservation this claim takes over (once): an estate reserves its applications' client names."""


_claims: "weakref.WeakKeyDictionary[Any, dict[Hashable, Claim]]" = weakref.WeakKeyDictionary()


def _program_claims() -> dict[Hashable, Claim]:
    run = settings.SETTINGS.rpc_manager
    held = _claims.get(run)
    if held is None:
        held = _claims[run] = {}
    return held


def resource_name(parent: Optional[pulumi.Resource], type_chain: str, name: str, holder: Hashable, by: str) -> Claim:
    kind = type_chain.rsplit("$", 1)[-1].rsplit(":", 1)[-1]
    return Claim(("name", parent, type_chain, name), holder, f"resource name {name!r} ({kind}, same URN)", by)


def tenant_object(
    provider: Optional[pulumi.ProviderResource],
    kind: str,
    value: str,
    holder: Hashable,
    by: str,
    reservation: Optional[Hashable] = None,
) -> Claim:
    where = "the default auth0 provider" if provider is None else "the same auth0 provider"
    return Claim(("tenant", provider, kind, value), holder, f"{kind} {value!r} (through {where})", by, reservation)


def client_identity(app: "ApplicationConfig") -> tuple[str, str]:
    """How the tenant tells an application's client apart: its pinned client id when it has one (an adopted client
    whose Auth0 name is not unique, which the rules allow), else its Auth0 name."""
    if app.client_id:
        return "Auth0 client id", app.client_id
    return "Auth0 client name", app.auth0_name


def application_reservation(parent: Optional[pulumi.Resource], name: str) -> Hashable:
    """How an estate reserves, and its application then takes over, what the application will hold."""
    return ("application", parent, name)


def claim(component: str, claims: Iterable[Claim], fix: str) -> None:
    """Record ``claims`` for ``component``, or raise with every collision and ``fix`` (nothing is recorded then)."""
    held = _program_claims()
    claims = list(claims)
    collisions = [
        f"{new.thing}: already made by {held[new.key].by}"
        for new in claims
        if new.key in held and held[new.key].holder not in (new.holder, new.reservation)
    ]
    if collisions:
        lines = "\n".join(f"  - {line}" for line in collisions)
        raise NameCollisionError(
            f"{component} collides with another component of this program; nothing of it was registered:\n{lines}\n{fix}"
        )
    for new in claims:
        taken = held.get(new.key)
        # A reservation's words say more (which estate); keep them for the claim that takes it over.
        held[new.key] = replace(new, by=taken.by) if taken is not None and taken.holder == new.reservation else new


def provider_of(opts: Optional[pulumi.ResourceOptions]) -> Optional[pulumi.ProviderResource]:
    """The auth0 provider resource a component's children will use (None: the default provider)."""
    if opts is None:
        return None
    if opts.provider is not None and opts.provider.package == "auth0":
        return opts.provider
    providers = opts.providers
    if isinstance(providers, dict) and providers.get("auth0") is not None:
        provider: pulumi.ProviderResource = providers["auth0"]
        return provider
    if isinstance(providers, (list, tuple)):
        for provider in providers:
            if provider.package == "auth0":
                return provider
    if opts.parent is not None:
        inherited: Optional[pulumi.ProviderResource] = opts.parent.get_provider(CLIENT_TYPE)
        return inherited
    return None
