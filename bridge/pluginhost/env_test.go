package pluginhost

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"passerelle.im/passerelle/plugins/plugintest"
)

// TestPluginEnvMinimal: a plugin does not see the gateway's secrets (any
// transport's PASSERELLE_SECRET_*, or anything else not on the list); it
// does get PATH, the locale and go-plugin's handshake.
func TestPluginEnvMinimal(t *testing.T) {
	t.Setenv("PASSERELLE_SECRET_OTHERNET", "hunter2")
	t.Setenv("SOME_API_TOKEN", "tok")
	t.Setenv("LC_TIME", "C")
	t.Setenv("TZ", "Europe/Paris")
	p, err := launch(context.Background(), launchConfig{Path: plugintest.BuildBinary(t, echoPkg), Env: []string{"EXTRA=1"}})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Kill()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", p.Pid()))
	if err != nil {
		t.Skipf("cannot read the plugin's environment: %v", err)
	}
	var env []string
	for _, kv := range bytes.Split(b, []byte{0}) {
		if len(kv) > 0 {
			env = append(env, string(kv))
		}
	}
	for _, kv := range env {
		if strings.Contains(kv, "hunter2") || strings.HasPrefix(kv, "SOME_API_TOKEN=") {
			t.Errorf("the plugin's environment holds %q", kv)
		}
	}
	for _, want := range []string{"PATH=" + os.Getenv("PATH"), "LC_TIME=C", "TZ=Europe/Paris", "EXTRA=1", "PASSERELLE_PLUGIN=4f0c5c7e-passerelle-transport"} {
		if !slices.Contains(env, want) {
			t.Errorf("the plugin's environment lacks %q: %q", want, env)
		}
	}
}

func TestPluginEnvFilter(t *testing.T) {
	got := pluginEnv([]string{"PATH=/bin", "PASSERELLE_SECRET_ECHO=s", "LC_ALL=C", "HOME=/var/lib/p", "GOGC=200", "AWS_SECRET_ACCESS_KEY=x", "junk"}, []string{"A=1"})
	want := []string{"PATH=/bin", "LC_ALL=C", "HOME=/var/lib/p", "GOGC=200", "A=1"}
	if !slices.Equal(got, want) {
		t.Fatalf("pluginEnv = %q, want %q", got, want)
	}
}
