#!/bin/sh
# Container entrypoint. Key Vault hands a certificate to a container as its secret value: the PFX in
# base64. When TEAMS_CERT_PFX_BASE64_FILE names such a file, decode it to a private file under /tmp
# (a tmpfs) and point TEAMS_CERT_PATH at it; then run the command (node dist/src/main.js).
set -eu
mkdir -p "${HOME:-/tmp/switchboard}"
if [ -n "${TEAMS_CERT_PFX_BASE64_FILE:-}" ]; then
  umask 077
  base64 -d "$TEAMS_CERT_PFX_BASE64_FILE" > /tmp/switchboard/teams-cert.pfx
  export TEAMS_CERT_PATH=/tmp/switchboard/teams-cert.pfx
fi
exec "$@"
