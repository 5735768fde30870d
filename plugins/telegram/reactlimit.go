package telegram

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/gotd/td/tg"
	"google.golang.org/protobuf/reflect/protoreflect"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/telegram/reaction"
)

// Telegram lets one user set so many reactions on a message: one, a
// Premium account three (appConfig's reactions_user_max_default and
// reactions_user_max_premium, read from the server when it says them).
const (
	reactionsMaxDefault = 1
	reactionsMaxPremium = 3
)

// appConfigWait bounds the wait for the server's limits before a login
// says it is connected.
const appConfigWait = 5 * time.Second

// reactLimits are the server's reaction limits, once read.
type reactLimits struct {
	mu           sync.Mutex
	def, premium int // 0: not read yet
}

// premium reports whether the account has Telegram Premium, as Telegram
// last described it.
func (s *Session) premium() bool {
	u, ok := s.peers.user(s.self)
	return ok && u.Premium
}

// reactionsMax is how many reactions the account may set on a message,
// reading the server's limits the first time.
func (s *Session) reactionsMax(ctx context.Context, api *tg.Client) int {
	s.reactMax.mu.Lock()
	read := s.reactMax.def != 0
	s.reactMax.mu.Unlock()
	if !read {
		cfg, err := api.HelpGetAppConfig(ctx, 0)
		if err != nil {
			s.n.log().Debug("telegram: the server's reaction limits not read; Telegram's usual ones apply", "login", s.login.LoginID, "err", err)
		} else if c, ok := cfg.(*tg.HelpAppConfig); ok {
			def := appConfigInt(c.Config, "reactions_user_max_default", reactionsMaxDefault)
			prem := appConfigInt(c.Config, "reactions_user_max_premium", reactionsMaxPremium)
			s.reactMax.mu.Lock()
			s.reactMax.def, s.reactMax.premium = def, prem
			s.reactMax.mu.Unlock()
		}
	}
	return s.knownReactionsMax()
}

// knownReactionsMax is how many reactions the account may set on a
// message by the server's limits once read, else by Telegram's usual
// ones.
func (s *Session) knownReactionsMax() int {
	s.reactMax.mu.Lock()
	def, prem := s.reactMax.def, s.reactMax.premium
	s.reactMax.mu.Unlock()
	if def == 0 {
		def, prem = reactionsMaxDefault, reactionsMaxPremium
	}
	if s.premium() {
		return prem
	}
	return def
}

// appConfigInt is the positive number key of Telegram's appConfig, or
// else def.
func appConfigInt(cfg tg.JSONValueClass, key string, def int) int {
	obj, ok := cfg.(*tg.JSONObject)
	if !ok {
		return def
	}
	for _, kv := range obj.Value {
		if n, ok := kv.Value.(*tg.JSONNumber); ok && kv.Key == key && n.Value >= 1 {
			return int(n.Value)
		}
	}
	return def
}

// loginFeatures is what a user login says it can do when connected:
// everything the transport has (each feature set: the gateway keeps the
// transport's), with as many reactions per message as the account may
// set (one, three with Premium: max_reactions; single_reaction too for
// one, for a gateway older than max_reactions), so the gateway tells
// the user's clients so.
func (s *Session) loginFeatures() *pb.Features {
	f := &pb.Features{}
	m := f.ProtoReflect()
	fields := m.Descriptor().Fields()
	for i := range fields.Len() {
		if fd := fields.Get(i); fd.Kind() == protoreflect.BoolKind && fd.Cardinality() != protoreflect.Repeated {
			m.Set(fd, protoreflect.ValueOfBool(true))
		}
	}
	most := s.knownReactionsMax()
	f.MaxReactions, f.SingleReaction = uint32(most), most == 1
	return f
}

// reactionRefused is Telegram's REACTION_INVALID (a skin-toned 👍🏽, an
// emoji that is no reaction), saying which reactions the chat allows
// when Telegram tells.
func (s *Session) reactionRefused(ctx context.Context, api *tg.Client, chat string) error {
	return sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, "telegram: react: Telegram does not offer this reaction here: %s (REACTION_INVALID)", s.allowedReactions(ctx, api, chat))
}

// allowedReactions says in words which reactions chat allows: the
// group's or channel's choice, else Telegram's standard ones.
func (s *Session) allowedReactions(ctx context.Context, api *tg.Client, chat string) string {
	const unknown = "Telegram's reactions are a set of its own, not every emoji, and none with a skin tone"
	forum, _, err := splitTopic(chat)
	if err != nil {
		return unknown
	}
	kind, n, err := parsePeer(forum)
	if err != nil {
		return unknown
	}
	var avail tg.ChatReactionsClass
	switch kind {
	case peerChat:
		full, err := api.MessagesGetFullChat(ctx, n)
		if err != nil {
			return unknown
		}
		if cf, ok := full.FullChat.(*tg.ChatFull); ok {
			avail, _ = cf.GetAvailableReactions()
		}
	case peerChannel:
		ch, err := s.peers.inputChannel(n)
		if err != nil {
			return unknown
		}
		full, err := api.ChannelsGetFullChannel(ctx, ch)
		if err != nil {
			return unknown
		}
		if cf, ok := full.FullChat.(*tg.ChannelFull); ok {
			avail, _ = cf.GetAvailableReactions()
		}
	}
	switch a := avail.(type) {
	case *tg.ChatReactionsNone:
		return "this chat allows no reactions"
	case *tg.ChatReactionsSome:
		var list []string
		for _, r := range a.Reactions {
			if e, ok := r.(*tg.ReactionEmoji); ok {
				list = append(list, reaction.ToXMPP(e.Emoticon))
			}
		}
		if len(list) == 0 {
			return "this chat allows only custom emoji reactions, which the gateway cannot send"
		}
		return "this chat allows only " + strings.Join(list, " ")
	}
	// Every standard reaction (a private chat, a group allowing all).
	res, err := api.MessagesGetAvailableReactions(ctx, 0)
	list, ok := res.(*tg.MessagesAvailableReactions)
	if err != nil || !ok {
		return unknown
	}
	premium := s.premium()
	var out []string
	for _, r := range list.Reactions {
		if !r.Inactive && (premium || !r.Premium) {
			out = append(out, reaction.ToXMPP(r.Reaction))
		}
	}
	if len(out) == 0 {
		return unknown
	}
	return "Telegram's reactions, without skin tones, are " + strings.Join(out, " ")
}
