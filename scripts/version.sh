#!/bin/sh
# Prints the version make build stamps into the binaries: git describe
# (a tag, with -N-gHASH after it past the tag), else devel-HASH as Go's
# own VCS stamp reads (12 characters), -dirty added when tracked files
# changed. Prints nothing outside a git checkout (a source tarball), and
# the binaries then say what their build information gives.
cd "$(dirname "$0")/.." || exit 0
[ -e .git ] || exit 0
command -v git >/dev/null 2>&1 || exit 0
if v=$(git describe --tags --dirty 2>/dev/null); then
	echo "$v"
	exit 0
fi
rev=$(git rev-parse --short=12 HEAD 2>/dev/null) || exit 0
dirty=
git diff --quiet HEAD -- 2>/dev/null || dirty=-dirty
echo "devel-$rev$dirty"
