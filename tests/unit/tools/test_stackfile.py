"""Writing estate entries into a stack file: everything else kept byte for byte, values every YAML reader agrees on."""

from __future__ import annotations

import pytest
import yaml

from auth0_m2m.model.loading import parse_stack_text
from auth0_m2m.tools.importing import estate_values
from auth0_m2m.tools.stackfile import add_estate, safe_scalar

STACK = """\
# Production tenant. Ask #platform before editing.
encryptionsalt: v1:abc=:v1:def:ghi==
config:
  auth0:domain: example.eu.auth0.com   # the tenant
  auth0:clientId: AbCdEf
  auth0:clientSecret:
    secure: v1:AAAA:BBBB
  auth0-m2m:environment: prod
  auth0-m2m:production: "true"
  auth0-m2m:applications:
    # keep this comment
    - name: billing-sync
      grants: []
"""

APP = {"name": "fraud", "display_name": "Fraud Scoring", "description": "", "grants": [
    {"api": "orders", "scopes": ["read:orders"], "organization_usage": "allow", "organizations": ["acme"]}]}


def test_nothing_to_add_leaves_the_file_byte_for_byte():
    assert add_estate(STACK) == STACK


def test_additions_keep_every_other_key_comment_and_quote():
    text = add_estate(STACK, organizations={"acme": {"id": "org_1"}}, apis={"orders": {"identifier": "https://o/"}},
                      applications=[APP])
    for line in STACK.splitlines():
        assert line in text
    assert text.index("# keep this comment") < text.index("- name: billing-sync") < text.index("- name: fraud")
    raw, _ = estate_values(text, "x", "auth0-m2m")  # read back as Pulumi reads it
    assert raw["applications"][-1] == {**APP}
    assert raw["organizations"] == {"acme": {"id": "org_1"}}


def test_sequences_follow_the_files_own_indentation():
    compact = "config:\n  auth0-m2m:applications:\n  - name: a\n    grants: []\n"
    text = add_estate(compact, applications=[{"name": "b", "grants": []}])
    assert text.endswith("  - name: b\n    grants: []\n")


@pytest.mark.parametrize("value", ["on", "no", "yes", "Off", "0123", "1_000", "12:30", "null", "~", "true", "1e3",
                                   "", " padded", "#hash", "a: b", "[x]", "2024-01-01", "0o17", ".inf"])
def test_strings_any_yaml_reader_would_misread_are_quoted(value):
    text = add_estate("config: {}\n", applications=[{"name": "a", "description": value,
                                                     "metadata": {value or "k": value}, "grants": []}])
    app = yaml.safe_load(text)["config"]["auth0-m2m:applications"][0]  # a YAML 1.1 reader
    assert app["description"] == value and app["metadata"] == {value or "k": value}
    raw, _ = estate_values(text, "x", "auth0-m2m")  # and Pulumi's (YAML 1.2, as the project's loader reads it)
    assert raw["applications"][0]["description"] == value
    assert type(safe_scalar(value)) is not str  # written quoted


@pytest.mark.parametrize("value", ["read:orders", "https://orders.example.com/", "Billing Sync", "org_7Hq2"])
def test_ordinary_strings_stay_plain(value):
    assert type(safe_scalar(value)) is str


def test_pins_add_client_id_after_the_name():
    text = add_estate(STACK, pins={"billing-sync": "c1"})
    assert "    - name: billing-sync\n      client_id: c1\n      grants: []\n" in text


def test_an_empty_flow_list_of_applications_becomes_a_block_list():
    text = add_estate("config:\n  auth0-m2m:applications: []\n", applications=[{"name": "a", "grants": []}])
    assert "auth0-m2m:applications:\n    - name: a" in text
