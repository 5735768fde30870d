package pluginhost

import (
	"context"
	"testing"
	"time"

	"passerelle.im/passerelle/internal/schedclass"
	"passerelle.im/passerelle/plugins/plugintest"
)

// TestPluginBatchClass: a plugin started by a host in the normal
// scheduling class puts itself in the batch class (sdk.Serve calls
// sdk.YieldToServer).
func TestPluginBatchClass(t *testing.T) {
	if err := schedclass.CanSet(); err != nil {
		t.Skipf("this machine refuses scheduling classes: %v", err)
	}
	h, _, _ := start(t, plugintest.BuildBinary(t, echoPkg), 0)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := h.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	classes, err := schedclass.Count(h.Pid())
	if err != nil {
		t.Fatal(err)
	}
	if classes[schedclass.Batch] == 0 || len(classes) != 1 {
		t.Fatalf("plugin threads per class %v, want all in %d (batch)", classes, schedclass.Batch)
	}
}
