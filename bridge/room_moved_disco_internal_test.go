package bridge

import "testing"

// TestMovedRoomDiscoInfo: disco#info on the room of a group the network
// moved answers as a room's, as for a group left (leftDiscoInfo), so a
// client that looks before it joins goes on to the join, answered gone
// with the new room. It was the contact path's, not the room's.
func TestMovedRoomDiscoInfo(t *testing.T) {
	tr, s, _, sent := occupantFixture(t)
	moveG1(tr, s)
	tr.bg.Wait()
	s.roomsSyncDone()
	sent()
	if !occupantStanza(t, tr, `<iq type='get' id='d1' from='alice@localhost/phone' to='g1@echo.localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>`) {
		t.Fatal("disco#info of the moved room not answered by the room path")
	}
	got := sent()
	if len(got) != 1 {
		t.Fatalf("want one answer, got %d", len(got))
	}
	q := got[0].Child("http://jabber.org/protocol/disco#info", "query")
	if got[0].Type() != "result" || q == nil || q.Child("", "identity") == nil || q.Child("", "identity").Attr("category") != "conference" {
		t.Fatalf("disco#info of the moved room: want a room's: %+v", got[0])
	}
	muc := false
	for _, f := range q.Children {
		muc = muc || f.XMLName.Local == "feature" && f.Attr("var") == "http://jabber.org/protocol/muc"
	}
	if !muc {
		t.Fatalf("disco#info of the moved room without the muc feature: %+v", q)
	}
}
