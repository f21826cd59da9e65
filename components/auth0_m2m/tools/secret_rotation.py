"""Rotating the client secret of a secret-based application, with the new secret only ever in Pulumi's state.

1. Auth0's ``POST /clients/{id}/rotate-secret`` (``update:client_keys``) gives the client a new secret; the
   old one stops working at once (Auth0 keeps no second secret, so a secret cannot be rotated without a
   gap: applications that must never stop use private_key_jwt and rotate keys). The answer, which carries
   the new secret, is dropped unread.
2. ``pulumi refresh --run-program --target <the application's credentials>`` reads the new secret into the
   stack's state as a Pulumi secret (encrypted by the stack's secrets provider) and updates the stack
   output ``client_secrets``, from where the workload's deployment takes it.
3. The new secret in the state is compared with the tenant's, in memory, and neither is printed.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any, Callable, Optional

from ..contract import CLIENT_CREDENTIALS_TYPE, OUTPUT_APPLICATIONS, OUTPUT_CLIENT_SECRETS, SCOPES_CHECKED_VARIABLE
from ..model.errors import StackConfigError
from ..model.loading import load_stack_file, stack_path
from .management import ManagementClient, ManagementError
from .pulumi_cli import PulumiError, pulumi_read


class SecretRotationError(RuntimeError):
    """The rotation could not be made or finished; the message says what was done and what is left.

    ``usage``: the request itself is wrong (unknown or key-based application), nothing was done.
    """

    def __init__(self, message: str, usage: bool = False):
        super().__init__(message)
        self.usage = usage


def rotate_secret(
    stack: str,
    application: str,
    project_dir: Path,
    tenant_config: Callable[[str], str],
    verify: Any = True,
    say: Callable[[str], None] = print,
) -> str:
    """Rotate ``application``'s secret and store the new one in ``stack``; returns a summary for the operator."""
    try:
        config = load_stack_file(stack_path(project_dir, stack))
    except StackConfigError as error:
        raise SecretRotationError(str(error), usage=True) from None
    app = next((a for a in config.applications if a.name == application), None)
    if app is None:
        raise SecretRotationError(f"stack {stack!r} has no application {application!r}", usage=True)
    if not app.uses_secret:
        raise SecretRotationError(
            f"{application!r} authenticates with private_key_jwt and has no secret; rotate its key instead "
            "(add the new public key, deploy, switch the workload, remove the old key)",
            usage=True,
        )
    try:
        outputs = json.loads(pulumi_read(stack, "stack", "output", OUTPUT_APPLICATIONS, "--json", cwd=project_dir))
        resources = json.loads(pulumi_read(stack, "stack", "export", cwd=project_dir))["deployment"]["resources"]
    except PulumiError as error:
        raise SecretRotationError(str(error)) from None
    client_id = (outputs.get(application) or {}).get("client_id")
    # The credentials' resource name is auth0_m2m.resources.naming.credentials(application); importing the
    # resources (and with them Pulumi's SDK) only for it would slow every command down.
    urn = next(
        (r["urn"] for r in resources
         if r["type"] == CLIENT_CREDENTIALS_TYPE and r["urn"].endswith(f"::{application}/credentials")),
        None,
    )
    if client_id is None or urn is None:
        raise SecretRotationError(f"{application!r} is not deployed in stack {stack!r} (run pulumi up first)", usage=True)

    tenant = ManagementClient(
        tenant_config("auth0:domain"), tenant_config("auth0:clientId"), tenant_config("auth0:clientSecret"), verify=verify
    )
    try:
        try:
            tenant.rotate_secret(client_id)
        except ManagementError as error:
            raise SecretRotationError(f"{error}; nothing was changed (rotating needs update:client_keys)") from None
        say(f"rotated the client secret of {application} ({client_id}) in the tenant; the old secret no longer works")
        refresh = ["pulumi", "refresh", "--yes", "--skip-preview", "--non-interactive", "--run-program",
                   "--target", urn, "--stack", stack]
        # The refresh runs the program; the scopes of this command were checked before the rotation.
        environment = {**os.environ, SCOPES_CHECKED_VARIABLE: "rotate-secret"}
        result = subprocess.run(refresh, cwd=project_dir, capture_output=True, text=True, env=environment)
        if result.returncode != 0:
            raise SecretRotationError(
                f"the secret was rotated, but storing it in the stack failed:\n{_pulumi_error(result)}\n"
                f"finish with: pulumi refresh --run-program --target '{urn}' --stack {stack}"
            )
        stored = _stored_secret(stack, application, project_dir)
        try:
            current = tenant.client_secret(client_id)
        except ManagementError as error:
            raise SecretRotationError(
                f"the secret was rotated and stored in the stack, but it could not be compared with the tenant's "
                f"({error}; reading a secret needs read:client_keys)"
            ) from None
    finally:
        tenant.close()
    if stored is None or current is None or stored != current:
        raise SecretRotationError(
            f"the secret was rotated, but the stack output {OUTPUT_CLIENT_SECRETS}.{application} does not hold it; "
            f"run: pulumi refresh --run-program --target '{urn}' --stack {stack}"
        )
    return (
        f"stack {stack}: the new secret of {application} is stored as a Pulumi secret in the stack's state and in the "
        f"output {OUTPUT_CLIENT_SECRETS} (pulumi stack output {OUTPUT_CLIENT_SECRETS} --show-secrets); give it to the "
        "workload now"
    )


def _stored_secret(stack: str, application: str, project_dir: Path) -> Optional[str]:
    secrets = json.loads(
        pulumi_read(stack, "stack", "output", OUTPUT_CLIENT_SECRETS, "--json", "--show-secrets", cwd=project_dir)
    )
    return secrets.get(application) if isinstance(secrets, dict) else None


def _pulumi_error(result: subprocess.CompletedProcess) -> str:
    """What Pulumi said went wrong: its error lines (Pulumi prints them on stdout), else the end of its output."""
    lines = [line.strip() for line in (result.stdout + "\n" + result.stderr).splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error:")]
    return "\n".join(errors or lines[-5:])
