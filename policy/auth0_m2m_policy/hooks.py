"""What the analyzer receives from the engine beyond what pulumi-policy passes on to policies.

The engine sends the analyzer (pulumi v3.274, ``pkg/resource/plugin/analyzer_plugin.go``):

* ``ConfigureStack``: the stack and project name, the stack's whole configuration (decrypted) and the
  list of its *secure* keys (``config_secret_keys``). pulumi-policy 1.21 keeps only the stack tags.
* ``Analyze``: each resource's inputs with secrets still marked (the engine marshals them with
  ``KeepSecrets: true``), the same for the resource's provider. pulumi-policy 1.21 unwraps every secret
  before a validation sees it (``deserialize_properties(..., proxy_secrets=False)``), so a policy
  cannot tell a secret from a plaintext value through the SDK's API.

:func:`install` wraps the SDK's analyzer service methods to keep that information: the stack (name,
config, secure keys) for the process, and, for the request being analyzed on the current thread, the
property names whose values are secrets. It also keeps the parent of every analyzed resource and the
recorded grants of every ``M2MApplication`` component, so a client grant's policy can find the
justification its component recorded (a component is always analyzed before its children: a child is
registered with its parent's URN, which the engine returns after analyzing the parent), and the inputs of
every resource: stack policies see outputs, which a preview leaves unknown for a resource to be created
even where the program declared the input (e.g. a client's default organization, declared as none).

If the SDK changes and the wrapping is not possible, :data:`INSTALLED` stays False and the policies that
need it fail closed with a message saying so (see ``policies.py``).
"""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass, field
from typing import Any, Optional

from .shared import M2M_APPLICATION
from .values import plain

# Property map encoding of a secret (sdk/go/common/resource/sig): {SIG_KEY: SECRET_SIG, "value": ...}.
SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"



@dataclass
class StackInfo:
    """The stack as ConfigureStack described it (empty until the engine called it)."""

    received: bool = False
    stack: str = ""
    project: str = ""
    config: dict[str, str] = field(default_factory=dict)
    secret_keys: frozenset[str] = frozenset()
    dry_run: bool = False


@dataclass(frozen=True)
class RequestSecrets:
    """Which top-level properties of the resource being analyzed (and of its provider) are secrets."""

    urn: str
    resource: frozenset[str]
    provider: frozenset[str]


STACK = StackInfo()
INSTALLED = False

_lock = threading.Lock()
_current = threading.local()
_parents: dict[str, str] = {}
_components: dict[str, dict] = {}
_inputs: dict[str, dict] = {}


def secret_keys_of(properties: Any) -> frozenset[str]:
    """Top-level keys of a property map (as a dict from the protobuf Struct) holding a secret anywhere."""
    if not isinstance(properties, dict):
        return frozenset()
    return frozenset(key for key, value in properties.items() if _contains_secret(value))


def _contains_secret(value: Any) -> bool:
    if isinstance(value, dict):
        if value.get(SIG_KEY) == SECRET_SIG:
            return True
        return any(_contains_secret(v) for v in value.values())
    if isinstance(value, list):
        return any(_contains_secret(v) for v in value)
    return False


def current_secrets(urn: str) -> Optional[RequestSecrets]:
    """Secret properties of the Analyze request for ``urn`` being handled on this thread, if any."""
    secrets = getattr(_current, "secrets", None)
    if secrets is None or secrets.urn != urn:
        return None
    return secrets


def parent_of(urn: str) -> Optional[str]:
    with _lock:
        return _parents.get(urn)


def component_record(urn: str) -> Optional[dict]:
    """The inputs an M2MApplication component was registered with (plain values), if it was analyzed."""
    with _lock:
        return _components.get(urn)


def inputs_of(urn: str) -> Optional[dict]:
    """The inputs a resource was last analyzed with (plain values), if it was analyzed in this process."""
    with _lock:
        return _inputs.get(urn)


def record_resource(urn: str, resource_type: str, parent: str, props: Any) -> None:
    """Remember a resource's parent and inputs (and a component's recorded grants); also used by tests."""
    with _lock:
        if parent:
            _parents[urn] = parent
        if isinstance(props, dict):
            _inputs[urn] = props
        if resource_type == M2M_APPLICATION:
            _components[urn] = props


def _struct_to_dict(struct: Any) -> dict:
    from google.protobuf import json_format

    return json_format.MessageToDict(struct)


def _unwrap_secrets(value: Any) -> Any:
    if isinstance(value, dict):
        if value.get(SIG_KEY) == SECRET_SIG:
            return _unwrap_secrets(value.get("value"))
        return {k: _unwrap_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unwrap_secrets(v) for v in value]
    return value


def install() -> bool:
    """Wrap pulumi-policy's analyzer service (idempotent). Returns whether the hooks are active."""
    global INSTALLED
    if INSTALLED:
        return True
    try:
        from pulumi_policy import policy as sdk
    except ImportError:  # pragma: no cover
        return False
    servicer = getattr(sdk, "_PolicyAnalyzerServicer", None)
    if servicer is None or not callable(getattr(servicer, "Analyze", None)) or not callable(
        getattr(servicer, "ConfigureStack", None)
    ):
        print("auth0-m2m policy pack: pulumi-policy's analyzer service has changed; stack config and secretness "
              "are not visible to the policies (they fail closed)", file=sys.stderr)
        return False

    original_analyze = servicer.Analyze
    original_configure_stack = servicer.ConfigureStack

    def Analyze(self, request, context):  # noqa: N802 (gRPC method name)
        try:
            properties = _struct_to_dict(request.properties)
            provider = _struct_to_dict(request.provider.properties) if request.HasField("provider") else {}
            _current.secrets = RequestSecrets(request.urn, secret_keys_of(properties), secret_keys_of(provider))
            record_resource(request.urn, request.type, request.options.parent, plain(_unwrap_secrets(properties)))
        except Exception as error:  # noqa: BLE001 - never break the analysis itself
            _current.secrets = None
            print(f"auth0-m2m policy pack: could not inspect {request.urn}: {error}", file=sys.stderr)
        try:
            return original_analyze(self, request, context)
        finally:
            _current.secrets = None

    def ConfigureStack(self, request, context):  # noqa: N802
        try:
            STACK.stack = request.stack
            STACK.project = request.project
            STACK.config = dict(request.config)
            STACK.secret_keys = frozenset(request.config_secret_keys)
            STACK.dry_run = bool(request.dry_run)
            STACK.received = True
        except Exception as error:  # noqa: BLE001
            print(f"auth0-m2m policy pack: could not read the stack configuration: {error}", file=sys.stderr)
        return original_configure_stack(self, request, context)

    servicer.Analyze = Analyze
    servicer.ConfigureStack = ConfigureStack
    INSTALLED = True
    return True
