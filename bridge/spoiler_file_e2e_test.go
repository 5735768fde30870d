package bridge_test

import (
	"strings"
	"testing"
)

// TestSpoilerFile: a file the user marks as a spoiler (XEP-0382's
// <spoiler/> on a message whose body is only the file's address) reaches
// the network marked so (Attachment.spoiler): the text the spoiler was a
// span over is dropped, and the file went unhidden. The echo network
// gives the mark back on its copy, and the gateway shows that file with
// <spoiler/>. A file without the mark comes back without it.
func TestSpoilerFile(t *testing.T) {
	s := newStack(t, stackOptions{httpUpload: true})
	alice := registered(t, s, "alice")
	url := uploadAsUser(t, s, alice, "ending.jpg", "image/jpeg", []byte("the butler did it"))
	raw(t, alice, `<message type='chat' to='bob@`+domain+`'><body>`+url+`</body><x xmlns='jabber:x:oob'><url>`+url+`</url></x>`+
		`<spoiler xmlns='`+nsSpoiler+`'/></message>`)
	if m := next(t, alice, "spoiler file", has("jabber:x:oob")); !strings.Contains(m.XML, nsSpoiler) {
		t.Errorf("the echo of a file marked as a spoiler is not one: %s", m.XML)
	}
	sendFile(t, alice, uploadAsUser(t, s, alice, "holiday.jpg", "image/jpeg", []byte("a beach")))
	if m := next(t, alice, "plain file", has("jabber:x:oob")); strings.Contains(m.XML, nsSpoiler) {
		t.Errorf("the echo of a plain file is a spoiler: %s", m.XML)
	}
	for _, st := range alice.Pending() {
		if st.Type == "error" {
			t.Errorf("unexpected error: %s", st.XML)
		}
	}
}
