"""Auth0 machine-to-machine applications, their client grants and organization access, as Pulumi components.

Three parts, imported one way (tools -> resources -> model):

- :mod:`auth0_m2m.model`: the stack configuration, its rules, Auth0's access decision (no Pulumi);
- :mod:`auth0_m2m.resources`: the ``Estate`` and ``M2MApplication`` components, their names and protection;
- :mod:`auth0_m2m.tools`: the ``auth0-m2m`` command line (its dependencies are the ``tools`` extra:
  ``pip install 'auth0-m2m[tools]'``); importing the package never imports it;

and :mod:`auth0_m2m.contract`, the names and shapes other parts rely on.

Typical use in a Pulumi program::

    from auth0_m2m import Estate, export_estate, load_program_config, tune_garbage_collection

    tune_garbage_collection()               # optional: large programs evaluate 1.5-1.8x faster
    config = load_program_config()          # validated whole, before any resource exists
    export_estate(Estate(config.environment, config), config)
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

from ._version import __version__
from .contract import NAMESPACE, PROVIDER_VERSION, stack_file_name

# Exports are imported on first use: the `auth0-m2m` command (tools) needs neither Pulumi nor pulumi_auth0,
# which take seconds to import, and the workflows run it for every pull request.
_EXPORTS = {
    **{name: ".model" for name in (
        "ApiConfig", "ApplicationConfig", "AuthenticationMethod", "Decision", "Expectation", "GrantConfig",
        "OrganizationConfig", "OrganizationUsage", "Problem", "StackConfig", "StackConfigError",
        "UnreadableStackFile", "decide", "expected_access", "load_stack_file", "read_stack_file", "validate")},
    **{name: ".resources" for name in (
        "Estate", "M2MApplication", "M2MApplicationArgs", "export_estate", "load_program_config",
        "read_pulumi_config", "tune_garbage_collection")},
}


if TYPE_CHECKING:  # type checkers see the exports themselves, with their types
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
        tune_garbage_collection,
    )


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'auth0_m2m' has no attribute {name!r}")
    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value


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
    "PROVIDER_VERSION",
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
    "tune_garbage_collection",
    "validate",
]
