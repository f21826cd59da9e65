"""The Pulumi package schema of the component package, generated from the configuration models.

Programs in other languages (YAML, TypeScript, Go, ...) see the components through this schema: ``pulumi package
add`` turns it into an SDK, and the YAML language host checks properties against it. Inputs are generated from the
pydantic models a stack file is parsed with (field names, types, required fields and descriptions), so the two
cannot drift; the checks a schema cannot express (patterns, lengths, the cross-field rules) run in the one
validation gate when the component is constructed, with the stack file's messages.

Names are the stack file's (``organization_usage``, not ``organizationUsage``): an application can be copied
between a stack file and a program in any language unchanged.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import types
import typing
from enum import Enum
from typing import Any

from pydantic import BaseModel

from .. import contract
from ..model.config import ApplicationConfig, StackConfig
from .application import M2MApplicationArgs

#: ``M2MApplicationArgs`` fields that are package inputs besides the application's own fields, with their types.
APPLICATION_SCOPE_INPUTS: dict[str, Any] = {
    "audiences": dict[str, str], "organization_ids": dict[str, str], "production": bool, "name_scope": str
}
#: ``Estate`` inputs besides the stack configuration's fields: how the estate's resource names are scoped.
ESTATE_SCOPE_INPUTS: dict[str, dict] = {
    "name_scope": {
        "type": "string",
        "plain": True,
        "description": "Prefix of every resource name of the estate (`<scope>:<name>`), for a program with more "
        "than one estate whose application, organization or API keys overlap. Unset: the names every existing stack "
        "has. Part of every URN: choose it when the estate is first deployed, never change it (that would replace "
        "every client).",
    }
}
#: Inputs whose values may be outputs of other resources; every other input names resources or decides access,
#: so it must be known (plain) when the component is constructed.
OUTPUT_ACCEPTING_INPUTS = frozenset({"organization_ids"})

#: The one application field whose package input is optional: it defaults to the resource's name.
NAME_DEFAULTS_TO_RESOURCE_NAME = "name"

# Outputs of each component: name -> (schema type, description). The secret ones are marked by `SECRET_OUTPUTS`.
_STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
_ORGANIZATIONS_BY_AUDIENCE = {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}}
M2M_APPLICATION_OUTPUTS: dict[str, tuple[dict, str]] = {
    contract.COMPONENT_CLIENT_ID: ({"type": "string"}, "The Auth0 client id of the application."),
    contract.COMPONENT_CLIENT_SECRET: (
        {"type": "string"},
        "The application's client secret (a Pulumi secret: encrypted in the state, masked in output).",
    ),
    contract.COMPONENT_GRANT_IDS: (_STRING_MAP, "Client grant id per API identifier (audience)."),
    contract.COMPONENT_AUTHORIZED_ORGANIZATIONS: (
        _ORGANIZATIONS_BY_AUDIENCE,
        "Organization names each grant is explicitly authorized for, per API identifier (audience).",
    ),
}
ESTATE_OUTPUTS: dict[str, tuple[dict, str]] = {
    contract.OUTPUT_ENVIRONMENT: ({"type": "string"}, "The environment name."),
    contract.OUTPUT_APPLICATIONS: (
        {"type": "object", "additionalProperties": {"$ref": "#/types/auth0-m2m:index:EstateApplication"}},
        "Per application name: its client id, grant ids and authorized organizations per audience, and its default "
        "organization (the Python program's `applications` stack output).",
    ),
    contract.OUTPUT_CLIENT_SECRETS: (_STRING_MAP, "Application name -> client secret (a Pulumi secret)."),
    contract.OUTPUT_ORGANIZATION_IDS: (
        _STRING_MAP,
        "Organization name -> Auth0 id, for every organization an application refers to and every managed one.",
    ),
    contract.OUTPUT_ANY_ORGANIZATION_JUSTIFICATIONS: (
        _STRING_MAP,
        "`<application>/<audience>` -> justification, for every grant that allows any organization.",
    ),
}
SECRET_OUTPUTS = {contract.COMPONENT_CLIENT_SECRET, contract.OUTPUT_CLIENT_SECRETS}

_ESTATE_APPLICATION_TYPE = {
    "type": "object",
    "description": "What an Estate made for one application.",
    "properties": {
        contract.COMPONENT_CLIENT_ID: {"type": "string", "description": "The Auth0 client id."},
        contract.COMPONENT_GRANT_IDS: {**_STRING_MAP, "description": "Client grant id per audience."},
        contract.COMPONENT_AUTHORIZED_ORGANIZATIONS: {
            **_ORGANIZATIONS_BY_AUDIENCE,
            "description": "Organization names each grant is authorized for, per audience.",
        },
        "default_organization": {"type": "string", "description": "The default organization, if any."},
    },
    "required": [contract.COMPONENT_CLIENT_ID, contract.COMPONENT_GRANT_IDS, contract.COMPONENT_AUTHORIZED_ORGANIZATIONS],
}


def type_name(model: type) -> str:
    """A model's name in the package: its concept, without the ``Config`` suffix (``GrantConfig`` -> ``Grant``)."""
    name = model.__name__
    return name[: -len("Config")] if name.endswith("Config") else name


def type_token(model: type) -> str:
    return f"{contract.PACKAGE}:index:{type_name(model)}"


class _Builder:
    """Walks model annotations and collects the object and enum types they refer to."""

    def __init__(self) -> None:
        self.types: dict[str, dict] = {}

    def property_type(self, annotation: Any) -> dict:
        annotation = _strip(annotation)
        origin = typing.get_origin(annotation)
        if origin in (typing.Union, types.UnionType):
            arms = [arm for arm in typing.get_args(annotation) if arm is not type(None)]
            if len(arms) != 1:
                raise TypeError(f"cannot express the union {annotation} in a Pulumi schema")
            return self.property_type(arms[0])
        if origin in (tuple, list, typing.Sequence):
            return {"type": "array", "items": self.property_type(typing.get_args(annotation)[0])}
        if origin in (dict, typing.Mapping):
            key, value = typing.get_args(annotation)
            if _strip(key) is not str:
                raise TypeError(f"map keys must be strings in a Pulumi schema, not {key}")
            return {"type": "object", "additionalProperties": self.property_type(value)}
        if isinstance(annotation, type) and issubclass(annotation, Enum):
            self._enum(annotation)
            return {"$ref": f"#/types/{type_token(annotation)}"}
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            self.object_type(annotation)
            return {"$ref": f"#/types/{type_token(annotation)}"}
        if annotation is str:
            return {"type": "string"}
        if annotation is bool:
            return {"type": "boolean"}
        if annotation is int:
            return {"type": "integer"}
        if annotation is dt.datetime:
            return {"type": "string"}  # ISO 8601, parsed by the model like a stack file's
        if annotation is typing.Any:
            return {"$ref": "pulumi.json#/Any"}
        raise TypeError(f"no Pulumi schema type for {annotation!r}")

    def properties(self, model: type[BaseModel]) -> tuple[dict[str, dict], list[str]]:
        """A model's fields as schema properties (plain: they name resources and are validated whole), and the
        required ones."""
        props: dict[str, dict] = {}
        required: list[str] = []
        for name, info in model.model_fields.items():
            props[name] = {**self.property_type(info.annotation), "description": info.description, "plain": True}
            if info.is_required():
                required.append(name)
        return props, required

    def object_type(self, model: type[BaseModel]) -> None:
        token = type_token(model)
        if token in self.types:
            return
        self.types[token] = {}  # reserve: models may refer to each other
        props, required = self.properties(model)
        self.types[token] = {
            "type": "object",
            "description": _doc(model),
            "properties": props,
            **({"required": required} if required else {}),
        }

    def _enum(self, enum: type[Enum]) -> None:
        self.types[type_token(enum)] = {
            "type": "string",
            "description": _doc(enum),
            "enum": [{"name": member.name.lower(), "value": member.value} for member in enum],
        }


def _strip(annotation: Any) -> Any:
    """``Annotated[X, constraints]`` -> ``X``: the constraints are checked by validation, not by the schema."""
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def _doc(obj: type) -> str:
    return " ".join((obj.__doc__ or "").split())


def _outputs(outputs: dict[str, tuple[dict, str]]) -> dict[str, dict]:
    return {
        name: {**schema, "description": description, **({"secret": True} if name in SECRET_OUTPUTS else {})}
        for name, (schema, description) in outputs.items()
    }


def application_scope_inputs(builder: _Builder) -> tuple[dict[str, dict], list[str]]:
    """The inputs ``M2MApplicationArgs`` adds to the application: how the names it uses resolve, and production.

    Descriptions and required-ness come from the dataclass; the types are the plain forms of its annotations
    (``Mapping[str, pulumi.Input[str]]`` is a map of strings whose values may be outputs).
    """
    props: dict[str, dict] = {}
    required: list[str] = []
    for spec in dataclasses.fields(M2MApplicationArgs):
        if spec.name not in APPLICATION_SCOPE_INPUTS:
            continue
        prop = {**builder.property_type(APPLICATION_SCOPE_INPUTS[spec.name]), "description": spec.metadata["description"]}
        # Organization ids may come from other resources (an auth0.Organization's id); the rest names resources.
        if spec.name not in OUTPUT_ACCEPTING_INPUTS:
            prop["plain"] = True
        props[spec.name] = prop
        if spec.default is dataclasses.MISSING and spec.default_factory is dataclasses.MISSING:
            required.append(spec.name)
    return props, required


def package_schema(version: str) -> dict:
    """The package's schema: the Estate and M2MApplication components, their input and output types."""
    builder = _Builder()
    estate_inputs, estate_required = builder.properties(StackConfig)
    app_inputs, app_required = builder.properties(ApplicationConfig)
    app_required.remove(NAME_DEFAULTS_TO_RESOURCE_NAME)
    app_inputs[NAME_DEFAULTS_TO_RESOURCE_NAME] = {
        **app_inputs[NAME_DEFAULTS_TO_RESOURCE_NAME],
        "description": app_inputs[NAME_DEFAULTS_TO_RESOURCE_NAME]["description"]
        + " Defaults to the resource's name; when given, it must equal it.",
    }
    scope_inputs, scope_required = application_scope_inputs(builder)
    types_ = {**builder.types, "auth0-m2m:index:EstateApplication": _ESTATE_APPLICATION_TYPE}
    return {
        "name": contract.PACKAGE,
        "displayName": "Auth0 M2M access",
        "version": version,
        "description": "Auth0 machine-to-machine applications, their client grants per API and organization access, "
        "validated whole before anything is registered.",
        "keywords": ["auth0", "m2m", "organizations", "kind/component", "category/utility"],
        "resources": {
            contract.ESTATE_TYPE: {
                "isComponent": True,
                "description": _doc(StackConfig) + " Every organization, API and M2M application of it, validated "
                "whole before anything is registered (the `auth0-m2m:` keys of a stack file).",
                "inputProperties": {**estate_inputs, **ESTATE_SCOPE_INPUTS},
                "requiredInputs": estate_required,
                "properties": _outputs(ESTATE_OUTPUTS),
                "required": list(ESTATE_OUTPUTS),
            },
            contract.M2M_APPLICATION_TYPE: {
                "isComponent": True,
                "description": _doc(ApplicationConfig) + " One application alone, with its secret, one client grant "
                "per API and the organizations each grant is authorized for.",
                "inputProperties": {**app_inputs, **scope_inputs},
                "requiredInputs": app_required + scope_required,
                "properties": _outputs(M2M_APPLICATION_OUTPUTS),
                "required": list(M2M_APPLICATION_OUTPUTS),
            },
        },
        "types": types_,
        "language": {
            # Generated SDKs name the package like the Python distribution; local SDKs need no publishing data.
            "nodejs": {"packageName": "@auth0-m2m/auth0-m2m", "respectSchemaVersion": True},
        },
    }

