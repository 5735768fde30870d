package sdk

import "runtime/debug"

// The gateway and every binary built with the SDK (a plugin, the
// gateway itself, which imports the SDK for the contract's helpers)
// tell their version the same way: here, so that the SDK needs nothing
// but the contract.

// Version is the version stamped into a binary built with the SDK at
// link time (-ldflags "-X passerelle.im/passerelle/plugins/sdk.Version=v1.2.3",
// as the Makefile does): a plugin has no main.version of the gateway's,
// and without it said "devel" when built by make.
var Version string

// BuildVersion is the binary's version: set, a version given at link time
// (-ldflags -X), when not empty; else Version when not empty; else the
// main module's version; else
// "devel-" and the VCS revision it was built from (12 characters,
// "-dirty" added when the tree had changes); else "devel".
func BuildVersion(set string) string {
	if set != "" {
		return set
	}
	if Version != "" {
		return Version
	}
	info, ok := debug.ReadBuildInfo()
	return fromBuild(info, ok)
}

// fromBuild is the version that the build information info (ok false
// when the binary has none) gives.
func fromBuild(info *debug.BuildInfo, ok bool) string {
	if !ok || info == nil {
		return "devel"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = "-dirty"
			}
		}
	}
	if rev != "" {
		return "devel-" + rev[:min(12, len(rev))] + modified
	}
	return "devel"
}
