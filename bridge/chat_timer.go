package bridge

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
)

// "/timer LENGTH" sent in a chat or a room sets the chat's
// disappearing-messages timer on the network (SetChatTimer, feature
// chat_timer): "/timer 1d", "/timer 8h", "/timer off". It is not sent as
// a message; the network's notice of the change is the answer, and a
// refusal (a length the network does not offer, a group where only
// admins may) an error reply naming why. "/timer" alone shows the
// chat's timer (chat_queries.go).

// timerUsage is what a "/timer" the gateway cannot read answers.
const timerUsage = "usage: /timer LENGTH or /timer off, LENGTH as 30s, 5m, 8h, 1d or 1w"

// maxTimer bounds a timer the gateway hands on: longer than any network's.
const maxTimer = 10 * 365 * 24 * time.Hour

// timerUnits are the units a timer's length may be written in.
var timerUnits = map[string]time.Duration{
	"s": time.Second, "sec": time.Second, "second": time.Second, "seconds": time.Second,
	"m": time.Minute, "min": time.Minute, "minute": time.Minute, "minutes": time.Minute,
	"h": time.Hour, "hour": time.Hour, "hours": time.Hour,
	"d": 24 * time.Hour, "day": 24 * time.Hour, "days": 24 * time.Hour,
	"w": 7 * 24 * time.Hour, "week": 7 * 24 * time.Hour, "weeks": 7 * 24 * time.Hour,
}

// parseTimer reads a timer's length: "off" or 0 for none, else a whole
// number and a unit ("1d", "7 days", "90d", "8h").
func parseTimer(arg string) (time.Duration, error) {
	arg = strings.ToLower(strings.TrimSpace(arg))
	if arg == "off" || arg == "0" {
		return 0, nil
	}
	i := strings.IndexFunc(arg, func(r rune) bool { return r < '0' || r > '9' })
	if i <= 0 {
		return 0, fmt.Errorf("%q is no length", arg)
	}
	n, err := strconv.ParseInt(arg[:i], 10, 64)
	unit, ok := timerUnits[strings.TrimSpace(arg[i:])]
	if err != nil || !ok {
		return 0, fmt.Errorf("%q is no length", arg)
	}
	if n > int64(maxTimer/unit) {
		return 0, fmt.Errorf("%q is too long", arg)
	}
	return time.Duration(n) * unit, nil
}

// setChatTimer answers the user's "/timer" command (arg, its argument)
// sent in chatID: the network sets the timer, or the user hears why not.
func (s *session) setChatTimer(ctx context.Context, st *wire.Stanza, chatID, txn, arg string) {
	t := s.t
	if !s.features().GetChatTimer() {
		t.send(ctx, wire.ErrorReply(st, wire.FeatureNotImpl, t.displayName()+" does not let the gateway set disappearing messages"))
		return
	}
	ttl, err := parseTimer(arg)
	if err != nil {
		t.send(ctx, wire.ErrorReply(st, wire.BadRequest, err.Error()+"; "+timerUsage))
		return
	}
	if s.chatCommand(ctx, st, &pb.Command{LoginId: s.LoginID(), ChatId: chatID, TxnId: txn,
		Action: &pb.Command_SetTimer{SetTimer: &pb.SetChatTimer{Seconds: int64(ttl / time.Second)}}}) {
		t.log.Info("chat timer set", "user", s.user, "chat", chatID, "timer", ttl)
	}
}
