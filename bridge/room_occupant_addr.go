package bridge

import (
	"context"
	"time"
)

// A stanza to a room's or an occupant's JID (room/nick) of a group the
// session does not know as a room at that moment: right after a start,
// before the login listed its chats, or after the group went away while
// the client was not told. Left to the one-to-one path, the address's
// localpart is taken for a contact's ID: a private message (XEP-0045
// §7.5) went to the network as a direct message to the group's own chat
// ID, which a network posts in the group, for everyone; a self-ping
// (XEP-0410) was answered by the "contact", so a client went on
// believing it was joined to a room that was gone; the room's disco#info
// was a contact's, and Gajim's autojoin refused the room as "not a group
// chat". Such a stanza waits for the login's rooms instead; the
// one-to-one path gets it only when its address is a contact's (someone
// the session knows), or when the rooms are known and none of them, nor
// the network, makes it a group.

// occupantRoomWait bounds how long a stanza to an occupant waits for the
// login's rooms to be known.
var occupantRoomWait = 10 * time.Second

// occupantRoom is the room of chatID for a stanza to it or one of its
// occupants, once the login's rooms are known; with ask, one the network
// then describes as a group of the user's (findRoom: a new room,
// announced). nil when it is no room of the user's. known reports
// whether the rooms are known, so that nil means "no group" and not "not
// known yet".
func (s *session) occupantRoom(ctx context.Context, chatID string, ask bool) (r *room, known bool) {
	if r := s.rooms.get(chatID); r != nil {
		return r, true
	}
	wctx, cancel := context.WithTimeout(ctx, occupantRoomWait)
	known = s.waitRoomsSynced(wctx, chatID)
	cancel()
	if r := s.rooms.get(chatID); r != nil {
		return r, true
	}
	if ask {
		if r := s.findRoom(ctx, chatID); r != nil {
			return r, true
		}
	}
	return nil, known
}
