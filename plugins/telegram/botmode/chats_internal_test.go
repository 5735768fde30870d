package botmode

import "testing"

// A copy of a chat's record (get, head) is the copy's own: a topic
// closed or reopened after is not seen in it, and it may be read while
// the record changes. The closed topics were the record's own map, read
// without the lock (a data race) and changed under the copy.
func TestChatCopyOwnsClosedTopics(t *testing.T) {
	cs, err := loadChats("")
	if err != nil {
		t.Fatal(err)
	}
	cs.update(-100, func(c *chat) { c.ClosedTopics = map[int]bool{20: true} })
	got, _ := cs.get(-100)
	head, _ := cs.head(-100)
	cs.update(-100, func(c *chat) {
		delete(c.ClosedTopics, 20)
		c.ClosedTopics[30] = true
	})
	for what, c := range map[string]chat{"get": got, "head": head} {
		if !c.ClosedTopics[20] || c.ClosedTopics[30] {
			t.Errorf("%s's copy: closed topics %v, want those when copied, {20}", what, c.ClosedTopics)
		}
	}
}
