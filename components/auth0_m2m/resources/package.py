"""The component package: ``Estate`` and ``M2MApplication`` for Pulumi programs in any language.

A program in YAML, TypeScript, Go, ... adds the package (``pulumi package add <checkout>/package``) and
declares ``auth0-m2m:index:Estate`` or ``auth0-m2m:index:M2MApplication`` like any resource. The engine then runs
this module as a plugin (``package/__main__.py``) through the Python language host and asks it for the schema
(:mod:`.package_schema`) and to *construct* each component: the very classes a Python program uses run here, so
the type tokens, the recorded inputs (read by the policy pack and the access check), the names, aliases and the
protection transform are the same. The plugin is served by the Python SDK's provider host
(``pulumi.provider.main``); what is ours is the mapping of inputs to the components and of errors to messages.
"""

from __future__ import annotations

import json
import sys
from typing import Any, Mapping, Optional

import pulumi
import pulumi.provider
from pulumi.errors import InputPropertiesError

from .. import contract
from ..model.errors import Problem, StackConfigError
from ..model.validation import parse_application, validate
from .application import M2MApplication, M2MApplicationArgs
from .estate import Estate
from . import naming
from .package_schema import (
    APPLICATION_SCOPE_INPUTS,
    ESTATE_SCOPE_INPUTS,
    NAME_DEFAULTS_TO_RESOURCE_NAME,
    OUTPUT_ACCEPTING_INPUTS,
    package_schema,
)
from .program import estate_outputs


class ComponentPackage(pulumi.provider.Provider):
    """The provider the engine talks to: the schema, and ``construct`` for the two components."""

    def __init__(self, version: str):
        super().__init__(version, json.dumps(package_schema(version)))

    def construct(
        self,
        name: str,
        resource_type: str,
        inputs: pulumi.Inputs,
        options: Optional[pulumi.ResourceOptions] = None,
    ) -> pulumi.provider.ConstructResult:
        try:
            if resource_type == contract.ESTATE_TYPE:
                return _construct_estate(name, inputs, options)
            if resource_type == contract.M2M_APPLICATION_TYPE:
                return _construct_application(name, inputs, options)
        except StackConfigError as error:
            # The stack file's messages, as the engine's error for this resource (no traceback).
            raise _input_error(str(error)) from None
        raise _input_error(
            f"unknown resource type {resource_type!r}: the {contract.PACKAGE} package has "
            f"{contract.ESTATE_TYPE} and {contract.M2M_APPLICATION_TYPE}"
        )


def _input_error(message: str) -> InputPropertiesError:
    # An empty list, not None: the SDK (3.272) builds the gRPC status's trailing metadata only when a list is given,
    # and fails with an AttributeError instead of the message without it. Every problem is in the message already.
    return InputPropertiesError(message, errors=[])


def _construct_estate(name: str, inputs: Mapping[str, Any], options: Optional[pulumi.ResourceOptions]):
    source = f"Estate {name!r}"
    _require_plain(inputs, source, allowed=())
    values = _without_nulls(inputs)
    scope = _name_scope(values.get("name_scope"), source)
    config = validate({key: value for key, value in values.items() if key not in ESTATE_SCOPE_INPUTS}, source)
    estate = Estate(name, config, opts=options, source=source, name_scope=scope)
    return pulumi.provider.ConstructResult(urn=estate.urn, state=estate_outputs(estate, config))


def _construct_application(name: str, inputs: Mapping[str, Any], options: Optional[pulumi.ResourceOptions]):
    source = f"M2MApplication {name!r}"
    _require_plain(inputs, source, allowed=OUTPUT_ACCEPTING_INPUTS)
    values = _without_nulls(inputs)
    raw = {key: value for key, value in values.items() if key not in APPLICATION_SCOPE_INPUTS}
    raw.setdefault(NAME_DEFAULTS_TO_RESOURCE_NAME, name)
    application = parse_application(raw, source)
    component = M2MApplication(
        name,
        M2MApplicationArgs(
            application=application,
            audiences=dict(values.get("audiences") or {}),
            organization_ids=dict(values.get("organization_ids") or {}),
            production=bool(values.get("production", False)),
            name_scope=_name_scope(values.get("name_scope"), source),
        ),
        opts=options,
    )
    return pulumi.provider.ConstructResult(
        urn=component.urn,
        state={
            contract.COMPONENT_CLIENT_ID: component.client_id,
            contract.COMPONENT_CLIENT_SECRET: component.client_secret,
            contract.COMPONENT_GRANT_IDS: component.grant_ids,
            contract.COMPONENT_AUTHORIZED_ORGANIZATIONS: component.authorized_organizations,
        },
    )


def _name_scope(value: Any, source: str) -> Optional[str]:
    """The ``name_scope`` input, checked as the components check it, as a configuration problem."""
    try:
        if value is not None and not isinstance(value, str):
            raise ValueError(f"name_scope must be a string, not {type(value).__name__}")
        return naming.check_scope(value)
    except ValueError as error:
        raise StackConfigError(source, [Problem(field="name_scope", message=str(error))]) from None


def _without_nulls(value: Any) -> Any:
    """Inputs as the models read them: a property left out of a program arrives as null, or not at all."""
    if isinstance(value, Mapping):
        return {key: _without_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, (list, tuple)):
        return [_without_nulls(item) for item in value]
    return value


def _require_plain(inputs: Mapping[str, Any], source: str, allowed: frozenset[str] | tuple[()]) -> None:
    """Names and access must be known when the component is constructed: they name resources and are validated
    whole. Only ``allowed`` inputs may carry other resources' outputs (e.g. an organization id)."""
    for key, value in inputs.items():
        if key in allowed:
            continue
        if _contains_output(value):
            message = (
                "must be a plain value known before anything is created, not another resource's output: "
                "it names resources and decides access, and is validated whole"
            )
            raise StackConfigError(source, [Problem(field=key, message=message)])


def _contains_output(value: Any) -> bool:
    if isinstance(value, pulumi.Output):
        return True
    if isinstance(value, Mapping):
        return any(_contains_output(item) for item in value.values())
    if isinstance(value, (list, tuple)):
        return any(_contains_output(item) for item in value)
    return False


def main(args: Optional[list[str]] = None) -> None:
    """Serve the package to the Pulumi engine (the plugin's entry point)."""
    from .. import __version__
    from .interpreter import tune_garbage_collection

    tune_garbage_collection()  # the plugin's process serves the package alone (see the interpreter module)
    pulumi.provider.main(ComponentPackage(_semver(__version__)), sys.argv[1:] if args is None else args)


def _semver(version: str) -> str:
    """The package version as the engine expects it (semver): ``0+unknown`` (an uninstalled tree) -> ``0.0.0``."""
    return version if version.count(".") == 2 and "+" not in version else "0.0.0"
