"""The component package: its schema against the models, and what construct makes of a program's inputs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from pulumi.errors import InputPropertiesError

from auth0_m2m import contract
from auth0_m2m.model.config import ApiConfig, ApplicationConfig, GrantConfig, OrganizationConfig, StackConfig
from auth0_m2m.model.errors import StackConfigError
from auth0_m2m.resources.application import M2MApplication, M2MApplicationArgs
from auth0_m2m.resources.estate import Estate
from auth0_m2m.resources.package import ComponentPackage
from auth0_m2m.resources.package_schema import (
    APPLICATION_SCOPE_INPUTS,
    ESTATE_SCOPE_INPUTS,
    package_schema,
    type_token,
)

from ..pulumi_harness import capture, run
from .test_components import ESTATE

REPO = Path(__file__).resolve().parents[3]
SCHEMA = package_schema("1.2.3")
RESOURCES = SCHEMA["resources"]


# --- The schema says what the models say -------------------------------------------------------------------


def json_schema_type(node: dict, defs: dict) -> Any:
    """A pydantic JSON-schema node reduced to what a Pulumi schema can say: its type shape, refs by model name."""
    if "anyOf" in node:
        arms = [arm for arm in node["anyOf"] if arm.get("type") != "null"]
        assert len(arms) == 1, node
        return json_schema_type(arms[0], defs)
    if "$ref" in node:
        return ("ref", node["$ref"].rsplit("/", 1)[-1])
    kind = node["type"]
    if kind == "array":
        return ("array", json_schema_type(node.get("items", {}), defs))
    if kind == "object":
        # Maps with constrained keys carry their value type under the key pattern.
        values = node.get("additionalProperties") or next(iter(node.get("patternProperties", {}).values()))
        return ("map", json_schema_type(values, defs))
    return kind


def pulumi_schema_type(node: dict) -> Any:
    if "$ref" in node:
        token = node["$ref"].rsplit("/", 1)[-1]
        return ("ref", token.rsplit(":", 1)[-1])
    if node["type"] == "array":
        return ("array", pulumi_schema_type(node["items"]))
    if node["type"] == "object":
        return ("map", pulumi_schema_type(node["additionalProperties"]))
    return node["type"]


def model_shape(model) -> dict[str, tuple[Any, bool, str]]:
    """name -> (type, required, description), read from pydantic's own JSON schema of the model."""
    schema = model.model_json_schema(mode="validation")
    defs = schema.get("$defs", {})
    required = set(schema.get("required", []))
    return {
        name: (json_schema_type(node, defs), name in required, node.get("description"))
        for name, node in schema["properties"].items()
    }


def schema_shape(properties: dict, required: list[str]) -> dict[str, tuple[Any, bool, str]]:
    return {name: (pulumi_schema_type(node), name in required, node.get("description")) for name, node in properties.items()}


def concept(model) -> str:
    # pydantic names referenced models by class name; the package by concept (GrantConfig -> Grant).
    return model.__name__.removesuffix("Config")


def renamed_refs(shape: dict) -> dict:
    def rename(kind):
        if isinstance(kind, tuple) and kind[0] == "ref":
            return ("ref", kind[1].removesuffix("Config"))
        if isinstance(kind, tuple):
            return (kind[0], rename(kind[1]))
        return kind

    return {name: (rename(kind), req, desc) for name, (kind, req, desc) in shape.items()}


def test_estate_inputs_are_the_stack_config_model_plus_its_name_scope():
    estate = RESOURCES[contract.ESTATE_TYPE]
    shape = schema_shape(estate["inputProperties"], estate["requiredInputs"])
    assert shape.pop("name_scope") == ("string", False, ESTATE_SCOPE_INPUTS["name_scope"]["description"])
    assert shape == renamed_refs(model_shape(StackConfig))


@pytest.mark.parametrize("model", [OrganizationConfig, ApiConfig, ApplicationConfig, GrantConfig], ids=concept)
def test_every_object_type_is_its_model(model):
    spec = SCHEMA["types"][type_token(model)]
    assert schema_shape(spec["properties"], spec.get("required", [])) == renamed_refs(model_shape(model))
    assert spec["description"] == " ".join(model.__doc__.split())


def test_application_inputs_are_the_application_model_plus_its_scope():
    app = RESOURCES[contract.M2M_APPLICATION_TYPE]
    shape = schema_shape(app["inputProperties"], app["requiredInputs"])
    expected = renamed_refs(model_shape(ApplicationConfig))
    # The name may be left out: it defaults to the resource's name (and must equal it when given).
    kind, _, description = expected["name"]
    assert shape.pop("name") == (kind, False, description + " Defaults to the resource's name; when given, it must equal it.")
    expected.pop("name")
    scope = {name: shape.pop(name) for name in APPLICATION_SCOPE_INPUTS}
    assert shape == expected
    fields = M2MApplicationArgs.__dataclass_fields__
    assert scope == {
        "audiences": (("map", "string"), True, fields["audiences"].metadata["description"]),
        "organization_ids": (("map", "string"), False, fields["organization_ids"].metadata["description"]),
        "production": ("boolean", False, fields["production"].metadata["description"]),
        "name_scope": ("string", False, fields["name_scope"].metadata["description"]),
    }


@pytest.mark.parametrize("enum_type", ["OrganizationUsage", "AuthenticationMethod"])
def test_enums_list_the_models_values(enum_type):
    from auth0_m2m.model import config

    values = [entry["value"] for entry in SCHEMA["types"][f"auth0-m2m:index:{enum_type}"]["enum"]]
    assert values == [member.value for member in getattr(config, enum_type)]


def test_type_tokens_and_package_name_are_the_python_components():
    assert SCHEMA["name"] == contract.PACKAGE == "auth0-m2m"
    assert set(RESOURCES) == {Estate.TYPE, M2MApplication.TYPE}
    assert all(spec["isComponent"] for spec in RESOURCES.values())


def test_outputs_and_secrets():
    app = RESOURCES[contract.M2M_APPLICATION_TYPE]["properties"]
    assert set(app) == {"client_id", "client_secret", "grant_ids", "authorized_organizations"}
    assert [name for name, spec in app.items() if spec.get("secret")] == ["client_secret"]
    estate = RESOURCES[contract.ESTATE_TYPE]["properties"]
    assert set(estate) == {"environment", "applications", "client_secrets", "organization_ids", "any_organization_justifications"}
    assert [name for name, spec in estate.items() if spec.get("secret")] == ["client_secrets"]


def test_only_organization_ids_accept_other_resources_outputs():
    """Everything that names resources or decides access is plain (known at construct time)."""
    not_plain = [
        f"{resource}.{name}"
        for resource, spec in RESOURCES.items()
        for name, prop in spec["inputProperties"].items()
        if not prop.get("plain")
    ]
    assert not_plain == [f"{contract.M2M_APPLICATION_TYPE}.organization_ids"]


def test_plugin_manifest_runs_the_entry_point_with_python():
    manifest = yaml.safe_load((REPO / "package" / "PulumiPlugin.yaml").read_text())
    assert manifest["runtime"]["name"] == "python"
    assert "auth0_m2m.resources.package import main" in (REPO / "package" / "__main__.py").read_text()


# --- construct: a program's inputs become the Python components ---------------------------------------------


def construct(resource_type: str, name: str, inputs: dict, options=None):
    return ComponentPackage("1.2.3").construct(name, resource_type, inputs, options)


def python_error(make) -> str:
    with pytest.raises(StackConfigError) as error:
        make()
    return str(error.value)


def package_error(resource_type: str, name: str, inputs: dict) -> str:
    with pytest.raises(InputPropertiesError) as error:
        construct(resource_type, name, inputs)
    return error.value.message


def test_invalid_estate_gets_the_message_a_python_program_gets():
    bad = json.loads(json.dumps(ESTATE))
    bad["applications"][2]["grants"][0]["organization_usage"] = "deny"
    expected = python_error(lambda: run(lambda: Estate("test", bad)))
    assert package_error(contract.ESTATE_TYPE, "test", bad) == expected
    assert "Estate 'test': application 'report-exporter', grant for API 'billing' (https://billing.example.com/), field 'organizations'" in expected


def test_invalid_application_gets_the_message_a_python_program_gets():
    inputs = {
        "grants": [{"api": "orders", "organization_usage": "deny", "organizations": ["acme"]}],
        "audiences": {"orders": "https://o/"},
        "organization_ids": {"acme": "org_1"},
    }
    app = ApplicationConfig.model_validate({"name": "lonely", "grants": inputs["grants"]})
    expected = python_error(
        lambda: run(lambda: M2MApplication("lonely", M2MApplicationArgs(app, audiences=inputs["audiences"], organization_ids=inputs["organization_ids"])))
    )
    assert package_error(contract.M2M_APPLICATION_TYPE, "lonely", inputs) == expected


@pytest.mark.parametrize(
    "inputs, expected",
    [
        ({"grants": [{"api": "orders", "organization_usage": "sometimes"}]},
         "application 'lonely', grant for API 'orders', field 'organization_usage': 'sometimes' is not one of 'deny', 'allow' or 'require'"),
        ({"grants": [{"api": "orders", "scope": ["read"]}]},
         "application 'lonely', grant for API 'orders', field 'scope': unknown field 'scope'"),
        ({"name": "Lonely"}, "application 'Lonely', field 'name': 'Lonely' is not a key"),
        ({"name": "other"}, "M2MApplication resource name 'lonely' must equal the application name 'other'"),
    ],
    ids=["enum", "unknown field", "pattern", "name differs"],
)
def test_application_field_errors_name_the_application_and_field(inputs, expected):
    with pytest.raises((InputPropertiesError, ValueError)) as error:
        construct(contract.M2M_APPLICATION_TYPE, "lonely", {"audiences": {"orders": "https://o/"}, **inputs})
    message = getattr(error.value, "message", None) or str(error.value)
    assert expected in message


def test_an_output_where_a_plain_value_is_needed_is_refused_before_registration():
    import pulumi

    def program():
        unknown = pulumi.Output.from_input("https://o/")
        return construct(contract.M2M_APPLICATION_TYPE, "lonely", {"audiences": {"orders": unknown}})

    with pytest.raises(InputPropertiesError) as error:
        run(program)
    assert "field 'audiences': must be a plain value known before anything is created" in error.value.message


def test_estate_construct_registers_the_python_components_and_returns_the_program_outputs():
    def program():
        result = construct(contract.ESTATE_TYPE, "test", json.loads(json.dumps(ESTATE)))
        return capture({key: __import__("pulumi").Output.from_input(value) for key, value in result.state.items()})

    monitor = run(program)
    estate = monitor.by_name(contract.ESTATE_TYPE, "test")
    assert set(estate.inputs) == set(contract.RecordedEstate.__annotations__)
    billing = monitor.by_name(contract.M2M_APPLICATION_TYPE, "billing-sync")
    assert billing.parent_type == contract.ESTATE_TYPE
    assert set(billing.inputs) == contract.RecordedApplication.__required_keys__


def test_application_construct_returns_client_id_secret_grants_and_organizations():
    import pulumi

    def program():
        result = construct(
            contract.M2M_APPLICATION_TYPE,
            "lonely",
            {
                "grants": [{"api": "orders", "scopes": ["read"], "organization_usage": "allow", "organizations": ["acme"]}],
                "audiences": {"orders": "https://o/"},
                "organization_ids": {"acme": pulumi.Output.from_input("org_1")},
                "production": None,
            },
        )
        return capture({key: pulumi.Output.from_input(value) for key, value in result.state.items()})

    monitor = run(program)
    assert monitor.by_name(contract.M2M_APPLICATION_TYPE, "lonely").inputs["application"] == "lonely"
    assert monitor.by_name("auth0:index/organizationClientGrant:OrganizationClientGrant", "lonely/https://o//acme").inputs["organizationId"] == "org_1"


def test_unknown_type_is_an_error_naming_the_packages_types():
    message = package_error("auth0-m2m:index:Nope", "x", {})
    assert contract.ESTATE_TYPE in message and contract.M2M_APPLICATION_TYPE in message



def test_production_estate_gets_the_protection_transform_through_the_package():
    production = {
        **json.loads(json.dumps(ESTATE)),
        "production": True,
        "applications": [a for a in ESTATE["applications"] if a["name"] != "support-console"],
    }
    monitor = run(lambda: construct(contract.ESTATE_TYPE, "prod", production))
    assert monitor.by_name(contract.ESTATE_TYPE, "prod").transforms == 1


def test_name_scopes_through_the_package_prefix_the_names_a_python_program_gets():
    """A program in another language keeps estates apart as a Python program does: by their name scopes."""

    def program():
        construct(contract.ESTATE_TYPE, "team-b", {**json.loads(json.dumps(ESTATE)), "name_scope": "team-b"})
        construct(contract.M2M_APPLICATION_TYPE, "lonely",
                  {"audiences": {"orders": "https://o/"}, "grants": [{"api": "orders"}], "name_scope": "tools"})

    monitor = run(program)
    clients = {r.name for r in monitor.of_type(contract.CLIENT_TYPE)}
    assert clients == {f"team-b:{app['name']}" for app in ESTATE["applications"]} | {"tools:lonely"}
    assert monitor.by_name(contract.M2M_APPLICATION_TYPE, "tools:lonely").inputs["application"] == "lonely"
    assert monitor.by_name(contract.ESTATE_TYPE, "team-b").inputs.keys() == set(contract.RecordedEstate.__annotations__)


@pytest.mark.parametrize("scope", ["Team B", "", 7], ids=["not a key", "empty", "not a string"])
def test_a_bad_name_scope_is_a_configuration_problem(scope):
    inputs = {**json.loads(json.dumps(ESTATE)), "name_scope": scope}
    if scope == "":
        run(lambda: construct(contract.ESTATE_TYPE, "test", inputs))  # empty: no scope, as in Python
        return
    message = package_error(contract.ESTATE_TYPE, "test", inputs)
    assert message.startswith("Estate 'test': 1 configuration problem") and "field 'name_scope'" in message, message
