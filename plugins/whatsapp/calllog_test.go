package whatsapp

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/proto/waHistorySync"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/whatsapp/wafake"
)

// A call shown live, then the phone's call log of it (a message of its
// own, with no call ID: the phone sends it to the linked devices once
// the call is over, and its history holds it): the log gets the live
// call's ID, so the gateway drops it as a duplicate. It had its own ID,
// and the call was said twice. A log of another call (another kind, or
// in another chat) keeps its ID, and one log takes one call.
func TestCallLogOfCallSeenLive(t *testing.T) {
	r := newRig(t, "")
	_, fake := r.connected(t)
	ctx := context.Background()
	now := time.Now().Truncate(time.Second)
	callLog := func(video bool, outcome waE2E.CallLogMessage_CallOutcome) *waE2E.Message {
		return &waE2E.Message{CallLogMesssage: &waE2E.CallLogMessage{IsVideo: proto.Bool(video), CallOutcome: outcome.Enum()}}
	}
	mine := func(chat types.JID, id string, at time.Time) *types.MessageInfo {
		return &types.MessageInfo{MessageSource: types.MessageSource{Chat: chat, Sender: phone, IsFromMe: true}, ID: id, Timestamp: at}
	}

	from := r.host.count()
	fake.Call(ctx, wafake.Call{Tag: "offer", ID: "CL7", From: alice.String(), At: now.Add(-time.Minute).Unix()})
	live, i := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	fake.Call(ctx, wafake.Call{Tag: "terminate", ID: "CL7", From: alice.String(), Reason: "timeout", At: now.Add(-30 * time.Second).Unix()})
	_, i = r.host.next(t, i+1, func(ev *pb.Event) bool { return ev.GetEdit() != nil })

	// Live: a video call's log (not this call) keeps its ID; the voice
	// call's log has the call's.
	// (Hers, by its key: one of the user's own would read "Unanswered":
	// TestCallLogOutgoing.)
	fake.Receive(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: alice, Sender: alice}, ID: "LOGV", Timestamp: now.Add(-28 * time.Second)},
		callLog(true, waE2E.CallLogMessage_MISSED))
	ev, i := r.host.next(t, i+1, func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if ev.EventId != "LOGV" || ev.GetMessage().Text != "Missed video call" {
		t.Errorf("another call's log: %v", ev)
	}
	fake.Receive(ctx, mine(alice, "LOG1", now.Add(-27*time.Second)), callLog(false, waE2E.CallLogMessage_MISSED))
	ev, _ = r.host.next(t, i+1, func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if ev.EventId != live.EventId || ev.GetMessage().Text != "Missed voice call" {
		t.Errorf("the call's log: %v, want under %q", ev, live.EventId)
	}

	// History: a second call, and its log in a history sync beside
	// another's: one log takes one call.
	from = r.host.count()
	fake.Call(ctx, wafake.Call{Tag: "offer", ID: "CL8", From: alice.String(), At: now.Add(-20 * time.Second).Unix()})
	live2, i := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	fake.Call(ctx, wafake.Call{Tag: "terminate", ID: "CL8", From: alice.String(), Reason: "timeout", At: now.Add(-10 * time.Second).Unix()})
	r.host.next(t, i+1, func(ev *pb.Event) bool { return ev.GetEdit() != nil })
	log2 := webMsg(alice, "LOG2", false, now.Add(-9*time.Second), "") // hers, by its key
	log2.Message.Message = callLog(false, waE2E.CallLogMessage_MISSED)
	log3 := webMsg(alice, "LOG3", false, now.Add(-8*time.Second), "")
	log3.Message.Message = callLog(false, waE2E.CallLogMessage_MISSED)
	fake.History(ctx, &waHistorySync.HistorySync{SyncType: waHistorySync.HistorySync_RECENT.Enum(),
		Conversations: []*waHistorySync.Conversation{{ID: proto.String(alice.String()), Messages: []*waHistorySync.HistorySyncMsg{log3, log2}}}})
	var got []string
	for _, b := range r.host.waitHistory(t, 1) {
		for _, ev := range b.Events {
			if ev.GetMessage().GetText() == "Missed voice call" {
				got = append(got, ev.EventId)
			}
		}
	}
	// Which of the two is the call's is not known (both are near its
	// end): one is, the other keeps its ID.
	if len(got) != 2 || !((got[0] == live2.EventId && got[1] == "LOG3") || (got[0] == "LOG2" && got[1] == live2.EventId)) {
		t.Errorf("history's logs have IDs %q; want %q once, beside LOG2 or LOG3", got, live2.EventId)
	}
}

// The calls are kept in the login's folder: after a restart of the
// plugin, the phone's log of a call shown before it still gets the
// call's ID (it was said again: the match was in memory only), and a
// call ringing when the plugin stopped is corrected when it ends after
// the restart (it kept "answer it on your phone": the end of a call not
// seen ringing was dropped).
func TestCallLogAfterRestart(t *testing.T) {
	r := newRig(t, "")
	dir := t.TempDir()
	done := r.loginQR(t, dir)
	info := sdk.LoginInfo{LoginID: done.LoginId, SavedState: done.SavedState, Dir: dir}
	s, fake := r.load(t, info)
	ctx := context.Background()
	now := time.Now().Truncate(time.Second)

	from := r.host.count()
	fake.Call(ctx, wafake.Call{Tag: "offer", ID: "RS1", From: alice.String(), At: now.Add(-time.Minute).Unix()})
	live, i := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	fake.Call(ctx, wafake.Call{Tag: "terminate", ID: "RS1", From: alice.String(), Reason: "timeout", At: now.Add(-30 * time.Second).Unix()})
	_, i = r.host.next(t, i+1, func(ev *pb.Event) bool { return ev.GetEdit() != nil })
	fake.Call(ctx, wafake.Call{Tag: "offer", ID: "RS2", From: bob.String(), At: now.Add(-10 * time.Second).Unix()})
	ringing, _ := r.host.next(t, i+1, func(ev *pb.Event) bool { return ev.EventId == "call-RS2" })
	s.Disconnect(ctx)

	r2 := newRig(t, "")
	_, fake2 := r2.load(t, info)
	from = r2.host.count()
	fake2.Receive(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: alice, Sender: phone, IsFromMe: true}, ID: "LOGR", Timestamp: now.Add(-25 * time.Second)},
		&waE2E.Message{CallLogMesssage: &waE2E.CallLogMessage{CallOutcome: waE2E.CallLogMessage_MISSED.Enum()}})
	ev, i := r2.host.next(t, from, func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if ev.EventId != live.EventId || ev.ChatId != "+33611111111" {
		t.Errorf("the log of a call shown before the restart: %v, want under %q", ev, live.EventId)
	}
	fake2.Call(ctx, wafake.Call{Tag: "terminate", ID: "RS2", From: bob.String(), Reason: "timeout", At: now.Unix()})
	ev, _ = r2.host.next(t, i+1, func(ev *pb.Event) bool { return ev.GetEdit() != nil || ev.GetMessage() != nil })
	if ev.GetEdit().GetTargetId() != ringing.EventId || ev.GetEdit().GetText() != "Missed voice call" || ev.ChatId != "+33622222222" {
		t.Errorf("the end of a call ringing at the restart: %v, want a correction of %s", ev, ringing.EventId)
	}
}

// The phone logs a call under the caller's LID when the call named their
// phone number beside it, or under the number when the call named only
// the LID (its number learnt since): either log is the call's. They kept
// their own IDs, and the first one went to a chat of the LID's.
func TestCallLogLIDAndPhone(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	now := time.Now().Truncate(time.Second)
	logOf := func(chat types.JID, id string, at time.Time) {
		fake.Receive(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: chat, Sender: phone, IsFromMe: true}, ID: id, Timestamp: at},
			&waE2E.Message{CallLogMesssage: &waE2E.CallLogMessage{CallOutcome: waE2E.CallLogMessage_MISSED.Enum()}})
	}

	// Her LID and number: the call in her number's chat, its log under
	// the LID.
	from := r.host.count()
	fake.Call(ctx, wafake.Call{Tag: "offer", ID: "LP1", From: aliceLID.String(), CreatorPN: alice.String(), At: now.Add(-time.Minute).Unix()})
	live, i := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	fake.Call(ctx, wafake.Call{Tag: "terminate", ID: "LP1", From: aliceLID.String(), Reason: "timeout", At: now.Add(-50 * time.Second).Unix()})
	_, i = r.host.next(t, i+1, func(ev *pb.Event) bool { return ev.GetEdit() != nil })
	logOf(aliceLID, "LOGL", now.Add(-49*time.Second))
	ev, i := r.host.next(t, i+1, func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if ev.EventId != live.EventId || ev.ChatId != "+33611111111" {
		t.Errorf("a log under the LID of a call by number: %v, want %s in +33611111111", ev, live.EventId)
	}

	// Dave's LID only: the call in his LID's chat; his number learnt,
	// its log under the number.
	dave := types.NewJID("444555666", types.HiddenUserServer)
	davePN := types.NewJID("33644444444", types.DefaultUserServer)
	fake.Call(ctx, wafake.Call{Tag: "offer", ID: "LP2", From: dave.String(), At: now.Add(-40 * time.Second).Unix()})
	live, i = r.host.next(t, i+1, func(ev *pb.Event) bool { return ev.EventId == "call-LP2" })
	if live.ChatId != "lid-444555666" {
		t.Fatalf("a call by LID only: %v", live)
	}
	fake.Call(ctx, wafake.Call{Tag: "terminate", ID: "LP2", From: dave.String(), Reason: "timeout", At: now.Add(-30 * time.Second).Unix()})
	_, i = r.host.next(t, i+1, func(ev *pb.Event) bool { return ev.GetEdit() != nil })
	if err := s.d.dev.LIDs.PutLIDMapping(ctx, dave, davePN); err != nil {
		t.Fatal(err)
	}
	logOf(davePN, "LOGP", now.Add(-29*time.Second))
	ev, _ = r.host.next(t, i+1, func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if ev.EventId != live.EventId {
		t.Errorf("a log under the number of a call by LID: %v, want %s", ev, live.EventId)
	}
}

// The calls kept are bounded (callsMax, the oldest going first) and run
// out: a call ringing past callRingKept (its end lost), an ended one
// past callEndKept; they are written durably, read back by the next
// plugin.
func TestCallStoreBounded(t *testing.T) {
	dir := t.TempDir()
	writes := durableWrites(t, stateWriter, dir)
	now := time.Now()
	c := newCalls(dir, nil)
	if err := c.add(&callRec{ID: "OLDRING", Chat: "+1", At: now.Add(-callRingKept - time.Hour).UnixMicro()}, now); err != nil {
		t.Fatal(err)
	}
	if err := c.add(&callRec{ID: "OLDEND", Chat: "+1", At: now.Add(-callEndKept - 2*time.Hour).UnixMicro(), End: now.Add(-callEndKept - time.Hour).UnixMilli()}, now); err != nil {
		t.Fatal(err)
	}
	if c.known("OLDRING") || c.known("OLDEND") {
		t.Error("calls run out still kept")
	}
	for i := range callsMax + 1 {
		if err := c.add(&callRec{ID: "C" + strconv.Itoa(i), Chat: "+1", At: now.UnixMicro()}, now); err != nil {
			t.Fatal(err)
		}
	}
	again := newCalls(dir, nil)
	if again.known("C0") || !again.known("C1") || !again.known("C"+strconv.Itoa(callsMax)) {
		t.Errorf("after %d calls: C0 kept %v, C1 %v, the last %v", callsMax+1, again.known("C0"), again.known("C1"), again.known("C"+strconv.Itoa(callsMax)))
	}
	if wrote := writes(); len(wrote) == 0 || !slices.Equal(slices.Compact(wrote), []string{callsFile}) {
		t.Errorf("durable writes %q, want %s", wrote, callsFile)
	}
}

// The phone's log of a call the user placed from the phone (its key's
// fromMe: the log itself names no direction) says so: "Unanswered voice
// call", not "Missed voice call" from the user, live and in history; a
// log of the other's call, or one of a call shown ringing here, stays
// "Missed".
func TestCallLogOutgoing(t *testing.T) {
	r := newRig(t, "")
	_, fake := r.connected(t)
	ctx := context.Background()
	now := time.Now().Truncate(time.Second)
	callLog := func(video bool, outcome waE2E.CallLogMessage_CallOutcome, secs int64) *waE2E.Message {
		return &waE2E.Message{CallLogMesssage: &waE2E.CallLogMessage{IsVideo: proto.Bool(video), CallOutcome: outcome.Enum(), DurationSecs: proto.Int64(secs)}}
	}
	from := r.host.count()
	fake.Receive(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: alice, Sender: phone, IsFromMe: true}, ID: "OUT1", Timestamp: now.Add(-time.Minute)},
		callLog(false, waE2E.CallLogMessage_MISSED, 0))
	ev, i := r.host.next(t, from, func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if ev.EventId != "OUT1" || ev.GetMessage().Text != "Unanswered voice call" {
		t.Errorf("the user's unanswered call: %v", ev)
	}
	fake.Receive(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: alice, Sender: phone, IsFromMe: true}, ID: "OUT2", Timestamp: now.Add(-50 * time.Second)},
		callLog(true, waE2E.CallLogMessage_CONNECTED, 65))
	ev, i = r.host.next(t, i+1, func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if ev.GetMessage().Text != "Video call, 1 min 5 s" {
		t.Errorf("the user's answered call: %v", ev)
	}
	fake.Receive(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: alice, Sender: alice}, ID: "IN1", Timestamp: now.Add(-40 * time.Second)},
		callLog(false, waE2E.CallLogMessage_MISSED, 0))
	ev, _ = r.host.next(t, i+1, func(ev *pb.Event) bool { return ev.GetMessage() != nil })
	if ev.GetMessage().Text != "Missed voice call" {
		t.Errorf("her missed call: %v", ev)
	}

	// In a group: a group call, as its live offer and history's stub
	// say (it read as a one-to-one call).
	fake.Receive(ctx, &types.MessageInfo{MessageSource: types.MessageSource{Chat: group, Sender: bob, IsGroup: true}, ID: "GRP1", Timestamp: now.Add(-35 * time.Second)},
		callLog(false, waE2E.CallLogMessage_MISSED, 0))
	ev, _ = r.host.next(t, i+1, func(ev *pb.Event) bool { return ev.EventId == "GRP1" })
	if ev.GetMessage().Text != "Missed group voice call" {
		t.Errorf("a group's missed call: %v", ev)
	}

	out := webMsg(alice, "OUT3", true, now.Add(-30*time.Second), "")
	out.Message.Message = callLog(true, waE2E.CallLogMessage_REJECTED, 0)
	in := webMsg(alice, "IN2", false, now.Add(-20*time.Second), "")
	in.Message.Message = callLog(true, waE2E.CallLogMessage_MISSED, 0)
	fake.History(ctx, &waHistorySync.HistorySync{SyncType: waHistorySync.HistorySync_RECENT.Enum(),
		Conversations: []*waHistorySync.Conversation{{ID: proto.String(alice.String()), Messages: []*waHistorySync.HistorySyncMsg{in, out}}}})
	got := map[string]string{}
	for _, b := range r.host.waitHistory(t, 1) {
		for _, ev := range b.Events {
			got[ev.EventId] = ev.GetMessage().GetText()
		}
	}
	if got["OUT3"] != "Unanswered video call" || got["IN2"] != "Missed video call" {
		t.Errorf("history's call logs: %q", got)
	}
}
