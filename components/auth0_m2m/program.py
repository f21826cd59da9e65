"""Glue for Pulumi programs: read this stack's configuration, validate it, export what the estate made."""

from __future__ import annotations

import pulumi

from .config import StackConfig
from .errors import StackConfigError
from .estate import Estate
from .loading import NAMESPACE, read_pulumi_config, stack_file_name, validate


def load_program_config(namespace: str = NAMESPACE, config_dir: str = "stacks") -> StackConfig:
    """The current stack's configuration, validated whole; a bad stack stops here with every problem listed.

    Raises ``pulumi.RunError`` (Pulumi prints the message without a traceback) so that the engine
    reports the failure before any resource has been registered.
    """
    source = stack_file_name(pulumi.get_stack(), config_dir)
    try:
        return validate(read_pulumi_config(namespace), source)
    except StackConfigError as error:
        raise pulumi.RunError(str(error)) from None


def export_estate(estate: Estate, config: StackConfig) -> None:
    """Stack outputs: what operators and the access check need. Client secrets only as Pulumi secrets."""
    pulumi.export("environment", config.environment)
    pulumi.export("organization_ids", estate.organization_ids)
    pulumi.export(
        "applications",
        {
            name: {
                "client_id": app.client_id,
                "grant_ids": app.grant_ids,
                "authorized_organizations": app.authorized_organizations,
                "default_organization": config.application(name).default_organization,
            }
            for name, app in estate.applications.items()
        },
    )
    pulumi.export("client_secrets", pulumi.Output.secret({name: app.client_secret for name, app in estate.applications.items()}))
    justifications = {
        f"{app.name}/{config.apis[grant.api].identifier}": grant.justification
        for app in config.applications
        for grant in app.grants
        if grant.allow_any_organization
    }
    pulumi.export("any_organization_justifications", justifications)
