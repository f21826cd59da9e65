"""A stack's M2M access read back from its state: for stacks that have no ``auth0-m2m:`` stack keys.

A program in YAML, TypeScript or any other language declares its ``Estate`` and ``M2MApplication`` components
in code, so there is no stack file to read. Every component records its intent in the state instead
(:class:`auth0_m2m.contract.RecordedEstate`, :class:`auth0_m2m.contract.RecordedApplication`), and its children
hold what Auth0 made (client id, secret, organization ids). This module turns them into the same two things
the access check and the report use for a stack file: a validated :class:`StackConfig` and the
:class:`StackOutputs`. One *scope* per ``Estate`` (its applications, APIs and organizations) and one per
``M2MApplication`` declared alone (its APIs and organizations), like the validation gate's scopes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Iterable, Optional

from .. import contract
from ..model.config import StackConfig
from ..model.validation import validate
from .access_check import StackOutputs

#: The environment name of a scope made of one application declared alone (the validation gate's name for it).
ALONE_ENVIRONMENT = "component"


@dataclass
class Scope:
    """One Estate, or one M2MApplication declared alone, as the access check and the report need it."""

    source: str
    """How messages and titles name it: ``Estate 'prod'`` or ``M2MApplication 'reporting'``."""
    config: StackConfig
    outputs: StackOutputs


@dataclass
class _Application:
    recorded: dict
    client_id: Optional[str]
    client_secret: Optional[str]
    organization_ids: dict[str, str] = field(default_factory=dict)


def scopes_from_state(deployment: dict) -> list[Scope]:
    """Every Estate and lone M2MApplication of an exported stack (``pulumi stack export --show-secrets``)."""
    resources = (deployment.get("deployment") or deployment).get("resources") or []
    children: dict[str, list[dict]] = {}
    for resource in resources:
        children.setdefault(resource.get("parent") or "", []).append(resource)

    estates: dict[str, list[_Application]] = {}
    alone: list[tuple[str, _Application]] = []
    by_urn = {resource["urn"]: resource for resource in resources}
    for resource in resources:
        if resource["type"] == contract.ESTATE_TYPE:
            estates.setdefault(resource["urn"], [])
        if resource["type"] != contract.M2M_APPLICATION_TYPE:
            continue
        app = _application(resource, children)
        parent = by_urn.get(resource.get("parent") or "")
        if parent is not None and parent["type"] == contract.ESTATE_TYPE:
            estates.setdefault(parent["urn"], []).append(app)
        else:
            alone.append((_name(resource["urn"]), app))

    scopes = [_estate_scope(by_urn[urn], apps) for urn, apps in estates.items()]
    scopes += [_alone_scope(name, app) for name, app in alone]
    return scopes


def _application(resource: dict, children: dict[str, list[dict]]) -> _Application:
    app = _Application(recorded=resource.get("inputs") or {}, client_id=None, client_secret=None)
    if any(key not in grant for grant in app.recorded.get("grants") or [] for key in ("api", "scopes")):
        raise ValueError(
            f"M2MApplication {_name(resource['urn'])!r} was deployed by an auth0-m2m version that did not record its "
            "grants' API keys and scopes; run `pulumi up` once with this version, then check again"
        )
    app.client_id = (resource.get("outputs") or {}).get(contract.COMPONENT_CLIENT_ID)
    for client in _of_type(children.get(resource["urn"], []), contract.CLIENT_TYPE):
        app.client_id = app.client_id or (client.get("outputs") or {}).get("clientId")
        default = (client.get("inputs") or {}).get("defaultOrganization") or {}
        if app.recorded.get("default_organization") and default.get("organizationId"):
            app.organization_ids[app.recorded["default_organization"]] = _plain(default["organizationId"])
        for credentials in _of_type(children.get(client["urn"], []), contract.CLIENT_CREDENTIALS_TYPE):
            app.client_secret = _plain((credentials.get("outputs") or {}).get("clientSecret"))
        for grant in _of_type(children.get(client["urn"], []), contract.CLIENT_GRANT_TYPE):
            for link in _of_type(children.get(grant["urn"], []), contract.ORGANIZATION_CLIENT_GRANT_TYPE):
                # Named <application>/<audience>/<organization> (resources/naming.py): the name is the last part.
                organization = _name(link["urn"]).rsplit("/", 1)[-1]
                app.organization_ids[organization] = _plain((link.get("inputs") or {}).get("organizationId"))
    return app


def _estate_scope(estate: dict, apps: list[_Application]) -> Scope:
    recorded = estate.get("inputs") or {}
    organization_ids = dict((estate.get("outputs") or {}).get(contract.ESTATE_RECORDED_ORGANIZATION_IDS) or {})
    for app in apps:
        organization_ids.update({k: v for k, v in app.organization_ids.items() if k not in organization_ids})
    apis = dict(recorded.get("apis") or {})
    for app in apps:  # an estate recorded before its APIs were: the grants still name theirs
        apis.update({g["api"]: g["audience"] for g in app.recorded.get("grants") or [] if g.get("api") not in apis})
    raw = {
        "environment": recorded.get("environment"),
        "production": bool(recorded.get("production")),
        "protect": bool(recorded.get("protected")),
        "apis": {key: {"identifier": identifier} for key, identifier in apis.items()},
        "organizations": {name: {} for name in sorted(_named_organizations(apps) | set(organization_ids))},
        "applications": [_raw_application(app) for app in apps],
    }
    source = f"Estate {_name(estate['urn'])!r}"
    return Scope(source, validate(raw, source), _outputs(apps, organization_ids))


def _alone_scope(name: str, app: _Application) -> Scope:
    grants = app.recorded.get("grants") or []
    raw = {
        "environment": ALONE_ENVIRONMENT,
        "production": bool(app.recorded.get("production")),
        "apis": {g["api"]: {"identifier": g["audience"]} for g in grants},
        "organizations": {org: {} for org in sorted(_named_organizations([app]))},
        "applications": [_raw_application(app)],
    }
    source = f"M2MApplication {name!r}"
    return Scope(source, validate(raw, source), _outputs([app], app.organization_ids))


def _raw_application(app: _Application) -> dict:
    recorded = app.recorded
    return {
        "name": recorded["application"],
        **({"authentication_method": recorded["authentication_method"]} if recorded.get("authentication_method") else {}),
        # Without expires_at: a key that expired since the deploy must not make the whole scope invalid.
        **({"public_keys": [{k: key[k] for k in ("name", "algorithm", "pem")} for key in recorded["public_keys"]]}
           if recorded.get("public_keys") else {}),
        **({"token_quota": recorded["token_quota"]} if recorded.get("token_quota") else {}),
        "default_organization": recorded.get("default_organization"),
        "grants": [
            {
                "api": grant["api"],
                "scopes": grant.get("scopes") or [],
                "organization_usage": grant["organization_usage"],
                "allow_any_organization": bool(grant.get("allow_any_organization")),
                "organizations": grant.get("organizations") or [],
                **({"justification": grant["justification"]} if grant.get("justification") else {}),
            }
            for grant in recorded.get("grants") or []
        ],
    }


def _named_organizations(apps: Iterable[_Application]) -> set[str]:
    named = set()
    for app in apps:
        if app.recorded.get("default_organization"):
            named.add(app.recorded["default_organization"])
        for grant in app.recorded.get("grants") or []:
            named.update(grant.get("organizations") or [])
    return named


def _outputs(apps: list[_Application], organization_ids: dict[str, str]) -> StackOutputs:
    return StackOutputs(
        client_ids={a.recorded["application"]: a.client_id for a in apps if a.client_id},
        client_secrets={a.recorded["application"]: a.client_secret for a in apps if a.client_secret},
        organization_ids={name: org_id for name, org_id in organization_ids.items() if isinstance(org_id, str)},
    )


def _of_type(resources: list[dict], type_: str) -> list[dict]:
    return [resource for resource in resources if resource["type"] == type_]


def _name(urn: str) -> str:
    return urn.split("::", 3)[-1]


def _plain(value: Any) -> Any:
    """A state value as the program saw it: secrets exported with --show-secrets carry it in ``plaintext``."""
    if isinstance(value, dict) and "plaintext" in value:
        return json.loads(value["plaintext"])
    return value
