package sdk

import (
	"runtime/debug"
	"strings"
	"testing"
)

// The link-time version wins, then the module's, then the revision.
func TestBuildVersion(t *testing.T) {
	if got := BuildVersion("v1.2.3"); got != "v1.2.3" {
		t.Errorf("BuildVersion(v1.2.3) = %q", got)
	}
	rev := []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef0123"}}
	dirty := append(rev[:1:1], debug.BuildSetting{Key: "vcs.modified", Value: "true"})
	for _, tc := range []struct {
		info *debug.BuildInfo
		ok   bool
		want string
	}{
		{nil, false, "devel"},
		{&debug.BuildInfo{Main: debug.Module{Version: "v0.4.0"}, Settings: rev}, true, "v0.4.0"},
		{&debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: rev}, true, "devel-0123456789ab"},
		{&debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: dirty}, true, "devel-0123456789ab-dirty"},
		{&debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abc"}}}, true, "devel-abc"},
		{&debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, true, "devel"},
	} {
		if got := fromBuild(tc.info, tc.ok); got != tc.want {
			t.Errorf("fromBuild(%+v, %v) = %q, want %q", tc.info, tc.ok, got, tc.want)
		}
	}
}

// TestStampedVersion: a plugin built by make (the Makefile stamps
// sdk.Version) tells that version, by hand too ("passerelle-irc
// version"); it said "devel", the Makefile stamping only the gateway's
// main.version and bridge.Version. A version given to BuildVersion
// still wins, as the gateway's own.
func TestStampedVersion(t *testing.T) {
	old := Version
	t.Cleanup(func() { Version = old })
	Version = "v9.8.7"
	if got := BuildVersion(""); got != "v9.8.7" {
		t.Errorf("BuildVersion(\"\") with Version stamped = %q, want v9.8.7", got)
	}
	if got := BuildVersion("v1.2.3"); got != "v1.2.3" {
		t.Errorf("BuildVersion(v1.2.3) with Version stamped = %q, want v1.2.3", got)
	}
	var out, errOut strings.Builder
	code, ok := byHand([]string{"/usr/bin/passerelle-irc", "version"}, func(string) string { return "" }, &out, &errOut)
	if !ok || code != 0 {
		t.Fatalf("byHand version: code %d, ok %v, stderr %q", code, ok, errOut.String())
	}
	if want := "passerelle-irc v9.8.7 (plugin contract "; !strings.HasPrefix(out.String(), want) {
		t.Errorf("passerelle-irc version says %q, want it to begin %q", out.String(), want)
	}
}
