"""The access report and the pull-request access diff, from stack configs alone."""

from __future__ import annotations

import copy
import subprocess

import pytest
from click.testing import CliRunner

from auth0_m2m import load_stack_file, validate
from auth0_m2m.tools.cli import main
from auth0_m2m.tools.diff import config_changes, render_markdown, token_delta
from auth0_m2m.tools.report import render_html, render_markdown as report_markdown

from ..model.test_rules import BASE, SOURCE


def changed(change) -> dict:
    raw = copy.deepcopy(BASE)
    raw["production"] = False
    change(raw)
    return raw


def g(raw):
    return raw["applications"][0]["grants"][0]


def test_report_lists_every_grant_with_dashboard_words_and_scopes():
    config = load_stack_file("stacks/Pulumi.local.yaml")
    text = report_markdown(config, "local")
    assert "| `billing-sync` | `orders` (`https://orders.api.example.com/`) | require (Required) | no | `acme`, `globex` | `acme` | `read:orders` |" in text
    assert "| `support-console` | `orders` (`https://orders.api.example.com/`) | allow (Optional) | **yes** |" in text
    assert "| `ledger-reconciler` | `billing` (`https://billing.api.example.com/`) | deny (None) | no | - | - | `read:invoices` |" in text


def test_html_report_is_self_contained_and_escaped():
    raw = changed(lambda r: r["applications"][0].update(description="<script>x</script>"))
    raw["applications"][0]["grants"][0]["allow_any_organization"] = True
    raw["applications"][0]["grants"][0]["justification"] = "Support <b>needs</b> it"
    html = render_html(validate(raw, SOURCE), "prod")
    assert html.startswith("<!doctype html>") and "<style>" in html and "http" not in html.split("<body>")[0].replace("https://", "")
    assert "Support &lt;b&gt;needs&lt;/b&gt; it" in html


DIFF_CASES = [
    ("any organization granted", lambda r: g(r).update(allow_any_organization=True), 100, "any organization allowed (no justification)"),
    ("usage loosened require->allow", lambda r: (g(r).update(organization_usage="allow"), r["applications"][0].pop("default_organization")), 80, "organization usage loosened: require -> allow"),
    ("organization added", lambda r: g(r).update(organizations=["acme", "globex"]), 60, "organizations authorized: globex"),
    ("scope added", lambda r: g(r).update(scopes=["read:orders", "write:orders"]), 50, "scopes added: write:orders"),
    ("organization revoked", lambda r: (g(r).update(organizations=[], allow_any_organization=False), g(r).update(organization_usage="allow"), r["applications"][0].pop("default_organization")), 25, "organizations revoked: acme"),
    ("grant removed", lambda r: (r["applications"][0].update(grants=[]), r["applications"][0].pop("default_organization")), 10, "grant removed (was usage require, organizations acme, scopes read:orders)"),
]


@pytest.mark.parametrize("change, risk, summary", [c[1:] for c in DIFF_CASES], ids=[c[0] for c in DIFF_CASES])
def test_config_changes_are_classified_by_risk(change, risk, summary):
    base = validate(changed(lambda r: None), SOURCE)
    head = validate(changed(change), SOURCE)
    assert any(c.risk == risk and c.summary == summary for c in config_changes(base, head)), config_changes(base, head)


def test_riskiest_changes_come_first_and_token_delta_names_who_gains_what():
    base = validate(changed(lambda r: None), SOURCE)
    head = validate(changed(lambda r: (g(r).update(allow_any_organization=True, scopes=["read:orders", "write:orders"]), r["organizations"].pop("globex"))), SOURCE)
    risks = [c.risk for c in config_changes(base, head)]
    assert risks == sorted(risks, reverse=True) and risks[0] == 100
    text = render_markdown("prod", base, head)
    assert text.index("any organization allowed") < text.index("scopes added")


def test_token_delta_lists_gains_and_losses():
    base = validate(changed(lambda r: None), SOURCE)
    head = validate(changed(lambda r: g(r).update(organizations=["acme", "globex"])), SOURCE)
    assert [(d.application, d.api, d.organization, d.before, d.after) for d in token_delta(base, head)] == [
        ("billing-sync", "orders", "globex", "refused", "token:globex")
    ]


def test_new_stack_and_unchanged_stack():
    head = validate(changed(lambda r: None), SOURCE)
    assert "new application" in render_markdown("prod", None, head)
    assert "No change to M2M access." in render_markdown("prod", head, head)


def test_diff_command_compares_git_revisions(tmp_path, monkeypatch):
    repo = tmp_path / "repo"
    (repo / "stacks").mkdir(parents=True)
    stack = repo / "stacks" / "Pulumi.dev.yaml"
    stack.write_text(open("stacks/Pulumi.local.yaml").read())
    (repo / "Pulumi.yaml").write_text(open("Pulumi.yaml").read())
    git = lambda *args: subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)
    git("init", "-q")
    git("add", ".")
    git("-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "base")
    stack.write_text(stack.read_text().replace("organizations: [acme, globex, initech]", "organizations: [acme, globex, initech, umbrella]"))
    monkeypatch.chdir(repo)
    result = CliRunner().invoke(main, ["diff", "--base", "HEAD"])
    assert result.exit_code == 0, result.output
    assert "### M2M access diff: stack `dev`" in result.output
    assert "| ⚠️ loosens | `report-exporter` | `reporting` | organizations authorized: umbrella |" in result.output
    assert "| `report-exporter` | `reporting` | `umbrella` | `refused` | `token:umbrella` |" in result.output
