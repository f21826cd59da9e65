"""The policy pack's analyzer service in this process, fed the gRPC requests the Pulumi engine sends.

``Analyzer`` builds pulumi-policy's analyzer service with the pack's policies (the same object
``PolicyPack`` serves) and the pack's hooks installed, so the rule tests exercise exactly what the engine
talks to: property Structs with secret and unknown encodings, resource options, property dependencies,
policy config and the stack configuration.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from google.protobuf import json_format, struct_pb2
from pulumi.runtime import proto

REPO = Path(__file__).resolve().parents[2]
if str(REPO / "policy") not in sys.path:
    sys.path.insert(0, str(REPO / "policy"))

from auth0_m2m_policy import hooks, policies  # noqa: E402
from pulumi_policy import EnforcementLevel  # noqa: E402
from pulumi_policy import policy as sdk  # noqa: E402

hooks.install()

# How the engine encodes special values in a property Struct.
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"


def secret(value: Any) -> dict:
    return {SIG_KEY: SECRET_SIG, "value": value}


def struct(values: dict) -> struct_pb2.Struct:
    return json_format.ParseDict(values, struct_pb2.Struct())


def urn(resource_type: str, name: str, parents: tuple[str, ...] = (), stack: str = "test") -> str:
    chain = "$".join((*parents, resource_type))
    return f"urn:pulumi:{stack}::proj::{chain}::{name}"


@dataclass
class Resource:
    """One resource as the engine describes it to an analyzer."""

    type: str
    name: str
    props: dict
    parent: str = ""
    parent_types: tuple[str, ...] = ()
    protect: bool = False
    dependencies: Optional[dict[str, list[str]]] = None
    stack: str = "test"
    provider: Optional[dict] = None

    @property
    def urn(self) -> str:
        return urn(self.type, self.name, self.parent_types, self.stack)

    def options(self) -> proto.AnalyzerResourceOptions:
        return proto.AnalyzerResourceOptions(protect=self.protect, parent=self.parent)

    def provider_message(self) -> Optional[proto.AnalyzerProviderResource]:
        if self.provider is None:
            return None
        return proto.AnalyzerProviderResource(
            type="pulumi:providers:auth0",
            name="default",
            urn=urn("pulumi:providers:auth0", "default", stack=self.stack),
            properties=struct(self.provider),
        )


@dataclass(frozen=True)
class Violation:
    policy: str
    message: str
    urn: str
    mandatory: bool


class Analyzer:
    def __init__(self, stack: str = "test", config: Optional[dict] = None, secret_keys: tuple[str, ...] = (),
                 policy_config: Optional[dict] = None):
        self.service = sdk._PolicyAnalyzerServicer(
            "auth0-m2m", "0.1.0", policies.ALL, EnforcementLevel.MANDATORY
        )
        self.service.ConfigureStack(
            proto.AnalyzerStackConfigureRequest(
                stack=stack, project="proj", config=config or {}, config_secret_keys=list(secret_keys)
            ),
            None,
        )
        if policy_config:
            self.service.Configure(
                proto.ConfigureAnalyzerRequest(
                    policyConfig={
                        name: proto.PolicyConfig(enforcementLevel=proto.MANDATORY, properties=struct(values))
                        for name, values in policy_config.items()
                    }
                ),
                None,
            )

    @staticmethod
    def _violations(response) -> list[Violation]:
        return [
            Violation(d.policyName, d.message, d.urn, d.enforcementLevel == proto.MANDATORY)
            for d in response.diagnostics
        ]

    def analyze(self, resource: Resource) -> list[Violation]:
        request = proto.AnalyzeRequest(
            type=resource.type,
            name=resource.name,
            urn=resource.urn,
            properties=struct(resource.props),
            options=resource.options(),
        )
        provider = resource.provider_message()
        if provider is not None:
            request.provider.CopyFrom(provider)
        return self._violations(self.service.Analyze(request, None))

    def analyze_stack(self, resources: list[Resource]) -> list[Violation]:
        messages = []
        for resource in resources:
            message = proto.AnalyzerResource(
                type=resource.type,
                name=resource.name,
                urn=resource.urn,
                properties=struct(resource.props),
                options=resource.options(),
                parent=resource.parent,
            )
            for key, urns in (resource.dependencies or {}).items():
                message.propertyDependencies[key].urns.extend(urns)
            messages.append(message)
        return self._violations(self.service.AnalyzeStack(proto.AnalyzeStackRequest(resources=messages), None))
