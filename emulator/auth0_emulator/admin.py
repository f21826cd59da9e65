"""Introspection and control under ``/__emulator/`` (not part of Auth0).

* ``GET  /__emulator/requests``        request counters (by method + route template, by status)
* ``POST /__emulator/requests/reset``  zero them
* ``GET  /__emulator/faults``          fault-injection and rate-limit settings
* ``PUT  /__emulator/faults``          change some of them (partial JSON object)
* ``GET  /__emulator/state``           the whole tenant, without secrets
* ``GET  /__emulator/health``          liveness

Changing the tenant itself goes through the normal Management API.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from auth0_emulator import jsonbody, store
from auth0_emulator.tenant import Tenant


def _tenant(request: Request) -> Tenant:
    return request.app.state.tenant


async def requests(request: Request) -> Response:
    return JSONResponse(_tenant(request).counters.snapshot())


async def reset_requests(request: Request) -> Response:
    _tenant(request).counters.reset()
    return JSONResponse(_tenant(request).counters.snapshot())


async def get_faults(request: Request) -> Response:
    return JSONResponse(_tenant(request).controls.snapshot())


async def put_faults(request: Request) -> Response:
    try:
        changes = jsonbody.parse(await request.body() or b"{}")
        if not isinstance(changes, dict):
            raise ValueError("the body must be a JSON object")
        return JSONResponse(_tenant(request).controls.update(changes))
    except (ValueError, TypeError) as err:
        return JSONResponse({"error": "invalid_settings", "message": str(err)}, status_code=400)


async def state(request: Request) -> Response:
    tenant = _tenant(request)
    with tenant.store.read() as conn:
        return JSONResponse(store.dump(conn))


async def health(request: Request) -> Response:
    return JSONResponse({"status": "ok", "domain": _tenant(request).domain})


ROUTES = [
    Route("/__emulator/requests", requests, methods=["GET"]),
    Route("/__emulator/requests/reset", reset_requests, methods=["POST"]),
    Route("/__emulator/faults", get_faults, methods=["GET"]),
    Route("/__emulator/faults", put_faults, methods=["PUT"]),
    Route("/__emulator/state", state, methods=["GET"]),
    Route("/__emulator/health", health, methods=["GET"]),
]
