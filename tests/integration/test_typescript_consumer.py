"""The component package from TypeScript: examples/typescript with the real CLI and the project's Node.js host.

`pulumi package add` generates the TypeScript SDK (the host's GeneratePackage, Pulumi's Node.js code generator),
links it into package.json and runs npm install (@pulumi/pulumi and TypeScript from the npm registry); the engine
then runs the program with @pulumi/pulumi's runner and the package's Python plugin for every construct.
"""

from __future__ import annotations

import json

import pytest

from .harness import consumer_project

pytestmark = pytest.mark.integration

ORDERS = "https://orders.typescript-example.com/"


@pytest.fixture(scope="module")
def emulator(module_emulator):
    return module_emulator


@pytest.fixture(scope="module")
def project(tmp_path_factory, emulator):
    return consumer_project(tmp_path_factory.mktemp("typescript"), emulator, "typescript")


def test_package_add_generates_and_links_a_typescript_sdk(project):
    manifest = json.loads((project.root / "package.json").read_text())
    assert manifest["dependencies"]["@auth0-m2m/auth0-m2m"] == "file:sdks/auth0-m2m"
    sdk = project.root / "sdks" / "auth0-m2m"
    assert (sdk / "estate.ts").is_file() and (sdk / "m2mapplication.ts").is_file()
    # Inputs typed from the models: the stack file's names, plain where they name resources.
    types = (sdk / "types" / "input.ts").read_text()
    assert "organization_usage?: enums.OrganizationUsage" in types


def test_preview_up_and_a_no_op_preview_without_management_calls(project, emulator):
    steps = project.preview_steps()
    assert {s["urn"].split("::", 2)[2] for s in steps} >= {
        "auth0-m2m:index:Estate::estate", "auth0-m2m:index:M2MApplication::reporting",
    }
    project.up()
    outputs = project.outputs()
    assert set(outputs["applications"]) == {"billing-sync"}
    assert outputs["reportingClientSecret"] == "[secret]" and outputs["clientSecrets"] == "[secret]"
    shown = project.outputs(show_secrets=True)
    token = emulator.token(outputs["reportingClientId"], shown["reportingClientSecret"], ORDERS)
    assert token.status_code == 200, token.text
    emulator.reset_requests()
    project.preview("--expect-no-changes")
    assert emulator.requests()["total"] == 0, emulator.requests()


def test_access_check_from_state_then_destroy(project, emulator):
    result = project.access_check()
    assert "token requests match the components' recorded configuration" in result.stdout
    project.run("destroy", "--yes", "--skip-preview")
    clients = {c["name"] for c in emulator.management("GET", "/clients").json()}
    assert not clients & {"billing-sync", "reporting"}

