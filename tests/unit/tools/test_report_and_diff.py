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


# --- Credentials and token quotas ----------------------------------------------------------------------------

def _pem(label: str) -> str:
    from ..model.test_credentials_and_quotas import public_pem, rsa_key

    return public_pem(rsa_key(label))


def keyed(keys: dict[str, str], **app_fields) -> dict:
    """BASE with its application on private_key_jwt, keys name -> key label."""
    def change(raw):
        raw["applications"][0].update(
            authentication_method="private_key_jwt",
            public_keys=[{"name": name, "pem": _pem(label)} for name, label in keys.items()],
            **app_fields,
        )
    return changed(change)


def test_report_shows_how_each_application_authenticates_and_its_quotas():
    from auth0_m2m.tools.report import report_json

    raw = keyed({"2026-11": "a"}, token_quota={"per_hour": 100, "per_day": 1000})
    raw["organizations"]["initech"] = {"manage": True, "token_quota": {"per_day": 5000, "enforce": False}}
    config = validate(raw, SOURCE)
    key = config.applications[0].public_keys[0]
    markdown = report_markdown(config, "prod").replace("\\", "")  # as rendered: without the Markdown escapes
    assert f"| `billing-sync` | private_key_jwt | 2026-11 (RS256, kid {key.key_id[:12]}…, no expiry) |" in markdown
    assert "100/hour, 1000/day |" in markdown
    assert "| `initech` | 5000/day (not enforced) |" in markdown
    html = render_html(config, "prod")
    assert "100/hour, 1000/day" in html and "5000/day (not enforced)" in html
    data = report_json(config, "prod", SOURCE)
    assert data["applications"][0]["public_keys"][0] == {"name": "2026-11", "algorithm": "RS256", "key_id": key.key_id,
                                                          "expires_at": None}
    assert data["organization_quotas"] == {"initech": {"per_hour": None, "per_day": 5000, "enforce": False}}


DIFF_CREDENTIAL_CASES = [
    ("key added for a rotation", keyed({"2026-11": "a"}), keyed({"2026-11": "a", "2027-05": "b"}), 55, "public key added: 2027-05"),
    ("old key removed", keyed({"2026-11": "a", "2027-05": "b"}), keyed({"2027-05": "b"}), 22, "public key removed: 2026-11"),
    ("secret to keys", changed(lambda r: None), keyed({"2026-11": "a"}), 28,
     "authentication client_secret_post -> private_key_jwt: the client secret stops working"),
    ("keys to secret", keyed({"2026-11": "a"}), changed(lambda r: None), 56,
     "authentication private_key_jwt -> client_secret_post: a client secret is issued and exported"),
    ("quota added", changed(lambda r: None), changed(lambda r: r["applications"][0].update(token_quota={"per_hour": 10})),
     27, "token quota added: 10/hour"),
    ("quota removed", changed(lambda r: r["applications"][0].update(token_quota={"per_hour": 10})), changed(lambda r: None),
     40, "token quota removed (was 10/hour)"),
    ("quota raised", changed(lambda r: r["applications"][0].update(token_quota={"per_hour": 10})),
     changed(lambda r: r["applications"][0].update(token_quota={"per_hour": 20})), 40, "token quota raised: 10/hour -> 20/hour"),
    ("organization quota lowered",
     changed(lambda r: r["organizations"].update(initech={"manage": True, "token_quota": {"per_day": 100}})),
     changed(lambda r: r["organizations"].update(initech={"manage": True, "token_quota": {"per_day": 50}})),
     27, "organization initech: token quota lowered: 100/day -> 50/day"),
]


@pytest.mark.parametrize("base, head, risk, summary", [c[1:] for c in DIFF_CREDENTIAL_CASES],
                         ids=[c[0] for c in DIFF_CREDENTIAL_CASES])
def test_credential_and_quota_changes_are_in_the_diff(base, head, risk, summary):
    changes = config_changes(validate(base, SOURCE), validate(head, SOURCE))
    found = [c for c in changes if c.risk == risk and c.summary.startswith(summary)]
    assert found, changes
    assert found[0].loosens == (risk in (55, 56, 40))


def test_diff_reads_public_key_files_at_each_revision(tmp_path, monkeypatch):
    """pem_file is read at the base revision for the base, and from the working tree for the head; a stack
    whose key file alone changed is a changed stack."""
    repo = tmp_path / "repo"
    (repo / "stacks").mkdir(parents=True)
    (repo / "keys").mkdir()
    (repo / "Pulumi.yaml").write_text(open("Pulumi.yaml").read())
    stack = repo / "stacks" / "Pulumi.dev.yaml"
    stack.write_text(open("stacks/Pulumi.local.yaml").read().replace(
        "    - name: ledger-reconciler\n",
        "    - name: ledger-reconciler\n      authentication_method: private_key_jwt\n"
        "      public_keys: [{name: current, pem_file: keys/ledger.pub.pem}]\n",
    ))
    (repo / "keys" / "ledger.pub.pem").write_text(_pem("a"))
    git = lambda *args: subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)
    git("init", "-q")
    git("add", ".")
    git("-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "base")
    (repo / "keys" / "ledger.pub.pem").write_text(_pem("b"))  # a new key under the same name
    monkeypatch.chdir(repo)
    result = CliRunner().invoke(main, ["diff", "--base", "HEAD"])
    assert result.exit_code == 0, result.output
    assert "| changes | `ledger-reconciler` | - | public key changed: current (RS256, kid" in result.output.replace("\\", "")
    stacks = CliRunner().invoke(main, ["stacks", "--base", "HEAD", "--json"])
    assert '"stack": "dev"' in stacks.output and "public key files" in stacks.output
