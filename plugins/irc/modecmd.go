package irc

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/ergochat/irc-go/ircevent"
	"github.com/ergochat/irc-go/ircmsg"

	"passerelle.im/passerelle/plugins/sdk"
)

// "/mode" typed in a channel's room, as biboumi takes it: the channel's
// MODE, a command and not a message (sdk.Result.Command), which the
// gateway neither reflects in the room nor keeps. A bare "/mode" asks
// the channel's modes, "/mode +b" (or "b") without a mask its ban list:
// the server's answer (324; 367 to 368) is the command's reply, shown to
// the user alone. A change ("/mode +o dave") goes as a command typed in
// the server's chat does: the server's refusal comes there (server.go),
// its MODE echo in the room (modes.go).

// roomMode runs "/mode args" typed in the room of the channel chatID,
// whose name on the server is name.
func (s *Session) roomMode(ctx context.Context, conn *ircevent.Connection, chatID, name, args string) (sdk.Result, error) {
	id, shown := s.chanID(chatID), decodeText(name)
	switch fields := strings.Fields(args); {
	case len(fields) == 0:
		w := &modWait{what: "read the modes of " + shown, channel: id, modes: true}
		if err := s.moderate(ctx, conn, w, []string{"MODE", name}); err != nil {
			return sdk.Result{}, err
		}
		reply := s.acc.addr() + " did not say the modes of " + shown
		if w.modesSaid != "" {
			reply = "Modes of " + shown + ": " + w.modesSaid
		}
		return sdk.Result{Command: true, Reply: reply}, nil
	case len(fields) == 1 && (fields[0] == "+b" || fields[0] == "b"):
		w := &modWait{what: "read the ban list of " + shown, channel: id, listing: true}
		if err := s.moderate(ctx, conn, w, []string{"MODE", name, "+b"}); err != nil {
			return sdk.Result{}, err
		}
		if len(w.banList) == 0 {
			return sdk.Result{Command: true, Reply: "No one is banned in " + shown + "."}, nil
		}
		return sdk.Result{Command: true, Reply: "Bans in " + shown + " (" + strconv.Itoa(len(w.banList)) + "):\n" + strings.Join(w.banList, "\n")}, nil
	}
	if _, err := s.sendRaw(ctx, conn, "MODE "+name+" "+args); err != nil {
		return sdk.Result{}, err
	}
	return sdk.Result{Command: true}, nil
}

// banEntry is how a ban list's entry (367: "me #chan mask [setter
// [time]]") is shown: its mask, and who set it when, where the server
// says.
func banEntry(m ircmsg.Message) string {
	text := plainText(m.Params[2])
	if len(m.Params) > 3 && m.Params[3] != "" {
		text += ", set by " + plainText(m.Params[3])
		if len(m.Params) > 4 {
			if secs, err := strconv.ParseInt(m.Params[4], 10, 64); err == nil && secs > 0 {
				text += " on " + time.Unix(secs, 0).UTC().Format("2006-01-02 15:04 UTC")
			}
		}
	}
	return text
}
