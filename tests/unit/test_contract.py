"""The contract between the library and the parts that depend on it without importing it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from auth0_m2m import contract
from auth0_m2m.model.config import GrantConfig
from tests import type_tokens

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "policy"))
from auth0_m2m_policy import shared  # noqa: E402


@pytest.mark.parametrize(
    "policy_value, library_value",
    [
        (shared.M2M_APPLICATION, contract.M2M_APPLICATION_TYPE),
        (shared.NAMESPACE, contract.NAMESPACE),
        (shared.PRODUCTION_KEY, contract.PRODUCTION_KEY),
        (shared.SECRET_KEY_PATTERN, contract.SECRET_KEY_PATTERN),
        (shared.NOT_CREDENTIALS, contract.NOT_CREDENTIALS),
        (shared.MIN_JUSTIFICATION, contract.MIN_JUSTIFICATION_LENGTH),
        (shared.RECORDED_APPLICATION_KEYS, tuple(
            key for key in contract.RecordedApplication.__annotations__
            if key in contract.RecordedApplication.__required_keys__
        )),
        (shared.RECORDED_GRANT_KEYS, tuple(contract.RecordedGrant.__annotations__)),
        (shared.CLIENT, contract.CLIENT_TYPE),
        (shared.GRANT, contract.CLIENT_GRANT_TYPE),
        (shared.ORGANIZATION_GRANT, contract.ORGANIZATION_CLIENT_GRANT_TYPE),
        (shared.ORGANIZATION, contract.ORGANIZATION_TYPE),
        (shared.CREDENTIALS, contract.CLIENT_CREDENTIALS_TYPE),
        (frozenset(shared.PROTECTED), contract.PROTECTED_TYPES),
    ],
    ids=["component type", "namespace", "production key", "secret key names", "not credentials",
         "justification length", "recorded inputs", "recorded grant", "client", "grant", "organization grant",
         "organization", "credentials", "protected types"],
)
def test_policy_pack_copies_equal_the_library(policy_value, library_value):
    assert policy_value == library_value


def test_justification_bound_is_the_models():
    metadata = GrantConfig.model_fields["justification"].metadata
    # Optional[Annotated[str, StringConstraints(...)]]: the constraint sits on the inner type.
    annotation = GrantConfig.model_fields["justification"].annotation
    constraints = [m for arg in getattr(annotation, "__args__", ()) for m in getattr(arg, "__metadata__", ())]
    assert any(getattr(c, "min_length", None) == contract.MIN_JUSTIFICATION_LENGTH for c in constraints + metadata)


def test_component_records_the_contract_shape():
    from auth0_m2m import ApplicationConfig, M2MApplicationArgs
    from auth0_m2m.resources.application import _component_props

    args = M2MApplicationArgs(
        application=ApplicationConfig.model_validate(
            {"name": "a", "grants": [{"api": "orders", "organization_usage": "allow", "organizations": ["acme"]}]}
        ),
        audiences={"orders": "https://orders/"},
        organization_ids={"acme": "org_1"},
    )
    recorded = _component_props(args)
    # A secret-based application records the keys every application has (and the policy pack reads) ...
    assert set(recorded) == contract.RecordedApplication.__required_keys__
    assert tuple(recorded["grants"][0]) == tuple(contract.RecordedGrant.__annotations__)
    # ... a private_key_jwt application with a quota records every key of the contract.
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    pem = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    keyed = M2MApplicationArgs(
        application=ApplicationConfig.model_validate({
            "name": "k", "authentication_method": "private_key_jwt", "public_keys": [{"name": "one", "pem": pem}],
            "token_quota": {"per_hour": 5}, "grants": [],
        }),
        audiences={},
    )
    full = _component_props(keyed)
    assert set(full) == set(contract.RecordedApplication.__annotations__)
    assert set(full["public_keys"][0]) == set(contract.RecordedPublicKey.__annotations__)
    assert full["token_quota"] == {"per_hour": 5, "enforce": True}


def _recorded(justification):
    from auth0_m2m import ApplicationConfig, M2MApplicationArgs
    from auth0_m2m.resources.application import _component_props

    grant = {"api": "orders", "organization_usage": "allow", "allow_any_organization": True}
    if justification:
        grant["justification"] = justification
    return _component_props(
        M2MApplicationArgs(
            application=ApplicationConfig.model_validate({"name": "support", "grants": [grant]}),
            audiences={"orders": "https://orders/"},
            production=True,
        )
    )


@pytest.mark.parametrize("justification, violations", [(None, 1), ("Support staff act for any customer", 0)])
def test_the_policy_pack_reads_what_the_component_records(justification, violations):
    """Equal key names are not enough: the pack's rule, fed the library's own recorded inputs, must see them."""
    from tests.policy.analyzer import Analyzer, Resource

    recorded = Resource(contract.M2M_APPLICATION_TYPE, "support", dict(_recorded(justification)))
    found = [v for v in Analyzer().analyze(recorded) if v.policy == "any-organization-requires-justification"]
    assert len(found) == violations, found


BOOLEAN_TEXTS = ["true", "false", "True", "TRUE", "yes", "on", "1", "0", "", " true", "true ", "null", None, "ja"]


@pytest.mark.parametrize("text", BOOLEAN_TEXTS)
def test_the_policy_pack_reads_booleans_like_the_library(text):
    """Same answer, or the same refusal, for every engine text (the pack's copy of contract.config_boolean)."""

    def outcome(read):
        try:
            return read(text)
        except ValueError:
            return "refused"

    assert outcome(shared.config_boolean) == outcome(contract.config_boolean)


#: tests/type_tokens.py name -> the contract's name for the same token.
TEST_TOKENS = {
    "CLIENT": "CLIENT_TYPE", "CREDENTIALS": "CLIENT_CREDENTIALS_TYPE", "GRANT": "CLIENT_GRANT_TYPE",
    "LINK": "ORGANIZATION_CLIENT_GRANT_TYPE", "ORG": "ORGANIZATION_TYPE", "API": "RESOURCE_SERVER_TYPE",
    "SCOPES": "RESOURCE_SERVER_SCOPES_TYPE", "APP_TYPE": "M2M_APPLICATION_TYPE", "ESTATE_TYPE": "ESTATE_TYPE",
}


def test_type_tokens_are_the_ones_every_deployed_urn_holds():
    """The tests' literal tokens (tests/type_tokens.py) equal the library's: a token changed by mistake in the
    contract would change the URN of every deployed resource."""
    library = {name: getattr(contract, attribute) for name, attribute in TEST_TOKENS.items()}
    assert library == {name: getattr(type_tokens, name) for name in TEST_TOKENS}
