package wafake

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/proto/waHistorySync"
	"go.mau.fi/whatsmeow/proto/waWeb"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"
)

// OnDemand is a history-on-demand request the phone received.
type OnDemand = waE2E.PeerDataOperationRequestMessage_HistorySyncOnDemandRequest

// phone is the user's phone as a peer of the device: it holds each
// chat's past and answers the history-on-demand requests the device
// sends it (a peer message to the user's own JID) as WhatsApp's phone
// does, with a history sync blob of type ON_DEMAND holding up to the
// count asked of the messages before the one named, newest first. With
// nothing older, the blob holds the chat with no messages.
type phone struct {
	chats    map[types.JID][]*waWeb.WebMessageInfo // oldest first
	requests []*OnDemand
	silent   bool
	// ends: what the phone says of a chat's end when an answer reaches
	// the oldest message it holds (none: it says nothing, as before).
	ends map[types.JID]waHistorySync.Conversation_EndOfHistoryTransferType
}

// SetPhoneEnd has the phone say end of a chat when it answers with the
// oldest message it holds: that nothing more remains on it, or that more
// does, which linked devices may not have.
func (c *Client) SetPhoneEnd(chat types.JID, end waHistorySync.Conversation_EndOfHistoryTransferType) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.phone.ends == nil {
		c.phone.ends = map[types.JID]waHistorySync.Conversation_EndOfHistoryTransferType{}
	}
	c.phone.ends[chat] = end
}

// SetPhoneHistory puts messages of chat on the phone, in any order (they
// are kept by time): what history on demand can bring.
func (c *Client) SetPhoneHistory(chat types.JID, msgs ...*waWeb.WebMessageInfo) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.phone.chats == nil {
		c.phone.chats = map[types.JID][]*waWeb.WebMessageInfo{}
	}
	all := c.phone.chats[chat]
	for _, m := range msgs {
		all = append(all, proto.Clone(m).(*waWeb.WebMessageInfo))
	}
	slices.SortStableFunc(all, func(a, b *waWeb.WebMessageInfo) int {
		return cmp.Compare(a.GetMessageTimestamp(), b.GetMessageTimestamp())
	})
	c.phone.chats[chat] = all
}

// SetPhoneSilent makes the phone ignore history-on-demand requests (it
// is off, or has no network), or answer them again.
func (c *Client) SetPhoneSilent(silent bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.phone.silent = silent
}

// OnDemandRequests is the history-on-demand requests the phone received.
func (c *Client) OnDemandRequests() []*OnDemand {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.phone.requests)
}

// peerLocked takes a peer message (under c.mu): a history-on-demand
// request is recorded and answered, from another goroutine as the phone
// answers later; other peer messages are accepted and ignored.
func (c *Client) peerLocked(to types.JID, msg *waE2E.Message) (whatsmeow.SendResponse, error) {
	if c.dev.ID == nil {
		return whatsmeow.SendResponse{}, whatsmeow.ErrNotLoggedIn
	}
	if to.ToNonAD() != c.dev.ID.ToNonAD() {
		return whatsmeow.SendResponse{}, errors.New("wafake: a peer message goes to the user's own JID, not " + to.String())
	}
	c.nextID++
	id := fmt.Sprintf("3EB0PEER%08d", c.nextID)
	req := msg.GetProtocolMessage().GetPeerDataOperationRequestMessage()
	if od := req.GetHistorySyncOnDemandRequest(); req.GetPeerDataOperationRequestType() == waE2E.PeerDataOperationRequestType_HISTORY_SYNC_ON_DEMAND && od != nil {
		c.phone.requests = append(c.phone.requests, proto.Clone(od).(*OnDemand))
		c.notifyLocked()
		if !c.phone.silent {
			blob := c.phone.answer(od)
			go c.Emit(&events.HistorySync{Data: blob})
		}
	}
	return whatsmeow.SendResponse{ID: id, Timestamp: time.Now()}, nil
}

// answer is the ON_DEMAND blob for od: the messages before the one it
// names (found by its key, else by its time), at most its count.
func (p *phone) answer(od *OnDemand) *waHistorySync.HistorySync {
	chat, _ := types.ParseJID(od.GetChatJID())
	all := p.chats[chat]
	end := slices.IndexFunc(all, func(m *waWeb.WebMessageInfo) bool {
		return m.GetKey().GetID() == od.GetOldestMsgID() && m.GetKey().GetFromMe() == od.GetOldestMsgFromMe()
	})
	if end < 0 {
		end = 0
		for end < len(all) && int64(all[end].GetMessageTimestamp())*1000 < od.GetOldestMsgTimestampMS() {
			end++
		}
	}
	start := max(0, end-int(od.GetOnDemandMsgCount()))
	var msgs []*waHistorySync.HistorySyncMsg
	for i := end - 1; i >= start; i-- { // newest first, as WhatsApp sends them
		msgs = append(msgs, &waHistorySync.HistorySyncMsg{Message: proto.Clone(all[i]).(*waWeb.WebMessageInfo), MsgOrderID: proto.Uint64(uint64(i + 1))})
	}
	conv := &waHistorySync.Conversation{ID: proto.String(chat.String()), Messages: msgs}
	if end, ok := p.ends[chat]; ok && start == 0 {
		conv.EndOfHistoryTransfer, conv.EndOfHistoryTransferType = proto.Bool(true), end.Enum()
	}
	return &waHistorySync.HistorySync{
		SyncType:      waHistorySync.HistorySync_ON_DEMAND.Enum(),
		Conversations: []*waHistorySync.Conversation{conv},
	}
}
