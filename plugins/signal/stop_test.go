package signal

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"passerelle.im/passerelle/plugins/plugintest"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/signal/fakesignal"
)

// A gateway stopping the plugin has it end each session cleanly: the
// subscription ends (signal-cli hands over nothing more that would sit
// unread in the socket when the process goes), what signal-cli sent
// before is handled, and the connection closes. (Before: nothing was
// said to signal-cli; the process just went.)
func TestStopDisconnects(t *testing.T) {
	const alice, bob, bobACI = "+15550000001", "+15550000002", "b0b00000-0000-4000-8000-000000000002"
	d, err := fakesignal.Start(filepath.Join(t.TempDir(), "signal.sock"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	d.AddAccount(alice, "a11ce000-0000-4000-8000-000000000001")
	h := &recordingHost{}
	n := &Network{host: h, cfg: Config{Socket: d.Path()}, dataDir: t.TempDir()}
	s, err := n.LoadLogin(context.Background(), sdk.LoginInfo{LoginID: alice, SavedState: []byte(`{"number":"` + alice + `"}`), Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s.Connect(ctx)
	const n0 = 50
	for i := range n0 {
		d.Deliver(alice, fakesignal.Envelope{SourceNumber: bob, SourceUUID: bobACI, DataMessage: &fakesignal.DataMessage{Message: fakesignal.Text(fmt.Sprint("before the stop ", i))}})
	}
	if err := n.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	unsubscribed := false
	for _, r := range d.Requests(alice) {
		unsubscribed = unsubscribed || r.Method == "unsubscribeReceive"
	}
	if !unsubscribed {
		t.Error("the stop did not end the subscription")
	}
	if s.client() != nil {
		t.Error("the stop left the connection to signal-cli open")
	}
	texts := map[string]bool{}
	for _, ev := range h.events() {
		texts[ev.GetMessage().GetText()] = true
	}
	for i := range n0 {
		if !texts[fmt.Sprint("before the stop ", i)] {
			t.Fatalf("the envelope %d sent before the stop was not handled", i)
		}
	}
}

// The daemon the plugin runs is stopped with the plugin, not restarted.
func TestStopEndsDaemon(t *testing.T) {
	cli := plugintest.BuildBinary(t, "passerelle.im/passerelle/plugins/signal/testdata/fake-signal-cli")
	dataDir := t.TempDir()
	h := &recordingHost{}
	n := New()
	cfg, _ := json.Marshal(map[string]any{"signal_cli": cli, "data_dir": dataDir})
	if _, err := n.Init(context.Background(), sdk.InitRequest{ConfigJSON: cfg, DataDir: t.TempDir()}, h); err != nil {
		t.Fatal(err)
	}
	n.socket() // starts it
	var pid int
	for deadline := time.Now().Add(30 * time.Second); pid == 0; time.Sleep(20 * time.Millisecond) {
		if b, err := os.ReadFile(filepath.Join(dataDir, "fake.pid")); err == nil {
			pid, _ = strconv.Atoi(string(b))
		}
		if time.Now().After(deadline) {
			t.Fatal("signal-cli did not start")
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := n.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, 0); err == nil {
		syscall.Kill(pid, syscall.SIGKILL)
		t.Fatal("signal-cli outlived the stop")
	}
	select {
	case <-n.daemon.done:
	default:
		t.Fatal("the supervisor still runs after the stop")
	}
}
