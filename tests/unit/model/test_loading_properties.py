"""Property tests of the stack-file loader: whatever the bytes, a stack config or the project's own error.

Arbitrary bytes, YAML-looking text, arbitrary YAML trees (anchors, aliases, tags, every scalar style) and
near-valid estates all end in a validated StackConfig or a StackConfigError, never another exception, each
within a generous deadline (a guard against blow-ups such as alias expansion, not a benchmark).
"""

from __future__ import annotations

import json
import math
from datetime import timedelta

import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from auth0_m2m.model import yaml_v3
from auth0_m2m.model.config import StackConfig
from auth0_m2m.model.errors import StackConfigError
from auth0_m2m.model.loading import read_stack_bytes

DEADLINE = settings(deadline=timedelta(seconds=5), max_examples=300,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def outcome(data: bytes):
    """The loader's answer; any exception other than the project's own fails the test."""
    try:
        return read_stack_bytes(data, "stacks/Pulumi.prop.yaml", "auth0-m2m").validate()
    except StackConfigError as error:
        assert error.problems, "an error without a problem"
        for problem in error.problems:
            text = problem.format(error.source)
            assert text.startswith("stacks/Pulumi.prop.yaml")
            assert "Traceback" not in text
        return error


@DEADLINE
@given(st.binary(max_size=4000))
@example(b"\xef\xbb\xbf")
@example(b"[" * 5000)
@example(b"a: &a [*a]")
@example(b"%YAML 1.1\n--- !!python/object:os.system\n")
def test_arbitrary_bytes(data):
    result = outcome(data)
    assert isinstance(result, (StackConfig, StackConfigError))


YAML_ALPHABET = st.sampled_from(list("abcz019 :-?[]{},&*!|>'\"#%@`\n\t\\.~<=+_") + ["auth0-m2m:", "config:", "\n  ",
                                                                                     "\n- ", "<<: ", "!!str ", "---\n"])


@DEADLINE
@given(st.lists(YAML_ALPHABET, max_size=300).map("".join))
def test_yaml_looking_text(text):
    assert isinstance(outcome(text.encode("utf-8")), (StackConfig, StackConfigError))


scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30),
    st.sampled_from(["yes", "on", "0100", "0x1F", "1_000", "08", "2001-12-14", ".inf", "~", "<<", "true", "True",
                     "secure", "org_1", "deny", "require", "auth0:clientSecret", "{}", "[]", "1e999"]),
)
keys = st.one_of(st.text(max_size=12), st.sampled_from([
    "config", "auth0-m2m:environment", "auth0-m2m:production", "auth0-m2m:applications", "auth0-m2m:apis",
    "auth0-m2m:organizations", "auth0_m2m:production", "auth0:clientSecret", "name", "grants", "api", "secure",
    "organizations", "manage", "identifier", "scopes", "organization_usage", "allow_any_organization", "<<",
    "encryptionsalt", "environment"]))
trees = st.recursive(scalars, lambda children: st.lists(children, max_size=5) | st.dictionaries(keys, children, max_size=5),
                     max_leaves=40)


@st.composite
def yaml_documents(draw) -> str:
    """A YAML tree in random styles, sometimes under `config:`, sometimes with anchors and aliases woven in."""
    tree = draw(trees)
    if draw(st.booleans()):
        tree = {"config": tree if isinstance(tree, dict) else {"auth0-m2m:environment": tree}}
    flow = draw(st.sampled_from([None, True, False]))
    text = yaml.safe_dump(tree, default_flow_style=flow, allow_unicode=draw(st.booleans()), sort_keys=False)
    if draw(st.booleans()) and ": " in text:
        # Name the first value and refer to it again further down.
        head, _, tail = text.partition(": ")
        text = f"{head}: &x {tail}" + draw(st.sampled_from(["z: *x\n", "z: [*x, *x]\n", "<<: *x\n", "z: *y\n"]))
    return text


@DEADLINE
@given(yaml_documents())
def test_arbitrary_yaml_trees(text):
    assert isinstance(outcome(text.encode("utf-8")), (StackConfig, StackConfigError))


booleanish = st.sampled_from([True, False, "true", "yes", "on", 1, None, "True"])
estates = st.fixed_dictionaries(
    {
        "auth0-m2m:environment": st.sampled_from(["dev", "prod", "", "Dev", 1]),
        "auth0-m2m:production": booleanish,
        "auth0-m2m:organizations": st.dictionaries(st.sampled_from(["acme", "globex", "ACME", "a b"]),
                                                   st.fixed_dictionaries({}, optional={"id": st.sampled_from(["org_1", "x"]),
                                                                                       "manage": booleanish}), max_size=3),
        "auth0-m2m:apis": st.dictionaries(st.sampled_from(["orders", "billing"]),
                                          st.fixed_dictionaries({"identifier": st.sampled_from(["https://a/", "https://b/", ""])},
                                                                optional={"manage": booleanish, "name": st.text(max_size=5),
                                                                          "token_lifetime": st.sampled_from([1, 0, "0100", 86400.0])}),
                                          max_size=2),
        "auth0-m2m:applications": st.lists(st.fixed_dictionaries(
            {"name": st.sampled_from(["a", "b", "A", ""])},
            optional={"default_organization": st.sampled_from(["acme", "globex", "nope"]),
                      "grants": st.lists(st.fixed_dictionaries(
                          {"api": st.sampled_from(["orders", "billing", "none"])},
                          optional={"organization_usage": st.sampled_from(["deny", "allow", "require", "yes"]),
                                    "allow_any_organization": booleanish,
                                    "organizations": st.lists(st.sampled_from(["acme", "globex", "nope"]), max_size=3),
                                    "scopes": st.lists(st.sampled_from(["read:x", "a b", ""]), max_size=2),
                                    "justification": st.text(max_size=20)}), max_size=3)}), max_size=3),
    },
)


@DEADLINE
@given(estates)
def test_near_valid_estates(config):
    result = outcome(yaml.safe_dump({"config": config}, sort_keys=False).encode())
    if isinstance(result, StackConfig):
        assert result.environment in ("dev", "prod", "1")  # a top-level 1 reaches the program as the text "1"
        assert config["auth0-m2m:production"] in (True, False, "true")  # what Pulumi reads as a boolean


plain_trees = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=20)
    | st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: not math.isinf(f)),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=30,
)


def positive_zero(value):
    if isinstance(value, float) and value == 0:
        return 0.0
    if isinstance(value, list):
        return [positive_zero(v) for v in value]
    if isinstance(value, dict):
        return {k: positive_zero(v) for k, v in value.items()}
    return value


@DEADLINE
@given(plain_trees)
def test_the_writer_round_trips_through_the_reader(tree):
    """What scripts/local-stack writes, Pulumi (this reader) reads back as the same values."""
    document = yaml_v3.load(yaml_v3.dump({"config": {"x:y": tree}}).encode())
    # -0.0 is read as 0.0, as Pulumi reads it (its own YAML round trip turns it into the integer 0).
    expected = {"config": {"x:y": positive_zero(tree)}}
    assert json.dumps(document.value, sort_keys=True) == json.dumps(expected, sort_keys=True)
