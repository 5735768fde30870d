package irc

import (
	"fmt"
	"testing"

	"github.com/ergochat/irc-go/ircmsg"
)

// A typed LIST of a big network keeps the most populated channels as
// the list comes (not the whole list in memory), and says how many
// more there were.
func TestRawListKeepsMostPopulated(t *testing.T) {
	s := newSession(&Network{}, "kit@irc.test:6667", Account{})
	s.rawList = &rawList{}
	for i := range 5000 {
		m := ircmsg.MakeMessage(nil, "srv", "322", "kit", fmt.Sprintf("#c%d", i), fmt.Sprint(i%1000), "topic")
		s.rawListedLocked(m)
		if n := len(s.rawList.chans); n > 2*rawListShown {
			t.Fatalf("%d channels held after %d listed", n, i+1)
		}
	}
	l := s.rawList
	l.keepBest()
	if l.listed != 5000 || len(l.chans) != rawListShown || l.chans[0].users != 999 || l.chans[rawListShown-1].users != 960 {
		t.Errorf("kept %d of %d, from %d to %d users; want %d of 5000, from 999 to 960 (5 of each count)", len(l.chans), l.listed, l.chans[0].users, l.chans[len(l.chans)-1].users, rawListShown)
	}
}
