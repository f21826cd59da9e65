"""Error types and the two error-body dialects Auth0 speaks.

The Management API answers ``{"statusCode", "error", "message", "errorCode"}``
(``errorCode`` left out where Auth0 leaves it out, e.g. organization 404s).
The Authentication API (``/oauth/token``) answers ``{"error", "error_description"}``.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from starlette.responses import JSONResponse


# Auth0 answers ``application/json; charset=utf-8`` (as the recordings show).
JSON_MEDIA_TYPE = "application/json; charset=utf-8"


def reason(status: int) -> str:
    return HTTPStatus(status).phrase


class ApiError(Exception):
    """A Management API error; rendered as Auth0's error body."""

    def __init__(
        self,
        status: int,
        message: str,
        error_code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_code = error_code
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "statusCode": self.status,
            "error": reason(self.status),
            "message": self.message,
        }
        if self.error_code is not None:
            body["errorCode"] = self.error_code
        return body

    def response(self) -> JSONResponse:
        return JSONResponse(self.body(), status_code=self.status, headers=self.headers, media_type=JSON_MEDIA_TYPE)


class OAuthError(Exception):
    """An Authentication API error (token endpoint)."""

    def __init__(self, status: int, error: str, description: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description
        self.headers = headers or {}

    def response(self) -> JSONResponse:
        return JSONResponse(
            {"error": self.error, "error_description": self.description},
            status_code=self.status,
            media_type=JSON_MEDIA_TYPE,
            # RFC 6749 5.1/5.2: token responses must not be cached.
            headers={"Cache-Control": "no-store", "Pragma": "no-cache", **self.headers},
        )


# Frequently used Management API errors, with the exact texts the recordings show.
def client_not_found() -> ApiError:
    return ApiError(404, "The client does not exist", "inexistent_client")


def grant_not_found() -> ApiError:
    return ApiError(404, "The grant does not exist.", "inexistent_client_grant")


def resource_server_not_found() -> ApiError:
    return ApiError(404, "The resource server does not exist", "inexistent_resource_server")


def organization_not_found() -> ApiError:
    # OBSERVED: no errorCode on organization 404s.
    return ApiError(404, "No organization found by that id or name")


def payload_error(message: str) -> ApiError:
    return ApiError(400, message, "invalid_body")
