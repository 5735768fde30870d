package bridge

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"passerelle.im/passerelle/bridge/wire"
	pb "passerelle.im/passerelle/plugins/proto"
)

// Finding public groups on the network from XMPP (contract v2's
// SearchChats, feature chat_search): the ad-hoc command "find-group"
// asks for a part of a group's name and answers with a result form
// (XEP-0004 reported fields and items) of the groups found, each by the
// room address that joins it; the chat command "find QUERY" answers the
// same in words, for clients without ad-hoc commands.

const (
	// maxFindQuery is the longest query, in characters: longer is no
	// part of a group's name, and each network has its own limit.
	maxFindQuery = 100
	// maxFound is the most groups an answer lists.
	maxFound = 50
	// findWait is how long the gateway waits for the network's answer
	// before telling the user it came not (the plugin keeps its own,
	// shorter, timeout).
	findWait = 60 * time.Second
	// A found group's name and description are cut to these, so that
	// fifty of them fit in one stanza.
	maxFoundNameBytes = 200
	maxFoundDescBytes = 400
)

// foundGroup is a group a search found, as the user sees it.
type foundGroup struct {
	room, name, desc string
	members          uint32
	channel          bool
}

// noGroupSearch says why the network finds no groups for this login, ""
// when it does.
func (s *session) noGroupSearch() string {
	if s.features().GetChatSearch() {
		return ""
	}
	return s.t.displayName() + " does not let the gateway find groups."
}

// cmdFindGroup is the ad-hoc command that finds public groups.
func (t *transport) cmdFindGroup(ctx context.Context, st *wire.Stanza, user, sid string, sess *adhocSession, cmd *wire.Element) {
	const node = "find-group"
	s := t.roomCommandSession(ctx, st, node, user, sid)
	if s == nil {
		return
	}
	if sess == nil {
		if no := s.noGroupSearch(); no != "" {
			t.done(ctx, st, node, sid, "error", no)
			return
		}
		sid = t.newID()
		t.adhoc.put(sid, &adhocSession{user: user, node: node, stage: "query"})
		r := cmdReply(st, node, sid, "executing")
		r.Start("actions", "").Attr("execute", "complete").Leaf("complete", "", "").End()
		r.Start("x", wire.NSData).Attr("type", "form").Leaf("title", "", "Find a group").
			Leaf("instructions", "", "Part of the name of a public group on "+t.displayName()+"; join one of those found by its room address.")
		r.Start("field", "").Attr("var", "query").Attr("type", "text-single").Attr("label", "Name").Leaf("required", "", "").End()
		t.send(ctx, r.Bytes())
		return
	}
	t.adhoc.drop(sid)
	query := formValues(cmd)["query"]
	s.findGroups(ctx, query, func(found []foundGroup, text string, ok bool) {
		if !ok || len(found) == 0 {
			typ := "info"
			if !ok {
				typ = "error"
			}
			t.done(ctx, st, node, sid, typ, text)
			return
		}
		r := cmdReply(st, node, sid, "completed")
		note(r, "info", text)
		resultForm(r, "Groups found", [3]string{"room", "jid-single", "Room address"}, [3]string{"name", "text-single", "Name"},
			[3]string{"members", "text-single", "Members"}, [3]string{"description", "text-single", "Description"})
		for _, g := range found {
			members := ""
			if g.members > 0 {
				members = strconv.FormatUint(uint64(g.members), 10)
			}
			formItem(r, [2]string{"room", g.room}, [2]string{"name", g.name}, [2]string{"members", members}, [2]string{"description", g.desc})
		}
		t.send(ctx, r.Bytes())
	})
}

// chatFind is the chat command "find QUERY".
func (t *transport) chatFind(ctx context.Context, user, arg string, say func(string)) {
	s := t.session(user)
	if s == nil {
		say("You are not logged in to " + t.displayName() + ".")
		return
	}
	s.findGroups(ctx, arg, func(found []foundGroup, text string, _ bool) {
		if len(found) == 0 {
			say(text)
			return
		}
		var b strings.Builder
		b.WriteString(text)
		for _, g := range found {
			b.WriteString("\n  " + g.name)
			if g.channel {
				b.WriteString(" (channel)")
			}
			b.WriteString(": " + g.room)
			switch {
			case g.members == 1:
				b.WriteString(" (1 member)")
			case g.members > 1:
				fmt.Fprintf(&b, " (%d members)", g.members)
			}
			if g.desc != "" {
				b.WriteString("\n      " + strings.Join(strings.Fields(g.desc), " "))
			}
		}
		b.WriteString("\nJoin one by its room address.")
		say(b.String())
	})
}

// findGroups asks the network for the public groups matching query.
// done hears the outcome once: the groups found with a sentence saying
// how many, or, with ok false, why there are none (a query refused
// before the network is asked, the network's error, no answer).
func (s *session) findGroups(ctx context.Context, query string, done func(found []foundGroup, text string, ok bool)) {
	t := s.t
	if no := s.noGroupSearch(); no != "" {
		done(nil, no, false)
		return
	}
	query = strings.TrimSpace(query)
	switch n := utf8.RuneCountInString(query); {
	case n == 0:
		done(nil, "Say what to look for: part of a group's name.", false)
		return
	case n > maxFindQuery || !utf8.ValidString(query):
		done(nil, fmt.Sprintf("That search is too long: at most %d characters.", maxFindQuery), false)
		return
	}
	// One search at a time: each may keep the plugin busy (an IRC server
	// lists its channels for seconds), and they queue behind each other.
	s.mu.Lock()
	busy := s.finding
	s.finding = true
	s.mu.Unlock()
	if busy {
		done(nil, "A search is already under way: wait for its answer.", false)
		return
	}
	var once sync.Once
	answer := func(found []foundGroup, text string, ok bool) {
		once.Do(func() {
			s.mu.Lock()
			s.finding = false
			s.mu.Unlock()
			done(found, text, ok)
		})
	}
	timer := time.AfterFunc(findWait, func() {
		answer(nil, "Finding groups on "+t.displayName()+" failed: no answer from the network. Try again later.", false)
	})
	t.log.Info("finding groups", "user", s.user)
	t.host.Send(&pb.Command{LoginId: s.LoginID(), Action: &pb.Command_SearchChats{SearchChats: &pb.SearchChats{Query: query, Limit: maxFound}}},
		func(res *pb.CommandResult) {
			timer.Stop()
			if res.Error != nil {
				answer(nil, t.findError(res.Error), false)
				return
			}
			found := t.foundGroups(res.FoundChats)
			switch len(found) {
			case 0:
				answer(nil, "No group found for “"+query+"”.", true)
			case 1:
				answer(found, "1 group found for “"+query+"”.", true)
			default:
				answer(found, fmt.Sprintf("%d groups found for “%s”.", len(found), query), true)
			}
		})
}

// foundGroups is what the user sees of the network's finds: each by its
// room address (as setRoom addresses it), at most maxFound, cut to fit.
func (t *transport) foundGroups(chats []*pb.FoundChat) []foundGroup {
	var out []foundGroup
	seen := map[string]bool{}
	for _, c := range chats {
		if len(out) == maxFound {
			break
		}
		if c.GetChatId() == "" || seen[c.ChatId] {
			continue
		}
		j, err := t.puppetJID(c.ChatId)
		if err != nil {
			t.log.Warn("found group has no room address; left out", "chat", c.ChatId, "err", err)
			continue
		}
		seen[c.ChatId] = true
		name := lineName(c.Name) // lists.go
		if name == "" {
			name = c.ChatId
		}
		if len(name) > maxFoundNameBytes {
			name = cutText(name, maxFoundNameBytes, false)
		}
		desc := strings.ToValidUTF8(c.Description, "�")
		if len(desc) > maxFoundDescBytes {
			desc = cutText(desc, maxFoundDescBytes, false)
		}
		out = append(out, foundGroup{room: j.String(), name: name, desc: desc, members: c.MemberCount,
			channel: c.Type == pb.ChatType_CHAT_TYPE_CHANNEL})
	}
	return out
}

// findError says in words why the network found nothing.
func (t *transport) findError(e *pb.Error) string {
	why := strings.TrimRight(e.GetText(), ". ")
	if why == "" {
		why = e.GetCode().String()
	}
	switch e.GetCode() {
	case pb.ErrorCode_ERROR_CODE_UNAVAILABLE:
		return "Finding groups on " + t.displayName() + " failed: the network cannot search now (" + why + "). Try again later."
	case pb.ErrorCode_ERROR_CODE_NOT_ALLOWED, pb.ErrorCode_ERROR_CODE_UNAUTHORIZED:
		return t.displayName() + " does not let you search for groups: " + why + "."
	case pb.ErrorCode_ERROR_CODE_UNSUPPORTED:
		return t.displayName() + " does not let the gateway find groups: " + why + "."
	case pb.ErrorCode_ERROR_CODE_LOGIN_REQUIRED:
		return "Your login to " + t.displayName() + " is not connected (" + why + "); send relogin, then search again."
	case pb.ErrorCode_ERROR_CODE_RATE_LIMITED:
		return t.displayName() + " asks to search less often: " + why + "."
	}
	return "Finding groups on " + t.displayName() + " failed: " + why + "."
}
