# shellcheck shell=bash
# Offline Pulumi environment for this project. Source it (bash), do not run it:
#
#     . scripts/pulumi-env.sh
#
# Every place that runs Pulumi for this project (the README's commands, CI, tests, scripts/bootstrap itself)
# sources this file. It only fills in variables the caller has not set, so any of them can be overridden by
# exporting it first. It never downloads anything.
#
#   AUTH0_M2M_CACHE        toolchain cache, outside the repo     (default: $HOME/.cache/auth0-m2m)
#   PATH                   $AUTH0_M2M_CACHE/bin is put first      (pulumi, pulumi-language-python[-exec])
#   PULUMI_HOME            isolated plugin cache + credentials   (default: $AUTH0_M2M_CACHE/pulumi-home)
#   PULUMI_BACKEND_URL     local state, never Pulumi Cloud        (default: file://<repo>/.state/backend)
#   PULUMI_CONFIG_PASSPHRASE_FILE  secrets passphrase, made once with a random value, mode 600
#                          (default: $AUTH0_M2M_CACHE/pulumi-passphrase; not set if PULUMI_CONFIG_PASSPHRASE is set)
#   PULUMI_SKIP_UPDATE_CHECK=true                    no call to Pulumi's version API
#   PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true a missing plugin is an error, not a download attempt
#   PULUMI_IGNORE_AMBIENT_PLUGINS=true               plugins come from PULUMI_HOME (exact version), not from
#                          whatever pulumi-resource-* is on PATH: the PATH route ignores the requested version.
#                          The Python language host is still found next to the pulumi binary (bundled route).
#   PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK=true    Automation API accepts the locally built CLI

_auth0_m2m_env_repo="$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")/.." && pwd)"

: "${AUTH0_M2M_CACHE:=${HOME:?HOME is not set}/.cache/auth0-m2m}"
export AUTH0_M2M_CACHE

# PATH: the toolchain bin dir first (once).
_auth0_m2m_env_bin="$AUTH0_M2M_CACHE/bin"
_auth0_m2m_env_path=":${PATH:-}:"
_auth0_m2m_env_path="${_auth0_m2m_env_path//:$_auth0_m2m_env_bin:/:}"
_auth0_m2m_env_path="${_auth0_m2m_env_path#:}"
_auth0_m2m_env_path="${_auth0_m2m_env_path%:}"
PATH="$_auth0_m2m_env_bin${_auth0_m2m_env_path:+:$_auth0_m2m_env_path}"
export PATH

if [ -z "${PULUMI_HOME+x}" ]; then
    PULUMI_HOME="$AUTH0_M2M_CACHE/pulumi-home"
fi
export PULUMI_HOME
mkdir -p "$PULUMI_HOME"

: "${PULUMI_SKIP_UPDATE_CHECK=true}"
: "${PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true}"
: "${PULUMI_IGNORE_AMBIENT_PLUGINS=true}"
: "${PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK=true}"
export PULUMI_SKIP_UPDATE_CHECK PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION PULUMI_IGNORE_AMBIENT_PLUGINS \
    PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK

if [ -z "${PULUMI_BACKEND_URL+x}" ]; then
    PULUMI_BACKEND_URL="file://$_auth0_m2m_env_repo/.state/backend"
fi
export PULUMI_BACKEND_URL
case "$PULUMI_BACKEND_URL" in
    file://*) mkdir -p "${PULUMI_BACKEND_URL#file://}" ;;
esac

# Secrets: the passphrase provider. An empty PULUMI_CONFIG_PASSPHRASE is a valid (set) value.
if [ -z "${PULUMI_CONFIG_PASSPHRASE+x}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE+x}" ]; then
    PULUMI_CONFIG_PASSPHRASE_FILE="$AUTH0_M2M_CACHE/pulumi-passphrase"
    if [ ! -s "$PULUMI_CONFIG_PASSPHRASE_FILE" ]; then
        mkdir -p "$AUTH0_M2M_CACHE"
        (
            umask 077
            _tmp="$(mktemp "$AUTH0_M2M_CACHE/.pulumi-passphrase.XXXXXX")"
            od -An -N32 -tx1 /dev/urandom | tr -d ' \n' >"$_tmp"
            mv -n "$_tmp" "$PULUMI_CONFIG_PASSPHRASE_FILE" 2>/dev/null || true
            rm -f "$_tmp"
        )
    fi
    chmod 600 "$PULUMI_CONFIG_PASSPHRASE_FILE"
fi
if [ -n "${PULUMI_CONFIG_PASSPHRASE_FILE+x}" ]; then
    export PULUMI_CONFIG_PASSPHRASE_FILE
fi

unset _auth0_m2m_env_repo _auth0_m2m_env_bin _auth0_m2m_env_path
