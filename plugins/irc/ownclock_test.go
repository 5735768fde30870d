package irc_test

import (
	"slices"
	"testing"
	"time"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// Where the server echoes nothing, history's copy of the user's line is
// told by its words and its time, and its time is the server's: with a
// server whose clock is ten minutes off the gateway's (ahead or
// behind), the copy is still the user's line, left out of a backfill,
// once (the plugin reads the server's clock from its PONGs). Before,
// the send's time was the plugin's clock: the copy was outside the
// five minutes allowed (ownLineWindow), and came back as a second copy
// of what the user sent. A server whose PONGs carry no server-time
// tells its clock by the echo of the user's JOIN (untimed PONG); before,
// the plugin's clock was used there, and the line came back.
func TestOwnLineFromSkewedServerHistory(t *testing.T) {
	for _, c := range []struct {
		skew    time.Duration
		untimed bool
	}{{-10 * time.Minute, false}, {10 * time.Minute, false}, {-10 * time.Minute, true}, {10 * time.Minute, true}} {
		skew, name := c.skew, c.skew.String()
		if c.untimed {
			name += " untimed PONG"
		}
		t.Run(name, func(t *testing.T) {
			srv := startScripted(t, "batch message-tags server-time draft/chathistory", "")
			srv.mu.Lock()
			srv.skew, srv.pongUntimed = skew, c.untimed
			srv.history = []string{histLine(1)}
			srv.mu.Unlock()
			p, ctx, hist, _, login := histLogin(t, srv, nil, "#hist")
			srv.got("CHATHISTORY LATEST #hist *")
			nextBatch(t, hist) // the join's: h-1
			res := p.Commands().Send(plugintest.SendText(login.LoginId, "#hist", "", "hello there"))
			if res.Error != nil {
				t.Fatalf("send: %v", res.Error)
			}
			at := time.Now().Add(skew).UTC().Format("2006-01-02T15:04:05.000Z")
			srv.mu.Lock()
			srv.history = append(srv.history,
				"@time="+at+";msgid=m-1 :kit!k@h PRIVMSG #hist :hello there",
				"@time="+at+";msgid=z-1 :zoe!z@h PRIVMSG #hist :after")
			srv.mu.Unlock()
			if _, err := p.Client().Backfill(ctx, &pb.BackfillRequest{LoginId: login.LoginId, ChatId: "#hist", Limit: 10}); err != nil {
				t.Fatal(err)
			}
			if got, want := eventIDs(nextBatch(t, hist)), []string{"h-1", "z-1"}; !slices.Equal(got, want) {
				t.Errorf("the backfill: %q; want %q (the user's line is in the gateway already)", got, want)
			}
		})
	}
}
