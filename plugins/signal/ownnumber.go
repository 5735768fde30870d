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
// takes the new number. A notification on its subscription naming
// another number is the account's, or another account's: signal-cli
// gives an account added later (a second user's, linked by QR code) to
// every subscription there is. It is the account's when an envelope
// from the account itself (its ACI) names it, or, the ACI not known, an
// envelope from itself names it while signal-cli lists it and no longer
// the account's number (verifyRename); the saved state
// names it from then on, with the old number kept among the account's
// former ones (its earlier messages' IDs name them), the Note to Self
// moves to it, and the user is told.

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

// candidate is a number a notification on the session's subscription
// named that is not the account's: its new number, or another account
// of signal-cli's (signal-cli adds an account linked or loaded later to
// every subscription there is, SignalJsonRpcDispatcherHandler's
// addOnManagerAddedHandler). src are the envelope's sender, whose ACI is
// the account's own for its sync messages.
type candidate struct {
	number, srcNumber, srcUUID string
}

// received keeps the envelopes read (the inbox) and notes the numbers
// they name that are not the account's, as they are read: a command
// refused for naming the old number meanwhile finds them (renamedFrom)
// without waiting for their turn.
func (s *Session) received(notes []rpc.Note) {
	s.inbox.received(notes, false)
	for _, n := range notes {
		if n.Method != "receive" {
			continue
		}
		var p struct {
			Subscription *int `json:"subscription"`
			Result       struct {
				Account  string          `json:"account"`
				Envelope json.RawMessage `json:"envelope"`
			} `json:"result"`
		}
		if json.Unmarshal(n.Params, &p) != nil || p.Subscription == nil || p.Result.Account == s.account().Number {
			continue
		}
		var env envelope
		_ = json.Unmarshal(p.Result.Envelope, &env) // its sender, when it can be read
		s.noteCandidate(p.Result.Account, env, true)
	}
}

// noteCandidate notes number, a notification's account, when it may be
// the account's new one: not its number, nor (live false: a
// notification handed over again after a restart, which names the
// number of its time) one it had, nor another account's already found.
// A live one may name a number it had: the user changed back to it.
func (s *Session) noteCandidate(number string, env envelope, live bool) {
	if !strings.HasPrefix(number, "+") {
		return // a numberless account's ACI
	}
	s.accMu.Lock()
	defer s.accMu.Unlock()
	if number == s.acc.Number || s.others[number] || (!live && s.isSelfLocked(number)) {
		return
	}
	c := candidate{number: number, srcNumber: env.SourceNumber, srcUUID: env.SourceUUID}
	i := slices.IndexFunc(s.candidates, func(x candidate) bool { return x.number == number })
	switch {
	case i < 0:
		s.candidates = append(s.candidates, c)
	case s.acc.ACI != "" && strings.EqualFold(c.srcUUID, s.acc.ACI):
		s.candidates[i] = c // the proof (verifyRename)
	default:
		return
	}
	close(s.candidateSeen)
	s.candidateSeen = make(chan struct{})
}

// verifyRename finds whether a candidate is the account's new number,
// and takes it: one an envelope from the account itself (its ACI, a
// sync message of the phone's, the rename's own) names; else, while the
// account is asked by its number and its ACI is not known, one whose
// envelope came from itself that signal-cli lists while it no longer
// lists the account's number (an account added since is listed too, so
// listing alone does not tell). Candidates listed beside the account's
// number are other accounts': their envelopes are not the session's.
func (s *Session) verifyRename(ctx context.Context) bool {
	s.verifyMu.Lock()
	defer s.verifyMu.Unlock()
	s.accMu.Lock()
	cands, acc, byACI := slices.Clone(s.candidates), s.acc, s.byACI
	s.accMu.Unlock()
	if len(cands) == 0 {
		return false
	}
	for _, c := range cands {
		if acc.ACI != "" && strings.EqualFold(c.srcUUID, acc.ACI) && c.srcNumber == c.number {
			s.renameTo(c)
			return true
		}
	}
	if byACI {
		// Subscribed by its ACI: the accounts signal-cli had before
		// that send nothing there but the account itself (one added
		// since is another's).
		s.accMu.Lock()
		listed := s.aciListed
		s.accMu.Unlock()
		for _, c := range cands {
			if listed[c.number] {
				s.renameTo(c)
				return true
			}
		}
		s.accMu.Lock()
		for _, c := range cands {
			s.others[c.number] = true
		}
		s.candidates = nil
		s.accMu.Unlock()
		return false
	}
	if acc.Number == "" {
		return false
	}
	var accs []account
	if err := s.callWith(ctx, "could not list signal-cli's accounts", func(c *rpc.Client) error {
		return c.Call(ctx, "listAccounts", nil, &accs)
	}); err != nil {
		s.n.host.Logger().Warn("signal: a notification names another number than the account's, and signal-cli's accounts could not be read to tell whose", "login", s.loginID, "err", err)
		return false
	}
	listed := map[string]bool{}
	for _, a := range accs {
		listed[a.Number] = true
	}
	if !listed[acc.Number] {
		// An account added since is listed too: only an envelope
		// from the account itself (the rename's own, whose sender
		// names the new number) tells which number is the account's,
		// by its ACI when known (above).
		for _, c := range cands {
			if listed[c.number] && acc.ACI == "" && c.srcNumber == c.number && isUUID(c.srcUUID) {
				s.renameTo(c)
				return true
			}
		}
		return false
	}
	s.accMu.Lock()
	for _, c := range cands {
		if listed[c.number] {
			s.others[c.number] = true
		}
	}
	s.candidates = slices.DeleteFunc(s.candidates, func(c candidate) bool { return s.others[c.number] })
	s.accMu.Unlock()
	return false
}

// renameTo makes c's number the account's. The account's ACI, unknown in
// the existing flow, is learnt from an envelope from the account itself
// (the rename's sync message): a later rename found while the plugin did
// not run is found by it.
func (s *Session) renameTo(c candidate) {
	s.accMu.Lock()
	defer s.accMu.Unlock()
	acc := s.acc
	acc.Former = slices.DeleteFunc(slices.Clone(acc.Former), func(f string) bool { return f == c.number })
	if acc.Number != "" && !slices.Contains(acc.Former, acc.Number) {
		acc.Former = append(acc.Former, acc.Number)
	}
	if acc.ACI == "" && c.srcNumber == c.number && isUUID(c.srcUUID) {
		// The user's messages were named by the number: they stay so.
		acc.ACI, acc.IDNumber = c.srcUUID, acc.Number
	}
	acc.Number = c.number
	s.acc, s.byACI, s.candidates = acc, false, nil
	close(s.renamed)
	s.renamed = make(chan struct{})
	s.n.host.Logger().Info("signal: the account's number changed", "login", s.loginID, "number", c.number, "former", acc.Former)
}

// isOther reports whether number is another account's (verifyRename).
func (s *Session) isOther(number string) bool {
	s.accMu.Lock()
	defer s.accMu.Unlock()
	return s.others[number]
}

// renamedFrom reports whether the account is no longer asked for by
// asked, what a request refused as naming no account named: renamed
// meanwhile, or found so now, the rename's notification waited for
// RenameWait while subscribed.
func (s *Session) renamedFrom(asked string) bool {
	s.accMu.Lock()
	now, renamed, seen, any := s.rpcAccountLocked(), s.renamed, s.candidateSeen, len(s.candidates) > 0
	s.accMu.Unlock()
	if now != asked {
		return true
	}
	s.mu.Lock()
	up := s.up
	s.mu.Unlock()
	if !any && up {
		t := time.NewTimer(RenameWait)
		select {
		case <-renamed:
		case <-seen:
		case <-t.C:
		}
		t.Stop()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s.verifyRename(ctx)
	return s.rpcAccount() != asked
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

// listedBeforeACI keeps the accounts signal-cli listed before the
// session subscribed by the ACI (verifyRename).
func (s *Session) listedBeforeACI(accs []account) {
	listed := map[string]bool{}
	for _, a := range accs {
		listed[a.Number] = true
	}
	s.accMu.Lock()
	defer s.accMu.Unlock()
	s.aciListed = listed
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
	s.pendingReceipts.moved(old, acc.Number)
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

// renamedOnDisk takes the account's number signal-cli's accounts.json
// gives its ACI when it is not the one asked for (accountsfile.go):
// signal-cli renamed it while the session did not subscribe. It reports
// whether it did.
func (s *Session) renamedOnDisk() bool {
	acc := s.account()
	if acc.ACI == "" || acc.Number == "" {
		return false
	}
	number := s.n.storedNumber(acc.ACI)
	if !strings.HasPrefix(number, "+") || number == acc.Number {
		return false
	}
	s.renameTo(candidate{number: number, srcNumber: number, srcUUID: acc.ACI})
	return true
}

// learnACI has the account's ACI, when not known (a login of the
// "existing" flow made before it was asked), from signal-cli's
// listAccounts (newer ones give it) or its accounts.json, and saves it:
// a number changed while the plugin is stopped is found by it.
func (s *Session) learnACI(ctx context.Context, c *rpc.Client, conn uint64) {
	acc := s.account()
	if acc.ACI != "" || acc.Number == "" {
		return
	}
	aci := ""
	var accs []account
	if c.CallOn(ctx, conn, "listAccounts", nil, &accs) == nil {
		for _, a := range accs {
			if a.Number == acc.Number && isUUID(a.ACI) {
				aci = a.ACI
			}
		}
	}
	if aci == "" {
		aci = s.n.storedACI(acc.Number)
	}
	if aci == "" || s.client() != c {
		// Or the session was disconnected (logged out) meanwhile: the
		// login's next session saves its own state, which a stale one
		// of this session's would overwrite.
		return
	}
	s.accMu.Lock()
	if s.acc.ACI != "" || s.acc.Number != acc.Number {
		s.accMu.Unlock()
		return
	}
	s.acc.ACI, s.acc.IDNumber = aci, s.acc.Number // its messages' IDs stay as they were
	acc = s.acc
	s.accMu.Unlock()
	if state, err := json.Marshal(acc); err == nil {
		s.emit(ctx, &pb.Event{Payload: &pb.Event_SavedState{SavedState: &pb.SavedStateEvent{SavedState: state}}}, true)
	}
}
