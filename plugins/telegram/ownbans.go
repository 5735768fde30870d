package telegram

import "sync"

// ownBans are the user's bans under way (Kick with ban in a supergroup
// or channel), from before the request until the ban is told. Telegram
// tells a ban to the members as a removal (messageActionChatDeleteUser,
// a kick); Kick tells the ban itself once answered. The removal, pushed
// to the user as well, may be applied before that answer is read (a
// channel followed since the connection applies it as it comes): while
// the ban is under way the removal is rendered as the ban, so the room's
// occupants see a ban (301), not a kick (307). A ban told twice is the
// same ban: the gateway keeps the member an outcast.
type ownBans struct {
	mu sync.Mutex
	m  map[ownBanKey]ownBan
}

type ownBanKey struct{ channel, user int64 }

// ownBan is one ban under way: its reason, and how many Kicks of the
// same member are under way (a second Kick while the first waits).
type ownBan struct {
	reason string
	n      int
}

// begin notes a ban of user from channel about to be asked.
func (o *ownBans) begin(channel, user int64, reason string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.m == nil {
		o.m = map[ownBanKey]ownBan{}
	}
	k := ownBanKey{channel, user}
	b := o.m[k]
	b.reason, b.n = reason, b.n+1
	o.m[k] = b
}

// end forgets a ban noted by begin, told or failed.
func (o *ownBans) end(channel, user int64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	k := ownBanKey{channel, user}
	b, ok := o.m[k]
	if !ok {
		return
	}
	if b.n--; b.n <= 0 {
		delete(o.m, k)
		return
	}
	o.m[k] = b
}

// banning says whether the user is banning user from channel, and why.
func (o *ownBans) banning(channel, user int64) (reason string, ok bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	b, ok := o.m[ownBanKey{channel, user}]
	return b.reason, ok
}
