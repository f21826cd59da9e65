"""The auth0 provider plugin behind the library's resources: the project's build, or a refusal before any change.

Every auth0 resource and function of the library asks the engine for plugin version
:data:`~auth0_m2m.contract.PROVIDER_VERSION`, which only the project's build has: with the default provider an
official plugin is never picked (a machine without the build fails when the provider loads, before the first
change). A program can still hand the library another plugin (an explicit ``auth0.Provider`` created at
pulumi-auth0's own version, a ``pulumi-resource-auth0`` found on ``PATH``), so before a component registers
any child it asks the serving plugin for the build marker (:data:`~auth0_m2m.contract.PROVIDER_BUILD_FUNCTION`,
a function that makes no tenant request). A plugin without the link-read fix reads only an organization's
first 50 links: then an organization with more authorized grants than that is refused up front, naming the
organization and the count; fewer get a warning.
"""

from __future__ import annotations

import os
import shutil
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping, Optional

import pulumi
from pulumi.runtime import invoke
from pulumi.runtime.mocks import MockMonitor
from pulumi.runtime.settings import get_monitor

from ..contract import (
    PROVIDER_BUILD_FUNCTION,
    PROVIDER_LINK_READ_FIX,
    PROVIDER_VERSION,
    UPSTREAM_LINKS_READ_PER_ORGANIZATION,
)

#: How a user gets the plugin (README "One provider everywhere").
INSTALL_HINT = (
    "install the project's auth0 plugin (`scripts/bootstrap`, or `scripts/bootstrap --provider-only` next to an "
    f"official Pulumi install, or `pulumi plugin install resource auth0 {PROVIDER_VERSION} --file <the plugin "
    "your CI built>`), and give the library no auth0.Provider of another version "
    f"(create one with `opts=pulumi.ResourceOptions(version=auth0_m2m.PROVIDER_VERSION)`)"
)


def resource_options(**kwargs) -> pulumi.ResourceOptions:
    """Options for an auth0 resource the library creates: the project's plugin version, plus ``kwargs``."""
    return pulumi.ResourceOptions(version=PROVIDER_VERSION, **kwargs)


def invoke_output_options(**kwargs) -> pulumi.InvokeOutputOptions:
    """Options for an auth0 function the library calls: the project's plugin version, plus ``kwargs``."""
    return pulumi.InvokeOutputOptions(version=PROVIDER_VERSION, **kwargs)


class ProviderError(pulumi.RunError):
    """The plugin serving the library's resources cannot do what the program asks (Pulumi prints no traceback)."""


@dataclass(frozen=True)
class ProviderBuild:
    """What the serving plugin says about itself."""

    known: bool
    """False during a preview when the provider's configuration is not known yet (checked again by `up`)."""
    version: Optional[str] = None
    fixes: frozenset[str] = frozenset()

    @property
    def reads_every_link(self) -> bool:
        return PROVIDER_LINK_READ_FIX in self.fixes


_builds: dict[object, ProviderBuild] = {}
_links: dict[object, Counter] = {}
_warned: set[object] = set()


def _serving_provider(opts: pulumi.ResourceOptions) -> Optional[pulumi.ProviderResource]:
    """The explicit auth0 provider a component created with ``opts`` hands its children, if any."""
    candidates: list = [opts.provider] if opts.provider is not None else []
    if opts.providers:
        candidates += list(opts.providers.values() if isinstance(opts.providers, Mapping) else opts.providers)
    for provider in candidates:
        if getattr(provider, "package", None) == "auth0":
            return provider
    return opts.parent.get_provider(PROVIDER_BUILD_FUNCTION) if opts.parent is not None else None


def _truthy(value: Optional[str]) -> bool:
    """How Pulumi reads a boolean environment variable ("1" or "true", any case)."""
    return (value or "").strip().lower() in ("1", "true")


def missing_plugin_location() -> Optional[str]:
    """Where Pulumi would look for the project's plugin, when it is certainly not there (else None).

    The engine finds a resource plugin, in this order, in the project's ``plugins:`` (Pulumi.yaml), on ``PATH``
    (unless ``PULUMI_IGNORE_AMBIENT_PLUGINS``), then in ``$PULUMI_HOME/plugins`` (default ``~/.pulumi``) by exact
    version for a prerelease such as this one. Without it, the engine fails the default provider and interrupts
    the program (Python then prints a KeyboardInterrupt traceback, and nothing says which organization an
    official plugin would have cut short). Any doubt (project plugins, a home Pulumi cannot write to, legacy
    plugin search) answers None: the engine then decides, as before.
    """
    if _truthy(os.environ.get("PULUMI_ENABLE_LEGACY_PLUGIN_SEARCH")):
        return None
    project = Path("Pulumi.yaml")
    if not project.is_file() or any(line.startswith("plugins:") for line in project.read_text().splitlines()):
        return None
    if not _truthy(os.environ.get("PULUMI_IGNORE_AMBIENT_PLUGINS")) and shutil.which("pulumi-resource-auth0"):
        return None
    home = os.environ.get("PULUMI_HOME")
    if not home:
        home = str(Path.home() / ".pulumi")
        if not os.access(home, os.W_OK):  # Pulumi then falls back to a shared directory of its own
            return None
    plugin = Path(home) / "plugins" / f"resource-auth0-v{PROVIDER_VERSION}"
    if plugin.exists():
        return None
    return f"{plugin}/ (or a pulumi-resource-auth0 on PATH)"


def _key(provider: Optional[pulumi.ProviderResource]) -> object:
    """One entry per provider per program run (unit tests run several programs in one process)."""
    return (id(get_monitor()), "default" if provider is None else id(provider))


def serving_build(opts: pulumi.ResourceOptions) -> ProviderBuild:
    """Ask the plugin that will serve the auth0 children of a component created with ``opts`` who it is (once per
    provider and program run). Called before the component registers, so that nothing is in flight if it fails."""
    provider = _serving_provider(opts)
    key = _key(provider)
    if key in _builds:
        return _builds[key]
    options = pulumi.InvokeOptions(parent=opts.parent, provider=provider, version=PROVIDER_VERSION)
    try:
        result = invoke(PROVIDER_BUILD_FUNCTION, {}, opts=options)
    except Exception as error:  # noqa: BLE001 - the engine's and the plugin's errors come as plain Exceptions
        if "unrecognized data function" not in str(error):
            # Most often the plugin is missing: the engine's message names the version it looked for.
            raise ProviderError(
                f"the auth0 provider plugin {PROVIDER_VERSION} (the auth0-m2m build) could not be used: {error}\n"
                f"Nothing was deployed. To fix it, {INSTALL_HINT}."
            ) from None
        build = ProviderBuild(known=True)
    else:
        value = result.value or {}
        if not result.is_known:
            build = ProviderBuild(known=False)
        else:
            build = ProviderBuild(known=True, version=value.get("version"), fixes=frozenset(value.get("fixes") or ()))
    _builds[key] = build
    return build


def require_link_capacity(
    opts: Optional[pulumi.ResourceOptions], links: Mapping[str, int], source: str, *, record: bool = True
) -> None:
    """Refuse, before a component created with ``opts`` registers, organizations with more links than the plugin
    serving it reads.

    ``links``: organization -> grants the component authorizes for it. Counts add up over every component served
    by one provider in this program (``record``: add them; an Estate checks its whole estate first without
    recording, then each application records its own).
    """
    opts = opts or pulumi.ResourceOptions()
    provider = _serving_provider(opts)
    key = _key(provider)
    ledger = _links.setdefault(key, Counter())
    mine = {org: n for org, n in links.items() if n}
    # Only this component's organizations can cross the limit now (the ledger's others were checked before): no
    # copy of the whole ledger per application.
    totals = {org: ledger[org] + n for org, n in mine.items()}
    over = sorted((org, n) for org, n in totals.items() if n > UPSTREAM_LINKS_READ_PER_ORGANIZATION)
    if provider is None and not isinstance(get_monitor(), MockMonitor):
        # The default provider asks for the project's version: name what is missing before the engine fails on it.
        location = missing_plugin_location()
        if location is not None:
            counted = "; ".join(
                f"organization {org!r} has {n} authorized grants (more than {UPSTREAM_LINKS_READ_PER_ORGANIZATION}, "
                "all an official pulumi-auth0 plugin reads)"
                for org, n in over
            )
            raise ProviderError(
                f"{source}: {counted + '; ' if counted else ''}the auth0 provider plugin {PROVIDER_VERSION} (the "
                f"auth0-m2m build, which reads every link) is not installed where Pulumi looks: {location}. "
                f"Nothing was deployed. To fix it, {INSTALL_HINT}."
            )
    build = serving_build(opts)
    if record:
        ledger.update(mine)
    if not build.known or build.reads_every_link:
        return
    what = (
        f"the auth0 provider plugin serving this program is not the auth0-m2m build {PROVIDER_VERSION}"
        + (f" (it says it is {build.version}, without the fix {PROVIDER_LINK_READ_FIX!r})" if build.version else "")
        + f": like the official pulumi-auth0 plugin, it reads only the first {UPSTREAM_LINKS_READ_PER_ORGANIZATION}"
        " of an organization's linked grants, so a link beyond them fails to create and disappears on refresh"
    )
    if over:
        listed = "; ".join(
            f"organization {org!r} has {n} authorized grants (more than {UPSTREAM_LINKS_READ_PER_ORGANIZATION})"
            for org, n in over
        )
        raise ProviderError(f"{source}: {listed}; {what}. Nothing was deployed. To fix it, {INSTALL_HINT}.")
    if key not in _warned:
        _warned.add(key)
        pulumi.log.warn(
            f"{source}: {what}. Every organization here has at most {UPSTREAM_LINKS_READ_PER_ORGANIZATION} "
            f"(counting every stack's links to it in the tenant, keep it so), or {INSTALL_HINT}."
        )


def links_per_organization(grants_organizations: Iterable[Iterable[str]]) -> dict[str, int]:
    """Organization -> number of grants authorized for it, from each grant's organization list."""
    return dict(Counter(org for organizations in grants_organizations for org in organizations))
