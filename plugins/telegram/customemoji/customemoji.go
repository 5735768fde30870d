// Package customemoji keeps the alts of Telegram's custom emoji, for
// user accounts and bots alike. A custom emoji is a sticker document;
// its alt is the plain emoji it stands for, which Telegram's own clients
// show where they cannot draw the sticker. A reaction names the document
// alone: its alt is asked of Telegram (messages.getCustomEmojiDocuments,
// the Bot API's getCustomEmojiStickers) and kept here.
package customemoji

import "sync"

// Fallback is a custom emoji whose alt Telegram did not tell.
const Fallback = "⭐"

// Kept bounds the alts a Cache keeps: past it, the one learned longest
// ago is forgotten (and asked again when next seen).
const Kept = 2048

// Cache is the alt of each custom emoji document seen, "" for one
// Telegram did not know. The zero Cache is ready; it is safe for
// concurrent use.
type Cache struct {
	mu    sync.Mutex
	alt   map[int64]string
	order []int64 // the keys of alt, oldest first
}

// Get is the alt of document id, if known.
func (c *Cache) Get(id int64) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.alt[id]
	return a, ok
}

// Put keeps the alt of document id.
func (c *Cache) Put(id int64, alt string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.alt == nil {
		c.alt = map[int64]string{}
	}
	if _, known := c.alt[id]; !known {
		c.order = append(c.order, id)
		if len(c.order) > Kept {
			delete(c.alt, c.order[0])
			c.order = c.order[1:]
		}
	}
	c.alt[id] = alt
}

// Len is how many alts are kept.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.alt)
}
