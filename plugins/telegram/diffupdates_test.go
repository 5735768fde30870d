package telegram

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/gotd/td/tg"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/telegram/tgfake"
)

// A private chat's message edited, another deleted and a third reacted
// to while the gateway was away come after it, from the catch-up
// (updates.getDifference's other_updates), as they come live; with the
// message sent in the gap. Before, gotd's updates manager dropped the
// edit and the deletion, their pts past the new message's (diffupdates.go);
// the fake gave no reaction of a gap.
func TestGapEditsDeletionsReactions(t *testing.T) {
	srv := newFake(t)
	s, h, info, n := connectAlice(t, srv)
	alicePeer := &tg.PeerUser{UserID: alice.ID}
	from := h.count()
	edited := srv.Send(bob.ID, alicePeer, "to edit")
	deleted := srv.Send(bob.ID, alicePeer, "to delete")
	reacted := srv.Send(bob.ID, alicePeer, "to react to")
	h.wait(t, from, "the messages before", isMessage("1002", "to react to"))
	if err := s.Disconnect(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	// The new message first: the edit's and deletion's pts are past
	// it, a gap to the updates manager that handles them before it.
	srv.Send(bob.ID, alicePeer, "sent while away")
	srv.Edit(edited, "edited while away")
	srv.Delete(deleted)
	srv.React(bob.ID, reacted, "👍")

	from = h.count()
	connect(t, n, h, info)
	h.wait(t, from, "the message of the gap", isMessage("1002", "sent while away"))
	id := func(gid int) string { return strconv.Itoa(srv.ID(gid, alice.ID)) }
	h.wait(t, from, "the edit of the gap", func(ev *pb.Event) bool {
		return ev.ChatId == "1002" && ev.GetEdit().GetTargetId() == id(edited) && ev.GetEdit().GetText() == "edited while away"
	})
	h.wait(t, from, "the deletion of the gap", func(ev *pb.Event) bool {
		return ev.ChatId == "1002" && ev.GetRetraction().GetTargetId() == id(deleted)
	})
	h.wait(t, from, "the reaction of the gap", func(ev *pb.Event) bool {
		return ev.ChatId == "1002" && ev.GetReaction().GetTargetId() == id(reacted) &&
			ev.GetSender().GetUserId() == "1002" && slices.Equal(ev.GetReaction().GetEmojis(), []string{"👍"})
	})
}

// A supergroup's message edited and another deleted while the gateway
// was away come after it, from the channel's catch-up
// (updates.getChannelDifference's other_updates), with the message sent
// in the gap. Before, gotd's updates manager queued them to the
// channel's pts sequence, which the difference then moved past: dropped.
func TestChannelGapEditsDeletions(t *testing.T) {
	srv := newFake(t)
	srv.AddChannel(tgfake.Channel{ID: 600, Title: "Big", Members: []int64{alice.ID, bob.ID}, Creator: bob.ID})
	s, h, info, n := connectAlice(t, srv)
	big := &tg.PeerChannel{ChannelID: 600}
	from := h.count()
	edited := srv.Send(bob.ID, big, "to edit")
	deleted := srv.Send(bob.ID, big, "to delete")
	h.wait(t, from, "the messages before", isMessage("-100600", "to delete"))
	if err := s.Disconnect(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	srv.Send(bob.ID, big, "sent while away")
	srv.EditChannelMessage(600, edited, "edited while away")
	srv.DeleteChannelMessages(600, deleted)

	from = h.count()
	connect(t, n, h, info)
	h.wait(t, from, "the message of the gap", isMessage("-100600", "sent while away"))
	h.wait(t, from, "the edit of the gap", func(ev *pb.Event) bool {
		return ev.ChatId == "-100600" && ev.GetEdit().GetTargetId() == strconv.Itoa(edited) && ev.GetEdit().GetText() == "edited while away"
	})
	h.wait(t, from, "the deletion of the gap", func(ev *pb.Event) bool {
		return ev.ChatId == "-100600" && ev.GetRetraction().GetTargetId() == strconv.Itoa(deleted)
	})
}

// A catch-up's edit whose event could not be kept (the SDK's journal
// failing) comes again at the next connection: gapStorage hands it to
// handle as gotd saves the difference's state, and handle's failure
// keeps that state back (store.freeze).
func TestGapEditNotKeptComesAgain(t *testing.T) {
	srv := newFake(t)
	s, h, info, n := connectAlice(t, srv)
	alicePeer := &tg.PeerUser{UserID: alice.ID}
	from := h.count()
	edited := srv.Send(bob.ID, alicePeer, "to edit")
	h.wait(t, from, "the message before", isMessage("1002", "to edit"))
	if err := s.Disconnect(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	srv.Send(bob.ID, alicePeer, "sent while away")
	srv.Edit(edited, "edited while away")
	isEdit := func(ev *pb.Event) bool {
		return ev.ChatId == "1002" && ev.GetEdit().GetTargetId() == strconv.Itoa(srv.ID(edited, alice.ID)) && ev.GetEdit().GetText() == "edited while away"
	}

	failed := h.failDurable(errors.New("sdk: plugin shutting down"))
	s = connect(t, n, h, info)
	select {
	case <-failed:
	case <-time.After(20 * time.Second):
		t.Fatal("the catch-up's events were not handled")
	}
	h.failDurable(nil)
	// Once a message after the gap came, the catch-up is over.
	from = h.count()
	srv.Send(bob.ID, alicePeer, "after")
	h.wait(t, from, "the message after", isMessage("1002", "after"))
	if err := s.Disconnect(ctxT(t)); err != nil {
		t.Fatal(err)
	}

	from = h.count()
	connect(t, n, h, info)
	h.wait(t, from, "the edit not kept, again", isEdit)
}

// A message read in the user's phone while its updates were lost on
// the way comes read: the catch-up's read mark (updateReadHistoryInbox,
// in other_updates) is handled after the difference's new messages, as
// it came. Before, it came first, and read only as far as the messages
// the session had then: the gap's stayed unread here.
func TestGapReadOnPhone(t *testing.T) {
	srv := newFake(t)
	_, h, _, _ := connectAlice(t, srv)
	alicePeer := &tg.PeerUser{UserID: alice.ID}
	from := h.count()
	srv.Send(bob.ID, alicePeer, "before")
	h.wait(t, from, "the message before", isMessage("1002", "before"))
	var away int
	srv.Unheard(alice.ID, func() {
		away = srv.Send(bob.ID, alicePeer, "sent while unheard")
		srv.ReadFromApp(alice.ID, away)
	})
	srv.Send(bob.ID, alicePeer, "after") // its pts shows the gap
	h.wait(t, from, "the message of the gap", isMessage("1002", "sent while unheard"))
	want := strconv.Itoa(srv.ID(away, alice.ID))
	h.wait(t, from, "the gap's message read", func(ev *pb.Event) bool {
		return ev.ChatId == "1002" && ev.GetSender().GetIsFromMe() && slices.Equal(ev.GetReceipt().GetMessageIds(), []string{want})
	})
}

// eventIndexes are the indexes, from from on, of the events f matches.
func eventIndexes(h *testHost, from int, f func(*pb.Event) bool) []int {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []int
	for i := from; i < len(h.events); i++ {
		if f(h.events[i]) {
			out = append(out, i)
		}
	}
	return out
}

// A reaction to a message sent while the gateway was away (both in the
// catch-up: the message in new_messages, the reaction, of no pts, in
// other_updates) comes after the message it reacts to. Before, gotd
// handed the other updates first: the reaction came before its message,
// to one the gateway did not have, and was not shown.
func TestGapReactionToNewMessage(t *testing.T) {
	srv := newFake(t)
	s, h, info, n := connectAlice(t, srv)
	alicePeer := &tg.PeerUser{UserID: alice.ID}
	from := h.count()
	srv.Send(bob.ID, alicePeer, "before")
	h.wait(t, from, "the message before", isMessage("1002", "before"))
	if err := s.Disconnect(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	reacted := srv.Send(bob.ID, alicePeer, "sent while away")
	srv.React(bob.ID, reacted, "👍")

	from = h.count()
	connect(t, n, h, info)
	id := strconv.Itoa(srv.ID(reacted, alice.ID))
	isMsg := func(ev *pb.Event) bool { return isMessage("1002", "sent while away")(ev) && ev.EventId == id }
	isReaction := func(ev *pb.Event) bool {
		return ev.ChatId == "1002" && ev.GetReaction().GetTargetId() == id && slices.Equal(ev.GetReaction().GetEmojis(), []string{"👍"})
	}
	h.wait(t, from, "the message of the gap", isMsg)
	h.wait(t, from, "the reaction of the gap", isReaction)
	msg := eventIndexes(h, from, isMsg)[0]
	for _, i := range eventIndexes(h, from, isReaction) {
		if i < msg {
			t.Errorf("the reaction came before its message (events %d, %d)", i, msg)
		}
	}
}

// A message sent and edited while the gateway was away comes once, with
// its latest text (the catch-up gives it as it is now): the edit of the
// catch-up is no correction. Before, a correction with the same text
// followed the message.
func TestGapNewMessageEdited(t *testing.T) {
	srv := newFake(t)
	srv.AddChannel(tgfake.Channel{ID: 600, Title: "Big", Members: []int64{alice.ID, bob.ID}, Creator: bob.ID})
	s, h, info, n := connectAlice(t, srv)
	alicePeer := &tg.PeerUser{UserID: alice.ID}
	big := &tg.PeerChannel{ChannelID: 600}
	from := h.count()
	srv.Send(bob.ID, alicePeer, "before")
	srv.Send(bob.ID, big, "before in big")
	h.wait(t, from, "the message before", isMessage("1002", "before"))
	h.wait(t, from, "the message before in big", isMessage("-100600", "before in big"))
	if err := s.Disconnect(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	edited := srv.Send(bob.ID, alicePeer, "first text")
	srv.Edit(edited, "latest text")
	chEdited := srv.Send(bob.ID, big, "first words")
	srv.EditChannelMessage(600, chEdited, "latest words")

	from = h.count()
	connect(t, n, h, info)
	h.wait(t, from, "the message of the gap", isMessage("1002", "latest text"))
	h.wait(t, from, "the message of the channel's gap", isMessage("-100600", "latest words"))
	// Once a message after the gap came, the catch-up is over.
	srv.Send(bob.ID, alicePeer, "after")
	srv.Send(bob.ID, big, "after in big")
	h.wait(t, from, "the message after", isMessage("1002", "after"))
	h.wait(t, from, "the message after in big", isMessage("-100600", "after in big"))
	id, chID := strconv.Itoa(srv.ID(edited, alice.ID)), strconv.Itoa(chEdited)
	for _, i := range eventIndexes(h, from, func(ev *pb.Event) bool {
		return (ev.ChatId == "1002" && ev.GetEdit().GetTargetId() == id) || (ev.ChatId == "-100600" && ev.GetEdit().GetTargetId() == chID) ||
			isMessage("1002", "first text")(ev) || isMessage("-100600", "first words")(ev)
	}) {
		t.Errorf("event %d: a correction or the first text, want the message once with its latest text", i)
	}
}

// isReactionTo matches a reaction event of chat to message id with
// emojis.
func isReactionTo(chat, id string, emojis ...string) func(*pb.Event) bool {
	return func(ev *pb.Event) bool {
		return ev.ChatId == chat && ev.GetReaction().GetTargetId() == id && slices.Equal(ev.GetReaction().GetEmojis(), emojis)
	}
}

// A reaction made while the gateway was away, with nothing else (no pts
// moved), comes at the catch-up: the fake, as Telegram, gives the
// updates of no pts since the state's date. Before, it answered that
// nothing had happened (differenceEmpty), and the reaction never came.
func TestGapReactionOnly(t *testing.T) {
	srv := newFake(t)
	s, h, info, n := connectAlice(t, srv)
	from := h.count()
	reacted := srv.Send(bob.ID, &tg.PeerUser{UserID: alice.ID}, "to react to")
	h.wait(t, from, "the message before", isMessage("1002", "to react to"))
	if err := s.Disconnect(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	srv.React(bob.ID, reacted, "🎉")
	from = h.count()
	connect(t, n, h, info)
	h.wait(t, from, "the reaction of the gap", isReactionTo("1002", strconv.Itoa(srv.ID(reacted, alice.ID)), "🎉"))
}

// A reaction the gateway had live is not given again by a later
// catch-up once the user's update state is past it (its date): the
// fake, as Telegram, gives the updates of no pts since the state's
// date. Before, it gave every one since the pts last moved, so a
// catch-up replayed old reaction states, and tests of the catch-up's
// reactions could pass on a replay.
func TestGapOldReactionNotReplayed(t *testing.T) {
	srv := newFake(t)
	s, h, info, n := connectAlice(t, srv)
	alicePeer := &tg.PeerUser{UserID: alice.ID}
	from := h.count()
	reacted := srv.Send(bob.ID, alicePeer, "to react to")
	h.wait(t, from, "the message before", isMessage("1002", "to react to"))
	id := strconv.Itoa(srv.ID(reacted, alice.ID))
	from = h.count()
	srv.React(bob.ID, reacted, "👍")
	h.wait(t, from, "the live reaction", isReactionTo("1002", id, "👍"))
	// Dates are in seconds: one later, an update of no pts (Bob's
	// presence) moves the user's date past the reaction's; a second
	// one, handled after it, says the first's date is kept.
	deadline := time.Now().Add(20 * time.Second)
	for reactedAt := time.Now().Unix(); time.Now().Unix() <= reactedAt; {
		if time.Now().After(deadline) {
			t.Fatal("the clock did not move")
		}
		time.Sleep(10 * time.Millisecond)
	}
	isPresence := func(ev *pb.Event) bool { return ev.ChatId == "1002" && ev.GetPresence() != nil }
	from = h.count()
	srv.Status(bob.ID, alice.ID, true)
	h.wait(t, from, "bob's presence", isPresence)
	from = h.count()
	srv.Status(bob.ID, alice.ID, false)
	h.wait(t, from, "bob's presence again", isPresence)
	if err := s.Disconnect(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	srv.Send(bob.ID, alicePeer, "sent while away")

	from = h.count()
	connect(t, n, h, info)
	h.wait(t, from, "the message of the gap", isMessage("1002", "sent while away"))
	// Once a message after the gap came, the catch-up is over.
	srv.Send(bob.ID, alicePeer, "after")
	h.wait(t, from, "the message after", isMessage("1002", "after"))
	if got := eventIndexes(h, from, isReactionTo("1002", id, "👍")); len(got) != 0 {
		t.Errorf("the reaction had live given again by the catch-up (events %v)", got)
	}
}

// An edit of a message new in the catch-up, which the catch-up gives as
// it is now, is dropped whatever else the catch-up brings: neither taken
// nor left to gotd's updates manager. Before, when it was the only
// update of the sequence, takeSequenced gave back the other updates as
// they were, the edit among them: gotd queued it as a gap past the new
// message (its pts after it) and asked Telegram for a difference again.
func TestTakeSequencedEditOfNewAlone(t *testing.T) {
	msg := &tg.Message{ID: 7, PeerID: bobPeer, Message: "latest", EditDate: 100}
	edit := &tg.UpdateEditMessage{Message: &tg.Message{ID: 7, PeerID: bobPeer, Message: "latest", EditDate: 100}, Pts: 12, PtsCount: 1}
	oldEdit := &tg.UpdateEditMessage{Message: &tg.Message{ID: 3, PeerID: bobPeer, Message: "fixed", EditDate: 100}, Pts: 13, PtsCount: 1}
	msgID := &tg.UpdateMessageID{ID: 7, RandomID: 1}
	chMsg := &tg.Message{ID: 40, PeerID: &tg.PeerChannel{ChannelID: 600}, Message: "latest words", EditDate: 100}
	chEdit := &tg.UpdateEditChannelMessage{Message: &tg.Message{ID: 40, PeerID: &tg.PeerChannel{ChannelID: 600}, Message: "latest words", EditDate: 99}, Pts: 5, PtsCount: 1}
	for _, c := range []struct {
		name     string
		us       []tg.UpdateClass
		channel  bool
		msgs     []tg.MessageClass
		wantRest []tg.UpdateClass
		wantSeq  []tg.UpdateClass
	}{
		{"alone", []tg.UpdateClass{edit}, false, []tg.MessageClass{msg}, nil, nil},
		{"with no pts update", []tg.UpdateClass{msgID, edit}, false, []tg.MessageClass{msg}, []tg.UpdateClass{msgID}, nil},
		{"with an old message's edit", []tg.UpdateClass{edit, oldEdit}, false, []tg.MessageClass{msg}, nil, []tg.UpdateClass{oldEdit}},
		{"a channel's", []tg.UpdateClass{chEdit}, true, []tg.MessageClass{chMsg}, nil, nil},
	} {
		rest, taken := takeSequenced(c.us, c.channel, c.msgs, nil, nil)
		var seq []tg.UpdateClass
		if taken != nil {
			seq = taken.Updates
		}
		if !slices.Equal(rest, c.wantRest) || !slices.Equal(seq, c.wantSeq) {
			t.Errorf("%s: left to gotd %s, taken %s; want %s, %s", c.name, updateNames(rest), updateNames(seq), updateNames(c.wantRest), updateNames(c.wantSeq))
		}
	}
}

// updateNames are the type names of us, with their pts.
func updateNames(us []tg.UpdateClass) []string {
	var out []string
	for _, u := range us {
		p, _, _ := tg.IsPtsUpdate(u)
		if _, cp, _, ok, _ := tg.IsChannelPtsUpdate(u); ok {
			p = cp
		}
		out = append(out, fmt.Sprintf("%s@%d", u.TypeName(), p))
	}
	return out
}

// The user's own message new in a catch-up (the gateway's send, acted
// on by Telegram, its update lost and its answer not come) keeps the
// catch-up's edits: the gateway's message is not shown from the
// catch-up (its send names it), so an edit made on the phone meanwhile
// is the only word of the new text; and the gateway's own correction of
// it, in the catch-up too, takes the note that tells it from an edit
// made on the phone. Before, the catch-up dropped both edits (the
// message given as it is now): the phone's text never came, and the
// note stayed, so an edit made on the phone later was taken for the
// gateway's own and left out too.
func TestGapOwnMessageEdited(t *testing.T) {
	srv := newFake(t)
	srv.SetDifferenceMessageIDs(true)
	s, h, _, _ := connectAlice(t, srv)
	ctx := ctxT(t)
	c := sdk.Call{ChatID: "1002"}
	alicePeer := &tg.PeerUser{UserID: alice.ID}
	from := h.count()
	srv.Send(bob.ID, alicePeer, "before")
	h.wait(t, from, "the message before", isMessage("1002", "before"))

	// sentUnanswered sends text, the send acted on, its answer lost
	// (gotd's pts stays before it): its ID.
	sendCtx, cancel := context.WithCancel(ctx)
	t.Cleanup(cancel)
	sentUnanswered := func(text string) int {
		acted := srv.DropAnswer("messages.sendMessage")
		go func() { _, _ = s.SendMessage(sendCtx, c, &pb.SendMessage{Text: text}) }()
		select {
		case <-acted:
		case <-ctx.Done():
			t.Fatalf("the send of %q never reached the fake Telegram", text)
		}
		for _, m := range srv.Messages(alice.ID) {
			if m.Message == text {
				return m.ID
			}
		}
		t.Fatalf("the fake Telegram has no message %q", text)
		return 0
	}
	isEditTo := func(id int, text string) func(*pb.Event) bool {
		return func(ev *pb.Event) bool {
			return ev.ChatId == "1002" && ev.GetEdit().GetTargetId() == strconv.Itoa(id) && ev.GetEdit().GetText() == text
		}
	}

	// Corrected by the gateway: its answer shows the gap, and the
	// catch-up gives the message as corrected, and the correction.
	id := sentUnanswered("mine")
	from = h.count()
	if _, err := s.EditMessage(ctx, c, &pb.EditMessage{TargetId: strconv.Itoa(id), Text: "mine, corrected"}); err != nil {
		t.Fatal(err)
	}
	srv.Send(bob.ID, alicePeer, "once caught up")
	h.wait(t, from, "the message once caught up", isMessage("1002", "once caught up"))
	srv.Edit(srv.GID(alice.ID, id), "mine, corrected on my phone")
	h.wait(t, from, "the edit made on the phone after the catch-up", isEditTo(id, "mine, corrected on my phone"))
	for _, i := range eventIndexes(h, from, func(ev *pb.Event) bool { return ev.GetEdit().GetText() == "mine, corrected" }) {
		t.Errorf("event %d: the gateway's own correction told back", i)
	}

	// Edited on the phone: the edit shows the gap, and the catch-up
	// gives the message as edited, and the edit.
	id = sentUnanswered("mine again")
	from = h.count()
	srv.Edit(srv.GID(alice.ID, id), "mine again, edited on my phone")
	h.wait(t, from, "the edit made on the phone in the catch-up", isEditTo(id, "mine again, edited on my phone"))
}
