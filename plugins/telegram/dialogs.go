package telegram

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/telegram/floodwait"
)

// DialogLimit bounds the dialogs (chats, newest first) the chat list and
// the contact list read, a page of dialogPage at a time.
const DialogLimit = 1000

// dialogLimit is DialogLimit, atomic: a test lowers it while an earlier
// test's session may read it.
var dialogLimit atomic.Int64

func init() { dialogLimit.Store(DialogLimit) }

// dialogPage is how many dialogs one request asks for (Telegram's most).
const dialogPage = 100

// dialogs reads the dialogs, newest first, page after page up to
// DialogLimit, and caches their users and chats. Each page goes on from
// the last dialog of the one before: its top message's date and ID and
// its peer, as Telegram pages them. Not gotd's dialogs iterator: after a
// page whose last dialog has no top message it asked again from the
// offsets of the page before, and listed the same dialogs over and over
// (TestChatListAllDialogs). A dialog is taken once (pinned dialogs may
// come again); a page with nothing new ends the list, as does having
// all the count Telegram gives. A short flood wait on a page is waited
// out (FloodWaitMax, within ctx's deadline). More dialogs than the
// limit are told to the user (dialogsCapped), as the lists then leave
// chats out.
func (s *Session) dialogs(ctx context.Context, api *tg.Client) (tg.ModifiedMessagesDialogs, error) {
	limit := int(dialogLimit.Load())
	capped := false
	out := &tg.MessagesDialogs{}
	seen := map[string]bool{}
	users, chats := map[int64]bool{}, map[int64]bool{}
	req := &tg.MessagesGetDialogsRequest{OffsetPeer: &tg.InputPeerEmpty{}, Limit: dialogPage}
	for len(out.Dialogs) < limit {
		page, err := floodwait.Do(ctx, FloodWaitMax, func() (tg.MessagesDialogsClass, error) {
			return api.MessagesGetDialogs(ctx, req)
		}, func(err error) (time.Duration, bool) {
			d, ok := tgerr.AsFloodWait(err)
			return max(d, time.Second), ok
		})
		if err != nil {
			return nil, cmdErr("dialogs", err)
		}
		md, ok := page.AsModified()
		if !ok { // only for a request with a hash
			break
		}
		s.peers.add(md.GetUsers(), md.GetChats())
		for _, uc := range md.GetUsers() {
			if !users[uc.GetID()] {
				users[uc.GetID()] = true
				out.Users = append(out.Users, uc)
			}
		}
		for _, cc := range md.GetChats() {
			if !chats[cc.GetID()] {
				chats[cc.GetID()] = true
				out.Chats = append(out.Chats, cc)
			}
		}
		tops := map[topOf]tg.MessageClass{}
		for _, mc := range md.GetMessages() {
			if m, ok := mc.AsNotEmpty(); ok {
				tops[topOf{peerChatID(m.GetPeerID()), m.GetID()}] = mc
			}
		}
		var last *tg.Dialog
		added := 0
		for _, dl := range md.GetDialogs() {
			dlg, ok := dl.(*tg.Dialog)
			if !ok { // a folder
				continue
			}
			last = dlg
			id := peerChatID(dlg.Peer)
			if seen[id] {
				continue
			}
			if len(out.Dialogs) == limit {
				capped = true
				continue
			}
			seen[id] = true
			added++
			out.Dialogs = append(out.Dialogs, dlg)
			if m, ok := tops[topOf{id, dlg.TopMessage}]; ok {
				out.Messages = append(out.Messages, m)
			}
		}
		slice, more := page.(*tg.MessagesDialogsSlice)
		if !more || added == 0 || last == nil || len(seen) >= slice.Count {
			break
		}
		if len(out.Dialogs) == limit {
			capped = true // Telegram counts more
			break
		}
		next, err := s.peers.inputPeer(peerChatID(last.Peer))
		if err != nil {
			return nil, cmdErr("dialogs", err)
		}
		req = &tg.MessagesGetDialogsRequest{OffsetPeer: next, OffsetID: last.TopMessage, Limit: dialogPage}
		if m, ok := tops[topOf{peerChatID(last.Peer), last.TopMessage}]; ok {
			if nm, ok := m.AsNotEmpty(); ok {
				req.OffsetDate = nm.GetDate()
			}
		}
	}
	if capped {
		s.dialogsCapped(limit)
	}
	return out, nil
}

// dialogsCapped tells the user, once a session, that the lists hold only
// the limit latest of their chats: before, the others were left out
// with no word (TestDialogLimitNotice).
func (s *Session) dialogsCapped(limit int) {
	if s.cappedTold.Swap(true) {
		return
	}
	s.n.log().Warn("telegram: more chats than the gateway lists; the older ones are left out", "login", s.login.LoginID, "limit", limit)
	s.emit(sdk.Notice(s.login.LoginID, "dialoglimit-"+strconv.Itoa(limit),
		fmt.Sprintf(dialogLimitText, limit), pb.NoticeLevel_NOTICE_LEVEL_WARNING))
}

// dialogLimitText is the notice of dialogsCapped, with the limit.
const dialogLimitText = "You have more than %d Telegram chats: only the first %[1]d (the most recently active) are listed here, as rooms and contacts. The others are in Telegram's apps; one comes here when it has news."

// topOf names a dialog's top message: its chat and ID.
type topOf struct {
	chat string
	id   int
}
