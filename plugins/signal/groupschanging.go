package signal

import (
	"log/slog"
	"path/filepath"
	"slices"
	"sync"

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
// which the gateway compares with the room.

// groupsChangingFile keeps the groups whose own change is under way.
const groupsChangingFile = "groups-changing.json"

// groupsChanging are the groups whose own change is under way (live,
// by how many) and those a process before left under way (cut), kept
// on disk as one list. A nil one keeps nothing (a session made without
// it: the package's tests).
type groupsChanging struct {
	path string // "" when kept in memory only
	log  *slog.Logger

	mu   sync.Mutex
	live map[string]int
	cut  map[string]bool
}

// loadGroupsChanging reads the groups a process before left changing,
// kept in dir ("" in memory only).
func loadGroupsChanging(dir string, log *slog.Logger) *groupsChanging {
	c := &groupsChanging{log: log, live: map[string]int{}, cut: map[string]bool{}}
	if dir == "" {
		return c
	}
	c.path = filepath.Join(dir, groupsChangingFile)
	if ids, ok := sdk.LoadStateFile[[]string](c.path, "a group the user changed just before a crash may show its old state until its next update", log); ok {
		for _, id := range ids {
			c.cut[id] = true
		}
	}
	return c
}

// begin notes chat's own change under way, on disk before it returns:
// the caller asks signal-cli for it next.
func (c *groupsChanging) begin(chat string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.live[chat]++
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
	c.saveLocked()
}

// wasCut reports whether a process before left chat's change under way.
func (c *groupsChanging) wasCut(chat string) bool {
	if c == nil {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cut[chat]
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
		}
	}
	if len(c.cut) != n {
		c.saveLocked()
	}
}

// saveLocked writes the groups changing; c.mu is held (begin's caller
// must not ask signal-cli before the write).
func (c *groupsChanging) saveLocked() {
	if c.path == "" {
		return
	}
	ids := []string{}
	for id := range c.live {
		ids = append(ids, id)
	}
	for id := range c.cut {
		if c.live[id] == 0 {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	if err := sdk.SaveStateFile(c.path, ids); err != nil {
		c.log.Warn("signal: the groups being changed cannot be written; one changed just before a crash may show its old state until its next update", "file", c.path, "err", err)
	}
}
