package puppet

import (
	"testing"

	"mellium.im/xmpp/jid"
)

// benchIDs are remote IDs as the networks hand them out: a phone number
// (WhatsApp, Signal), a numeric ID (Telegram), a Signal ACI, a username
// with uppercase letters, and a group chat ID with an @ and a name with
// non-ASCII.
var benchIDs = []struct{ name, id string }{
	{"phone", "+33612345678"},
	{"numeric", "123456789012"},
	{"uuid", "0b7a3f2c-9e1d-4c5a-8f6b-2d3e4f5a6b7c"},
	{"upper", "JohnDoe_42"},
	{"escaped", "120363025246125888@g.us José"},
}

// BenchmarkLocalPart escapes a remote ID into a localpart (every outgoing
// stanza from a puppet pays it).
func BenchmarkLocalPart(b *testing.B) {
	for _, c := range benchIDs {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := LocalPart(c.id); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkUserID reverses a localpart (every incoming stanza to a
// puppet pays it, with its canonical-form check).
func BenchmarkUserID(b *testing.B) {
	for _, c := range benchIDs {
		lp, err := LocalPart(c.id)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := UserID(lp); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkJID builds a puppet's full address, including mellium's
// PRECIS checks of the localpart and domain.
func BenchmarkJID(b *testing.B) {
	for _, c := range benchIDs {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := JID(c.id, "whatsapp.example.org"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkFromJID parses the to address of an incoming stanza and maps
// it back to the remote ID, as the bridge does for every message.
func BenchmarkFromJID(b *testing.B) {
	for _, c := range benchIDs {
		j, err := JID(c.id, "whatsapp.example.org")
		if err != nil {
			b.Fatal(err)
		}
		s := j.String()
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				pj, err := jid.Parse(s)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := FromJID(pj); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
