"""Conventions every ``auth0-m2m`` command follows: exit codes, ``--json``, errors without tracebacks.

A command reports through :func:`finish` (its result, human or JSON) or by raising: a
:class:`~auth0_m2m.model.errors.StackConfigError` (exit 1, or 2 when the file cannot be read at all), a
:class:`CommandError` (any exit code, a message and what to check), or any exception from the network,
Pulumi or git, which :func:`describe` turns into one line saying what to check. :class:`Group` catches
all of them, so no traceback reaches a user; set ``AUTH0_M2M_DEBUG=1`` to see one.

With ``--json`` a command prints exactly one JSON document on stdout, the :func:`envelope`, whatever
happens (except click's own usage errors, printed on stderr with exit 2); its ``result`` is described by
the command's model in :mod:`auth0_m2m.tools.schemas` (``auth0-m2m schema COMMAND`` prints the JSON Schema).
"""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
import traceback
from enum import IntEnum
from typing import Any, Callable, Iterable, Optional

import click
import httpx

from ..model.errors import Problem, StackConfigError


class Exit(IntEnum):
    """Exit codes of every ``auth0-m2m`` command (documented in the README, used by the workflows)."""

    OK = 0
    """Done: the stack files are valid, the report or diff was written, every token matched."""
    FINDINGS = 1
    """The answer is "no": a stack's configuration is invalid (a diff's head), or tokens differ from it."""
    USAGE = 2
    """Wrong arguments, or input that cannot be read: a missing file, a file Pulumi would not read as a stack
    file (not UTF-8, YAML errors, duplicate keys, over the limits), an unknown git revision."""
    EXTERNAL = 3
    """Something the command depends on failed: the tenant (network, TLS, HTTP errors), the pulumi CLI, git."""
    INTERNAL = 4
    """A bug in auth0-m2m (the message says so; AUTH0_M2M_DEBUG=1 shows the traceback)."""
    INTERRUPTED = 130
    """Interrupted (Ctrl-C)."""


#: Version of the ``--json`` envelope and result shapes; changes only with a breaking change.
SCHEMA_VERSION = 1


class CommandError(click.ClickException):
    """End a command with a message, an exit code and, optionally, what to check."""

    def __init__(self, message: str, exit_code: int = Exit.EXTERNAL, kind: str = "external"):
        super().__init__(message)
        self.exit_code = int(exit_code)
        self.kind = kind


def json_option(command: Callable) -> Callable:
    """``--json``: one JSON document on stdout (the envelope) instead of text."""

    def remember(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
        ctx.find_root().meta["auth0_m2m.json"] = value
        return value

    return click.option("--json", "as_json", is_flag=True, is_eager=True, expose_value=True, callback=remember,
                        help="Print one JSON document (see `auth0-m2m schema COMMAND`) instead of text.")(command)


def wants_json(ctx: Optional[click.Context] = None) -> bool:
    ctx = ctx or click.get_current_context(silent=True)
    return bool(ctx and ctx.find_root().meta.get("auth0_m2m.json"))


def envelope(command: str, exit_code: int, result: Any = None, errors: Iterable[dict] = ()) -> dict:
    """The one JSON document a command prints with ``--json``."""
    from .. import __version__

    return {
        "schema": f"auth0-m2m/{command}/v{SCHEMA_VERSION}",
        "version": __version__,
        "command": command,
        "ok": int(exit_code) == Exit.OK,
        "exit_code": int(exit_code),
        "result": result,
        "errors": list(errors),
    }


def problem_errors(error: StackConfigError) -> list[dict]:
    kind = "unreadable" if error.unreadable else "config"
    return [{"kind": kind, **problem.as_dict(error.source)} for problem in error.problems]


def message_error(kind: str, message: str) -> dict:
    """An error that is not about a place in a stack file, in the shape of :meth:`Problem.as_dict`."""
    return {"kind": kind, **Problem(field="", message=message).as_dict("")} | {"file": None, "text": message}


def finish(command: str, exit_code: int, result: Any, human: Callable[[], None], errors: Iterable[dict] = ()) -> None:
    """Print the result (``human()``, or the envelope with ``--json``) and exit with ``exit_code``."""
    if wants_json():
        click.echo(json.dumps(envelope(command, exit_code, result, errors), indent=2, ensure_ascii=False))
    else:
        human()
    sys.exit(int(exit_code))


def describe(error: BaseException) -> tuple[int, str, str]:
    """(exit code, kind, one-line message saying what to check) for an exception a command let through."""
    from .pulumi_cli import PulumiError

    if isinstance(error, PulumiError):
        return Exit.EXTERNAL, "external", str(error)
    if isinstance(error, httpx.HTTPError):
        return Exit.EXTERNAL, "external", describe_http_error(error)
    if isinstance(error, ssl.SSLError):
        return Exit.EXTERNAL, "external", f"TLS error: {error}; {_CA_HINT}"
    if isinstance(error, FileNotFoundError) and error.filename and str(error.filename).endswith(("pulumi", "git")):
        return Exit.EXTERNAL, "external", f"{error.filename} is not installed or not on PATH"
    if isinstance(error, subprocess.CalledProcessError):
        stderr = error.stderr.decode("utf-8", "replace") if isinstance(error.stderr, bytes) else (error.stderr or "")
        return Exit.EXTERNAL, "external", f"`{' '.join(map(str, error.cmd))}` failed ({error.returncode}): {stderr.strip()[:500]}"
    if isinstance(error, OSError):
        return Exit.EXTERNAL, "external", f"{error.strerror or error}: {error.filename or ''}".rstrip(": ")
    return Exit.INTERNAL, "internal", (f"internal error ({type(error).__name__}: {str(error)[:300]}); this is a bug in "
                                       "auth0-m2m: run again with AUTH0_M2M_DEBUG=1 for the traceback and report it")


_CA_HINT = ("check the CA bundle: --ca-cert or SSL_CERT_FILE (for the local tenant: "
            "eval \"$(scripts/local-tenant env)\" sets SSL_CERT_FILE to its CA; for a real Auth0 tenant, unset "
            "SSL_CERT_FILE so the system's CAs are used)")


def describe_http_error(error: httpx.HTTPError) -> str:
    """What went wrong talking to a tenant, and what to check."""
    url = ""
    try:
        request = error.request
        url = f"{request.method} {request.url.copy_with(query=None)}"
    except RuntimeError:
        pass
    where = f" ({url})" if url else ""
    if isinstance(error, httpx.HTTPStatusError):
        status = error.response.status_code
        hint = {
            401: "check the client id and secret (auth0:clientId, auth0:clientSecret)",
            403: "check the client's scopes on the Management API (see the README, 'Pointing a stack at a real "
                 "tenant')",
            404: "check the tenant domain (auth0:domain)",
            429: "the tenant's rate limit was hit; try again later",
        }.get(status, "the tenant answered with an error")
        return f"the tenant answered {status}{where}: {hint}"
    cause = _root_cause(error)
    if isinstance(cause, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in str(error):
        reason = getattr(cause, "verify_message", None) or "certificate verify failed"
        return f"TLS: the tenant's certificate is not trusted ({reason}){where}; {_CA_HINT}"
    if isinstance(cause, ssl.SSLError) or "SSL" in type(cause).__name__:
        return f"TLS error{where}: {cause}; {_CA_HINT}"
    if isinstance(error, httpx.TimeoutException):
        return f"no answer from the tenant in time{where}: check the domain and the network"
    if isinstance(error, httpx.ConnectError):
        return (f"cannot connect to the tenant{where}: {cause}; check the domain (auth0:domain or --domain) and that "
                "the tenant is reachable (the local one: scripts/local-tenant start)")
    return f"talking to the tenant failed{where}: {error}"


def _root_cause(error: BaseException) -> BaseException:
    seen = set()
    while error.__cause__ is not None or error.__context__ is not None:
        if id(error) in seen:
            break
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return error


class Group(click.Group):
    """The ``auth0-m2m`` group: every exception of a command ends as one message and an exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.UsageError):
            raise
        except KeyboardInterrupt:
            self._fail(ctx, Exit.INTERRUPTED, "interrupted", "interrupted", [])
        except BrokenPipeError:
            # The reader went away (`auth0-m2m report | head`): nothing to say, and nowhere to say it.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(Exit.OK)
        except StackConfigError as error:
            code = Exit.USAGE if error.unreadable else Exit.FINDINGS
            self._fail(ctx, code, "config", str(error), problem_errors(error))
        except CommandError as error:
            self._fail(ctx, error.exit_code, error.kind, error.message, [message_error(error.kind, error.message)])
        except click.ClickException as error:
            self._fail(ctx, error.exit_code, "usage", error.format_message(),
                       [message_error("usage", error.format_message())])
        except Exception as error:  # noqa: BLE001 - the boundary: nothing else may reach the user as a traceback
            if os.environ.get("AUTH0_M2M_DEBUG"):
                traceback.print_exc()
            code, kind, message = describe(error)
            self._fail(ctx, code, kind, message, [message_error(kind, message)])

    @staticmethod
    def _fail(ctx: click.Context, code: int, kind: str, message: str, errors: list[dict]) -> None:
        if wants_json(ctx):
            command = ctx.invoked_subcommand or ctx.info_name or "auth0-m2m"
            click.echo(json.dumps(envelope(command, code, None, errors), indent=2, ensure_ascii=False))
        else:
            click.echo(f"auth0-m2m: {message}" if kind not in ("config", "unreadable") else message, err=True)
        sys.exit(int(code))
