package pluginhost

import (
	"context"
	"path/filepath"
	"testing"
)

// A binary that is not a passerelle plugin, or no binary at all, fails at
// launch with an error, not a hang.
func TestLaunchRefusesNonPlugin(t *testing.T) {
	for _, path := range []string{"/bin/true", filepath.Join(t.TempDir(), "missing")} {
		p, err := launch(context.Background(), launchConfig{Path: path})
		if err == nil {
			p.Kill()
			t.Errorf("launch(%s) succeeded", path)
		}
	}
}
