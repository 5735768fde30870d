// Package customemoji keeps the alts of Telegram's custom emoji, for
// user accounts and bots alike. A custom emoji is a sticker document;
// its alt is the plain emoji it stands for, which Telegram's own clients
// show where they cannot draw the sticker. A reaction names the document
// alone: its alt is asked of Telegram (messages.getCustomEmojiDocuments,
// the Bot API's getCustomEmojiStickers) and kept here.
package customemoji

import "passerelle.im/passerelle/plugins/telegram/recent"

// Fallback is a custom emoji whose alt Telegram did not tell.
const Fallback = "⭐"

// Kept bounds the alts a Cache keeps: past it, the one learned longest
// ago is forgotten (and asked again when next seen).
const Kept = 2048

// Cache is the alt of each custom emoji document seen, "" for one
// Telegram did not know. The zero Cache is ready; it is safe for
// concurrent use.
type Cache struct{ alt recent.Map[int64, string] }

// Get is the alt of document id, if known.
func (c *Cache) Get(id int64) (string, bool) { return c.alt.Get(id) }

// Put keeps the alt of document id.
func (c *Cache) Put(id int64, alt string) { c.alt.Put(id, alt, Kept) }

// Len is how many alts are kept.
func (c *Cache) Len() int { return c.alt.Len() }
