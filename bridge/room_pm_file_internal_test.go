package bridge

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"passerelle.im/passerelle/bridge/media"
	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
)

// heldUpload is a server whose upload service answers only once
// released: started is closed at the first IQ, which then waits for
// release and is answered service-unavailable (the file then goes to
// the gateway's own endpoint), as noUpload answers at once: a file
// source that takes as long as the test likes.
type heldUpload struct {
	noUpload
	once    sync.Once
	started chan struct{}
	release chan struct{}
}

func (u *heldUpload) IQ(ctx context.Context, to string, data []byte) (*wire.Stanza, error) {
	u.once.Do(func() { close(u.started) })
	// Not its context's deadline: the uploader's own (10 s) would end
	// the hold, and the test would measure it.
	<-u.release
	return u.noUpload.IQ(ctx, to, data)
}

// TestPrivateFileHoldsNoRoomMessage: a hidden member of a big group (not
// presented at the join) answers the user privately through the room
// with a file whose upload is slow. The room's other messages go on
// meanwhile; the member's presence, under the nick it has when the file
// is ready (it was renamed meanwhile), comes before its file, to each
// joined resource. Before, the presence took the room's turn before the
// upload, and the room's messages waited behind it (sendWait, endless
// here: a hang).
func TestPrivateFileHoldsNoRoomMessage(t *testing.T) {
	tr, s, r, sent := occupantFixture(t)
	old := sendWait
	sendWait = time.Hour
	defer func() { sendWait = old }()
	srv, err := media.NewServer(media.Config{Dir: t.TempDir(), PublicURL: "https://gw.example/media"})
	if err != nil {
		t.Fatal(err)
	}
	up := &heldUpload{started: make(chan struct{}), release: make(chan struct{})}
	tr.mediaServer, tr.uploader = srv, media.NewUploader(up, "echo.localhost", media.FixedDomain("localhost"), nil)
	tr.dataDir = t.TempDir()
	tr.joinOccupants = 1
	r.mu.Lock()
	r.presented = map[string]bool{"echo-2": true}
	r.mu.Unlock()
	ctx := context.Background()
	s.notePrivateChat(ctx, "echo-1", r)
	sent()

	pm := &pb.Event{LoginId: "alice-echo", ChatId: "echo-1", ChatType: pb.ChatType_CHAT_TYPE_DIRECT, EventId: "pm-file",
		TimestampUnixMicro: time.Now().UnixMicro(), Sender: &pb.Sender{UserId: "echo-1"},
		Payload: &pb.Event_Message{Message: &pb.MessageEvent{Attachments: []*pb.Attachment{{Name: "photo.txt", Source: &pb.Attachment_Data{Data: []byte("hello")}}}}}}
	pmDone := make(chan struct{})
	go func() { tr.deliverNow(ctx, delivery{ev: pm, xid: "x-pm"}); close(pmDone) }()
	<-up.started

	roomDone := make(chan struct{})
	ev := &pb.Event{LoginId: "alice-echo", ChatId: "g1", ChatType: pb.ChatType_CHAT_TYPE_GROUP, EventId: "ev-meanwhile",
		TimestampUnixMicro: time.Now().UnixMicro(), Sender: &pb.Sender{UserId: "echo-2"},
		Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: "meanwhile"}}}
	go func() { tr.deliverNow(ctx, delivery{ev: ev, xid: "x-room"}); close(roomDone) }()
	select {
	case <-roomDone:
	case <-time.After(30 * time.Second): // a hang, not a measure: sendWait is an hour
		close(up.release)
		t.Fatal("the room's message waits for the member's private file")
	}
	if i := indexOf(sent(), func(st *wire.Stanza) bool { return bodyIs(st, "meanwhile") }); i < 0 {
		t.Fatal("the room's message was not written while the private file was held")
	}

	// Renamed while its file uploads: not presented, nothing shows.
	rename := groupEv(&pb.MemberEvent{Kind: pb.MemberEvent_KIND_RENAMED, Member: &pb.Member{UserId: "echo-1", Nick: "Uno"}})
	if out := tr.renderRoom(ctx, delivery{ev: rename}, s); len(out) != 0 {
		t.Fatalf("the rename of a member not presented showed: %q", out)
	}

	close(up.release)
	<-pmDone
	got := sent()
	for _, res := range []string{"phone", "laptop"} {
		to := "alice@localhost/" + res
		pres := indexOf2(got, to, func(st *wire.Stanza) bool { return st.Kind() == "presence" && st.From() == "g1@echo.localhost/Uno" })
		if pres < 0 {
			t.Errorf("%s was not given Uno's presence: %v", res, got)
		}
		if i := indexOf2(got, to, func(st *wire.Stanza) bool { return st.Kind() == "presence" && st.From() == "g1@echo.localhost/One" }); i >= 0 {
			t.Errorf("%s was given the old nick's presence: %v", res, got[i])
		}
	}
	pres := indexOf2(got, "alice@localhost/phone", func(st *wire.Stanza) bool { return st.Kind() == "presence" })
	file := indexOf2(got, "alice@localhost", func(st *wire.Stanza) bool { return st.Kind() == "message" })
	if file < 0 || got[file].From() != "g1@echo.localhost/Uno" || pres > file {
		t.Fatalf("want the file from g1@echo.localhost/Uno after its presence (at %d); got %s", pres, fmt.Sprint(got))
	}
}

// indexOf2 is the place of the first stanza to to that is.
func indexOf2(sent []*wire.Stanza, to string, is func(*wire.Stanza) bool) int {
	for i, st := range sent {
		if st.To() == to && is(st) {
			return i
		}
	}
	return -1
}
