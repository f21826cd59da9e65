"""The access report: one stack's M2M access as a table, from the stack file alone (no tenant, no state).

One row per application x API: organization usage (with the dashboard's words), any-organization
access, authorized organizations, default organization and scopes. Rendered as Markdown for pull-request
comments and as a self-contained HTML page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from jinja2 import Environment, select_autoescape

from ..model.access import default_organization_applies
from ..model.config import OrganizationUsage, StackConfig
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
</body></html>
"""


def render_html(config: StackConfig, stack: str) -> str:
    env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
    return env.from_string(_HTML).render(config=config, stack=stack, rows=report_rows(config))
