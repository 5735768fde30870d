package whatsapp

import (
	"testing"
	"time"

	"go.mau.fi/whatsmeow/types"
)

// A channel's post's meta keeps its server ID (what a reaction to it
// names), with or without a time, and with a file (never a channel's,
// but the fields stay apart); a meta without it reads as 0, and a
// damaged one is an error, never a guess.
func TestMetaServerID(t *testing.T) {
	channel := types.NewJID("120363100000000001", types.NewsletterServer)
	at := time.UnixMilli(1796288400123)
	for _, m := range []msgMeta{
		{Sender: channel, ServerID: 321},
		{Sender: channel, ServerID: 321, Time: at},
		{Sender: phone, FromMe: true, ServerID: 7, Time: at, File: []byte("file"), Parts: []types.MessageID{"P1"}},
	} {
		b := m.encode()
		got, err := decodeMeta(b)
		if err != nil || got.Sender != m.Sender || got.ServerID != m.ServerID || !got.Time.Equal(m.Time) ||
			string(got.File) != string(m.File) || len(got.Parts) != len(m.Parts) {
			t.Errorf("%s read back as %+v, %v, want %+v", b, got, err, m)
		}
	}
	if got, err := decodeMeta(msgMeta{Sender: channel, Time: at}.encode()); err != nil || got.ServerID != 0 {
		t.Errorf("a meta without a server ID: %+v, %v", got, err)
	}
	for _, bad := range []string{channel.String() + "|0||||x", channel.String() + "|0||||0", channel.String() + "|0||||-3", channel.String() + "|0||||"} {
		if got, err := decodeMeta([]byte(bad)); err == nil {
			t.Errorf("%s read as %+v, want an error", bad, got)
		}
	}
}
