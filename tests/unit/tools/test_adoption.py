"""The adopting update's error message: what a user reads when `pulumi up` fails under `auth0-m2m import`."""

from __future__ import annotations

import subprocess

import pytest

from auth0_m2m.tools.adoption import _last_error

GRANT = "urn:pulumi:local::auth0-m2m::auth0:index/clientGrant:ClientGrant::probe/https://orders.api.example.com/"
PROGRESS = f""" =  auth0:index:ClientGrant probe **importing failed** error: diffing {GRANT}: 1 error occurred:
 +  pulumi:pulumi:Stack auth0-m2m-local creating (0s) error: Resource monitor has terminated, shutting down
Diagnostics:
  auth0:index:ClientGrant (probe/https://orders.api.example.com/):
    error:   sdk-v2/provider2.go:572: sdk.helper_schema: either `scopes` must be provided: provider=auth0@3.41.0
    error: diffing {GRANT}: 1 error occurred:
    \t* either `scopes` must be provided or `allow_all_scopes` must be set to `true`

  pulumi:pulumi:Stack (auth0-m2m-local):
    error: Resource monitor has terminated, shutting down
"""


def failed(stdout: str = "", stderr: str = "") -> subprocess.CompletedProcess:
    return subprocess.CompletedProcess(["pulumi", "up"], 255, stdout=stdout, stderr=stderr)


@pytest.mark.parametrize(
    "stdout, stderr, expected",
    [
        ("", "error: the stack is locked\n", "error: the stack is locked"),
        ("Updating...\nsomething went wrong\n\n", "", "something went wrong"),
        ("", "", "exit code 255"),
        ("", "error: Resource monitor has terminated, shutting down\n", "error: Resource monitor has terminated, shutting down"),
        # A provider's list of errors keeps its reasons (the progress line repeats the first line without them).
        (
            f"error: diffing {GRANT}: 2 errors occurred:\n\t* first reason\n\t* second reason\n\nResources:\n",
            "",
            f"error: diffing {GRANT}: 2 errors occurred: first reason second reason",
        ),
    ],
    ids=["stderr", "no-error-line", "nothing", "monitor-alone", "reasons"],
)
def test_the_last_error_is_one_line(stdout, stderr, expected):
    assert _last_error(failed(stdout, stderr)) == expected


def test_a_list_of_errors_is_reported_with_its_reasons_from_the_diagnostics():
    # The diagnostics end with the program's "Resource monitor has terminated", a consequence: not what is named.
    message = _last_error(failed(PROGRESS))
    assert message == (f"error: diffing {GRANT}: 1 error occurred: either `scopes` must be provided or "
                       "`allow_all_scopes` must be set to `true`")
