#!/usr/bin/env bash
# Runs go test with the given arguments, as it prints, and when it fails
# ends with a summary of the failures (each failing test and its own
# messages, panics, package lines): CI often shows only the end of the
# output, where go test's own report names the failing package alone.
set -uo pipefail
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
"${GO:-go}" test "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
if [ "$rc" -ne 0 ]; then
	echo
	echo "==> go test failed (exit $rc); what failed:"
	grep -E '^[[:space:]]*--- FAIL|^[[:space:]]+[A-Za-z0-9_]+_test\.go:[0-9]+:|^panic:|^FAIL|timed out' "$log" | cut -c1-300 | tail -n 60
fi
exit "$rc"
