"""The program reads the config text the engine hands it through the same loader as the tools read files.

The engine passes every top-level value as text and objects as JSON (tests/integration/test_pulumi_reading.py
shows it with the real CLI); here the same text is set under mocks.
"""

from __future__ import annotations

import json

import pulumi
import pytest
from pulumi.runtime import config as runtime_config

from auth0_m2m import load_program_config
from auth0_m2m.model.loading import read_stack_file

from ... import corpus
from ..pulumi_harness import run

ESTATE = {
    "auth0-m2m:environment": "dev",
    "auth0-m2m:apis": json.dumps({"orders": {"identifier": "https://orders.example.com/"}}),
    "auth0-m2m:applications": json.dumps([{"name": "sync", "grants": [{"api": "orders"}]}]),
}


def program_config(config: dict, secret_keys: tuple = ()):
    runtime_config.set_all_config({}, [])
    result = {}

    def program():
        runtime_config.set_all_config(config, list(secret_keys))
        result["config"] = load_program_config()

    run(program, stack="dev")
    return result["config"]


@pytest.mark.parametrize("text, production", [("true", True), ("false", False)])
def test_the_engines_booleans(text, production):
    assert program_config({**ESTATE, "auth0-m2m:production": text}).production is production


@pytest.mark.parametrize(
    "extra, secret_keys, message",
    [
        ({"auth0-m2m:production": "yes"}, (), "field 'production': 'yes' is not a boolean: write true or false"),
        ({"auth0-m2m:protect": "True"}, (), "field 'protect': 'True' is a string, not a boolean: write true without quotes"),
        ({"auth0:clientSecret": "s3cr3t"}, (), "config key 'auth0:clientSecret': holds a credential in plain text: "
         "store it encrypted with `pulumi config set --secret auth0:clientSecret`"),
        ({"auth0_m2m:production": "true"}, (), "namespace 'auth0_m2m' is not 'auth0-m2m'"),
        ({"auth0-m2m:production": "true"}, ("auth0-m2m:production",), "the estate's config must be plain text"),
    ],
    ids=["yes", "True as text", "plain-text credential", "near-miss namespace", "secret estate key"],
)
def test_what_the_program_refuses(extra, secret_keys, message):
    with pytest.raises(pulumi.RunError) as error:
        program_config({**ESTATE, **extra}, secret_keys)
    assert message in str(error.value)
    assert str(error.value).startswith("stacks/Pulumi.dev.yaml: ")


def test_a_secret_credential_is_fine():
    config = program_config({**ESTATE, "auth0:clientSecret": "decrypted"}, ("auth0:clientSecret",))
    assert config.environment == "dev"


@pytest.mark.parametrize("case", ["yes-as-production", "quoted-true-as-manage", "plain-text-client-secret",
                                  "namespace-with-underscore", "justification-without-any-organization"])
def test_the_program_and_the_file_loader_refuse_alike(case):
    """The corpus file's config, as the engine would hand it over, is refused by the program with the
    loader's messages (without line numbers: the program only knows the stack's name)."""
    stack_file = read_stack_file(corpus.files()[case], project="auth0-m2m")
    with pytest.raises(pulumi.RunError) as error:
        program_config(stack_file.engine_config, tuple(stack_file.secret_keys))
    for line in corpus.expected(case, "stacks/Pulumi.dev.yaml"):
        without_line = line.split(": ", 1)
        assert without_line[1] in str(error.value)


@pytest.mark.parametrize("project_file, named", [
    ("name: quickstart\nruntime: python\n", "Pulumi.dev.yaml: "),                       # the quick start's layout
    ("name: p\nruntime: python\nstackConfigDir: config/\n", "config/Pulumi.dev.yaml: "),
    (None, "stacks/Pulumi.dev.yaml: "),                                                 # no project file: the default
])
def test_messages_name_the_stack_file_where_the_project_keeps_it(tmp_path, monkeypatch, project_file, named):
    if project_file is not None:
        (tmp_path / "Pulumi.yaml").write_text(project_file)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(pulumi.RunError) as error:
        program_config({**ESTATE, "auth0-m2m:production": "yes"})
    assert str(error.value).startswith(named), str(error.value)
