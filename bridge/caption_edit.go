package bridge

import (
	"context"

	"passerelle.im/passerelle/bridge/format"
	"passerelle.im/passerelle/store"
)

// A network message with a file and no text went as the file alone (its
// first stanza carries the file: message). The network may edit a
// caption onto it later (Telegram's caption added to a photo, WhatsApp's
// and Signal's edits): a XEP-0308 correction replaces the whole message,
// so one with the caption for body puts the text in the photo's place;
// carrying the file again does not help, since clients (Conversations,
// Dino, Gajim) show a file only when the body is its URL. The caption
// goes instead as a message of its own that replies (XEP-0461) to the
// file, as a captioned file reads (the text, then the file); the
// file stays as it was. Later edits correct that caption message.

// caption renders the network's edit of ref, a message shown as its
// file alone, as the caption message: new the first time, then a
// correction of the first. The first is kept with ref in the message
// map, so a later edit corrects it after a restart too.
func (c chatOut) caption(ref store.MessageRef, rich format.Rendered) [][]byte {
	chat := chatKey(c.ev.LoginId, c.ev.ChatId)
	fileID := xmppID(ref)
	file := c.t.recent.get(chat, fileID)
	first, from := captionOf(ref, file)
	w := c.start(c.xid)
	c.senderNick(w)
	c.replyTo(w, ref)
	w.Leaf("body", "", rich.Body)
	c.annotate(w, rich, rich.Body)
	// This very edit again (delivered again after a crash) is the first
	// still.
	if first != "" && first != c.xid {
		w.Start("replace", nsCorrect).Attr("id", first).End()
		// Named so from now on by Conversations (chatOut.edit).
		c.t.keepCorrection(context.Background(), c.ev.LoginId, c.ev.ChatId, ref, c.xid)
	} else {
		first, from = c.xid, c.ev.EventId
		w.Leaf("markable", nsMarkers, "")
		c.keepCaption(ref, first, from)
	}
	c.ids(w, c.xid)
	// A reply to the photo, or to the caption, quotes the caption.
	file.caption, file.captionRemote, file.text = first, from, rich.Body
	c.t.recent.put(chat, fileID, file)
	c.t.recent.retext(chat, rich.Body, first)
	if first == c.xid {
		c.t.recent.put(chat, first, recentMsg{text: rich.Body})
	}
	return [][]byte{c.finish(w)}
}

// captionOf is the id of ref's caption message and the remote ID of the
// edit it came from: remembered, or kept in the message map.
func captionOf(ref store.MessageRef, file recentMsg) (id, from string) {
	if file.caption != "" {
		return file.caption, file.captionRemote
	}
	return ref.Caption, ref.CaptionFrom
}

// keepCaption stores ref with its new caption message. A failure costs
// only a new caption message at a later edit after a restart. (An edit
// that comes while ref's own entry is still being committed may be
// overwritten by it: then the memory alone remembers.)
func (c chatOut) keepCaption(ref store.MessageRef, id, from string) {
	ref.Caption, ref.CaptionFrom = id, from
	if err := c.t.db.PutMessages(context.Background(), []store.MessageRef{ref}); err != nil {
		c.t.log.Warn("the caption message of a file not kept", "login", c.ev.LoginId, "chat", c.ev.ChatId, "err", err)
	}
}

// captionRetraction retracts the caption message of ref, the network's
// message being retracted, if an edit gave it one: else the photo goes
// and its caption stays. nil when it has none the gateway remembers.
func (c chatOut) captionRetraction(ref store.MessageRef) []byte {
	target, ok := c.captionTarget(ref)
	if !ok {
		return nil
	}
	id := c.xid + "-caption"
	w := c.start(id)
	w.Start("retract", nsRetract).Attr("id", target).End()
	w.Start("fallback", nsFallback).Attr("for", nsRetract).End()
	w.Leaf("store", nsHints, "")
	c.ids(w, id)
	return c.finish(w)
}

// captionTarget is the id clients know the caption message of ref by (a
// room's: its archived copy's stanza-id); ok is false when ref got none.
func (c chatOut) captionTarget(ref store.MessageRef) (string, bool) {
	caption, from := captionOf(ref, c.t.recent.get(chatKey(c.ev.LoginId, c.ev.ChatId), xmppID(ref)))
	if caption == "" {
		return "", false
	}
	if c.group && from != "" {
		if id, err := c.t.db.ArchivedStanzaID(context.Background(), c.t.roomKey(c.user, c.ev.ChatId), from); err == nil {
			return id, true
		}
	}
	return caption, true
}
