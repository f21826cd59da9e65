"""Glue for Pulumi programs: read this stack's configuration, validate it, export what the estate made."""

from __future__ import annotations

import os
from typing import Any, Optional

import pulumi

from .. import contract
from ..model.config import StackConfig
from ..model.errors import StackConfigError, UnreadableStackFile
from ..model.loading import read_project, validate_engine_config
from ..model.scopes import Command, missing_scopes_message, scopes_for
from .adoption import adopt_from_environment
from .estate import Estate
from .management_token import ManagementCredentials, ManagementTokenError, granted_scopes


def _stack_config_dir() -> str:
    """The running project's ``stackConfigDir`` (the program runs in the project's directory), for messages."""
    try:
        return read_project(".")[1]
    except UnreadableStackFile:
        return contract.STACK_CONFIG_DIR


def load_program_config(namespace: str = contract.NAMESPACE, config_dir: Optional[str] = None) -> StackConfig:
    """The current stack's configuration, validated whole; a bad stack stops here with every problem listed.
    Then the provider's Management API client is checked for the scopes this run needs
    (:func:`check_management_scopes`).

    The engine hands the program every config key as text (objects and lists as JSON); this reads them
    with the same loader as the ``auth0-m2m`` tools read stack files (:mod:`auth0_m2m.model.loading`), so a
    program and a review of the same file accept and refuse the same things. Raises ``pulumi.RunError``
    (Pulumi prints the message without a traceback) before any resource has been registered.

    When ``auth0-m2m import`` (or its state-only repair, or ``up --fast``) runs the program, it also turns
    adoption on (:mod:`auth0_m2m.resources.adoption`): existing tenant objects are imported instead of created.
    """
    if config_dir is None:
        config_dir = _stack_config_dir()
    source = contract.stack_file_name(pulumi.get_stack(), config_dir)
    values, secret_keys = read_pulumi_config()
    try:
        config = validate_engine_config(values, secret_keys, source, namespace)
    except StackConfigError as error:
        raise pulumi.RunError(str(error)) from None
    provider = {key.split(":", 1)[1]: value for key, value in values.items() if key.startswith("auth0:") and value}
    # An adopting update (`auth0-m2m import`, `import --state-only`, `up --fast`'s repair) only reads, with the
    # plugin read-only: the tool checked the scopes of its own command before it started it.
    # Likewise a run that `auth0-m2m` starts for a command whose scopes it checked first (`rotate-secret`'s
    # refresh runs the program, but it is no `up`: it must not ask for the scopes of one).
    if adopt_from_environment() is None and not os.environ.get(contract.SCOPES_CHECKED_VARIABLE):
        check_management_scopes(config, source, provider)
    return config


def check_management_scopes(config: StackConfig, source: str, provider: dict[str, str]) -> None:
    """Before anything is registered: the provider's Management API client holds every scope this run needs
    (``provider``: the stack's ``auth0:`` keys without their prefix; ``AUTH0_*`` variables fill in the rest).

    ``pulumi up`` needs the scopes of :data:`~auth0_m2m.model.scopes.Command.UP` for this stack (one token request
    per run); a preview only those of its organization lookups by name, and none at all (so no request) when
    every organization is given by id or created by the stack. Skipped when the provider is not configured
    through ``auth0:`` stack config or ``AUTH0_*`` variables (an explicit provider of the program's own).
    """
    command = Command.PREVIEW if pulumi.runtime.is_dry_run() else Command.UP
    needed = scopes_for(command, config)
    if not needed:
        return
    credentials = ManagementCredentials.of_provider(provider, os.environ)
    if credentials is None:
        return
    try:
        granted = granted_scopes(credentials)
    except ManagementTokenError as error:
        raise pulumi.RunError(f"{source}: {error}. Nothing was deployed.") from None
    missing = {scope: why for scope, why in needed.items() if scope not in granted}
    if missing:
        raise pulumi.RunError(missing_scopes_message(command, missing, credentials.who, source) + " Nothing was deployed.")


def read_pulumi_config() -> tuple[dict[str, Any], frozenset[str]]:
    """Every config key as the Pulumi engine passed it to this program (text), and which ones are secrets.

    ``pulumi.Config`` can only fetch keys it is asked for; reading the whole map is what lets a typo
    such as ``auth0-m2m:aplications`` (or a namespace such as ``auth0_m2m:``) fail validation instead of
    being ignored.
    """
    from pulumi.runtime import config as runtime_config

    values = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    secret_keys = set(runtime_config.get_config_secret_keys_env())
    secret_keys.update(key for key in values if runtime_config.is_config_secret(key))
    return {key: value if isinstance(value, str) or value is None else str(value) for key, value in values.items()}, frozenset(secret_keys)


def estate_outputs(estate: Estate, config: StackConfig) -> dict[str, Any]:
    """What operators and the access check need from an estate, by the contract's output keys (the Python
    program's stack outputs, and the component package's Estate outputs). Client secrets only as a Pulumi secret."""
    return {
        contract.OUTPUT_ENVIRONMENT: config.environment,
        contract.OUTPUT_ORGANIZATION_IDS: estate.organization_ids,
        contract.OUTPUT_APPLICATIONS: {
            name: {
                contract.COMPONENT_CLIENT_ID: app.client_id,
                contract.COMPONENT_AUTHENTICATION_METHOD: config.application(name).authentication_method.value,
                contract.COMPONENT_GRANT_IDS: app.grant_ids,
                contract.COMPONENT_AUTHORIZED_ORGANIZATIONS: app.authorized_organizations,
                "default_organization": config.application(name).default_organization,
            }
            for name, app in estate.applications.items()
        },
        # Only applications that authenticate with a secret have one; private_key_jwt applications sign with
        # keys the project never sees.
        contract.OUTPUT_CLIENT_SECRETS: pulumi.Output.secret(
            {name: app.client_secret for name, app in estate.applications.items() if app.client_secret is not None}
        ),
        contract.OUTPUT_ANY_ORGANIZATION_JUSTIFICATIONS: {
            f"{app.name}/{config.apis[grant.api].identifier}": grant.justification
            for app in config.applications
            for grant in app.grants
            if grant.allow_any_organization
        },
    }


def export_estate(estate: Estate, config: StackConfig) -> None:
    """Stack outputs: :func:`estate_outputs`, exported."""
    for key, value in estate_outputs(estate, config).items():
        pulumi.export(key, value)
