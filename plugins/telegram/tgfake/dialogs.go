package tgfake

import (
	"slices"
	"strings"

	"github.com/gotd/td/tg"
)

// dialog is one of a user's dialogs with where it sorts: by the date of
// its top message, then that message's ID, then the peer, newest first,
// as Telegram sorts the dialog list (the fake pins none). A basic group
// with no message yet has date and ID 0: it sorts last.
type dialog struct {
	d        *tg.Dialog
	top      tg.MessageClass // nil: none
	date, id int
	key      string // peerKey
}

// before reports whether a sorts before b (is newer).
func (a dialog) before(b dialog) bool {
	if a.date != b.date {
		return a.date > b.date
	}
	if a.id != b.id {
		return a.id > b.id
	}
	return a.key > b.key
}

// dialogsOf is user's dialogs in Telegram's order: each private chat or
// basic group with a message in its box, each basic group it is in, each
// channel it is in.
func (s *Server) dialogsOf(user int64) []dialog {
	b := s.boxOf(user)
	top := map[string]*tg.Message{}
	peers := map[string]tg.PeerClass{}
	for _, m := range b.msgs {
		key := peerKey(m.PeerID)
		if t := top[key]; t == nil || m.ID > t.ID {
			top[key], peers[key] = m, m.PeerID
		}
	}
	for _, g := range s.groups {
		if slices.Contains(g.Members, user) {
			key := peerKey(&tg.PeerChat{ChatID: g.ID})
			if _, ok := peers[key]; !ok {
				peers[key] = &tg.PeerChat{ChatID: g.ID}
			}
		}
	}
	var out []dialog
	for key, p := range peers {
		dl := dialog{d: &tg.Dialog{Peer: p}, key: key}
		if m := top[key]; m != nil {
			dl.d.TopMessage, dl.top, dl.date, dl.id = m.ID, m, m.Date, m.ID
		}
		out = append(out, dl)
	}
	cd, cm, _ := s.channelDialogs(user)
	tops := map[string]tg.MessageClass{}
	for _, m := range cm {
		if nm, ok := m.AsNotEmpty(); ok {
			tops[peerKey(nm.GetPeerID())] = m
		}
	}
	for _, d := range cd {
		dd := d.(*tg.Dialog)
		dl := dialog{d: dd, key: peerKey(dd.Peer)}
		if m := tops[dl.key]; m != nil {
			dl.top, dl.id = m, m.GetID()
			if nm, ok := m.AsNotEmpty(); ok {
				dl.date = nm.GetDate()
			}
		}
		out = append(out, dl)
	}
	slices.SortFunc(out, func(a, b dialog) int {
		switch {
		case a.before(b):
			return -1
		case b.before(a):
			return 1
		}
		return strings.Compare(a.key, b.key)
	})
	return out
}

// dialogPage is the page of user's dialogs r asks for, as Telegram
// pages them: those that sort after the offset (offset_date, then
// offset_id, then offset_peer: the last dialog of the page before, its
// top message's date and ID), at most limit of them (Telegram's most is
// 100), in a dialogsSlice with the count of all when the list does not
// fit in one answer. No offset (all zero, no peer) is the start.
func (s *Server) dialogPage(user int64, r *tg.MessagesGetDialogsRequest) tg.MessagesDialogsClass {
	all := s.dialogsOf(user)
	start := 0
	if off := (dialog{date: r.OffsetDate, id: r.OffsetID, key: inputPeerKey(r.OffsetPeer)}); off != (dialog{}) {
		start = len(all)
		for i, d := range all {
			if off.before(d) {
				start = i
				break
			}
		}
	}
	limit := r.Limit
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	end := min(len(all), start+limit)
	page := all[start:end]
	var dialogs []tg.DialogClass
	var msgs []tg.MessageClass
	for _, d := range page {
		dialogs = append(dialogs, d.d)
		if d.top != nil {
			msgs = append(msgs, d.top)
		}
	}
	users, chats := s.usersFor(user), s.chatsFor(user)
	if start == 0 && end == len(all) {
		return &tg.MessagesDialogs{Dialogs: dialogs, Messages: msgs, Users: users, Chats: chats}
	}
	return &tg.MessagesDialogsSlice{Count: len(all), Dialogs: dialogs, Messages: msgs, Users: users, Chats: chats}
}

// inputPeerKey is peerKey of an input peer ("" for none).
func inputPeerKey(p tg.InputPeerClass) string {
	switch p := p.(type) {
	case *tg.InputPeerUser:
		return peerKey(&tg.PeerUser{UserID: p.UserID})
	case *tg.InputPeerChat:
		return peerKey(&tg.PeerChat{ChatID: p.ChatID})
	case *tg.InputPeerChannel:
		return peerKey(&tg.PeerChannel{ChannelID: p.ChannelID})
	}
	return ""
}
