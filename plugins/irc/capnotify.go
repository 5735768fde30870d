package irc

import (
	"slices"
	"strings"

	"github.com/ergochat/irc-go/ircevent"
	"github.com/ergochat/irc-go/ircmsg"
)

// Capabilities that come and go after registration (IRCv3 cap-notify,
// implied by the CAP LS 302 irc-go sends): a bouncer (soju, ZNC) offers
// those its upstream has only once that is connected, with CAP NEW, and
// takes them back with CAP DEL when it drops; Solanum takes sasl away
// while its services are gone. irc-go negotiates at registration only
// and ignores both, so the session follows them here: a capability it
// asks for that comes later is requested, one taken away is off.
// Before, a login to a bouncer whose upstream came up after it kept
// what it got at registration for the whole connection (no echoes, no
// message-tags; history needs batch from registration, lateCaps), and
// a capability taken away was still counted on (a TAGMSG of typing to a server that no longer relays it,
// each send waiting EchoWait for an echo that was not coming).

// wantedCaps are the capabilities the session asks for (sasl is for
// registration only, and asked by irc-go).
func wantedCaps() []string { return append(slices.Clone(requestCaps), historyCaps...) }

// lateCaps are those of wantedCaps it asks for after registration:
// not batch, which irc-go follows only where registration gave it
// (it gathers a batch's lines for onBatch): acknowledged later, the
// session asked for history whose batch came line by line, as live
// messages, and no answer ended the request.
func lateCaps() []string {
	return slices.DeleteFunc(wantedCaps(), func(name string) bool { return name == "batch" })
}

// handleCapChanges follows CAP NEW, DEL and the answers (ACK, NAK) to
// the requests it makes, once the connection registered: irc-go's own
// negotiation handles those before, and its acknowledged caps are the
// session's at registration (registered).
func (s *Session) handleCapChanges(c *ircevent.Connection) {
	s.on(c, "CAP", func(m ircmsg.Message) {
		// CAP <nick|*> <sub> [*] :<caps>
		if len(m.Params) < 3 {
			return
		}
		s.mu.Lock()
		live := s.attempt != nil && s.attempt.registered && s.caps != nil
		s.mu.Unlock()
		if !live {
			return
		}
		names := capNames(lastParam(m))
		s.mu.Lock()
		couldRedact := s.canRedactLocked()
		s.mu.Unlock()
		defer s.redactCapChanged(couldRedact) // redact.go
		switch strings.ToUpper(m.Params[1]) {
		case "NEW":
			var ask []string
			s.mu.Lock()
			for _, name := range names {
				if slices.Contains(lateCaps(), name) && !s.caps[name] {
					ask = append(ask, name)
				}
			}
			s.mu.Unlock()
			// Under wireMu, as every line of the plugin's outside a
			// command window (refusals.go).
			s.wireMu.Lock()
			for _, name := range ask {
				// One a line, as irc-go asks at registration: a
				// refusal (NAK) of one refuses no other.
				_ = c.Send("CAP", "REQ", name)
			}
			s.wireMu.Unlock()
		case "ACK":
			s.mu.Lock()
			for _, name := range names {
				if off, ok := strings.CutPrefix(name, "-"); ok {
					s.capOffLocked(off)
				} else if slices.Contains(lateCaps(), name) {
					s.caps[name] = true
				}
			}
			s.mu.Unlock()
		case "DEL":
			s.mu.Lock()
			for _, name := range names {
				s.capOffLocked(name)
			}
			s.mu.Unlock()
		}
	})
}

// capOffLocked notes that the server no longer has capability name.
func (s *Session) capOffLocked(name string) {
	if !s.caps[name] {
		return
	}
	delete(s.caps, name)
	if name == "message-tags" {
		// The repeats of typing stop: no TAGMSG is relayed now.
		s.clearTypingLocked()
	}
	if name == "echo-message" {
		// No echo will come for the lines waiting: their sends end
		// now, unconfirmed (as late ones), not EchoWait later.
		for _, e := range s.echoes {
			close(e.got)
		}
		s.echoes = nil
	}
}

// capNames are the names in a CAP line's list, values ("sasl=PLAIN")
// left out.
func capNames(list string) []string {
	var names []string
	for _, tok := range strings.Fields(list) {
		name, _, _ := strings.Cut(tok, "=")
		names = append(names, name)
	}
	return names
}
