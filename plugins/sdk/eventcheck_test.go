package sdk

import (
	"errors"
	"strings"
	"testing"

	pb "passerelle.im/passerelle/plugins/proto"
)

// An event the gateway could not deliver (no payload, no login, a chat's
// event with no chat) or would refuse (a NUL byte in an ID, an ID or a
// meta past the contract's pb.Limit) is refused at emit: EmitWait says why at once, the
// log names it, and it takes no seq. Before, it was numbered, journalled
// and sent, and the gateway dropped it with at most a debug line: the
// plugin's author never heard of the mistake (the gateway's store
// rejected the NULs and long IDs, and dropped a long meta, with a line
// in its own log). Events that need no login
// (a login step) or no chat (a contact, the login's state) still go.
func TestEmitRefusesUndeliverable(t *testing.T) {
	logs := &logBuffer{}
	f := newFakeTransport()
	c := startServer(t, f, t.TempDir())
	q := f.Host().(host).s.queue()
	q.mu.Lock()
	q.log = logs.logger()
	q.mu.Unlock()
	r := openEvents(t, c)
	ctx := testContext(t) // one for all: a wait before a fix fails the others at once
	text := &pb.Event_Message{Message: &pb.MessageEvent{Text: "hi"}}
	for _, bad := range []struct {
		ev   *pb.Event
		want string
	}{
		{&pb.Event{LoginId: "l", ChatId: "c", EventId: "nopayload"}, "no payload"},
		{&pb.Event{ChatId: "c", EventId: "nologin", Payload: text}, "a message event with no login_id"},
		{&pb.Event{LoginId: "l", EventId: "nochat", Payload: text}, "a message event with no chat_id"},
		{&pb.Event{LoginId: "l", Payload: &pb.Event_Typing{Typing: &pb.TypingEvent{}}}, "a typing event with no chat_id"},
		{&pb.Event{LoginId: "l", EventId: "inv", Payload: &pb.Event_Invited{Invited: &pb.InvitedEvent{ChatName: "g"}}}, "an invited event with no chat_id"},
		{&pb.Event{LoginId: "l", EventId: "ed", Payload: &pb.Event_Edit{Edit: &pb.EditEvent{}}}, "an edit event with no chat_id"},
		{Notice("l", "n0", "", pb.NoticeLevel_NOTICE_LEVEL_INFO), "a notice event with no text"},
		{&pb.Event{LoginId: "l", ChatId: "c", EventId: "n1", Payload: &pb.Event_Notice{Notice: &pb.NoticeEvent{Text: "x"}}}, "a notice event with chat_id \"c\": a notice belongs to no chat"},
		// What the gateway's store refuses, to the contract's bounds.
		{&pb.Event{EventId: "step", Payload: &pb.Event_LoginStep{LoginStep: &pb.LoginStep{ProcessId: "p"}}}, "a login_step event with no login_id but an event_id: the gateway keeps event_ids per login; give a login step none"},
		{&pb.Event{LoginId: "l\x00x", ChatId: "c", EventId: "nul", Payload: text}, "login_id \"l\\x00x\" holds a NUL byte, which no ID may: escape it"},
		{&pb.Event{LoginId: "l", ChatId: "c\x00", EventId: "nul2", Payload: text}, "chat_id \"c\\x00\" holds a NUL byte"},
		{&pb.Event{LoginId: "l", ChatId: "c", EventId: "e\x00", Payload: text}, "event_id \"e\\x00\" holds a NUL byte"},
		{&pb.Event{LoginId: "l", ChatId: strings.Repeat("c", MaxIDBytes+1), Payload: text}, "chat_id is 4097 bytes, over the contract's 4096 (LIMIT_ID_BYTES): give a shorter one (a hash of the network's, mapped back in the data folder)"},
		{&pb.Event{LoginId: strings.Repeat("l", MaxIDBytes+1), Payload: &pb.Event_Contact{Contact: &pb.ContactEvent{}}}, "login_id is 4097 bytes"},
		{&pb.Event{LoginId: "l", ChatId: "c", EventId: strings.Repeat("e", MaxIDBytes+1), Payload: text}, "event_id is 4097 bytes"},
		{&pb.Event{Payload: &pb.Event_LoginStep{LoginStep: &pb.LoginStep{ProcessId: "p", Step: &pb.LoginStep_Complete{Complete: &pb.CompleteStep{LoginId: strings.Repeat("l", MaxIDBytes+1)}}}}}, "a login_step event's completed login's login_id is 4097 bytes"},
		{&pb.Event{Payload: &pb.Event_LoginStep{LoginStep: &pb.LoginStep{ProcessId: "p", Step: &pb.LoginStep_Complete{Complete: &pb.CompleteStep{LoginId: "a\x00b"}}}}}, "a login_step event's completed login's login_id \"a\\x00b\" holds a NUL byte"},
		{&pb.Event{LoginId: "l", ChatId: "c", EventId: "meta", Meta: make([]byte, MaxMetaBytes+1), Payload: text}, "a message event's meta is 1025 bytes, over the contract's 1024"},
	} {
		err := f.Host().EmitWait(ctx, bad.ev)
		if !errors.Is(err, errInvalidEvent) || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("EmitWait(%v) = %v, want an error saying %q", bad.ev, err, bad.want)
		}
		if bad.ev.Seq != 0 {
			t.Errorf("%v took seq %d", bad.ev, bad.ev.Seq)
		}
	}
	if log := logs.String(); !strings.Contains(log, `"event_id":"nochat"`) || !strings.Contains(log, "no chat_id") || !strings.Contains(log, "event dropped") {
		t.Errorf("the log does not name the event dropped and why:\n%s", log)
	}

	// What needs no login or no chat goes, numbered from 1: nothing
	// before took a seq.
	f.Host().Emit(&pb.Event{Payload: &pb.Event_LoginStep{LoginStep: &pb.LoginStep{ProcessId: "p"}}})
	f.Host().Emit(&pb.Event{LoginId: "l", Payload: &pb.Event_Contact{Contact: &pb.ContactEvent{Contact: &pb.Contact{UserId: "bob"}}}})
	f.Host().Emit(&pb.Event{LoginId: "l", ChatId: "c", EventId: "ok", Payload: text})
	f.Host().Emit(Notice("l", "n2", "some messages were lost", pb.NoticeLevel_NOTICE_LEVEL_WARNING))
	// At the bounds, not past them.
	f.Host().Emit(&pb.Event{LoginId: "l", ChatId: strings.Repeat("c", MaxIDBytes), EventId: strings.Repeat("e", MaxIDBytes), Meta: make([]byte, MaxMetaBytes), Payload: text})
	for i, want := range []string{"login_step", "contact", "message", "notice", "message"} {
		if ev := r.next(t); eventKind(ev) != want || ev.Seq != uint64(i+1) {
			t.Fatalf("event %d: %v, want a %s with seq %d", i+1, ev, want, i+1)
		}
	}
}

// A history batch the gateway would refuse, whole (no cursor and not
// done, a NUL or an over-long ID) or an event of it (one the live stream
// refuses, one of another chat), is refused at SendHistory, with the
// reason, a log line and nothing queued: the gateway acknowledged it and
// logged it in its own log, and the plugin never heard. A good batch
// then goes, as the first one the host sees.
func TestSendHistoryRefusesUndeliverable(t *testing.T) {
	c, f, _ := startFiller(t, "", 0)
	ctx := testContext(t)
	logs := &logBuffer{}
	srv := f.host().(host).s
	srv.mu.Lock()
	srv.log = logs.logger()
	srv.mu.Unlock()
	msg := func(id string) *pb.Event {
		return &pb.Event{EventId: id, Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: id}}}
	}
	for _, bad := range []struct {
		b    *pb.HistoryBatch
		want string
	}{
		{&pb.HistoryBatch{ChatId: "g", Done: true, Events: []*pb.Event{msg("m")}}, "a history batch needs its login_id and chat_id"},
		{&pb.HistoryBatch{LoginId: "a", ChatId: "g", Events: []*pb.Event{msg("m")}}, "not done needs its cursor"},
		{&pb.HistoryBatch{LoginId: "a", ChatId: "g\x00", Done: true}, `chat_id "g\x00" holds a NUL byte`},
		{&pb.HistoryBatch{LoginId: "a", ChatId: "g", Cursor: strings.Repeat("c", MaxIDBytes+1)}, "cursor is 4097 bytes"},
		{&pb.HistoryBatch{LoginId: "a", ChatId: "g", Done: true, Events: []*pb.Event{msg("m"), {EventId: "x"}}}, `sdk: the history batch was refused: a history batch's event 1 (event_id "x"): it has no payload`},
		{&pb.HistoryBatch{LoginId: "a", ChatId: "g", Done: true, Events: []*pb.Event{{ChatId: "other", EventId: "o", Payload: msg("o").Payload}}}, `holds event 0 of chat "other"`},
		{&pb.HistoryBatch{LoginId: "a", ChatId: "g", Done: true, Events: []*pb.Event{{EventId: "big", Meta: make([]byte, MaxMetaBytes+1), Payload: msg("big").Payload}}}, "meta is 1025 bytes"},
		{&pb.HistoryBatch{LoginId: "a", ChatId: "g", Done: true, Events: []*pb.Event{msg("e\x00")}}, `event_id "e\x00" holds a NUL byte`},
	} {
		err := f.host().SendHistory(ctx, bad.b)
		if !errors.Is(err, errInvalidBatch) || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("SendHistory(%v) = %v, want an error saying %q", bad.b, err, bad.want)
		}
		if bad.b.Seq != 0 {
			t.Errorf("%v took seq %d", bad.b, bad.b.Seq)
		}
	}
	if log := logs.String(); !strings.Contains(log, "history batch dropped") || !strings.Contains(log, "needs its cursor") {
		t.Errorf("the log does not say a batch was dropped and why:\n%s", log)
	}
	if err := f.host().SendHistory(ctx, &pb.HistoryBatch{LoginId: "a", ChatId: "g", Cursor: "c1", Events: []*pb.Event{msg("ok")}}); err != nil {
		t.Fatalf("SendHistory of a good batch: %v", err)
	}
	hist, err := c.History(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if b := recvBatch(t, hist); b.Cursor != "c1" || len(b.Events) != 1 || b.Events[0].EventId != "ok" {
		t.Fatalf("first batch the host sees: %v, want the good one", b)
	}
}

// CheckHistoryBatch takes a batch as the gateway does, for a plugin
// without the SDK (the kit): an event's empty login_id and chat_id are
// the batch's, and its other rules hold for the event filled in; the
// batch is not changed. (SendHistory fills them in before it checks.)
func TestCheckHistoryBatch(t *testing.T) {
	text := &pb.Event_Message{Message: &pb.MessageEvent{Text: "old"}}
	b := &pb.HistoryBatch{LoginId: "l", ChatId: "c", Done: true, Events: []*pb.Event{{EventId: "e", Payload: text}}}
	if err := CheckHistoryBatch(b); err != nil {
		t.Errorf("a batch whose event's login and chat are the batch's, left empty: %v", err)
	}
	if ev := b.Events[0]; ev.LoginId != "" || ev.ChatId != "" {
		t.Errorf("the batch's event was changed: %v", ev)
	}
	for _, bad := range []struct {
		ev   *pb.Event
		want string
	}{
		{&pb.Event{ChatId: "d", Payload: text}, `holds event 0 of chat "d" (login "")`},
		{&pb.Event{LoginId: "m", Payload: text}, `holds event 0 of chat "" (login "m")`},
		{&pb.Event{EventId: "e\x00", Payload: text}, `a history batch's event 0 (event_id "e\x00"): a message event's event_id "e\x00" holds a NUL byte`},
	} {
		b := &pb.HistoryBatch{LoginId: "l", ChatId: "c", Done: true, Events: []*pb.Event{bad.ev}}
		if err := CheckHistoryBatch(b); err == nil || !strings.Contains(err.Error(), bad.want) || errors.Is(err, errInvalidBatch) {
			t.Errorf("CheckHistoryBatch(%v) = %v, want an error saying %q, without SendHistory's prefix", b, err, bad.want)
		}
	}
}
