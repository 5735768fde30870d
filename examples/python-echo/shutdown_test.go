package pythonecho_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// Stopped as the gateway stops it (go-plugin's Shutdown, then the
// connection closed), with streams open and an event not yet
// acknowledged, the plugin exits by itself with status 0 (not killed
// after go-plugin's 2 s), says nothing on stderr, and keeps its journal:
// the unacknowledged echo comes again at the next start.
func TestShutdownClean(t *testing.T) {
	needPython(t)
	p := plugintest.Start(t, script(t), "", nil)
	done := p.Login("", map[string]string{"username": "alice"})
	p.Connect(done.LoginId, done.SavedState)
	evs := p.Events()
	cmds := p.Commands()
	isEcho := func(text string) func(*pb.Event) bool {
		return func(ev *pb.Event) bool { return ev.GetMessage().GetText() == text }
	}
	if res := cmds.Send(plugintest.SendText("alice", "echo", "t1", "acked")); res.Error != nil {
		t.Fatalf("send: %v", res.Error)
	}
	acked := evs.Await(`the echo of "acked"`, isEcho("acked"))
	evs.Ack(acked.Seq)
	if res := cmds.Send(plugintest.SendText("alice", "echo", "t2", "not acked")); res.Error != nil {
		t.Fatalf("send: %v", res.Error)
	}
	evs.Await(`the echo of "not acked"`, isEcho("not acked"))

	before := p.Stderr()
	if code := p.Stop(); code != 0 {
		t.Fatalf("after Shutdown the plugin ended with status %d, want 0 (-1: it did not exit and was killed)", code)
	}
	if said := strings.TrimPrefix(p.Stderr(), before); said != "" {
		t.Errorf("the plugin wrote at its stop:\n%s", said)
	}

	p.Restart()
	p.Connect(done.LoginId, done.SavedState)
	evs = p.Events()
	// The ack was sent before the stop, but the plugin reads acks on a
	// thread of their own: the acknowledged echo may come again, the
	// other must.
	evs.Await(`the replay of the unacknowledged echo of "not acked"`, isEcho("not acked"))
}

// A command the plugin answers while it stops (go-plugin's Shutdown
// arrived, its streams still open) keeps its event: the journal closes
// only once every call has ended. Before, the journal closed first and
// such a command was answered as sent while its echo was dropped.
func TestShutdownKeepsLateCommand(t *testing.T) {
	needPython(t)
	p := plugintest.Start(t, script(t), "", nil)
	done := p.Login("", map[string]string{"username": "alice"})
	p.Connect(done.LoginId, done.SavedState)
	evs := p.Events()
	cmds := p.Commands()
	if res := cmds.Send(plugintest.SendText("alice", "echo", "t1", "before")); res.Error != nil {
		t.Fatalf("send: %v", res.Error)
	}
	evs.Await(`the echo of "before"`, func(ev *pb.Event) bool { return ev.GetMessage().GetText() == "before" })

	proc := p.Process()
	ctx, cancel := p.CallContext()
	defer cancel()
	if err := proc.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	// The Events stream ends with the stop (before: at once, when the
	// journal closed); a command sent then is either refused or kept.
	evs.Err()
	res, answered := <-cmds.Go(plugintest.SendText("alice", "echo", "t2", "during the stop"))
	kept := answered && res.Error == nil
	t.Logf("the command sent during the stop answered: %v (%v)", answered, res)
	for !proc.Exited() {
		select {
		case <-ctx.Done():
			t.Fatal("the plugin did not exit after Shutdown")
		case <-time.After(10 * time.Millisecond):
		}
	}
	if code := proc.ExitCode(); code != 0 {
		t.Fatalf("after Shutdown the plugin exited with status %d, want 0", code)
	}

	p.Restart()
	p.Connect(done.LoginId, done.SavedState)
	evs = p.Events()
	cmds = p.Commands()
	if res := cmds.Send(plugintest.SendText("alice", "echo", "t3", "after")); res.Error != nil {
		t.Fatalf("send after the restart: %v", res.Error)
	}
	texts := []string{}
	for {
		ev := evs.Await("the echoes after the restart", func(ev *pb.Event) bool { return ev.GetMessage() != nil })
		texts = append(texts, ev.GetMessage().GetText())
		if ev.GetMessage().GetText() == "after" {
			break
		}
	}
	if kept && !slices.Contains(texts, "during the stop") {
		t.Fatalf(`the plugin answered "during the stop" as sent while stopping, but its echo was lost: after the restart came %q`, texts)
	}
}

// A command still running when the plugin stops (go-plugin's Shutdown,
// a network slow to confirm a send it has echoed already) keeps its echo
// and its answer together: the journal closes only once the command has
// ended, so the gateway's resend of its txn_id after the restart is
// answered without a second echo. Before, Python's grpc server returned
// from its stop while the command's thread still ran, the journal closed
// under it: the echo kept, the answer lost, and the resend echoed the
// message again under a new event_id (the user saw it twice).
func TestShutdownMidCommand(t *testing.T) {
	needPython(t)
	// SendDelayEnv through env(1): go-plugin passes the kit's environment on.
	p := plugintest.StartArgs(t, "/usr/bin/env", []string{sendDelayEnv + "=1", python, script(t)}, "", nil)
	done := p.Login("", map[string]string{"username": "alice"})
	p.Connect(done.LoginId, done.SavedState)
	evs := p.Events()
	cmds := p.Commands()
	isEcho := func(ev *pb.Event) bool { return ev.GetMessage().GetText() == "slow" }
	sent := cmds.Go(plugintest.SendText("alice", "echo", "t-slow", "slow"))
	first := evs.Await(`the echo of "slow"`, isEcho)

	// Stopped while the send waits on its network: its answer never
	// reaches this host, which sends it again to the next process.
	proc := p.Process()
	ctx, cancel := p.CallContext()
	defer cancel()
	if err := proc.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	for !proc.Exited() {
		select {
		case <-ctx.Done():
			t.Fatal("the plugin did not exit after Shutdown")
		case <-time.After(10 * time.Millisecond):
		}
	}
	res, answered := <-sent
	t.Logf("the send under way at the stop answered: %v (%v)", answered, res)

	p.Restart()
	p.Connect(done.LoginId, done.SavedState)
	evs = p.Events()
	cmds = p.Commands()
	again := cmds.Send(plugintest.SendText("alice", "echo", "t-slow", "slow"))
	if again.Error != nil {
		t.Fatalf("the resend after the restart: %v", again.Error)
	}
	if res := cmds.Send(plugintest.SendText("alice", "echo", "t-after", "after")); res.Error != nil {
		t.Fatalf("send after the restart: %v", res.Error)
	}
	for {
		ev := evs.Await(`the echo of "after"`, func(ev *pb.Event) bool { return ev.GetMessage() != nil })
		if ev.GetMessage().GetText() == "after" {
			break
		}
		if isEcho(ev) && ev.EventId != first.EventId {
			t.Fatalf(`the resend of a txn_id under way at the stop echoed it again, under event_id %q (the first: %q): its answer was not kept with its echo`, ev.EventId, first.EventId)
		}
	}
}

// sendDelayEnv is passerelle_echo.py's test knob: seconds a send waits
// after its echo, before it is answered.
const sendDelayEnv = "PASSERELLE_PYECHO_SEND_DELAY"
