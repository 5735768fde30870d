package whatsapp

import (
	"slices"
	"sync"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"
)

// An album (several photos or videos sent at once) comes as its
// announcement (AlbumMessage: how many to expect), which shows nothing,
// then each item, a message of its own naming the announcement as its
// parent (MEDIA_ALBUM). An album sent as a reply may carry the quote on
// its announcement alone: the first of its items to come, quoting
// nothing of its own, carries it instead, once, where it was lost.

// albumRepliesKept bounds the albums whose quote waits for their first
// item: an album whose items never come is forgotten past it.
const albumRepliesKept = 64

// albumReplies are the quotes of albums sent as replies, by chat and
// announcement ID, until their first item comes.
type albumReplies struct {
	mu    sync.Mutex
	byID  map[string]*waE2E.ContextInfo
	order []string // oldest first
}

// albumReply notes the quote of an album's announcement, or gives an
// album item the quote its announcement carried.
func (s *Session) albumReply(e *events.Message) {
	chat := chatOf(&e.Info).ToNonAD().String()
	if a := e.Message.GetAlbumMessage(); a != nil {
		if ci := a.GetContextInfo(); ci.GetStanzaID() != "" {
			s.albums.note(chat+"/"+e.Info.ID, ci)
		}
		return
	}
	assoc := e.Message.GetMessageContextInfo().GetMessageAssociation()
	if assoc.GetAssociationType() != waE2E.MessageAssociation_MEDIA_ALBUM {
		return
	}
	slot := contextSlot(e.Message)
	if slot == nil || (*slot).GetStanzaID() != "" {
		return
	}
	ci := s.albums.take(chat + "/" + assoc.GetParentMessageKey().GetID())
	if ci == nil {
		return
	}
	if *slot == nil {
		*slot = &waE2E.ContextInfo{}
	}
	(*slot).StanzaID, (*slot).Participant, (*slot).RemoteJID = ci.StanzaID, ci.Participant, ci.RemoteJID
	(*slot).QuotedMessage = ci.GetQuotedMessage()
}

func (a *albumReplies) note(key string, ci *waE2E.ContextInfo) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.byID == nil {
		a.byID = map[string]*waE2E.ContextInfo{}
	}
	if _, ok := a.byID[key]; !ok {
		a.order = append(a.order, key)
	}
	a.byID[key] = proto.CloneOf(ci)
	for len(a.order) > albumRepliesKept {
		delete(a.byID, a.order[0])
		a.order = a.order[1:]
	}
}

// take is the quote noted for key, forgotten: one item carries it.
func (a *albumReplies) take(key string) *waE2E.ContextInfo {
	a.mu.Lock()
	defer a.mu.Unlock()
	ci, ok := a.byID[key]
	if !ok {
		return nil
	}
	delete(a.byID, key)
	if i := slices.Index(a.order, key); i >= 0 {
		a.order = slices.Delete(a.order, i, i+1)
	}
	return ci
}
