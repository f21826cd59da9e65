"""Auth0 machine-to-machine applications, their client grants and organization access, as Pulumi components.

Typical use in a Pulumi program::

    from auth0_m2m import Estate, load_program_config

    config = load_program_config()          # validated whole, before any resource exists
    Estate(config.environment, config)
"""

from .access import Decision, Expectation, decide, expected_access
from .application import M2MApplication, M2MApplicationArgs
from .config import (
    ApiConfig,
    ApplicationConfig,
    AuthenticationMethod,
    GrantConfig,
    OrganizationConfig,
    OrganizationUsage,
    StackConfig,
)
from .errors import Problem, StackConfigError
from .estate import Estate
from .loading import NAMESPACE, load_stack_file, read_pulumi_config, stack_file_name, validate
from .program import load_program_config

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
    "decide",
    "expected_access",
    "load_program_config",
    "load_stack_file",
    "read_pulumi_config",
    "stack_file_name",
    "validate",
]
