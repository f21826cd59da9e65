"""Auth0 machine-to-machine applications, their client grants and organization access, as Pulumi components.

Three parts, imported one way (tools -> resources -> model):

- :mod:`auth0_m2m.model`: the stack configuration, its rules, Auth0's access decision (no Pulumi);
- :mod:`auth0_m2m.resources`: the ``Estate`` and ``M2MApplication`` components, their names and protection;
- :mod:`auth0_m2m.tools`: the ``auth0-m2m`` command line (the ``tools`` extra);

and :mod:`auth0_m2m.contract`, the names and shapes other parts rely on.

Typical use in a Pulumi program::

    from auth0_m2m import Estate, export_estate, load_program_config

    config = load_program_config()          # validated whole, before any resource exists
    export_estate(Estate(config.environment, config), config)
"""

from importlib.metadata import PackageNotFoundError, version

from .contract import NAMESPACE, stack_file_name
from .model import (
    ApiConfig,
    ApplicationConfig,
    AuthenticationMethod,
    Decision,
    Expectation,
    GrantConfig,
    OrganizationConfig,
    OrganizationUsage,
    Problem,
    StackConfig,
    StackConfigError,
    UnreadableStackFile,
    decide,
    expected_access,
    load_stack_file,
    read_stack_file,
    validate,
)
from .resources import (
    Estate,
    M2MApplication,
    M2MApplicationArgs,
    export_estate,
    load_program_config,
    read_pulumi_config,
)

try:
    __version__ = version("auth0-m2m")
except PackageNotFoundError:  # imported from a source tree that was not installed
    __version__ = "0+unknown"

__all__ = [
    "ApiConfig",
    "ApplicationConfig",
    "AuthenticationMethod",
    "Decision",
    "Estate",
    "Expectation",
    "GrantConfig",
    "M2MApplication",
    "M2MApplicationArgs",
    "NAMESPACE",
    "OrganizationConfig",
    "OrganizationUsage",
    "Problem",
    "StackConfig",
    "StackConfigError",
    "UnreadableStackFile",
    "__version__",
    "decide",
    "expected_access",
    "export_estate",
    "load_program_config",
    "load_stack_file",
    "read_pulumi_config",
    "read_stack_file",
    "stack_file_name",
    "validate",
]
