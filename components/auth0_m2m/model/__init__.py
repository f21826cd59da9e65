"""The model: the stack configuration, its rules, and Auth0's access decision. Knows nothing of Pulumi."""

from .access import Decision, Expectation, accepts_organizations, decide, default_organization_applies, expected_access
from .config import (
    ApiConfig,
    ApplicationConfig,
    AuthenticationMethod,
    GrantConfig,
    OrganizationConfig,
    OrganizationUsage,
    StackConfig,
)
from .errors import Problem, StackConfigError, UnreadableStackFile
from .loading import (
    Limits,
    StackFile,
    load_stack_file,
    parse_stack_text,
    read_stack_file,
    validate_engine_config,
)
from .validation import parse_application, validate, validate_application

__all__ = [
    "ApiConfig",
    "ApplicationConfig",
    "AuthenticationMethod",
    "Decision",
    "Expectation",
    "GrantConfig",
    "Limits",
    "OrganizationConfig",
    "OrganizationUsage",
    "Problem",
    "StackConfig",
    "StackConfigError",
    "StackFile",
    "UnreadableStackFile",
    "accepts_organizations",
    "decide",
    "default_organization_applies",
    "expected_access",
    "load_stack_file",
    "parse_application",
    "parse_stack_text",
    "read_stack_file",
    "validate",
    "validate_application",
    "validate_engine_config",
]
