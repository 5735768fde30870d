package signal

import (
	"context"
	"crypto/sha256"
	"encoding/hex"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// Signal's spam check may want a captcha solved before an account sends
// more (ProofRequiredException, which signal-cli answers as a rate limit
// with the challenge's token): until then every send is refused, a
// message's with an error on it, but a reaction's, an edit's or a
// receipt's error is easily missed. It belongs to the account, not to a
// chat: the user is told with a notice, once per challenge (its token
// names the notice, so the gateway drops it told again), and the log
// gives the admin the token to answer it with signal-cli.

// challengeText is the notice of a captcha challenge.
const challengeText = "Signal wants a captcha solved before your account sends more (its spam check): your messages, reactions and receipts are refused until then. " +
	"Send a message from Signal on your phone, which shows the captcha; or have the gateway's admin solve one at https://signalcaptchas.org/challenge/generate.html " +
	"and give it to signal-cli (submitRateLimitChallenge with the challenge in the gateway's log)."

// tellChallenge tells the user, and the admin in the log, of the
// captcha Signal asked for in a send's results, if any.
func (s *Session) tellChallenge(ctx context.Context, r sendResult) {
	t := r.challenge()
	if t == "" {
		return
	}
	s.n.host.Logger().Warn("signal: Signal wants a captcha solved before the account sends more; solve one at https://signalcaptchas.org/challenge/generate.html and give it with signal-cli submitRateLimitChallenge",
		"login", s.loginID, "account", s.account().ID(), "challenge", t)
	s.mu.Lock()
	told := s.challengeTold == t
	s.challengeTold = t
	s.mu.Unlock()
	if told {
		return
	}
	// The token is Signal's: hashed into the ID, which has a bound.
	sum := sha256.Sum256([]byte(t))
	s.emit(ctx, sdk.Notice(s.loginID, "captcha-"+hex.EncodeToString(sum[:12]), challengeText, pb.NoticeLevel_NOTICE_LEVEL_WARNING), false)
}
