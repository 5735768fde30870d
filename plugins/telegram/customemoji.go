package telegram

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/gotd/td/tg"
)

// A custom emoji (a reaction, or one in a message's text) is a sticker
// document; each has an alt, the plain emoji it stands for, which
// Telegram's own clients show where they cannot draw the sticker. A
// message's text carries the alt already (the custom emoji entity only
// covers it, and is dropped: text.go); a reaction names the document
// alone, so its alt is asked of Telegram (messages.getCustomEmojiDocuments),
// once per update for the documents not known yet, and kept.

// customEmojiWait bounds the question: the update stream waits for it.
const customEmojiWait = 5 * time.Second

// customEmojisKept bounds the alts kept: past it, the one learned
// longest ago is forgotten (and asked again when next seen).
const customEmojisKept = 2048

// customEmojiFallback is a custom emoji whose alt Telegram did not tell.
const customEmojiFallback = "⭐"

// customEmojiCache is the alt of each custom emoji document seen; ""
// for one Telegram did not know.
type customEmojiCache struct {
	mu    sync.Mutex
	alt   map[int64]string
	order []int64 // the keys of alt, oldest first
}

// get is the alt of document id, if known.
func (c *customEmojiCache) get(id int64) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.alt[id]
	return a, ok
}

// put keeps the alt of document id.
func (c *customEmojiCache) put(id int64, alt string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.alt == nil {
		c.alt = map[int64]string{}
	}
	if _, known := c.alt[id]; !known {
		c.order = append(c.order, id)
		if len(c.order) > customEmojisKept {
			delete(c.alt, c.order[0])
			c.order = c.order[1:]
		}
	}
	c.alt[id] = alt
}

// customEmojiIDs are the custom emoji documents among r's reactions.
func customEmojiIDs(r tg.MessageReactions) []int64 {
	var ids []int64
	add := func(rc tg.ReactionClass) {
		if ce, ok := rc.(*tg.ReactionCustomEmoji); ok && !slices.Contains(ids, ce.DocumentID) {
			ids = append(ids, ce.DocumentID)
		}
	}
	for _, rc := range r.Results {
		add(rc.Reaction)
	}
	for _, pr := range r.RecentReactions {
		add(pr.Reaction)
	}
	return ids
}

// customEmojiAlts are the alts of the custom emoji documents ids, those
// not known asked of Telegram in one question. One Telegram does not
// tell (it failed, or did not answer in time) is left out: the reaction
// then reads as customEmojiFallback, and is not lost.
func (s *Session) customEmojiAlts(ctx context.Context, ids []int64) map[int64]string {
	alts := map[int64]string{}
	var ask []int64
	for _, id := range ids {
		if a, ok := s.emojiAlts.get(id); ok {
			alts[id] = a
		} else {
			ask = append(ask, id)
		}
	}
	if len(ask) == 0 {
		return alts
	}
	api, _, err := s.client()
	if err != nil {
		return alts
	}
	ctx, cancel := context.WithTimeout(ctx, customEmojiWait)
	defer cancel()
	docs, err := api.MessagesGetCustomEmojiDocuments(ctx, ask)
	if err != nil {
		s.n.log().Log(ctx, slog.LevelWarn, "telegram: custom emoji's alt not told: shown as "+customEmojiFallback, "login", s.login.LoginID, "documents", ask, "err", err)
		return alts
	}
	for _, d := range docs {
		doc, ok := d.(*tg.Document)
		if !ok {
			continue
		}
		for _, at := range doc.Attributes {
			if ce, ok := at.(*tg.DocumentAttributeCustomEmoji); ok {
				alts[doc.ID] = ce.Alt
			}
		}
	}
	for _, id := range ask {
		// One Telegram left out is not a custom emoji it knows: not
		// asked again each time it is seen.
		s.emojiAlts.put(id, alts[id])
	}
	return alts
}
