package signal

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/signal/rpc"
)

// The user's own number change. The phone changes the account's number
// (Settings > Account > Change phone number) and sends its linked
// devices a PniChangeNumber sync message; signal-cli applies it
// (AccountHelper.setPni) and renames the account: its accounts.json
// entry, listAccounts, and the "account" of every notification from
// then on (the one of that sync message too, whose JSON syncMessage is
// empty) name the new number, and a request naming the old one is
// refused, "Specified account does not exist". signal-cli also finds a
// change made while it was stopped when it loads the account (its
// whoAmI check), without any message. Its subscriptions go on.
//
// Before, the plugin took the notifications naming the new number for
// another account's and dropped them, and the next command or liveness
// check ended the login as unlinked, "log in again", which a QR code
// could not do (signal-cli has the account already). Now the session
// takes the new number: a notification on its own subscription naming
// another number is the account's (its connection subscribes to
// nothing else); the saved state names it from then on, with the old
// number kept among the account's former ones (its earlier messages'
// IDs name them), the Note to Self moves to it, and the user is told.

// RenameWait is how long a request refused as naming no account waits
// for the rename's notification, which signal-cli writes right after it
// renamed the account: a request asked in between is refused.
var RenameWait = 2 * time.Second

// account is the Signal account as the session knows it now.
func (s *Session) account() Account {
	s.accMu.Lock()
	defer s.accMu.Unlock()
	return s.acc
}

// rpcAccount is what signal-cli is asked the account by: its number (its
// ACI when numberless), or its ACI while its new number is not known.
func (s *Session) rpcAccount() string {
	s.accMu.Lock()
	defer s.accMu.Unlock()
	return s.rpcAccountLocked()
}

func (s *Session) rpcAccountLocked() string {
	if s.byACI {
		return s.acc.ACI
	}
	return s.acc.ID()
}

// isSelfNumber reports whether id names the account: its number, a
// number it had before, or its ACI.
func (s *Session) isSelfNumber(id string) bool {
	s.accMu.Lock()
	defer s.accMu.Unlock()
	return s.isSelfLocked(id)
}

func (s *Session) isSelfLocked(id string) bool {
	return id != "" && (id == s.acc.Number || strings.EqualFold(id, s.acc.ACI) || slices.Contains(s.acc.Former, id))
}

// received keeps the envelopes read (the inbox) and takes a new number
// at once, as they are read: a command asked by the old number while
// the notification waits for its turn would be refused.
func (s *Session) received(notes []rpc.Note) {
	s.inbox.received(notes)
	for _, n := range notes {
		if n.Method != "receive" {
			continue
		}
		var p struct {
			Subscription *int `json:"subscription"`
			Result       struct {
				Account  string   `json:"account"`
				Envelope envelope `json:"envelope"`
			} `json:"result"`
		}
		if json.Unmarshal(n.Params, &p) != nil || p.Subscription == nil {
			continue
		}
		s.renameTo(p.Result.Account, p.Result.Envelope, true)
	}
}

// adoptNumber takes number, the "account" of a notification on the
// session's subscription, as the account's new number when it is not
// one it had: a notification handed over again after a restart (the
// inbox's) names the number of its time.
func (s *Session) adoptNumber(number string, env envelope) { s.renameTo(number, env, false) }

// renameTo makes number the account's, unless it is its number already,
// or (live false) one it had before; a live notification (read now) may
// name a number it had before: the user changed back to it. The
// account's ACI, unknown in the existing flow, is learnt from the
// rename's sync message, which comes from the account itself: a later
// rename found while the plugin did not run is found by it.
func (s *Session) renameTo(number string, env envelope, live bool) {
	if !strings.HasPrefix(number, "+") {
		return // a numberless account's ACI: nothing to take
	}
	s.accMu.Lock()
	defer s.accMu.Unlock()
	if number == s.acc.Number || (!live && s.isSelfLocked(number)) {
		return
	}
	acc := s.acc
	acc.Former = slices.DeleteFunc(slices.Clone(acc.Former), func(f string) bool { return f == number })
	if acc.Number != "" && !slices.Contains(acc.Former, acc.Number) {
		acc.Former = append(acc.Former, acc.Number)
	}
	acc.Number = number
	if acc.ACI == "" && env.SourceNumber == number && isUUID(env.SourceUUID) {
		acc.ACI = env.SourceUUID
	}
	s.acc, s.byACI = acc, false
	close(s.renamed)
	s.renamed = make(chan struct{})
	s.n.host.Logger().Info("signal: the account's number changed", "login", s.loginID, "number", number, "former", acc.Former)
}

// renamedFrom reports whether the account is no longer asked for by
// asked, what a request refused as naming no account named: renamed
// meanwhile, or within RenameWait while subscribed.
func (s *Session) renamedFrom(asked string) bool {
	s.accMu.Lock()
	now, ch := s.rpcAccountLocked(), s.renamed
	s.accMu.Unlock()
	if now != asked {
		return true
	}
	s.mu.Lock()
	up := s.up
	s.mu.Unlock()
	if !up {
		return false // no notification comes
	}
	t := time.NewTimer(RenameWait)
	defer t.Stop()
	select {
	case <-ch:
		return s.rpcAccount() != asked
	case <-t.C:
		return false
	}
}

// tryByACI has the account asked for by its ACI, when known and not so
// already: signal-cli (0.14.6 and later) knows an account by it too, so
// that an account renamed while the plugin did not subscribe is found.
func (s *Session) tryByACI() bool {
	s.accMu.Lock()
	defer s.accMu.Unlock()
	if s.acc.ACI == "" || s.byACI || s.acc.Number == "" {
		return false
	}
	s.byACI = true
	return true
}

// notByACI undoes tryByACI: signal-cli does not know the ACI either.
func (s *Session) notByACI() {
	s.accMu.Lock()
	defer s.accMu.Unlock()
	s.byACI = false
}

// connectedText is the connected login's state message.
func (s *Session) connectedText() string {
	s.accMu.Lock()
	defer s.accMu.Unlock()
	if s.byACI {
		return "connected to Signal by the account's ACI " + s.acc.ACI + ": signal-cli no longer knows it as " + s.acc.Number +
			" (its number was changed on the phone, most likely); the new number is taken from the next message"
	}
	return "connected to Signal as " + s.acc.ID()
}

// tellRenamed tells a new number the account took and the host was not
// told yet: the saved state names it (a restart subscribes by it), the
// record of the accounts this plugin linked follows it, the Note to
// Self moves to it, and a notice there says so. Called in the order of
// the notifications, before the envelope that first names it.
func (s *Session) tellRenamed() {
	s.accMu.Lock()
	acc, old := s.acc, s.savedNumber
	if acc.Number == "" || acc.Number == old {
		s.accMu.Unlock()
		return
	}
	s.savedNumber = acc.Number
	s.accMu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	log := s.n.host.Logger().With("login", s.loginID)
	state, err := json.Marshal(acc)
	if err == nil {
		s.emit(ctx, &pb.Event{Payload: &pb.Event_SavedState{SavedState: &pb.SavedStateEvent{SavedState: state}}}, true)
	}
	if old == "" {
		return
	}
	if acc.Linked || s.n.linked(old) {
		s.n.setLinked(old, false)
		s.n.setLinked(acc.Number, true)
	}
	if owner := s.n.cfg.Accounts[old]; owner != "" {
		log.Warn("signal: an account of the config changed its number: its login goes on, but the config's accounts should name the new number for a new login of it",
			"old", old, "new", acc.Number, "user", owner)
	}
	s.pins.moved(old, acc.Number)
	s.polls.moved(old, acc.Number)
	s.marks.moved(old, acc.Number)
	self := s.noteToSelf()
	s.emit(ctx, &pb.Event{Payload: &pb.Event_Identity{Identity: &pb.IdentityEvent{OldUserId: old, Contact: self}}}, true)
	s.emit(ctx, &pb.Event{ChatId: acc.Number, ChatType: pb.ChatType_CHAT_TYPE_DIRECT, Sender: &pb.Sender{UserId: acc.Number, Name: noteToSelfName},
		EventId: "own-number-" + old + "-" + acc.Number, Payload: &pb.Event_Message{Message: &pb.MessageEvent{
			Text: "📱 Your Signal number changed from " + old + " to " + acc.Number + " (on your phone). The gateway goes on with your account at " +
				acc.Number + ": your contacts reach you there, and your Note to Self is this chat."}}}, true)
	s.stateMu.Lock()
	s.state(pb.LoginState_LOGIN_STATE_CONNECTED, "connected to Signal as "+acc.Number+" (your number changed from "+old+")")
	s.stateMu.Unlock()
}

// target is the package's target, refusing a number the account had
// before: a chat with it is the Note to Self a client kept from then,
// and the number may be someone else's now.
func (s *Session) target(chatID string) (map[string]any, error) {
	acc := s.account()
	if slices.Contains(acc.Former, chatID) {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND,
			"%s was your Signal number before you changed it to %s; it may be someone else's now, so nothing goes there: your Note to Self is %s", chatID, acc.Number, acc.Number)
	}
	return target(chatID)
}
