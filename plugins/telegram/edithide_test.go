package telegram

import (
	"context"
	"testing"

	"github.com/gotd/td/tg"
)

// An edit Telegram marks as not to be shown (edit_hide: a link's
// preview added) with the text and formatting as they were is no
// correction; a real edit still is, hidden or not, and so is an edit of
// a message the plugin did not show. It came as a correction with the
// same text.
func TestEditHiddenUnchanged(t *testing.T) {
	s, _ := unitSession(t)
	s.peers.add([]tg.UserClass{&tg.User{ID: 2002, AccessHash: 22, FirstName: "Bob"}}, nil)
	ctx := context.Background()
	link := []tg.MessageEntityClass{&tg.MessageEntityBold{Offset: 0, Length: 4}}
	m := &tg.Message{ID: 40, PeerID: &tg.PeerUser{UserID: 2002}, FromID: &tg.PeerUser{UserID: 2002}, Date: 1700000000,
		Message: "look https://example.org", Entities: link}
	if evs := s.messageEvents(ctx, m, false); len(evs) != 1 {
		t.Fatalf("message %v", evs)
	}
	preview := *m
	preview.SetEditDate(1700000005)
	preview.EditHide = true
	preview.Media = &tg.MessageMediaWebPage{Webpage: &tg.WebPage{ID: 1, URL: "https://example.org"}}
	if evs := s.editEvents(&preview); len(evs) != 0 {
		t.Errorf("preview added: %v, want no correction", evs)
	}
	styled := preview
	styled.SetEditDate(1700000010)
	styled.Entities = nil // the bold taken away: a real edit
	if evs := s.editEvents(&styled); len(evs) != 1 || evs[0].GetEdit().GetText() != "look https://example.org" {
		t.Errorf("formatting changed: %v", evs)
	}
	edited := styled
	edited.SetEditDate(1700000020)
	edited.EditHide = false
	edited.Message = "look at https://example.org"
	if evs := s.editEvents(&edited); len(evs) != 1 || evs[0].GetEdit().GetText() != "look at https://example.org" {
		t.Errorf("text changed: %v", evs)
	}
	unseen := &tg.Message{ID: 41, PeerID: &tg.PeerUser{UserID: 2002}, FromID: &tg.PeerUser{UserID: 2002}, Date: 1700000000,
		Message: "before the restart", EditDate: 1700000030, EditHide: true}
	if evs := s.editEvents(unseen); len(evs) != 1 {
		t.Errorf("edit of a message not shown: %v", evs)
	}

	// The user's own text, answered with updateShortSentMessage: its
	// link's preview comes as an edit too.
	req := &tg.MessagesSendMessageRequest{Message: "mine https://example.org"}
	s.noteShortSent("2002", req, &tg.UpdateShortSentMessage{Out: true, ID: 42, Date: 1700000040})
	own := &tg.Message{ID: 42, Out: true, PeerID: &tg.PeerUser{UserID: 2002}, Date: 1700000040,
		Message: "mine https://example.org", EditDate: 1700000045, EditHide: true,
		Media: &tg.MessageMediaWebPage{Webpage: &tg.WebPage{ID: 1, URL: "https://example.org"}}}
	if evs := s.editEvents(own); len(evs) != 0 {
		t.Errorf("preview added to the user's own text: %v, want no correction", evs)
	}
}
