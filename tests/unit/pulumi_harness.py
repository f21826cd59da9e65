"""Run Pulumi code under mocks and record every registration the engine would have received.

The stock mock monitor keeps inputs and state; a test of a component also needs what the engine sees
beside them: the parent, protection, aliases and transforms of each resource.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import pulumi
from pulumi.runtime import mocks, settings

# Only pulumi and the library: tests/packaging/consumer.py imports this module in a virtual environment that has
# nothing else (so the mock tenant takes its type tokens from the library, not from tests/type_tokens.py).
from auth0_m2m import contract

PROJECT = "auth0-m2m"


@dataclass
class Registration:
    urn: str
    id: str
    type: str
    name: str
    parent: str
    custom: bool
    protect: bool
    inputs: dict
    transforms: int
    aliases: list = field(default_factory=list)
    version: str = ""
    import_id: str = ""
    ignore_changes: list = field(default_factory=list)

    @property
    def parent_type(self) -> Optional[str]:
        return self.parent.split("::")[2].split("$")[-1] if self.parent else None

    @property
    def parent_name(self) -> Optional[str]:
        return self.parent.split("::")[3] if self.parent else None


class TenantMocks(pulumi.runtime.Mocks):
    """Plays the provider: hands out ids shaped like Auth0's and echoes inputs as state."""

    def __init__(self) -> None:
        self._counter = itertools.count(1)

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        n = next(self._counter)
        state = dict(args.inputs)
        if args.typ == contract.CLIENT_TYPE:
            state["client_id"] = f"client{n:027d}"
            return state["client_id"], state
        if args.typ == contract.CLIENT_CREDENTIALS_TYPE:
            state["client_secret"] = f"secret-{n}-do-not-print"
            return f"cred{n}", state
        if args.typ == contract.CLIENT_GRANT_TYPE:
            return f"cgr_{n:016d}", state
        if args.typ == contract.ORGANIZATION_TYPE:
            return f"org_{n:016d}", state
        if args.typ == contract.ORGANIZATION_CLIENT_GRANT_TYPE:
            return f"{args.inputs['organizationId']}::{args.inputs['grantId']}", state
        return f"{args.name}-id", state

    def call(self, args: pulumi.runtime.MockCallArgs):
        if args.token == contract.PROVIDER_BUILD_FUNCTION:
            return {"id": "auth0-m2m", "version": contract.PROVIDER_VERSION, "fixes": [contract.PROVIDER_LINK_READ_FIX]}
        if args.token == "auth0:index/getOrganization:getOrganization":
            return {"id": f"org_lookup{args.args['name']}"[:20], "name": args.args["name"]}
        return {}


class RecordingMonitor(mocks.MockMonitor):
    def __init__(self, tenant: TenantMocks) -> None:
        super().__init__(tenant)
        self.registrations: dict[str, Registration] = {}
        self.calls: list[tuple[str, dict]] = []
        self.call_versions: list[tuple[str, str]] = []
        self.call_providers: list[tuple[str, str]] = []

    def RegisterResource(self, request):
        response = super().RegisterResource(request)
        self.registrations[response.urn] = Registration(
            urn=response.urn,
            id=response.id,
            type=request.type,
            name=request.name,
            parent=request.parent,
            custom=request.custom,
            protect=request.protect,
            inputs=dict(pulumi.runtime.rpc.deserialize_properties(request.object)),
            transforms=len(request.transforms),
            aliases=list(request.aliases),
            version=request.version,
            import_id=request.importId,
            ignore_changes=list(request.ignoreChanges),
        )
        return response

    def Invoke(self, request):
        self.calls.append((request.tok, dict(pulumi.runtime.rpc.deserialize_properties(request.args))))
        self.call_versions.append((request.tok, request.version))
        self.call_providers.append((request.tok, request.provider))
        return super().Invoke(request)

    def of_type(self, type_: str) -> list[Registration]:
        return sorted((r for r in self.registrations.values() if r.type == type_), key=lambda r: r.name)

    def by_name(self, type_: str, name: str) -> Registration:
        return next(r for r in self.registrations.values() if r.type == type_ and r.name == name)


def run(
    program: Callable[[], Any], stack: str = "test", config: Optional[dict] = None, tenant: Optional[TenantMocks] = None
) -> RecordingMonitor:
    """Run ``program`` under mocks (``tenant``, default ``TenantMocks``) until every registration finished; return
    what was registered."""
    monitor = RecordingMonitor(tenant or TenantMocks())
    settings.ROOT.set(None)
    pulumi.runtime.set_all_config(config or {})
    mocks.set_mocks(monitor.mocks, project=PROJECT, stack=stack, preview=False, monitor=monitor)

    @pulumi.runtime.test
    def body():
        return program()

    body()
    return monitor


async def capture(outputs: dict[str, pulumi.Output]) -> dict[str, tuple[Any, bool]]:
    """Each output's value and whether it is secret; return this from the program passed to ``run``."""
    return {key: (await output.future(), await output.is_secret()) for key, output in outputs.items()}
