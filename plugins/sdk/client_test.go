package sdk

import (
	"path/filepath"
	"testing"
)

// A binary that is not a passerelle plugin, or no binary at all, fails at
// Launch with an error, not a hang.
func TestLaunchRefusesNonPlugin(t *testing.T) {
	for _, path := range []string{"/bin/true", filepath.Join(t.TempDir(), "missing")} {
		p, err := Launch(LaunchConfig{Path: path})
		if err == nil {
			p.Kill()
			t.Errorf("Launch(%s) succeeded", path)
		}
	}
}
