#!/bin/sh
# The image's entry point: seed the writable matplotlib cache, then run the command.
# A handler name (module.function, as Lambda's ImageConfig.Command gives) runs under the Lambda
# runtime interface client; anything else (`athena-bot worker`) runs as it is (ECS, local).
set -eu
if [ -n "${ATHENA_BOT_MPL_CACHE:-}" ] && [ -d "$ATHENA_BOT_MPL_CACHE" ] && [ -n "${MPLCONFIGDIR:-}" ]; then
    mkdir -p "$MPLCONFIGDIR"
    cp -R -n "$ATHENA_BOT_MPL_CACHE"/. "$MPLCONFIGDIR"/ 2>/dev/null || true
fi
case "${1:-}" in
    *.*handler) exec python -m awslambdaric "$@" ;;
    *) exec "$@" ;;
esac
