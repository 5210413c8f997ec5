#!/bin/sh
# buildtime as a Woodpecker plugin: each key under `settings:` arrives as PLUGIN_<KEY> (see docs.md), and is turned
# into buildtime's own options here. A plugin step cannot also have `commands:`, so the deploy itself is recorded in
# a commands step (`buildtime record -- ./deploy.sh`); this reports on it, gates on it, or pulls the history.
#
#   command             report (default) | gate (report, failing the step when the newest run regressed) | pull
#   db                  the database (default: $BUILDTIME_DB, else buildtime's default path)
#   format              table (default) | markdown | json | html   (report and gate)
#   output              write the report to this file instead of the log
#   last                how many runs the report shows (default 20)
#   fail_on_regression  true: report fails the step too when the newest run regressed (gate always does)
#   server, repo, token, step, all     pull: the server (default $CI_SYSTEM_URL), the repository (default $CI_REPO),
#                       the token (use from_secret), the steps (a list), every page
set -eu

buildtime=${BUILDTIME:-buildtime}

# A list setting arrives as JSON (["a","b"]) or comma-separated: one value per line.
values() {
    printf '%s' "$1" | sed -e 's/^\[//' -e 's/\]$//' | tr ',' '\n' | sed -e 's/^[[:space:]]*"\{0,1\}//' -e 's/"\{0,1\}[[:space:]]*$//' | grep -v '^$' || true
}

truthy() {
    case "$(printf '%s' "${1:-}" | tr '[:upper:]' '[:lower:]')" in
        true|yes|1|on) return 0 ;;
        *) return 1 ;;
    esac
}

command=${PLUGIN_COMMAND:-report}
set --
if [ -n "${PLUGIN_DB:-}" ]; then set -- "$@" --db "$PLUGIN_DB"; fi

case "$command" in
    report|gate)
        if [ -n "${PLUGIN_FORMAT:-}" ]; then set -- "$@" --format "$PLUGIN_FORMAT"; fi
        if [ -n "${PLUGIN_LAST:-}" ]; then set -- "$@" --last "$PLUGIN_LAST"; fi
        if [ -n "${PLUGIN_OUTPUT:-}" ]; then set -- "$@" --output "$PLUGIN_OUTPUT"; fi
        if [ "$command" = gate ] || truthy "${PLUGIN_FAIL_ON_REGRESSION:-}"; then set -- "$@" --fail-on-regression; fi
        exec "$buildtime" report "$@"
        ;;
    pull)
        server=${PLUGIN_SERVER:-${CI_SYSTEM_URL:-}}
        repo=${PLUGIN_REPO:-${CI_REPO:-}}
        if [ -z "$server" ]; then echo "buildtime plugin: set server (or run in Woodpecker, which sets CI_SYSTEM_URL)" >&2; exit 64; fi
        if [ -z "$repo" ]; then echo "buildtime plugin: set repo: OWNER/NAME (or run in Woodpecker, which sets CI_REPO)" >&2; exit 64; fi
        set -- "$@" --server "$server" --repo "$repo"
        for step in $(values "${PLUGIN_STEP:-}"); do set -- "$@" --step "$step"; done
        if truthy "${PLUGIN_ALL:-}"; then set -- "$@" --all; fi
        if [ -n "${PLUGIN_TOKEN:-}" ]; then WOODPECKER_TOKEN=$PLUGIN_TOKEN; export WOODPECKER_TOKEN; fi
        exec "$buildtime" pull "$@"
        ;;
    *)
        echo "buildtime plugin: unknown command '$command' (report, gate or pull)" >&2
        exit 64
        ;;
esac
