package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/stagetrace"
	"passerelle.im/passerelle/plugins/sdk"
)

// TestJoinStages: the stages the gateway and the plugin recorded are
// matched to the tool's stamps by message, and each hop is the time
// between its two points; a message missing a stage is left out.
func TestJoinStages(t *testing.T) {
	dir := t.TempDir()
	const t0 = int64(1_000_000_000_000)
	us := func(n int64) int64 { return t0 + n*1000 }
	// Message A: every stage, hops of 100, 10, 20, 30, 40, 50 and 60 µs.
	// Message B: no plugin stages (not seen at every stage).
	// Message C: of another phase.
	gw := []string{
		fmt.Sprintf("%s pb2:0:1 %d", stagetrace.GatewayIn, us(100)),
		fmt.Sprintf("%s pb2:0:1 %d", stagetrace.GatewayCmd, us(110)),
		fmt.Sprintf("%s pb2:0:1 %d", stagetrace.GatewayEv, us(200)),
		fmt.Sprintf("%s pb2:0:1 %d", stagetrace.GatewayOut, us(250)),
		fmt.Sprintf("%s pb2:0:2 %d", stagetrace.GatewayIn, us(100)),
		fmt.Sprintf("%s pb22:0:1 %d", stagetrace.GatewayIn, us(5)),
	}
	pl := []string{
		fmt.Sprintf("%s pb2:0:1 %d", stagetrace.PluginCmd, us(130)),
		fmt.Sprintf("%s pb2:0:1 %d", stagetrace.PluginEv, us(160)),
	}
	write := func(name string, lines []string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("passerelle.1.stages", gw)
	write("passerelle-bench-echo.2.stages", pl)
	stamps := []stamp{{key: "pb2:0:1", sent: t0, recv: us(310)}, {key: "pb2:0:2", sent: t0, recv: us(400)}}
	st, err := joinStages(dir, 2, stamps)
	if err != nil {
		t.Fatal(err)
	}
	if st.n != 1 || st.of != 2 {
		t.Fatalf("joined %d of %d, want 1 of 2", st.n, st.of)
	}
	want := []time.Duration{100, 10, 20, 30, 40, 50, 60}
	for i, w := range want {
		if got := st.byHop[i][0]; got != w*time.Microsecond {
			t.Errorf("hop %q = %s, want %s", hops[i].name, got, w*time.Microsecond)
		}
	}
	if st.totals[0] != 310*time.Microsecond {
		t.Errorf("round trip = %s, want 310µs", st.totals[0])
	}
	if _, err := os.Stat(filepath.Join(dir, "phase2.tsv")); err != nil {
		t.Errorf("per-message file: %v", err)
	}
}

// TestPluginStageNames: the stages the SDK's trace hook reports are the
// ones the stage trace joins on.
func TestPluginStageNames(t *testing.T) {
	if string(sdk.StageCommand) != stagetrace.PluginCmd || string(sdk.StageEvent) != stagetrace.PluginEv {
		t.Fatalf("sdk stages %q %q, stagetrace %q %q", sdk.StageCommand, sdk.StageEvent, stagetrace.PluginCmd, stagetrace.PluginEv)
	}
}
