package bridge

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	pb "passerelle.im/passerelle/plugins/proto"
)

// The chat fallback: clients without ad-hoc commands talk to the
// transport JID in plain messages and get the same flows.

// chatHelp lists the chat commands this user can use now, as the ad-hoc
// list does (userCommands): those acting on a login only with one, login
// only without a live one, cancel only while a login is under way, the
// network's own only where the login has them; to an administrator, the
// admin commands (ad-hoc only). Listing all to everyone told a user
// without a login to sync or log out, which could only fail.
func (t *transport) chatHelp(user string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "passerelle gateway to %s. Send one of:", t.displayName())
	line := func(cmd, text string) { fmt.Fprintf(&b, "\n  %-11s %s", cmd, text) }
	_, loggedIn := t.loginOf(user)
	_, live := t.liveLoginOf(user)
	if !live {
		line("login", "log in (step by step, here in this chat)")
	}
	if loggedIn {
		line("logout", "log out and forget the login")
	}
	if loggedIn || t.unregisterListed(user) {
		line("unregister", "the same, and this gateway leaves your contacts")
	}
	if loggedIn {
		line("relogin", "reconnect your login")
	}
	line("status", "your login's state")
	if loggedIn {
		line("sync", "put your contacts back in your roster")
		line("contacts", "list your contacts' addresses (contacts TEXT: those with TEXT)")
		line("groups", "list your groups' room addresses (groups TEXT: those with TEXT)")
	}
	if t.procOf(user) != nil {
		line("cancel", "stop a login in progress")
	}
	feats := t.userFeatures(user)
	if loggedIn && feats.GetCreateChat() {
		b.WriteString("\n  create-group NAME: CONTACT, CONTACT...\n              create a group with these contacts (names or addresses)")
	}
	if loggedIn && feats.GetChatSearch() {
		line("find NAME", "find public groups by a part of their name")
	}
	line("help", "this text")
	if !loggedIn {
		fmt.Fprintf(&b, "\nOnce logged in, write to contacts as CONTACT@%s.", t.domain)
		return t.withAdminHelp(user, b.String())
	}
	fmt.Fprintf(&b, "\nThen write to contacts as CONTACT@%s.%s", t.domain, chatCommandsHelp(feats))
	return t.withAdminHelp(user, b.String())
}

// withAdminHelp adds, for an administrator, the admin commands, which
// are ad-hoc commands only: the ad-hoc table's (commands), so that the
// help names each one the list offers.
func (t *transport) withAdminHelp(user, help string) string {
	if !t.access.IsAdmin(user) {
		return help
	}
	var admin []string
	for _, c := range commands {
		if c.admin {
			admin = append(admin, c.node)
		}
	}
	return help + "\nAs an administrator (ad-hoc commands): " + strings.Join(admin, ", ") + "."
}

// chatCommandsHelp lists the chat commands a login with feats has: what
// the user types in a chat or a room (chat_commands.go).
func chatCommandsHelp(feats *pb.Features) string {
	var b strings.Builder
	for _, c := range []struct {
		has  bool
		text string
	}{
		{feats.GetChatTimer(), "/timer 1d   disappearing messages (/timer off; /timer alone: the chat's timer)"},
		{feats.GetPollCreate(), "/poll QUESTION? A / B   start a poll (/poll-multi: several answers)"},
		{feats.GetPollVote(), "/vote 2     in a reply to a poll: vote (/vote none: take it back)"},
		{feats.GetPollClose(), "/poll-close in a reply to your poll: close it"},
		{feats.GetPin(), "/pin        in a reply to a message: pin it (/unpin; /pins: the chat's pins)"},
	} {
		if c.has {
			b.WriteString("\n  " + c.text)
		}
	}
	if b.Len() == 0 {
		return ""
	}
	return "\nIn a chat or a group:" + b.String()
}

// handleGatewayChat answers a message to the transport JID itself.
func (t *transport) handleGatewayChat(ctx context.Context, user, body string) {
	say := func(s string) { t.send(ctx, t.chat(user, s)) }
	text := strings.TrimSpace(body)
	word, arg, _ := strings.Cut(text, " ")
	word = strings.ToLower(word)
	arg = strings.TrimSpace(arg)

	if p := t.procOf(user); p != nil && p.via == "chat" && p.idle() {
		// A form left unanswered (the plugin's process likely gone with
		// it): the user back later means a command, not the answer to a
		// question asked long ago ("login" taken as the nick).
		t.cancelProc(ctx, p)
		say("The login in progress waited too long for an answer and was cancelled.")
		if word == "cancel" {
			return
		}
	}
	if p := t.procOf(user); p != nil && p.via == "chat" {
		if word == "cancel" {
			t.cancelProc(ctx, p)
			say("Login cancelled.")
			return
		}
		if p.isChecking() {
			// Taken as an answer it would be the next step's, or
			// hand the same answers in twice.
			say("Still checking your answer with " + t.displayName() + "; wait a moment. Send cancel to stop.")
			return
		}
		step, _, _ := p.current()
		if form := step.GetForm(); form != nil {
			t.answer(ctx, p, form, text)
			return
		}
		say("Waiting for the login to go on in the " + t.displayName() + " app. Send cancel to stop.")
		return
	}
	switch word {
	case "", "help", "?":
		say(t.chatHelp(user))
	case "login", "register":
		if l, ok := t.liveLoginOf(user); ok {
			say(fmt.Sprintf("You are already logged in as %s. Send logout first to use another account.", l.DisplayName))
			return
		}
		flow, err := t.chooseFlow(ctx, arg)
		if err != nil {
			say(errText(err))
			return
		}
		if flow == "" {
			return
		}
		if p := t.procOf(user); p != nil && p.via == "adhoc" {
			// Begun by a client's login command: that client may have
			// gone with its session and cannot finish or cancel it. As
			// the command from another client does (cmdLogin), the
			// login at hand takes over, once there is one: a "login"
			// that only lists the methods leaves it alone.
			t.log.Info("a login command in progress is cancelled: the user began a login in the chat", "user", user)
			t.cancelProc(ctx, p)
			say(replacedLoginText(p))
		}
		if _, err := t.startLogin(ctx, user, flow, "chat"); err != nil {
			say("The login could not start: " + errText(err))
		}
	case "cancel":
		if p := t.procOf(user); p != nil {
			t.cancelProc(ctx, p)
			say("Login cancelled.")
			return
		}
		say("There is no login in progress.")
	case "unregister":
		err := t.unregisterUser(ctx, user, func(had bool) { say(t.unregisteredText(had)) })
		if errors.Is(err, errNotRegistered) {
			say(t.notRegisteredText())
		} else if err != nil {
			say(sentence(errText(err)))
		}
	case "logout":
		text, _ := t.logout(ctx, user)
		say(text)
	case "relogin":
		text, _ := t.reloginAnswer(ctx, user)
		say(text)
	case "status":
		say(t.statusText(user))
	case "sync":
		text, err := t.resyncRoster(ctx, user)
		if err != nil {
			text = sentence(errText(err))
		}
		say(text)
	case "contacts", "groups":
		t.chatList(user, word, arg, say)
	case "create-group":
		t.chatCreateGroup(ctx, user, arg, say)
	case "find":
		t.chatFind(ctx, user, arg, say)
	default:
		say("Unknown command. " + t.chatHelp(user))
	}
}

// chooseFlow picks a login flow from "login N" or "login ID"; with
// several flows and no choice, it lists them ("" with no error).
func (t *transport) chooseFlow(ctx context.Context, arg string) (string, error) {
	client, err := t.client(ctx)
	if err != nil {
		return "", err
	}
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	res, err := client.LoginFlows(cctx, &pb.LoginFlowsRequest{})
	if err != nil {
		return "", err
	}
	flows := res.Flows
	if len(flows) == 0 {
		return "", fmt.Errorf("this network offers no way to log in")
	}
	if arg == "" && len(flows) == 1 {
		return flows[0].Id, nil
	}
	for i, f := range flows {
		if arg == strconv.Itoa(i+1) || strings.EqualFold(arg, f.Id) {
			return f.Id, nil
		}
	}
	var b strings.Builder
	if arg != "" {
		fmt.Fprintf(&b, "There is no login method %q. ", arg)
	}
	b.WriteString("Choose how to log in; send one of:")
	for i, f := range flows {
		fmt.Fprintf(&b, "\n  login %d   %s", i+1, f.Name)
		if f.Description != "" {
			b.WriteString(" (" + f.Description + ")")
		}
	}
	return "", fmt.Errorf("%s", b.String())
}
