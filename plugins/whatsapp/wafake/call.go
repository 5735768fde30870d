package wafake

import (
	"context"
	"strconv"
	"time"

	waBinary "go.mau.fi/whatsmeow/binary"
	"go.mau.fi/whatsmeow/types"
)

// Call is a <call> stanza as WhatsApp sends it to each of the callee's
// devices: one child (Tag: "offer", "offer_notice", "accept", "reject",
// "terminate") naming the call. The fake hands it to whatsmeow's own
// call handling, which parses it into the events the plugin gets
// (events.CallOffer, CallTerminate...).
type Call struct {
	Tag string `json:"tag"`
	ID  string `json:"id"`
	// From is who sent the stanza (the caller; the accepting device for
	// an accept), Creator who placed the call (From when empty).
	From    string `json:"from"`
	Creator string `json:"creator,omitempty"`
	// CreatorPN is the caller's phone JID beside a LID creator
	// (caller_pn).
	CreatorPN string `json:"creator_pn,omitempty"`
	Group     string `json:"group,omitempty"` // group-jid
	Video     bool   `json:"video,omitempty"` // an offer's <video/>; an offer_notice's media="video"
	Reason    string `json:"reason,omitempty"`
	At        int64  `json:"at"` // unix seconds; 0: now
}

// Node is c as whatsmeow reads it off the wire.
func (c Call) Node() waBinary.Node {
	from, _ := types.ParseJID(c.From)
	creator := from
	if c.Creator != "" {
		creator, _ = types.ParseJID(c.Creator)
	}
	at := c.At
	if at == 0 {
		at = time.Now().Unix()
	}
	attrs := waBinary.Attrs{"call-id": c.ID, "call-creator": creator}
	if c.CreatorPN != "" {
		if pn, err := types.ParseJID(c.CreatorPN); err == nil {
			attrs["caller_pn"] = pn
		}
	}
	if c.Group != "" {
		if g, err := types.ParseJID(c.Group); err == nil {
			attrs["group-jid"] = g
		}
	}
	var content []waBinary.Node
	switch c.Tag {
	case "offer":
		media := "audio"
		if c.Video {
			media = "video"
		}
		content = []waBinary.Node{{Tag: "audio", Attrs: waBinary.Attrs{"enc": "opus", "rate": "16000"}}}
		if media == "video" {
			content = append(content, waBinary.Node{Tag: "video", Attrs: waBinary.Attrs{"enc": "vp8"}})
		}
	case "offer_notice":
		attrs["media"] = "audio"
		if c.Video {
			attrs["media"] = "video"
		}
		if c.Group != "" {
			attrs["type"] = "group"
		}
	case "terminate":
		if c.Reason != "" {
			attrs["reason"] = c.Reason
		}
	}
	child := waBinary.Node{Tag: c.Tag, Attrs: attrs}
	if content != nil {
		child.Content = content
	}
	return waBinary.Node{
		Tag:     "call",
		Attrs:   waBinary.Attrs{"from": from, "id": "CALLSTANZA" + c.ID + c.Tag, "t": strconv.FormatInt(at, 10)},
		Content: []waBinary.Node{child},
	}
}

// Call hands a call stanza to whatsmeow, which dispatches its event.
// (whatsmeow's acknowledgement of it finds no connection and is logged.)
func (c *Client) Call(ctx context.Context, call Call) {
	n := call.Node()
	c.Real.DangerousInternals().HandleCallEvent(ctx, &n)
}
