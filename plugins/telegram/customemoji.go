package telegram

import (
	"context"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"github.com/gotd/td/tg"

	"passerelle.im/passerelle/plugins/telegram/customemoji"
	"passerelle.im/passerelle/plugins/telegram/reaction"
)

// A custom emoji (a reaction, or one in a message's text) is a sticker
// document; each has an alt, the plain emoji it stands for, which
// Telegram's own clients show where they cannot draw the sticker. A
// message's text carries the alt already (the custom emoji entity only
// covers it, and is dropped: text.go); a reaction names the document
// alone, so its alt is asked of Telegram (messages.getCustomEmojiDocuments),
// once per update for the documents not known yet, and kept (customemoji).

// customEmojiWait bounds the question: the update stream waits for it.
const customEmojiWait = 5 * time.Second

// customEmojiAsk is the most documents one question names (Telegram's
// limit for messages.getCustomEmojiDocuments).
const customEmojiAsk = 200

// emojiAskedKey marks the context of an update container whose custom
// emoji were asked already (askContainerEmoji): its updates ask no more.
type emojiAskedKey struct{}

// askContainerEmoji asks, in one question, the alts of the custom emoji
// that the reaction updates of list name and are not known yet, and
// returns ctx marked so that reactionEvents asks no more for them. A
// container (a catch-up's difference) may hold many such updates: asked
// one by one, the update stream waited up to customEmojiWait for each
// while Telegram did not answer.
func (s *Session) askContainerEmoji(ctx context.Context, list []tg.UpdateClass) context.Context {
	var ids []int64
	for _, u := range list {
		if r, ok := u.(*tg.UpdateMessageReactions); ok {
			for _, id := range customEmojiIDs(r.Reactions) {
				if !slices.Contains(ids, id) {
					ids = append(ids, id)
				}
			}
		}
	}
	if len(ids) == 0 {
		return ctx
	}
	s.customEmojiAlts(ctx, ids)
	return context.WithValue(ctx, emojiAskedKey{}, true)
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
// then reads as customemoji.Fallback, and is not lost.
func (s *Session) customEmojiAlts(ctx context.Context, ids []int64) map[int64]string {
	alts := map[int64]string{}
	var ask []int64
	for _, id := range ids {
		if a, ok := s.emojiAlts.Get(id); ok {
			alts[id] = a
		} else {
			ask = append(ask, id)
		}
	}
	if len(ask) == 0 || ctx.Value(emojiAskedKey{}) != nil {
		// Its container asked already (askContainerEmoji): one not
		// known now was not told, and reads as the fallback.
		return alts
	}
	api, _, err := s.client()
	if err != nil {
		return alts
	}
	ctx, cancel := context.WithTimeout(ctx, customEmojiWait)
	defer cancel()
	for part := range slices.Chunk(ask, customEmojiAsk) {
		docs, err := api.MessagesGetCustomEmojiDocuments(ctx, part)
		if err != nil {
			s.n.log().Log(ctx, slog.LevelWarn, "telegram: custom emoji's alt not told: shown as "+customemoji.Fallback, "login", s.login.LoginID, "documents", part, "err", err)
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
		for _, id := range part {
			// One Telegram left out is not a custom emoji it knows:
			// not asked again each time it is seen.
			s.emojiAlts.Put(id, alts[id])
		}
	}
	return alts
}

// myCustomEmoji is one of the user's own custom emoji reactions: its
// document, and the emoji it reads as.
type myCustomEmoji struct {
	doc  int64
	read string
}

// setMyCustomLocked keeps the user's own custom emoji reactions to the
// message key; with c.mu held, after setLocked.
func (c *reactionCache) setMyCustomLocked(key string, mine map[string]myCustomEmoji) {
	if len(mine) == 0 {
		delete(c.myCustom, key)
		return
	}
	if c.myCustom == nil {
		c.myCustom = map[string]map[string]myCustomEmoji{}
	}
	c.myCustom[key] = mine
}

// myCustomReaction is the user's own custom emoji reaction e (as read,
// with or without variation selectors) to message msg of chat, if it is
// one.
func (c *reactionCache) myCustomReaction(chat string, msg int, e string) (myCustomEmoji, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m, ok := c.myCustom[chat+"/"+strconv.Itoa(msg)][reaction.ToTelegram(e)]
	return m, ok
}
