package pythonecho_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protowire"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

func start(t *testing.T, dataDir string) *plugintest.Plugin {
	t.Helper()
	needPython(t)
	return plugintest.StartArgs(t, python, []string{script(t)}, dataDir, nil)
}

// Bad input gets a typed error the user can read, and the plugin serves on.
func TestBadInput(t *testing.T) {
	p := start(t, "")
	ctx, cancel := p.CallContext()
	defer cancel()
	c := p.Client()
	if _, err := c.StartLogin(ctx, &pb.StartLoginRequest{FlowId: "carrier-pigeon"}); code(err) != pb.ErrorCode_ERROR_CODE_NOT_FOUND {
		t.Errorf("unknown flow: %v, want NOT_FOUND", err)
	}
	step, err := c.StartLogin(ctx, &pb.StartLoginRequest{})
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.SubmitLoginInput(ctx, &pb.SubmitLoginInputRequest{ProcessId: step.ProcessId, Fields: map[string]string{"username": "no spaces please"}})
	if err != nil || again.Error == "" || again.GetForm() == nil {
		t.Errorf("bad username: %v, %v; want the form again with an error", again, err)
	}
	if _, err := c.Connect(ctx, &pb.ConnectRequest{LoginId: "alice", SavedState: []byte("{not json")}); code(err) != pb.ErrorCode_ERROR_CODE_UNAUTHORIZED {
		t.Errorf("unreadable saved state: %v, want UNAUTHORIZED", err)
	}
	if _, err := c.ContactList(ctx, &pb.LoginRef{LoginId: "nobody"}); code(err) != pb.ErrorCode_ERROR_CODE_LOGIN_REQUIRED {
		t.Errorf("contacts of a login not connected: %v, want LOGIN_REQUIRED", err)
	}

	done := p.Login("", map[string]string{"username": "alice"})
	p.Connect(done.LoginId, done.SavedState)
	if _, err := c.Backfill(ctx, &pb.BackfillRequest{LoginId: "alice", ChatId: "echo", Cursor: "yesterday"}); code(err) != pb.ErrorCode_ERROR_CODE_BAD_REQUEST {
		t.Errorf("bad cursor: %v, want BAD_REQUEST", err)
	}
	cmds := p.Commands()
	for _, tc := range []struct {
		name string
		cmd  *pb.Command
		want pb.ErrorCode
	}{
		{"unknown contact", plugintest.SendText("alice", "bob", "t1", "hi"), pb.ErrorCode_ERROR_CODE_NOT_FOUND},
		{"empty message", plugintest.SendText("alice", "echo", "t2", ""), pb.ErrorCode_ERROR_CODE_BAD_REQUEST},
		{"no action", &pb.Command{LoginId: "alice", ChatId: "echo", TxnId: "t3"}, pb.ErrorCode_ERROR_CODE_BAD_REQUEST},
		// An action added to the contract after the plugin's stubs were
		// generated arrives as a field they do not know: a feature the
		// plugin does not have, not a bad request.
		{"an action newer than the stubs", newerAction("alice", "echo", "t6"), pb.ErrorCode_ERROR_CODE_UNSUPPORTED},
		{"edit without metadata", plugintest.Act("alice", "echo", "t4", &pb.EditMessage{TargetId: "x", Text: "y"}), pb.ErrorCode_ERROR_CODE_BAD_REQUEST},
		{"edit with another chat's metadata", plugintest.Act("alice", "echo", "t5",
			&pb.EditMessage{TargetId: "x", Text: "y", TargetMeta: []byte(`{"chat":"bob","echo":"echo-x"}`)}), pb.ErrorCode_ERROR_CODE_BAD_REQUEST},
	} {
		res := cmds.Send(tc.cmd)
		if res.Error.GetCode() != tc.want || res.Error.GetText() == "" {
			t.Errorf("%s: %v, want %v with a text", tc.name, res.Error, tc.want)
		}
	}
	// A failed txn_id is not remembered: the same one acts when it can.
	if res := cmds.Send(plugintest.SendText("alice", "echo", "t1", "hi")); res.Error != nil || res.MessageId == "" {
		t.Errorf("txn_id of a failed send, used again: %v", res)
	}
}

// A journal whose last record a crash cut short loses that record only:
// the events before it are replayed with their seqs, and new ones are
// numbered after them.
func TestTornJournal(t *testing.T) {
	dir := t.TempDir()
	p := start(t, dir)
	done := p.Login("", map[string]string{"username": "alice"})
	evs := p.Events()
	p.Connect(done.LoginId, done.SavedState)
	cmds := p.Commands()
	if res := cmds.Send(plugintest.SendText("alice", "echo", "t1", "before the crash")); res.Error != nil {
		t.Fatal(res.Error)
	}
	isText := func(text string) func(*pb.Event) bool {
		return func(ev *pb.Event) bool { return ev.GetMessage().GetText() == text }
	}
	first := evs.NextEvent(isText("before the crash"))
	p.Kill()

	// Half a record: a type, a length of 1000 and 3 bytes.
	f, err := os.OpenFile(filepath.Join(dir, "events.journal"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte{'E', 0, 0, 3, 232, 1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	f.Close()

	p.Restart()
	evs = p.Events()
	again := evs.NextEvent(isText("before the crash"))
	if again.Seq != first.Seq || again.EventId != first.EventId {
		t.Fatalf("replayed as seq %d %q, was seq %d %q", again.Seq, again.EventId, first.Seq, first.EventId)
	}
	p.Connect(done.LoginId, done.SavedState)
	cmds = p.Commands()
	// The answer to t1 survived the crash: the same txn_id does not act.
	if res := cmds.Send(plugintest.SendText("alice", "echo", "t1", "before the crash")); res.Error != nil {
		t.Fatal(res.Error)
	}
	if res := cmds.Send(plugintest.SendText("alice", "echo", "t2", "after the crash")); res.Error != nil {
		t.Fatal(res.Error)
	}
	next := evs.NextEvent(func(ev *pb.Event) bool { return ev.GetMessage() != nil && ev.Seq > first.Seq })
	if next.GetMessage().Text != "after the crash" {
		t.Fatalf("after the restart: %v, want the echo of the new message (t1 must not act twice)", next)
	}
	// What was written after the torn record is read back too (the torn
	// bytes were cut off, not left in the middle).
	p.Restart()
	evs = p.Events()
	if ev := evs.NextEvent(isText("after the crash")); ev.Seq != next.Seq {
		t.Fatalf("second restart: replayed as seq %d, was %d", ev.Seq, next.Seq)
	}
}

// A whole record that does not decode (a machine crash can leave the
// tail of a file zeroed or stale once its length was written) is skipped,
// as the Go SDK skips it: the plugin starts, replays the events around it
// and numbers new ones after them. Before, the record's DecodeError
// failed every Init, and the plugin never started again.
func TestUndecodableJournalRecord(t *testing.T) {
	dir := t.TempDir()
	p := start(t, dir)
	done := p.Login("", map[string]string{"username": "alice"})
	evs := p.Events()
	p.Connect(done.LoginId, done.SavedState)
	cmds := p.Commands()
	isText := func(text string) func(*pb.Event) bool {
		return func(ev *pb.Event) bool { return ev.GetMessage().GetText() == text }
	}
	if res := cmds.Send(plugintest.SendText("alice", "echo", "t1", "before")); res.Error != nil {
		t.Fatal(res.Error)
	}
	first := evs.NextEvent(isText("before"))
	p.Kill()

	// An event record and a txn record of 4 bytes each that are no
	// protobuf (a truncated varint).
	f, err := os.OpenFile(filepath.Join(dir, "events.journal"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte{'E', 0, 0, 0, 4, 0xff, 0xff, 0xff, 0xff, 'T', 0, 0, 0, 4, 0, 1, 'k', 0xff}); err != nil {
		t.Fatal(err)
	}
	f.Close()

	p.Restart()
	evs = p.Events()
	if again := evs.NextEvent(isText("before")); again.Seq != first.Seq || again.EventId != first.EventId {
		t.Fatalf("replayed as seq %d %q, was seq %d %q", again.Seq, again.EventId, first.Seq, first.EventId)
	}
	p.Connect(done.LoginId, done.SavedState)
	cmds = p.Commands()
	if res := cmds.Send(plugintest.SendText("alice", "echo", "t2", "after")); res.Error != nil {
		t.Fatal(res.Error)
	}
	if next := evs.NextEvent(isText("after")); next.Seq <= first.Seq {
		t.Fatalf("a new event got seq %d, not after the replayed %d", next.Seq, first.Seq)
	}
	if !strings.Contains(p.Stderr(), `"@level": "error", "@message": "journal record skipped: it does not decode", "kind": "E"`) {
		t.Errorf("the skipped records are not logged:\n%s", p.Stderr())
	}
}

// code is a unary call's typed error code; -1 for no error.
func code(err error) pb.ErrorCode {
	if err == nil {
		return -1
	}
	return sdk.FromGRPC(err).Code
}

// Past 1 MiB the journal is rewritten with only what is still needed: the
// events not acknowledged and the answers to txn_ids, which a restart then
// reads back.
func TestJournalCompaction(t *testing.T) {
	dir := t.TempDir()
	p := start(t, dir)
	done := p.Login("", map[string]string{"username": "alice"})
	evs := p.Events()
	p.Connect(done.LoginId, done.SavedState)
	cmds := p.Commands()
	// 1.2 MiB of echoes, not acknowledged yet.
	big := strings.Repeat("x", 60<<10)
	answers := map[string]string{}
	var echoes []*pb.Event
	for i := range 20 {
		txn := fmt.Sprintf("t%d", i)
		res := cmds.Send(plugintest.SendText("alice", "echo", txn, fmt.Sprint(i, big)))
		if res.Error != nil {
			t.Fatal(res.Error)
		}
		answers[txn] = res.MessageId
		echoes = append(echoes, evs.NextEvent(func(ev *pb.Event) bool { return ev.GetMessage() != nil }))
	}
	// All but the last acknowledged: the file is rewritten with it alone.
	last := echoes[len(echoes)-1]
	evs.Ack(last.Seq - 1)
	// The ack travels on its own: wait until a new stream starts at last.
	deadline := time.Now().Add(plugintest.Timeout)
	for {
		s := p.Events()
		ev := s.NextEvent(nil)
		s.Close()
		if ev.Seq == last.Seq {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the ack of seq %d never arrived: a new stream starts at %d", last.Seq-1, ev.Seq)
		}
		time.Sleep(10 * time.Millisecond)
	}
	fi, err := os.Stat(filepath.Join(dir, "events.journal"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() > 1<<20 {
		t.Fatalf("journal is %d bytes with one 60 KiB event left: not compacted", fi.Size())
	}

	p.Restart()
	evs = p.Events()
	if ev := evs.NextEvent(nil); ev.Seq != last.Seq || ev.EventId != last.EventId || ev.GetMessage().GetText() != last.GetMessage().GetText() {
		t.Fatalf("first event after the restart: seq %d %q, want the one not acknowledged, seq %d %q", ev.Seq, ev.EventId, last.Seq, last.EventId)
	}
	p.Connect(done.LoginId, done.SavedState)
	cmds = p.Commands()
	for txn, id := range answers {
		if res := cmds.Send(plugintest.SendText("alice", "echo", txn, "again")); res.MessageId != id {
			t.Fatalf("txn %s after compaction and restart: %v, want message %s", txn, res, id)
		}
	}
}

// Run by hand (no handshake cookie), or by a gateway of another contract
// version, the plugin says so and exits instead of waiting.
func TestRunByHand(t *testing.T) {
	needPython(t)
	for _, tc := range []struct {
		env  []string
		want string
	}{
		{nil, "This is a passerelle transport plugin"},
		{[]string{"PASSERELLE_PLUGIN=4f0c5c7e-passerelle-transport", "PLUGIN_PROTOCOL_VERSIONS=1"}, "plugin speaks contract v2, the gateway offers 1"},
	} {
		cmd := exec.Command(python, script(t))
		cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, tc.env...)
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), tc.want) {
			t.Errorf("env %v: %v, %q; want a failure saying %q", tc.env, err, out, tc.want)
		}
	}
}

// A config key the plugin does not know is refused by name, as the Go
// plugins' sdk.DecodeConfig does, instead of being ignored (it once was).
func TestConfigUnknownKey(t *testing.T) {
	p := start(t, "")
	ctx, cancel := p.CallContext()
	defer cancel()
	_, err := p.Client().Init(ctx, &pb.InitRequest{HostApiVersion: sdk.APIVersion, ConfigJson: []byte(`{"contact_nme": "Echo"}`), DataDir: p.DataDir, Domain: plugintest.Domain})
	if code(err) != pb.ErrorCode_ERROR_CODE_BAD_REQUEST || !strings.Contains(err.Error(), `unknown key "contact_nme"; the known keys are contact_name`) {
		t.Errorf("Init with contact_nme: %v, want BAD_REQUEST naming the key and the known ones", err)
	}
	for _, ok := range []string{`{"contact_name": "Echo Echo"}`, `null`, ``} {
		if _, err := p.Client().Init(ctx, &pb.InitRequest{HostApiVersion: sdk.APIVersion, ConfigJson: []byte(ok), DataDir: p.DataDir, Domain: plugintest.Domain}); err != nil {
			t.Errorf("Init with %q: %v", ok, err)
		}
	}
}

// newerAction is a command whose action is a field the contract does not
// have yet (999, an empty message): as a newer gateway's new action
// reaches a plugin generated from an older contract.
func newerAction(login, chat, txn string) *pb.Command {
	cmd := &pb.Command{LoginId: login, ChatId: chat, TxnId: txn}
	cmd.ProtoReflect().SetUnknown(protowire.AppendBytes(protowire.AppendTag(nil, 999, protowire.BytesType), nil))
	return cmd
}
