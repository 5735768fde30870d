package sdk

import (
	"runtime/debug"
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
