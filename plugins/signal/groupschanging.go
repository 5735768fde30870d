package signal

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// The user's own change of a group (a rename, a member added from XMPP)
// is made by signal-cli's updateGroup, and the room is told of it by the
// plugin's read of the group just after: signal-cli sends the account
// no envelope of its own change. A plugin killed between the two left
// the room as it was, for good: the restarted plugin read the group at
// its connection, took it as known, and told nothing until the group's
// next update. So each group whose own change is under way is kept in
// the login's folder from before updateGroup is asked to after the room
// was told; those the file names at a start were cut short, as are those
// whose room was not told (the group unread after the change), and the
// groups read at the next connection tell their room the whole group,
// which the gateway compares with the room. Each is kept with what its
// change tells besides (changeKind: a timer set, a member invited), which
// the next connection tells too; a timer's change stays until its notice
// is confirmed.

// groupsChangingFile keeps the groups whose own change is under way:
// their chat IDs, a list every version of the plugin reads (one before
// the kinds were kept read the file as damaged when it held them).
// groupsChangingMoreFile keeps, by chat ID, what each change tells
// besides and what names its notices; an older plugin leaves it be.
const (
	groupsChangingFile     = "groups-changing.json"
	groupsChangingMoreFile = "groups-changing-kinds.json"
)

// changeKind says what an own change tells beyond the group's name and
// members (which the groups read at a connection tell of a change cut
// short), for the next connection to tell it too: compared with what
// the room was told (groupstold.go), as an update's envelope would.
// Only what the change names is told: another member's change of the
// rest, its envelope still to come, is told by it, with its author.
type changeKind string

const (
	// changeTimer: the disappearing messages timer (SetChatTimer).
	changeTimer changeKind = "timer"
	// changeSettings: the group's settings and invitations (a member
	// invited: Invite).
	changeSettings changeKind = "settings"
)

// changingFile is groupsChangingFile's content: the groups changing,
// by chat ID, with what each change tells besides (written so by a
// plugin between the two files), or a list of their chat IDs.
type changingFile map[string][]changeKind

// UnmarshalJSON reads either form.
func (f *changingFile) UnmarshalJSON(b []byte) error {
	var m map[string][]changeKind
	if err := json.Unmarshal(b, &m); err == nil {
		*f = m
		return nil
	}
	var ids []string
	if err := json.Unmarshal(b, &ids); err != nil {
		return fmt.Errorf("neither the groups changing by chat ID nor a list of chat IDs: %w", err)
	}
	*f = changingFile{}
	for _, id := range ids {
		(*f)[id] = nil
	}
	return nil
}

// changingMore is what groupsChangingMoreFile keeps of a group
// changing: what its change tells besides its name and members, and
// when it began (Unix ms; its group update's timestamp once signal-cli
// answered, named), which names the notices the next connection
// tells of it: told again after a connection told part of it, they
// come under the IDs they had, which the host drops.
type changingMore struct {
	Kinds []changeKind `json:"k,omitempty"`
	At    int64        `json:"at"`
	// Timer is the timer's notice the change told as it was made
	// (SetChatTimer), its confirmation awaited: told again, it comes
	// under that notice's ID.
	Timer *liveTimer `json:"timer,omitempty"`
}

// liveTimer is a timer's notice an own change told as it was made: the
// timer (seconds) and the group update's timestamp, which names it.
type liveTimer struct {
	Secs int   `json:"s"`
	TS   int64 `json:"ts"`
}

// groupsChanging are the groups whose own change is under way (live,
// by how many) and those a process before left under way (cut), with
// their kinds, kept on disk as two files. A nil one keeps nothing (a
// session made without it: the package's tests).
type groupsChanging struct {
	path, more string // "" when kept in memory only
	log        *slog.Logger

	mu   sync.Mutex
	live map[string]int
	cut  map[string]bool
	// kinds: what the changes of a group, live or cut, tell beyond its
	// name and members; at: when the first of them began, or its
	// update's timestamp (Unix ms, named).
	kinds map[string][]changeKind
	at    map[string]int64
	// timers: the timer's notice told as a change was made (liveTimer).
	timers map[string]liveTimer
}

// loadGroupsChanging reads the groups a process before left changing,
// kept in dir ("" in memory only).
func loadGroupsChanging(dir string, log *slog.Logger) *groupsChanging {
	c := &groupsChanging{log: log, live: map[string]int{}, cut: map[string]bool{}, kinds: map[string][]changeKind{}, at: map[string]int64{}, timers: map[string]liveTimer{}}
	if dir == "" {
		return c
	}
	c.path, c.more = filepath.Join(dir, groupsChangingFile), filepath.Join(dir, groupsChangingMoreFile)
	const cost = "a group the user changed just before a crash may show its old state until its next update"
	f, ok := sdk.LoadStateFile[changingFile](c.path, cost, log)
	if !ok {
		return c
	}
	more, _ := sdk.LoadStateFile[map[string]changingMore](c.more, cost, log)
	stamped := true
	for id, kinds := range f {
		c.cut[id] = true
		if m, ok := more[id]; ok {
			kinds, c.at[id] = m.Kinds, m.At
			if m.Timer != nil {
				c.timers[id] = *m.Timer
			}
		}
		if len(kinds) > 0 {
			c.kinds[id] = kinds
		}
		if c.at[id] == 0 {
			// Written before the time was kept: now's, kept from now
			// on, names its notices.
			c.at[id], stamped = time.Now().UnixMilli(), false
		}
	}
	if !stamped {
		c.mu.Lock()
		c.saveLocked()
		c.mu.Unlock()
	}
	return c
}

// begin notes chat's own change under way, with what it tells besides
// the group's name and members, on disk before it returns: the caller
// asks signal-cli for it next.
func (c *groupsChanging) begin(chat string, kinds ...changeKind) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.live[chat]++
	if c.at[chat] == 0 {
		c.at[chat] = time.Now().UnixMilli()
	}
	for _, k := range kinds {
		if !slices.Contains(c.kinds[chat], k) {
			c.kinds[chat] = append(c.kinds[chat], k)
		}
	}
	c.saveLocked()
}

// end notes chat's own change done with: told, its room is no longer
// named; not told (the group unread after it, its event not confirmed,
// or signal-cli's answer lost), it is kept as cut short, for the next
// connection's read of the groups to tell the room the whole group.
func (c *groupsChanging) end(chat string, told bool) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.live[chat]--; c.live[chat] <= 0 {
		delete(c.live, chat)
	}
	if !told {
		c.cut[chat] = true
	}
	if c.live[chat] == 0 && !c.cut[chat] {
		c.forgetLocked(chat)
	}
	c.saveLocked()
}

// forgetLocked drops what is kept of chat's changes, none left; c.mu is
// held.
func (c *groupsChanging) forgetLocked(chat string) {
	delete(c.kinds, chat)
	delete(c.at, chat)
	delete(c.timers, chat)
}

// named names chat's change under way by its group update's timestamp
// ts, which names the notices it tells as it is made (groupChanged), on
// disk before it returns: told again at the next connection (the host
// may have had them, their confirmation lost), they come under the IDs
// they had. A change a connection told part of (cut) keeps its name,
// which its notices told then bear.
func (c *groupsChanging) named(chat string, ts int64) {
	if c == nil || ts == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.live[chat] == 0 || c.cut[chat] || c.at[chat] == ts {
		return
	}
	c.at[chat] = ts
	c.saveLocked()
}

// timerTold notes, on disk before it returns, the notice of the timer
// (secs) chat's change under way tells now under the group update's
// timestamp ts: the host may have it when the process is killed before
// its confirmation, so the next connection tells it under its ID.
func (c *groupsChanging) timerTold(chat string, secs int, ts int64) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.live[chat] == 0 {
		return // not journalled: nothing tells it again
	}
	c.timers[chat] = liveTimer{Secs: secs, TS: ts}
	c.saveLocked()
}

// liveTimer is the timer's notice chat's change told as it was made
// (timerTold), if any.
func (c *groupsChanging) liveTimer(chat string) (liveTimer, bool) {
	if c == nil {
		return liveTimer{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.timers[chat]
	return t, ok
}

// wasCut reports whether a process before left chat's change under way
// (or one was not told), what it tells besides the group's name and
// members, and what names its notices (Unix ms: named).
func (c *groupsChanging) wasCut(chat string) (bool, []changeKind, int64) {
	if c == nil {
		return false, nil, 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cut[chat], slices.Clone(c.kinds[chat]), c.at[chat]
}

// toldCut forgets chat's change cut short: its room was told the whole
// group.
func (c *groupsChanging) toldCut(chat string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cut[chat] {
		delete(c.cut, chat)
		if c.live[chat] == 0 {
			c.forgetLocked(chat)
		}
		c.saveLocked()
	}
}

// keepCut forgets the changes cut short of the groups not in chats (those
// the user is in): no room to tell.
func (c *groupsChanging) keepCut(chats map[string]bool) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	n := len(c.cut)
	for id := range c.cut {
		if !chats[id] {
			delete(c.cut, id)
			if c.live[id] == 0 {
				c.forgetLocked(id)
			}
		}
	}
	if len(c.cut) != n {
		c.saveLocked()
	}
}

// saveLocked writes the groups changing; c.mu is held (begin's caller
// must not ask signal-cli before the write). What the changes tell
// besides goes first, then the chat IDs, which say which groups are
// changing: a process killed between the two leaves either the kinds of
// a group not named yet (its change not asked of signal-cli yet: read
// as nothing), or a group named whose kinds are gone (its change done
// with: the next connection tells its room the group again, which
// changes nothing).
func (c *groupsChanging) saveLocked() {
	if c.path == "" {
		return
	}
	ids := []string{}
	more := map[string]changingMore{}
	add := func(id string) {
		if _, ok := more[id]; !ok {
			ids = append(ids, id)
			m := changingMore{Kinds: c.kinds[id], At: c.at[id]}
			if t, ok := c.timers[id]; ok {
				m.Timer = &t
			}
			more[id] = m
		}
	}
	for id := range c.live {
		add(id)
	}
	for id := range c.cut {
		add(id)
	}
	slices.Sort(ids)
	err := sdk.SaveStateFile(c.more, more)
	if err == nil {
		err = sdk.SaveStateFile(c.path, ids)
	}
	if err != nil {
		c.log.Warn("signal: the groups being changed cannot be written; one changed just before a crash may show its old state until its next update", "file", c.path, "err", err)
	}
}

// tellCut tells the room of chat, whose own change a process before
// left under way (or did not tell), the group g as it is, and what
// kinds names of its timer and settings, compared with what the room
// was told; the change is forgotten once all of it is confirmed, else
// told at the next connection. Before, the room was told the name and
// members alone: a timer set, or a member invited, just before a crash
// went untold. Its notices are named by at, the change's update's
// timestamp, which named them as it was made, or when it began (Unix
// ms), and what they say: told again after a connection told part of it
// (another's confirmation failed), they come under the IDs they had,
// which the host drops. Before, they were named by the connection's
// time, and shown twice.
func (s *Session) tellCut(ctx context.Context, chat *pb.Chat, g groupEntry, kinds []changeKind, at int64) {
	chatID, me := chat.ChatId, &pb.Sender{UserId: s.selfID(), IsFromMe: true}
	if at == 0 {
		at = time.Now().UnixMilli()
	}
	fails := s.unfinished.Load()
	s.told.begin(chatID)
	if s.emitConfirmed(ctx, &pb.Event{ChatId: chatID, ChatType: pb.ChatType_CHAT_TYPE_GROUP, Sender: me, TimestampUnixMicro: at * 1000,
		Payload: &pb.Event_Chat{Chat: &pb.ChatEvent{Chat: chat}}}) {
		if slices.Contains(kinds, changeTimer) && s.told.timerNow(chatID, g.MessageExpirationTime, false) {
			// By its value too: a later change of the timer, cut short
			// before this one was told, is another notice.
			ev := groupNoticeEvent(chatID, "timer"+strconv.Itoa(g.MessageExpirationTime), at, me.UserId, timerNotice(g.MessageExpirationTime))
			if lt, ok := s.changing.liveTimer(chatID); ok && lt.Secs == g.MessageExpirationTime {
				// Told as the change was made, its confirmation lost:
				// the host may have it, under the update's ID.
				ev.TimestampUnixMicro, ev.EventId = lt.TS*1000, s.idFor(lt.TS, me.UserId)
			}
			ev.Sender = me
			s.emit(ctx, ev, true)
		}
		if slices.Contains(kinds, changeSettings) {
			if shown := s.settingsSince(chatID, g); shown != nil {
				s.invitesTold(ctx, chatID, shown, g, me, at)        // invites.go
				s.settingsTold(ctx, chatID, shown, g, chat, me, at) // settings.go
			}
		}
	}
	done := s.unfinished.Load() == fails
	s.told.end(chatID, done)
	s.told.save()
	if !done {
		s.n.host.Logger().Warn("signal: a group changed just before a crash could not be told; told at the next connection", "login", s.loginID, "chat", chatID)
		return
	}
	s.changing.toldCut(chatID)
}
