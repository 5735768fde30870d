package telegram

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/gotd/td/tg"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/telegram/tgfake"
)

// A file reference expires (Telegram's, after a while): a download of
// a file announced before, say delivered late after the gateway was
// down, asks Telegram for its message again for a fresh one
// (messages.getMessages; channels.getMessages in a supergroup) and gets
// the file, in a private chat and a supergroup; the file of a message
// deleted since is not found.
func TestMediaReferenceExpired(t *testing.T) {
	srv := newFake(t)
	srv.AddChannel(tgfake.Channel{ID: 600, Title: "Big", Members: []int64{alice.ID, bob.ID}, Creator: bob.ID})
	s, h, _, _ := connectAlice(t, srv)
	ctx := ctxT(t)
	if _, err := s.ChatList(ctx); err != nil {
		t.Fatal(err)
	}
	photo := bytes.Repeat([]byte("jpeg"), 5000)
	doc := bytes.Repeat([]byte("pdf!"), 5000)
	from := h.count()
	gid := srv.Send(bob.ID, &tg.PeerUser{UserID: alice.ID}, "old photo", tgfake.WithMedia(srv.AddMedia(photo, "image/jpeg")))
	srv.Send(bob.ID, &tg.PeerChannel{ChannelID: 600}, "old file", tgfake.WithMedia(srv.AddMedia(doc, "application/pdf",
		&tg.DocumentAttributeFilename{FileName: "a.pdf"})))
	refs := map[string]string{}
	for chat, text := range map[string]string{"1002": "old photo", "-100600": "old file"} {
		ev := h.wait(t, from, text, isMessage(chat, text))
		refs[chat] = ev.GetMessage().GetAttachments()[0].GetRef()
	}
	srv.ExpireFileReferences()
	for chat, want := range map[string][]byte{"1002": photo, "-100600": doc} {
		_, r, err := s.DownloadMedia(ctx, chat, refs[chat])
		if err != nil {
			t.Fatalf("%s: %v", chat, err)
		}
		got, err := io.ReadAll(r)
		r.Close()
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: downloaded %d bytes (%v), want %d", chat, len(got), err, len(want))
		}
	}
	// Its message deleted since, the file is not found.
	srv.Delete(gid)
	srv.ExpireFileReferences()
	_, r, err := s.DownloadMedia(ctx, "1002", refs["1002"])
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.ReadAll(r)
	r.Close()
	var se *sdk.Error
	if !errors.As(err, &se) || se.Code != pb.ErrorCode_ERROR_CODE_NOT_FOUND {
		t.Errorf("the file of a deleted message: %v, want NOT_FOUND", err)
	}
}
