"""The access report: one stack's M2M access as a table, from the stack file alone (no tenant, no state).

One row per application x API: organization usage (with the dashboard's words), any-organization
access, authorized organizations, default organization and scopes. A second table says how each application
authenticates (client secret, or private_key_jwt with its keys and their expiry) and its token quota, and
lists the organizations' token quotas. Rendered as Markdown for pull-request comments and as a
self-contained HTML page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from jinja2 import Environment, select_autoescape

from ..model.access import default_organization_applies
from ..model.config import ApplicationConfig, OrganizationUsage, PublicKeyConfig, StackConfig, TokenQuotaConfig
from .markdown import code, text

# How Auth0's dashboard names each usage value.
DASHBOARD_USAGE = {
    OrganizationUsage.DENY: "None",
    OrganizationUsage.ALLOW: "Optional",
    OrganizationUsage.REQUIRE: "Required",
}


@dataclass(frozen=True)
class ReportRow:
    application: str
    api: str
    audience: str
    usage: OrganizationUsage
    any_organization: bool
    organizations: tuple[str, ...]
    default_organization: Optional[str]
    scopes: tuple[str, ...]
    justification: Optional[str]
    default_applies: bool
    """Whether Auth0 uses the default organization for this grant's requests that name none."""

    @property
    def usage_label(self) -> str:
        return f"{self.usage.value} ({DASHBOARD_USAGE[self.usage]})"


def report_rows(config: StackConfig) -> list[ReportRow]:
    rows = []
    for app in sorted(config.applications, key=lambda a: a.name):
        for grant in sorted(app.grants, key=lambda g: g.api):
            rows.append(
                ReportRow(
                    application=app.name,
                    api=grant.api,
                    audience=config.apis[grant.api].identifier,
                    usage=grant.organization_usage,
                    any_organization=grant.allow_any_organization,
                    organizations=grant.organizations,
                    default_organization=app.default_organization,
                    scopes=grant.scopes,
                    justification=grant.justification,
                    default_applies=app.default_organization is not None and default_organization_applies(grant),
                )
            )
    return rows


@dataclass(frozen=True)
class CredentialRow:
    application: str
    authentication: str
    keys: tuple[str, ...]
    token_quota: str


def credential_rows(config: StackConfig) -> list[CredentialRow]:
    return [
        CredentialRow(
            application=app.name,
            authentication=f"client secret ({app.authentication_method.value})" if app.uses_secret
            else app.authentication_method.value,
            keys=tuple(describe_key(key) for key in app.public_keys),
            token_quota=describe_quota(app.token_quota),
        )
        for app in sorted(config.applications, key=lambda a: a.name)
    ]


def organization_quotas(config: StackConfig) -> list[tuple[str, str]]:
    return [(name, describe_quota(org.token_quota)) for name, org in sorted(config.organizations.items()) if org.token_quota]


def describe_key(key: PublicKeyConfig) -> str:
    """A public key in a few words: name, algorithm, key id (abridged) and expiry."""
    expiry = key.effective_expiry
    return f"{key.name} ({key.algorithm.value}, kid {key.key_id[:12]}…, " + (
        f"expires {expiry.strftime('%Y-%m-%d')})" if expiry else "no expiry)"
    )


def describe_authentication(app: ApplicationConfig) -> str:
    """How an application authenticates, its keys and its token quota, in a line."""
    if app.uses_secret:
        described = f"client secret, {app.authentication_method.value}"
    else:
        described = "private_key_jwt, keys " + "; ".join(describe_key(key) for key in app.public_keys)
    return described + (f"; token quota {describe_quota(app.token_quota)}" if app.token_quota else "")


def describe_quota(quota: Optional[TokenQuotaConfig]) -> str:
    """A quota in a few words: ``100/hour, 1000/day`` (+ ``not enforced``)."""
    if quota is None:
        return "none"
    parts = [f"{quota.per_hour}/hour" if quota.per_hour else "", f"{quota.per_day}/day" if quota.per_day else ""]
    return ", ".join(p for p in parts if p) + ("" if quota.enforce else " (not enforced)")


def render_markdown(config: StackConfig, stack: str) -> str:
    """The report as Markdown; every value from the stack file is inline code or escaped text."""
    rows = report_rows(config)
    lines = [
        f"### M2M access: stack {code(stack)} ({text(config.environment)}{', production' if config.production else ''})",
        "",
        f"{len(config.applications)} applications, {len(rows)} grants, "
        f"{sum(len(r.organizations) for r in rows)} organization authorizations.",
        "",
        "| application | API | organization usage | any organization | authorized organizations | default organization | scopes |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        any_org = "**yes**" + (f" ({text(row.justification)})" if row.justification else "") if row.any_organization else "no"
        default = code(row.default_organization) if row.default_applies and row.default_organization else "-"
        lines.append(
            f"| {code(row.application)} | {code(row.api)} ({code(row.audience)}) | {row.usage_label} | {any_org} | "
            f"{', '.join(code(o) for o in row.organizations) or '-'} | {default} | "
            f"{', '.join(code(s) for s in row.scopes) or '-'} |"
        )
    lines += ["", "| application | authentication | public keys | token quota |", "|---|---|---|---|"]
    for cred in credential_rows(config):
        keys = "<br>".join(text(key) for key in cred.keys) or "-"
        lines.append(f"| {code(cred.application)} | {text(cred.authentication)} | {keys} | {text(cred.token_quota)} |")
    quotas = organization_quotas(config)
    if quotas:
        lines += ["", "| organization | token quota |", "|---|---|"]
        lines += [f"| {code(name)} | {text(quota)} |" for name, quota in quotas]
    return "\n".join(lines) + "\n"


def report_json(config: StackConfig, stack: str, source: str) -> dict:
    """The report for machines (``auth0-m2m report --json``; schema ``ReportResult``)."""
    return {
        "stack": stack,
        "file": source,
        "environment": config.environment,
        "production": config.production,
        "rows": [
            {
                "application": row.application,
                "api": row.api,
                "audience": row.audience,
                "organization_usage": row.usage.value,
                "dashboard_usage": DASHBOARD_USAGE[row.usage],
                "allow_any_organization": row.any_organization,
                "justification": row.justification,
                "organizations": list(row.organizations),
                "default_organization": row.default_organization if row.default_applies else None,
                "scopes": list(row.scopes),
            }
            for row in report_rows(config)
        ],
        "applications": [
            {
                "application": app.name,
                "authentication_method": app.authentication_method.value,
                "public_keys": [
                    {"name": key.name, "algorithm": key.algorithm.value, "key_id": key.key_id,
                     "expires_at": key.effective_expiry.isoformat() if key.effective_expiry else None}
                    for key in app.public_keys
                ],
                "token_quota": app.token_quota.model_dump() if app.token_quota else None,
            }
            for app in sorted(config.applications, key=lambda a: a.name)
        ],
        "organization_quotas": {
            name: org.token_quota.model_dump() for name, org in sorted(config.organizations.items()) if org.token_quota
        },
    }


_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>M2M access: {{ stack }}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem; color: #1f2328; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #d0d7de; padding: .4rem .6rem; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
.any { color: #b42318; font-weight: 600; }
.require { color: #1a7f37; } .allow { color: #9a6700; } .deny { color: #57606a; }
code { font-size: .9em; }
</style></head><body>
<h1>M2M access: stack <code>{{ stack }}</code></h1>
<p>Environment {{ config.environment }}{% if config.production %} (production){% endif %}:
{{ config.applications|length }} applications, {{ rows|length }} grants.</p>
<table>
<thead><tr><th>application</th><th>API</th><th>organization usage</th><th>any organization</th>
<th>authorized organizations</th><th>default organization</th><th>scopes</th></tr></thead>
<tbody>
{% for row in rows %}<tr>
<td>{{ row.application }}</td><td>{{ row.api }}<br><code>{{ row.audience }}</code></td>
<td class="{{ row.usage.value }}">{{ row.usage_label }}</td>
<td>{% if row.any_organization %}<span class="any">yes</span>{% if row.justification %}<br>{{ row.justification }}{% endif %}{% else %}no{% endif %}</td>
<td>{{ row.organizations|join(", ") or "-" }}</td>
<td>{% if row.default_applies %}{{ row.default_organization }}{% else %}-{% endif %}</td>
<td>{% for s in row.scopes %}<code>{{ s }}</code>{% if not loop.last %}, {% endif %}{% else %}-{% endfor %}</td>
</tr>
{% endfor %}</tbody></table>
<h2>Credentials and token quotas</h2>
<table>
<thead><tr><th>application</th><th>authentication</th><th>public keys</th><th>token quota</th></tr></thead>
<tbody>
{% for cred in credentials %}<tr>
<td>{{ cred.application }}</td><td>{{ cred.authentication }}</td>
<td>{% for key in cred.keys %}{{ key }}{% if not loop.last %}<br>{% endif %}{% else %}-{% endfor %}</td>
<td>{{ cred.token_quota }}</td>
</tr>
{% endfor %}</tbody></table>
{% if quotas %}<table>
<thead><tr><th>organization</th><th>token quota</th></tr></thead>
<tbody>
{% for name, quota in quotas %}<tr><td>{{ name }}</td><td>{{ quota }}</td></tr>
{% endfor %}</tbody></table>{% endif %}
</body></html>
"""


def render_html(config: StackConfig, stack: str) -> str:
    env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
    return env.from_string(_HTML).render(
        config=config, stack=stack, rows=report_rows(config), credentials=credential_rows(config),
        quotas=organization_quotas(config),
    )
