package whatsapp

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// XMPP clients mark the last message displayed; WhatsApp's read receipt
// goes to each message's sender. Marking a group read up to Alice's
// message reads Bob's before it too, in a receipt to Bob: only Alice's
// was read, Bob's stayed unread for him (and on the phone). The
// messages after the one marked stay unread; in a one-to-one chat, the
// earlier ones go in the same receipt.
func TestMarkReadEarlierSenders(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	text := func(s string) *waE2E.Message { return &waE2E.Message{Conversation: proto.String(s)} }
	for _, m := range []struct {
		from   string
		id     string
		direct bool
	}{{"bob", "G1", false}, {"alice", "G2", false}, {"bob", "G3", false}, {"alice", "G4", false}, {"bob", "G5", false}, {"alice", "D1", true}, {"alice", "D2", true}} {
		who := alice
		if m.from == "bob" {
			who = bob
		}
		info := inGroup(who, m.id)
		if m.direct {
			info = direct(who, m.id)
		}
		fake.Receive(ctx, &info, text(m.id))
	}
	r.host.next(t, 0, func(ev *pb.Event) bool { return ev.EventId == "D2" })
	meta := func(who string) []byte {
		j := alice
		if who == "bob" {
			j = bob
		}
		return msgMeta{Sender: j}.encode()
	}
	if err := s.MarkRead(ctx, sdk.Call{ChatID: group.String()}, &pb.MarkRead{UpToId: "G4", UpToMeta: meta("alice")}); err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, rd := range fake.Reads() {
		if rd.Chat != group {
			t.Errorf("read in %v", rd.Chat)
		}
		for _, id := range rd.IDs {
			got[rd.Sender.User] = append(got[rd.Sender.User], id)
		}
	}
	if !slices.Equal(got[alice.User], []string{"G2", "G4"}) || !slices.Equal(got[bob.User], []string{"G1", "G3"}) || len(got) != 2 {
		t.Errorf("group read up to G4: %v", fake.Reads())
	}
	n := len(fake.Reads())
	if err := s.MarkRead(ctx, sdk.Call{ChatID: "+33611111111"}, &pb.MarkRead{UpToId: "D2", UpToMeta: meta("alice")}); err != nil {
		t.Fatal(err)
	}
	if rd := fake.Reads()[n:]; len(rd) != 1 || !slices.Equal(rd[0].IDs, []string{"D1", "D2"}) || rd[0].Chat != alice {
		t.Errorf("one-to-one read up to D2: %v", rd)
	}
}

// A read receipt that fails keeps the messages it was to read: the same
// mark again (the user's client, or the next one) reads them all. The
// failed mark took them, and the second read the message marked alone.
func TestMarkReadFailedKeeps(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	for _, m := range []struct {
		who types.JID
		id  string
	}{{bob, "G1"}, {alice, "G2"}, {bob, "G3"}} {
		info := inGroup(m.who, m.id)
		fake.Receive(ctx, &info, &waE2E.Message{Conversation: proto.String(m.id)})
	}
	r.host.next(t, 0, func(ev *pb.Event) bool { return ev.EventId == "G3" })
	mark := &pb.MarkRead{UpToId: "G3", UpToMeta: msgMeta{Sender: bob}.encode()}
	fake.FailReads(1, errors.New("connection lost")) // the first receipt, Bob's
	if err := s.MarkRead(ctx, sdk.Call{ChatID: group.String()}, mark); err == nil {
		t.Fatal("a failed receipt: no error")
	}
	if err := s.MarkRead(ctx, sdk.Call{ChatID: group.String()}, mark); err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, rd := range fake.Reads() {
		for _, id := range rd.IDs {
			got[rd.Sender.User] = append(got[rd.Sender.User], id)
		}
	}
	if !slices.Equal(got[bob.User], []string{"G1", "G3"}) || !slices.Equal(got[alice.User], []string{"G2"}) {
		t.Errorf("reads after a failed one and the mark again: %v, want G1 and G3 to Bob, G2 to Alice", fake.Reads())
	}
}

// The messages kept for read marks survive a restart of the plugin (the
// login folder's journal, unread.jsonl): a mark after it reads every
// sender's earlier messages, those a failed receipt put back included,
// and not again those a mark read before it; a line torn by a crash is
// skipped. After a restart only the message marked was read.
func TestMarkReadAfterRestart(t *testing.T) {
	r := newRig(t, "")
	dir := t.TempDir()
	done := r.loginQR(t, dir)
	info := sdk.LoginInfo{LoginID: done.LoginId, SavedState: done.SavedState, Dir: dir}
	s, fake := r.load(t, info)
	ctx := context.Background()
	for _, m := range []struct {
		who types.JID
		id  string
	}{{bob, "G1"}, {alice, "G2"}, {bob, "G3"}, {alice, "G4"}} {
		in := inGroup(m.who, m.id)
		fake.Receive(ctx, &in, &waE2E.Message{Conversation: proto.String(m.id)})
	}
	r.host.next(t, 0, func(ev *pb.Event) bool { return ev.EventId == "G4" })
	if err := s.MarkRead(ctx, sdk.Call{ChatID: group.String()}, &pb.MarkRead{UpToId: "G1", UpToMeta: msgMeta{Sender: bob}.encode()}); err != nil {
		t.Fatal(err)
	}
	fake.FailReads(1, errors.New("connection lost"))
	if err := s.MarkRead(ctx, sdk.Call{ChatID: group.String()}, &pb.MarkRead{UpToId: "G2", UpToMeta: msgMeta{Sender: alice}.encode()}); err == nil {
		t.Fatal("a failed receipt: no error")
	}
	s.Disconnect(ctx)
	// A crash while a line was written.
	f, err := os.OpenFile(filepath.Join(dir, unreadFile), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(`{"c":"` + group.String() + `","i":"G`); err != nil {
		t.Fatal(err)
	}
	f.Close()

	r2 := newRig(t, "")
	s2, fake2 := r2.load(t, info)
	if err := s2.MarkRead(ctx, sdk.Call{ChatID: group.String()}, &pb.MarkRead{UpToId: "G4", UpToMeta: msgMeta{Sender: alice}.encode()}); err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, rd := range fake2.Reads() {
		for _, id := range rd.IDs {
			got[rd.Sender.User] = append(got[rd.Sender.User], id)
		}
	}
	if !slices.Equal(got[alice.User], []string{"G2", "G4"}) || !slices.Equal(got[bob.User], []string{"G3"}) || len(got) != 2 {
		t.Errorf("group read up to G4 after a restart: %v, want G2 and G4 to Alice, G3 to Bob", fake2.Reads())
	}
}

// The journal is rewritten as the set once it holds many more lines than
// the set has messages: marks read, it stays small, and reads back as
// the same set.
func TestUnreadJournalRewritten(t *testing.T) {
	dir := t.TempDir()
	log := slog.New(slog.DiscardHandler)
	var u unreadMarks
	u.open(dir, log)
	for i := range 5000 {
		id := "M" + strconv.Itoa(i)
		u.note(group.String(), id, alice)
		if i%10 == 9 {
			u.upTo(group.String(), id) // read as they come, ten at a time
		}
	}
	u.note(group.String(), "LAST", bob)
	u.closeJournal()
	b, err := os.ReadFile(filepath.Join(dir, unreadFile))
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(b, []byte("\n")); n > 2*10+1024+1 {
		t.Errorf("%d lines in the journal for one message kept", n)
	}
	var back unreadMarks
	back.open(dir, log)
	defer back.closeJournal()
	if got := back.upTo(group.String(), "LAST"); len(got) != 1 || got[0].id != "LAST" || got[0].sender != bob {
		t.Errorf("read back: %v", got)
	}
}

// A Logout closes the read marks' journal, that of a login whose folder
// holds no device too (the host then removes the folder): it was left
// open, a file held for as long as the plugin ran.
func TestLogoutClosesUnreadJournal(t *testing.T) {
	r := newRig(t, "")
	s, err := r.n.LoadLogin(context.Background(), sdk.LoginInfo{LoginID: "+33600000000", Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if s.unread.j.f == nil {
		t.Fatal("no journal opened in the login's folder")
	}
	if err := s.Logout(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s.unread.j.f != nil {
		t.Error("the journal is still open after the Logout")
	}
}

// A journal written before broadcast lists were kept (lines without
// "l") reads back as it did, its messages of no list; a message to a
// contact's list, and one put back, read back with their list.
func TestUnreadJournalListField(t *testing.T) {
	dir := t.TempDir()
	log := slog.New(slog.DiscardHandler)
	chat := alice.String()
	list := types.NewJID("1700000000", types.BroadcastServer)
	old := `{"c":"` + chat + `","i":"OLD1","s":"` + alice.String() + `"}` + "\n" +
		`{"c":"` + chat + `","b":[{"i":"OLD0","s":"` + alice.String() + `"}]}` + "\n"
	if err := os.WriteFile(filepath.Join(dir, unreadFile), []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	var u unreadMarks
	u.open(dir, log)
	u.noteMsg(chat, unreadMsg{id: "L1", sender: alice, list: list})
	u.closeJournal()

	var back unreadMarks
	back.open(dir, log)
	defer back.closeJournal()
	if s, ok := back.listSender(list, "L1"); !ok || s != alice {
		t.Errorf("list message read back: %v, %v", s, ok)
	}
	got := back.upTo(chat, "L1")
	want := []unreadMsg{{id: "OLD0", sender: alice}, {id: "OLD1", sender: alice}, {id: "L1", sender: alice, list: list}}
	if !slices.Equal(got, want) {
		t.Errorf("read back %v, want %v", got, want)
	}
}

// A channel's post kept for read marks keeps its server ID (what marks
// it viewed) through the journal: noted, and put back after a receipt
// failed, it reads back with it after a restart; a line without one
// (written before) reads back as 0, which no view names.
func TestUnreadJournalServerField(t *testing.T) {
	dir := t.TempDir()
	log := slog.New(slog.DiscardHandler)
	channel := types.NewJID("120363100000000001", types.NewsletterServer)
	chat := channel.String()
	old := `{"c":"` + chat + `","i":"NL0","s":"` + chat + `"}` + "\n"
	if err := os.WriteFile(filepath.Join(dir, unreadFile), []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	var u unreadMarks
	u.open(dir, log)
	u.noteMsg(chat, unreadMsg{id: "NL1", sender: channel, server: 101})
	u.noteMsg(chat, unreadMsg{id: "NL2", sender: channel, server: 102})
	taken := u.upTo(chat, "NL1")
	u.putBack(chat, taken)
	u.closeJournal()

	var back unreadMarks
	back.open(dir, log)
	defer back.closeJournal()
	got := back.upTo(chat, "NL2")
	want := []unreadMsg{{id: "NL0", sender: channel}, {id: "NL1", sender: channel, server: 101}, {id: "NL2", sender: channel, server: 102}}
	if !slices.Equal(got, want) {
		t.Errorf("read back %v, want %v", got, want)
	}
}
