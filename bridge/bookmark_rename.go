package bridge

import (
	"context"
	"encoding/xml"
	"fmt"
	"slices"

	"passerelle.im/passerelle/bridge/wire"
)

// A group renamed on the network is renamed in the user's XEP-0402
// bookmark of its room too, else clients list it under its old name for
// good. The bookmark is the user's: read first from their PEP, it keeps
// all the user made of it (autojoin, nick, password, extensions), only
// its name changes; one the user deleted is not made again, and one the
// user named themself keeps their name: only a bookmark named as the
// gateway knew the group (or not named) follows the network's. This
// needs XEP-0356's iq permission on pubsub of both types (get to read,
// set to publish); with set alone the bookmark keeps its name, rather
// than be published blind over the user's choices.

// renameBookmark gives the user's bookmark of room roomJID the group's
// new name, if the user has one and it is named as the gateway knew the
// group: one of known, or nothing. It reports whether the bookmark is
// settled: renamed, or rightly left as it is; false when it could not
// be read or written, or the permission is missing, so a later sync may
// try again. Errors are logged: a bookmark that keeps its old name loses
// nothing.
func (t *transport) renameBookmark(ctx context.Context, user, roomJID string, known []string, name string) bool {
	if p := t.privileges(); !p.iqGet(nsPubSub) || !p.iqSet(nsPubSub) {
		return false
	}
	conf, err := t.readBookmark(ctx, user, roomJID)
	switch {
	case err != nil:
		t.log.Info("room bookmark not renamed: not read", "user", user, "room", roomJID, "err", err)
		return false
	case conf == nil:
		t.log.Info("room bookmark not renamed: the user has none", "user", user, "room", roomJID)
		return true
	case conf.Attr("name") == name:
		return true
	case conf.Attr("name") != "" && !slices.Contains(known, conf.Attr("name")):
		t.log.Info("room bookmark not renamed: the user named it", "user", user, "room", roomJID)
		return true
	}
	if err := t.publishConference(ctx, user, roomJID, renamedConference(conf, name)); err != nil {
		t.log.Info("room bookmark not renamed", "user", user, "room", roomJID, "err", err)
		return false
	}
	t.log.Info("room bookmark renamed", "user", user, "room", roomJID)
	return true
}

// readBookmark reads the item roomJID of user's bookmarks, as the user:
// its <conference/>, nil when there is none.
func (t *transport) readBookmark(ctx context.Context, user, roomJID string) (*wire.Element, error) {
	var w wire.Writer
	id := t.privilegedIQ(&w, user, "get")
	w.Start("items", "").Attr("node", nsBookmarks)
	w.Start("item", "").Attr("id", roomJID)
	inner, err := t.privilegedCall(ctx, id, w.Bytes(), "read")
	if err != nil {
		return nil, err
	}
	if inner == nil {
		return nil, fmt.Errorf("privileged read: the server forwarded no answer")
	}
	ps := inner.Child(nsPubSub, "pubsub")
	if ps == nil {
		return nil, nil
	}
	items := ps.Child(nsPubSub, "items")
	if items == nil {
		return nil, nil
	}
	for i := range items.Children {
		if it := &items.Children[i]; it.XMLName.Local == "item" && it.Attr("id") == roomJID {
			return it.Child(nsBookmarks, "conference"), nil
		}
	}
	return nil, nil
}

// renamedConference is conf, whole (attributes in other namespaces
// too: Writer.Element's), with the name name.
func renamedConference(conf *wire.Element, name string) []byte {
	c := *conf
	c.Attrs = nil
	if name = wire.XMLSafe(name); name != "" {
		c.Attrs = append(c.Attrs, xml.Attr{Name: xml.Name{Local: "name"}, Value: name})
	}
	for _, a := range conf.Attrs {
		if a.Name.Space != "" || a.Name.Local != "name" {
			c.Attrs = append(c.Attrs, a)
		}
	}
	var w wire.Writer
	return w.Element(&c).Bytes()
}
