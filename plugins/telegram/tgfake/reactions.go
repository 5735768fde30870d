package tgfake

import (
	"github.com/gotd/td/bin"
	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgtest"
)

// SetReactionLimits sets how many reactions one user may set on a
// message, without and with Premium, as help.getAppConfig says them
// (reactions_user_max_default, reactions_user_max_premium); a send of
// more is REACTIONS_TOO_MANY, as Telegram answers.
func (s *Server) SetReactionLimits(def, premium int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reactMax = [2]int{def, premium}
}

// reactionsMax is the limit of an account, with Premium or not.
func (s *Server) reactionsMax(premium bool) int {
	def, prem := s.reactMax[0], s.reactMax[1]
	if def == 0 {
		def, prem = 1, 3
	}
	if premium {
		return prem
	}
	return def
}

// registerAppConfig serves help.getAppConfig with the reaction limits.
func (s *Server) registerAppConfig(d *tgtest.Dispatcher) {
	handle(s, d, tg.HelpGetAppConfigRequestTypeID, "help.getAppConfig", func(k *key, _ *tg.HelpGetAppConfigRequest) (bin.Encoder, error) {
		num := func(n int) *tg.JSONNumber { return &tg.JSONNumber{Value: float64(n)} }
		return &tg.HelpAppConfig{Hash: 1, Config: &tg.JSONObject{Value: []tg.JSONObjectValue{
			{Key: "reactions_user_max_default", Value: num(s.reactionsMax(false))},
			{Key: "reactions_user_max_premium", Value: num(s.reactionsMax(true))},
			{Key: "reactions_in_chat_max", Value: num(100)},
		}}}, nil
	})
}
