package telegram

import (
	"context"
	"strings"
	"testing"

	"github.com/gotd/td/bin"
	"github.com/gotd/td/tg"
	"github.com/gotd/td/tgerr"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// A reaction Telegram does not offer (a skin-toned 👍🏽) is refused
// saying which reactions the chat allows: a channel's choice, or
// Telegram's standard ones (those of Premium left out without it). It
// came back as a bare REACTION_INVALID.
func TestReactionRefusedExplained(t *testing.T) {
	ctx := context.Background()
	isReq := func(t *testing.T, want string) func(bin.Encoder) {
		return func(b bin.Encoder) {
			if got := b.(interface{ TypeName() string }).TypeName(); got != want {
				t.Errorf("request %s, want %s", got, want)
			}
		}
	}
	appConfig := &tg.HelpAppConfig{Config: &tg.JSONObject{}}
	invalid := &tgerr.Error{Code: 400, Message: "REACTION_INVALID", Type: "REACTION_INVALID"}

	t.Run("channel", func(t *testing.T) {
		s, mock := unitSession(t)
		s.peers.add(nil, []tg.ChatClass{news})
		mock.ExpectFunc(isReq(t, "help.getAppConfig")).ThenResult(appConfig)
		mock.ExpectFunc(isReq(t, "messages.sendReaction")).ThenRPCErr(invalid)
		full := &tg.ChannelFull{ID: 500, ChatPhoto: &tg.PhotoEmpty{}}
		full.SetAvailableReactions(&tg.ChatReactionsSome{Reactions: []tg.ReactionClass{&tg.ReactionEmoji{Emoticon: "👍"}, &tg.ReactionEmoji{Emoticon: "❤"}}})
		mock.ExpectFunc(isReq(t, "channels.getFullChannel")).ThenResult(&tg.MessagesChatFull{FullChat: full, Chats: []tg.ChatClass{news}})
		_, err := s.React(ctx, sdk.Call{ChatID: "-100500"}, &pb.React{TargetId: "9", Emojis: []string{"👍🏽"}})
		if codeOf(err) != pb.ErrorCode_ERROR_CODE_NOT_ALLOWED || !strings.Contains(err.Error(), "allows only 👍 ❤️") {
			t.Errorf("refusal %v", err)
		}
	})
	t.Run("private chat", func(t *testing.T) {
		s, mock := unitSession(t)
		s.peers.add([]tg.UserClass{&tg.User{ID: 2002, AccessHash: 22, FirstName: "Bob"}}, nil)
		mock.ExpectFunc(isReq(t, "help.getAppConfig")).ThenResult(appConfig)
		mock.ExpectFunc(isReq(t, "messages.sendReaction")).ThenRPCErr(invalid)
		var avail []tg.AvailableReaction
		for _, r := range []tg.AvailableReaction{{Reaction: "👍"}, {Reaction: "🔥"}, {Reaction: "🤡", Premium: true}, {Reaction: "🥱", Inactive: true}} {
			doc := &tg.DocumentEmpty{}
			r.StaticIcon, r.AppearAnimation, r.SelectAnimation, r.ActivateAnimation, r.EffectAnimation = doc, doc, doc, doc, doc
			avail = append(avail, r)
		}
		mock.ExpectFunc(isReq(t, "messages.getAvailableReactions")).ThenResult(&tg.MessagesAvailableReactions{Reactions: avail})
		_, err := s.React(ctx, sdk.Call{ChatID: "2002"}, &pb.React{TargetId: "9", Emojis: []string{"👍🏽"}})
		if codeOf(err) != pb.ErrorCode_ERROR_CODE_NOT_ALLOWED || !strings.Contains(err.Error(), "are 👍 🔥 (") {
			t.Errorf("refusal %v", err)
		}
	})
}
