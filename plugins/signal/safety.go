package signal

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/signal/rpc"

	pb "passerelle.im/passerelle/plugins/proto"
)

// A contact's safety number changes when they install Signal again or
// move to a new phone. signal-cli trusts a contact's first identity key
// and no later one (its default, trust on first use): it can then
// neither decrypt their messages nor send them any until the key is
// trusted. It writes each message it could not decrypt as an envelope
// of no content with an UntrustedIdentityException beside it, and keeps
// the message in its cache (for 14 days) to decrypt once the key is
// trusted, trying again as soon as it is (while receiving: the plugin is
// subscribed). The user trusts it by verifying it on the phone, whose
// sync message signal-cli takes, or from XMPP with "/trust" typed in the
// contact's chat (signal-cli's trust), as Signal's apps let one accept
// it.
//
// The plugin tells the user once, in the contact's chat, until a
// message of theirs is read again or the number is trusted (kept in the
// login's folder: a restart does not tell it again): as a message
// of theirs could not be read, or one to them not sent. Else their
// messages went missing without a word.

// untrustedType is the exception signal-cli writes beside such an
// envelope (JsonError's type: the exception's class).
const untrustedType = "UntrustedIdentityException"

// verifyHint says how to trust a changed safety number.
const verifyHint = "send /trust in your chat with them to accept it, or /trust and the 60 digits of their safety number once compared with theirs; " +
	"or verify it on your phone (in the chat with them: their name, View safety number, Mark as verified)"

// untrustedIdentity tells the user, once until a message of the sender
// is read again, that a message of theirs could not be read because
// their safety number changed. signal-cli says no more than that (the
// exception's type and "Untrusted identity: " and the sender), and
// lists the new key only once it saved it: a send met it, or its fetch
// of the sender's profile, made after writing the envelope, came back
// (untrustednames.go): the notice is named by the key then, else by the
// message's time, kept for a send refused next to tell it under the
// same name.
func (s *Session) untrustedIdentity(ctx context.Context, env envelope) {
	from := s.userID(ctx, env.SourceNumber, env.SourceUUID, env.SourceName)
	if from == "" {
		return
	}
	s.n.host.Logger().Warn("signal: a message could not be read: the sender's safety number changed and is not trusted", "login", s.loginID, "from", from)
	if s.untrustedSets().Told(from, untrustedTold) {
		return // told: no need to ask signal-cli for the key
	}
	key := s.untrustedKey(ctx, from)
	if key == "" {
		key = strconv.FormatInt(env.Timestamp, 10)
	}
	s.tellUntrusted(ctx, from, env.SourceName, env.Timestamp, key)
}

// untrustedSend tells the user, once as untrustedIdentity does, that a
// send to the contact chatID was refused because their safety number
// changed: the error on the message alone is easily missed. The notice
// is named by the contact's identity key that signal-cli does not trust
// (untrustedKey), unless one is on its way under another name (a
// message's: untrustednames.go): told again after the host had it but
// its confirmation was lost (the next send refused), it comes under the
// ID it had, which the host drops. Before, it was named by the time of
// the send, and shown twice.
func (s *Session) untrustedSend(ctx context.Context, chatID string, err error) {
	var rerr *rpc.Error
	if groupIDOf(chatID) != "" || !errors.As(err, &rerr) || rerr.Code != rpc.CodeUntrustedKey ||
		s.untrustedSets().Told(chatID, untrustedTold) {
		return // told: no need to ask signal-cli for the key
	}
	at := time.Now().UnixMilli()
	key := s.untrustedKey(ctx, chatID)
	if key == "" {
		key = strconv.FormatInt(at, 10) // as before: at worst shown twice
	}
	s.tellUntrusted(ctx, chatID, "", at, key)
}

// untrustedKey names the identity key of the contact chatID that
// signal-cli lists and does not trust (listIdentities): a digest of its
// fingerprint, or of its safety number when it gives none; "" when it
// lists none so (the key it trusts is the one before the change) or
// cannot be asked.
func (s *Session) untrustedKey(ctx context.Context, chatID string) string {
	var ids []identityListed
	if err := s.callRaw(ctx, "could not list the safety numbers", "listIdentities", map[string]any{"number": chatID}, &ids); err != nil {
		s.n.host.Logger().Warn("signal: the contact's safety numbers could not be listed; a notice of their change told again may show twice", "login", s.loginID, "chat", chatID, "err", err)
		return ""
	}
	i := slices.IndexFunc(ids, func(id identityListed) bool { return id.TrustLevel == "UNTRUSTED" })
	if i < 0 {
		return ""
	}
	k := cmp.Or(ids[i].Fingerprint, ids[i].SafetyNumber)
	if k == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(k))
	return "key" + hex.EncodeToString(sum[:8])
}

// identityListed is a key listIdentities lists.
type identityListed struct {
	Fingerprint  string `json:"fingerprint"`
	SafetyNumber string `json:"safetyNumber"`
	TrustLevel   string `json:"trustLevel"`
}

// tellUntrusted says in from's chat that their safety number changed,
// once until it is trusted or one of their messages is read again; at
// (Unix ms) is its time, and key names it (the key of theirs not
// trusted, else the envelope's timestamp or the send's time), unless a
// name is kept for it (untrustednames.go), from before the host has it
// until it is confirmed. It is noted told on disk only once the
// host has the notice: a process killed in between tells it at the next
// start (its envelope handled again), under the same ID, where noted
// first it was told never (the next one of theirs found it told).
func (s *Session) tellUntrusted(ctx context.Context, from, name string, at int64, key string) {
	told := s.untrustedSets()
	who := cmp.Or(name, from)
	text := "⚠ " + who + "'s safety number changed (a new phone, or Signal installed again): their messages cannot be read here, " +
		"nor yours sent to them, until you " + verifyHint + ". What they send meanwhile is kept (up to 14 days) and comes once it is trusted."
	// An ID of its own: the message's, once read, comes under its own.
	// On its way, a send refused meanwhile tells it not again.
	names := s.untrustedNamesOf()
	key = names.name(from, key)
	s.tellOnce(ctx, &s.untrustedTelling, from, func() bool { return told.Told(from, untrustedTold) },
		func() { told.Update(from, map[string]bool{untrustedTold: true}) },
		&pb.Event{ChatId: from, ChatType: pb.ChatType_CHAT_TYPE_DIRECT, Sender: &pb.Sender{UserId: from, Name: name},
			TimestampUnixMicro: at * 1000, EventId: "untrusted-" + key + "-" + from,
			Payload: &pb.Event_Message{Message: &pb.MessageEvent{Text: text}}})
	if told.Told(from, untrustedTold) {
		names.forget(from) // confirmed (by this telling or another)
	}
}

// untrustedFile keeps the contacts whose changed safety number was told
// and none of whose messages was read since: a restart does not tell
// the same change again (their next undecryptable message would).
const untrustedFile = "untrusted-told.json"

// untrustedTold is the one ID kept in a contact's set of untrustedFile.
const untrustedTold = "safety-number"

// loadUntrusted reads the contacts told of a changed safety number,
// kept in dir ("" in memory only).
func loadUntrusted(dir string, log *slog.Logger) *sdk.ToldSets {
	return loadToldSets(dir, untrustedFile, "signal: the changed safety numbers told", "a changed safety number told before may be told once more", log)
}

// trust is "/trust" typed in the contact chatID's chat: their safety
// number accepted as it is (no argument: signal-cli's trust with
// trustAllKnownKeys, as Signal's apps accept a changed one), or marked
// verified when arg is its 60 digits and signal-cli finds them right
// (verifiedSafetyNumber). signal-cli then sends to them again, and
// decrypts what it kept of theirs at once. A command, not a message:
// nothing goes to the contact.
func (s *Session) trust(ctx context.Context, chatID, arg string) (sdk.Result, error) {
	const what = "could not trust the safety number"
	p := map[string]any{"recipient": chatID}
	if arg == "" {
		p["trustAllKnownKeys"] = true
	} else {
		digits := strings.Join(strings.Fields(arg), "")
		if len(digits) != 60 || strings.Trim(digits, "0123456789") != "" {
			return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST,
				"%s: /trust takes the 60 digits of the safety number your phone shows for %s (in the chat with them: their name, View safety number), or nothing to accept it without comparing", what, chatID)
		}
		p["verifiedSafetyNumber"] = digits
	}
	if s.untrustedSets().Told(chatID, untrustedTold) && s.newKeyUnknown(ctx, chatID) {
		return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND,
			"%s: signal-cli has not learnt %s's new safety number yet (it asks Signal's servers for it after a message it could not read, which failed): "+
				"trusting now would trust their old one, and what they sent would still not come. Their next message teaches it, or one of yours to them "+
				"(refused, but signal-cli learns it then): send /trust again after that", what, chatID)
	}
	if err := s.callRaw(ctx, what, "trust", p, nil); err != nil {
		var rerr *rpc.Error
		if errors.As(err, &rerr) && rerr.Code == rpc.CodeUserError {
			unknown := "make sure the number is correct"
			if strings.Contains(rerr.Message, "fingerprint/safety number are correct") && !s.knowsIdentity(ctx, chatID) {
				// signal-cli refuses digits alike when it has no key of
				// theirs to compare them with: no comparing fixes that.
				unknown = "fingerprint/safety number are correct"
			}
			switch {
			case strings.Contains(rerr.Message, unknown):
				return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND,
					"%s: signal-cli knows no safety number of %s yet: it learns it from their first message, or yours to them", what, chatID)
			case strings.Contains(rerr.Message, "fingerprint/safety number are correct"):
				return sdk.Result{}, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST,
					"%s: that is not the safety number of %s that signal-cli has: compare it again on your phone (in the chat with them: their name, View safety number)", what, chatID)
			}
		}
		return sdk.Result{}, s.mapError(what, err)
	}
	s.readFrom(chatID) // a later change is told again
	s.n.host.Logger().Info("signal: the user trusted a contact's safety number", "login", s.loginID, "chat", chatID, "verified", arg != "")
	reply := "✓ You accepted " + chatID + "'s safety number without comparing it: your messages go to them again, and what they sent meanwhile comes now. " +
		"To be sure no one stands in between, compare it with theirs (on your phone: their name, View safety number) and send /trust with its 60 digits."
	if arg != "" {
		reply = "✓ " + chatID + "'s safety number is verified: your messages go to them again, and what they sent meanwhile comes now."
	}
	return sdk.Result{Command: true, Reply: reply}, nil
}

// newKeyUnknown reports whether signal-cli lists keys of the contact
// chatID, none of them untrusted: told of their change by a message it
// could not read, it learns their new key only from their profile,
// fetched after that message (IncomingMessageHandler's
// RetrieveProfileAction), or from a send to them; until then its trust
// takes the key it had (IdentityHelper's trustIdentity), answers true,
// and their messages kept still cannot be read. False when it cannot
// tell, so that the trust is asked as before.
func (s *Session) newKeyUnknown(ctx context.Context, chatID string) bool {
	var ids []identityListed
	if err := s.callRaw(ctx, "could not list the safety numbers", "listIdentities", map[string]any{"number": chatID}, &ids); err != nil {
		s.n.host.Logger().Warn("signal: the contact's safety numbers could not be listed", "login", s.loginID, "chat", chatID, "err", err)
		return false
	}
	return len(ids) > 0 && !slices.ContainsFunc(ids, func(id identityListed) bool { return id.TrustLevel == "UNTRUSTED" })
}

// knowsIdentity reports whether signal-cli has an identity key of the
// contact chatID (listIdentities lists one); true when it cannot tell,
// so that a refusal is worded as before.
func (s *Session) knowsIdentity(ctx context.Context, chatID string) bool {
	var ids []json.RawMessage
	if err := s.callRaw(ctx, "could not list the safety numbers", "listIdentities", map[string]any{"number": chatID}, &ids); err != nil {
		s.n.host.Logger().Warn("signal: the contact's safety numbers could not be listed", "login", s.loginID, "chat", chatID, "err", err)
		return true
	}
	return len(ids) > 0
}

// readFrom notes that a message of from was read: a later change of
// their safety number is told again.
func (s *Session) readFrom(from string) {
	s.untrustedSets().Untold(from, untrustedTold)
	s.untrustedNamesOf().forget(from)
}

// untrustedSets is s.untrusted, in memory only for a session made
// without it (the package's tests).
func (s *Session) untrustedSets() *sdk.ToldSets {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.untrusted == nil {
		s.untrusted = loadUntrusted("", nil)
	}
	return s.untrusted
}

// untrustedNamesOf is s.untrustedNames, in memory only for a session
// made without it (the package's tests).
func (s *Session) untrustedNamesOf() *untrustedNames {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.untrustedNames == nil {
		s.untrustedNames = loadUntrustedNames("", nil)
	}
	return s.untrustedNames
}
