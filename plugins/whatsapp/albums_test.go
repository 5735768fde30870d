package whatsapp

import (
	"context"
	"io"
	"slices"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waCommon"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/proto/waHistorySync"
	"go.mau.fi/whatsmeow/types"
	"google.golang.org/protobuf/proto"

	pb "passerelle.im/passerelle/plugins/proto"
)

// associatedChild is a message as WhatsApp's apps wrap an album's photo
// (MEDIA_ALBUM) or the HD copy of a photo sent first in standard quality
// (HD_IMAGE_DUAL_UPLOAD): inside associatedChildMessage, naming its
// parent.
func associatedChild(kind waE2E.MessageAssociation_AssociationType, parent string, inner *waE2E.Message) *waE2E.Message {
	inner.MessageContextInfo = &waE2E.MessageContextInfo{MessageAssociation: &waE2E.MessageAssociation{
		AssociationType: kind.Enum(), ParentMessageKey: &waCommon.MessageKey{RemoteJID: proto.String(alice.String()), ID: proto.String(parent)}}}
	return &waE2E.Message{AssociatedChildMessage: &waE2E.FutureProofMessage{Message: inner}}
}

func photo(path, caption string) *waE2E.Message {
	return &waE2E.Message{ImageMessage: &waE2E.ImageMessage{DirectPath: proto.String(path), Mimetype: proto.String("image/jpeg"),
		FileLength: proto.Uint64(4), Caption: proto.String(caption)}}
}

// Several photos sent at once (an album: each wrapped in
// associatedChildMessage, which whatsmeow leaves as it is) and a video
// note (a round video, PtvMessage) are shown, and their files download;
// the HD copy of a photo shown already is not shown again. Live and in
// history.
func TestAlbumAndVideoNote(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	fake.AddMedia("/v/p1", []byte("JPG1"))
	fake.AddMedia("/v/ptv", []byte("MP4!"))
	info := func(id string) *types.MessageInfo {
		return &types.MessageInfo{MessageSource: types.MessageSource{Chat: alice, Sender: alice}, ID: types.MessageID(id), Timestamp: when}
	}
	from := r.host.count()
	fake.Receive(ctx, info("ALB1"), associatedChild(waE2E.MessageAssociation_MEDIA_ALBUM, "ALB0", photo("/v/p1", "the beach")))
	fake.Receive(ctx, info("ALB1HD"), associatedChild(waE2E.MessageAssociation_HD_IMAGE_DUAL_UPLOAD, "ALB1", photo("/v/p1hd", "the beach")))
	fake.Receive(ctx, info("PTV1"), &waE2E.Message{PtvMessage: &waE2E.VideoMessage{DirectPath: proto.String("/v/ptv"),
		Mimetype: proto.String("video/mp4"), FileLength: proto.Uint64(4), Seconds: proto.Uint32(7)}})
	fake.Receive(ctx, info("FENCE"), &waE2E.Message{Conversation: proto.String("fence")})
	r.host.next(t, from, func(ev *pb.Event) bool { return ev.EventId == "FENCE" })
	got := map[string]*pb.MessageEvent{}
	for _, ev := range r.host.since(from) {
		if m := ev.GetMessage(); m != nil {
			got[ev.EventId] = m
		}
	}
	if len(got) != 3 || got["ALB1HD"] != nil {
		t.Errorf("messages shown: %v", got)
	}
	download := func(m *pb.MessageEvent) string {
		t.Helper()
		if m == nil || len(m.Attachments) != 1 {
			t.Fatalf("no file: %v", m)
		}
		_, rc, err := s.DownloadMedia(ctx, "+33611111111", m.Attachments[0].GetRef())
		if err != nil {
			t.Fatalf("download %v: %v", m.Attachments[0], err)
		}
		defer rc.Close()
		b, _ := io.ReadAll(rc)
		return string(b)
	}
	if m := got["ALB1"]; download(m) != "JPG1" || m.Text != "the beach" || m.Attachments[0].MimeType != "image/jpeg" {
		t.Errorf("album photo: %v", m)
	}
	if m := got["PTV1"]; download(m) != "MP4!" || m.Attachments[0].Name != "video-note.mp4" || m.Attachments[0].DurationMs != 7000 {
		t.Errorf("video note: %v", m)
	}

	now := time.Now().Truncate(time.Second)
	fake.History(ctx, &waHistorySync.HistorySync{SyncType: waHistorySync.HistorySync_INITIAL_BOOTSTRAP.Enum(),
		Conversations: []*waHistorySync.Conversation{{ID: proto.String(alice.String()), Messages: []*waHistorySync.HistorySyncMsg{
			historyMsg(alice, "HHD", now.Add(-time.Minute), associatedChild(waE2E.MessageAssociation_HD_IMAGE_DUAL_UPLOAD, "HALB1", photo("/v/h1hd", ""))),
			historyMsg(alice, "HALB1", now.Add(-2*time.Minute), associatedChild(waE2E.MessageAssociation_MEDIA_ALBUM, "HALB0", photo("/v/h1", ""))),
			historyMsg(alice, "HPTV", now.Add(-3*time.Minute), &waE2E.Message{PtvMessage: &waE2E.VideoMessage{DirectPath: proto.String("/v/h2"), Mimetype: proto.String("video/mp4")}}),
		}}}})
	b := r.host.waitHistory(t, 1)[0]
	var ids []string
	for _, ev := range b.Events {
		if len(ev.GetMessage().GetAttachments()) == 1 {
			ids = append(ids, ev.EventId)
		}
	}
	if len(ids) != 2 || ids[0] != "HPTV" || ids[1] != "HALB1" || len(b.Events) != 2 {
		t.Errorf("history: files in %v of %v", ids, b.Events)
	}
}

// In history, where a photo and its HD copy come together, the photo is
// shown once, with the HD copy's file and its own caption; a "copy"
// another group member sent, naming someone else's photo, changes
// nothing.
func TestHistoryHDCopy(t *testing.T) {
	r := newRig(t, "")
	s, fake := r.connected(t)
	ctx := context.Background()
	fake.AddMedia("/v/sd", []byte("SDJPG"))
	fake.AddMedia("/v/hd", []byte("HDJPG"))
	fake.AddMedia("/v/gsd", []byte("GROUPSD"))
	fake.AddMedia("/v/spoof", []byte("SPOOF"))
	now := time.Now().Truncate(time.Second)
	grp := types.NewJID("120363000000000078", types.GroupServer)
	carol := types.NewJID("33633333333", types.DefaultUserServer)
	inGroup := func(hm *waHistorySync.HistorySyncMsg, from types.JID) *waHistorySync.HistorySyncMsg {
		hm.Message.Key.RemoteJID = proto.String(grp.String())
		hm.Message.Key.Participant = proto.String(from.String())
		return hm
	}
	fake.History(ctx, &waHistorySync.HistorySync{SyncType: waHistorySync.HistorySync_INITIAL_BOOTSTRAP.Enum(),
		Conversations: []*waHistorySync.Conversation{
			{ID: proto.String(alice.String()), Messages: []*waHistorySync.HistorySyncMsg{
				historyMsg(alice, "HD1", now.Add(-time.Minute), associatedChild(waE2E.MessageAssociation_HD_IMAGE_DUAL_UPLOAD, "SD1", photo("/v/hd", ""))),
				historyMsg(alice, "SD1", now.Add(-2*time.Minute), photo("/v/sd", "sunset")),
			}},
			{ID: proto.String(grp.String()), Messages: []*waHistorySync.HistorySyncMsg{
				inGroup(historyMsg(grp, "GHD", now.Add(-time.Minute), associatedChild(waE2E.MessageAssociation_HD_IMAGE_DUAL_UPLOAD, "GSD", photo("/v/spoof", ""))), carol),
				inGroup(historyMsg(grp, "GSD", now.Add(-2*time.Minute), photo("/v/gsd", "")), bob),
			}},
		}})
	got := map[string]*pb.MessageEvent{}
	for _, b := range r.host.waitHistory(t, 2) {
		for _, ev := range b.Events {
			got[ev.EventId] = ev.GetMessage()
		}
	}
	if len(got) != 2 || got["SD1"] == nil || got["GSD"] == nil {
		t.Fatalf("history shown: %v", got)
	}
	download := func(chat string, m *pb.MessageEvent) string {
		t.Helper()
		_, rc, err := s.DownloadMedia(ctx, chat, m.Attachments[0].GetRef())
		if err != nil {
			t.Fatalf("download: %v", err)
		}
		defer rc.Close()
		b, _ := io.ReadAll(rc)
		return string(b)
	}
	if m := got["SD1"]; download("+33611111111", m) != "HDJPG" || m.Text != "sunset" || m.Attachments[0].Caption != "sunset" {
		t.Errorf("photo with its HD copy: %v (file %q)", m, download("+33611111111", m))
	}
	if m := got["GSD"]; download(grp.String(), m) != "GROUPSD" {
		t.Errorf("a member's photo took another's copy: %v", m)
	}
}

// An album's photos, sent within one second, come in history in the
// order sent, the album's announcement saying nothing: the blob lists
// a conversation newest first, and a photo's order number (msgOrderID),
// when there is one, says its place. Live, each photo shows as it
// comes, after a silent announcement.
func TestAlbumInOrder(t *testing.T) {
	r := newRig(t, "")
	_, fake := r.connected(t)
	ctx := context.Background()
	at := time.Now().Add(-time.Hour).Truncate(time.Second)
	album := &waE2E.Message{AlbumMessage: &waE2E.AlbumMessage{ExpectedImageCount: proto.Uint32(3)}}
	item := func(n string) *waE2E.Message {
		return associatedChild(waE2E.MessageAssociation_MEDIA_ALBUM, "A0", photo("/v/"+n, n))
	}
	ordered := func(hm *waHistorySync.HistorySyncMsg, n uint64) *waHistorySync.HistorySyncMsg {
		hm.MsgOrderID = proto.Uint64(n)
		return hm
	}
	bob := types.NewJID("33622222222", types.DefaultUserServer)
	fake.History(ctx, &waHistorySync.HistorySync{SyncType: waHistorySync.HistorySync_INITIAL_BOOTSTRAP.Enum(),
		Conversations: []*waHistorySync.Conversation{
			{ID: proto.String(alice.String()), Messages: []*waHistorySync.HistorySyncMsg{
				historyMsg(alice, "A3", at, item("third")),
				historyMsg(alice, "A2", at, item("second")),
				historyMsg(alice, "A1", at, item("first")),
				historyMsg(alice, "A0", at, album),
			}},
			// Listed out of order, their order numbers say it.
			{ID: proto.String(bob.String()), Messages: []*waHistorySync.HistorySyncMsg{
				ordered(historyMsg(bob, "B2", at, item("second")), 12),
				ordered(historyMsg(bob, "B1", at, item("first")), 11),
				ordered(historyMsg(bob, "B3", at, item("third")), 13),
			}},
		}})
	got := map[string][]string{}
	for _, b := range r.host.waitHistory(t, 2) {
		for _, ev := range b.Events {
			got[ev.ChatId] = append(got[ev.ChatId], ev.EventId+":"+ev.GetMessage().GetText())
		}
	}
	if want := []string{"A1:first", "A2:second", "A3:third"}; !slices.Equal(got["+33611111111"], want) {
		t.Errorf("album in history: %v, want %v", got["+33611111111"], want)
	}
	if want := []string{"B1:first", "B2:second", "B3:third"}; !slices.Equal(got["+33622222222"], want) {
		t.Errorf("album with order numbers: %v, want %v", got["+33622222222"], want)
	}

	info := func(id string) *types.MessageInfo {
		return &types.MessageInfo{MessageSource: types.MessageSource{Chat: alice, Sender: alice}, ID: types.MessageID(id), Timestamp: at}
	}
	from := r.host.count()
	fake.Receive(ctx, info("L0"), album)
	for _, id := range []string{"L1", "L2"} {
		fake.Receive(ctx, info(id), item(id))
	}
	r.host.next(t, from, func(ev *pb.Event) bool { return ev.EventId == "L2" })
	var live []string
	for _, ev := range r.host.since(from) {
		if ev.GetMessage() != nil {
			live = append(live, ev.EventId)
		}
	}
	if !slices.Equal(live, []string{"L1", "L2"}) {
		t.Errorf("live album: %v", live)
	}
}

// An album sent as a reply, whose announcement alone carries the quote,
// shows its first item as the reply, the others not: the quote was lost
// with the announcement, which shows nothing.
func TestAlbumAsReply(t *testing.T) {
	r := newRig(t, "")
	_, fake := r.connected(t)
	ctx := context.Background()
	info := func(id string) *types.MessageInfo {
		return &types.MessageInfo{MessageSource: types.MessageSource{Chat: alice, Sender: alice}, ID: types.MessageID(id), Timestamp: when}
	}
	from := r.host.count()
	fake.Receive(ctx, info("R0"), &waE2E.Message{AlbumMessage: &waE2E.AlbumMessage{ExpectedImageCount: proto.Uint32(2),
		ContextInfo: &waE2E.ContextInfo{StanzaID: proto.String("Q1"), Participant: proto.String(me.String()),
			QuotedMessage: &waE2E.Message{Conversation: proto.String("send me the pictures")}}}})
	fake.Receive(ctx, info("R1"), associatedChild(waE2E.MessageAssociation_MEDIA_ALBUM, "R0", photo("/v/r1", "")))
	fake.Receive(ctx, info("R2"), associatedChild(waE2E.MessageAssociation_MEDIA_ALBUM, "R0", photo("/v/r2", "")))
	r.host.next(t, from, func(ev *pb.Event) bool { return ev.EventId == "R2" })
	got := map[string]*pb.MessageEvent{}
	for _, ev := range r.host.since(from) {
		if m := ev.GetMessage(); m != nil {
			got[ev.EventId] = m
		}
	}
	if m := got["R1"]; m.GetReplyToId() != "Q1" || m.GetQuoteText() != "send me the pictures" || !m.GetQuoteFromMe() {
		t.Errorf("first item: %v, want a reply to Q1", m)
	}
	if m := got["R2"]; m == nil || m.ReplyToId != "" || len(got) != 2 {
		t.Errorf("second item: %v (all %v)", m, got)
	}

	// In history too, where the conversation lists them newest first.
	at := time.Now().Add(-time.Hour).Truncate(time.Second)
	fake.History(ctx, &waHistorySync.HistorySync{SyncType: waHistorySync.HistorySync_INITIAL_BOOTSTRAP.Enum(),
		Conversations: []*waHistorySync.Conversation{{ID: proto.String(alice.String()), Messages: []*waHistorySync.HistorySyncMsg{
			historyMsg(alice, "H2", at, associatedChild(waE2E.MessageAssociation_MEDIA_ALBUM, "H0", photo("/v/h2", ""))),
			historyMsg(alice, "H1", at, associatedChild(waE2E.MessageAssociation_MEDIA_ALBUM, "H0", photo("/v/h1", ""))),
			historyMsg(alice, "H0", at, &waE2E.Message{AlbumMessage: &waE2E.AlbumMessage{ExpectedImageCount: proto.Uint32(2),
				ContextInfo: &waE2E.ContextInfo{StanzaID: proto.String("Q2"), Participant: proto.String(me.String()),
					QuotedMessage: &waE2E.Message{Conversation: proto.String("and the others?")}}}}),
		}}}})
	var replies []string
	for _, ev := range r.host.waitHistory(t, 1)[0].Events {
		replies = append(replies, ev.EventId+">"+ev.GetMessage().GetReplyToId())
	}
	if want := []string{"H1>Q2", "H2>"}; !slices.Equal(replies, want) {
		t.Errorf("history: %v, want %v", replies, want)
	}
}
