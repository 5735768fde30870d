package irc_test

import (
	"slices"
	"strings"
	"testing"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

// A channel of the login that keeps refusing it (a full one, which
// stays on the login's list) loses its room once: the reconnections
// and a restart after that say nothing more of it, the saved state
// remembering that it was told. Joined again, its next refusal is told
// anew. Before, each connection removed its room again.
func TestRefusedChannelToldOnce(t *testing.T) {
	srv := startScripted(t, "", "")
	srv.mu.Lock()
	srv.refuseJoin = map[string]string{"#full": "471 :Cannot join channel (+l)"}
	srv.mu.Unlock()
	const config = `{"reconnect_min":"100ms","reconnect_max":"200ms"}`
	p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", []byte(config))
	evs := p.Events()
	f := srv.fields("kit")
	f["channels"] = "#ok,#full"
	login := p.Login("", f)
	saved := login.SavedState
	var seq uint64 // the newest event's: one replayed after the restart is older
	// connected follows the login to its next CONNECTED state, and
	// returns the chats whose rooms went meanwhile.
	connected := func(evs *plugintest.EventStream) []string {
		t.Helper()
		var removed []string
		evs.NextEvent(func(ev *pb.Event) bool {
			if ev.Seq <= seq {
				return false // replayed: seen before the restart
			}
			seq = ev.Seq
			if ev.GetChatRemoved() != nil {
				removed = append(removed, ev.ChatId)
			}
			if st := ev.GetSavedState(); st != nil {
				saved = st.SavedState
			}
			return ev.GetLoginState().GetState() == pb.LoginState_LOGIN_STATE_CONNECTED
		})
		return removed
	}
	p.Connect(login.LoginId, login.SavedState)
	if removed := connected(evs); !slices.Equal(removed, []string{"#full"}) {
		t.Fatalf("rooms removed at the first connection: %q; want #full", removed)
	}
	srv.hangUp()
	if removed := connected(evs); len(removed) > 0 {
		t.Errorf("rooms removed at the reconnection: %q; want none (told before)", removed)
	}
	if !strings.Contains(string(saved), `"refused":["#full"]`) {
		t.Errorf("saved state %s; want #full in it", saved)
	}

	// A restart of the plugin, with the saved state: nothing told.
	p.Restart()
	evs2 := p.Events()
	p.Connect(login.LoginId, saved)
	if removed := connected(evs2); len(removed) > 0 {
		t.Errorf("rooms removed after a restart: %q; want none (told before)", removed)
	}

	// The channel has room again: joined, then full again, told anew.
	srv.mu.Lock()
	srv.refuseJoin = nil
	srv.mu.Unlock()
	srv.hangUp()
	if removed := connected(evs2); len(removed) > 0 {
		t.Errorf("rooms removed at a connection that joined them all: %q", removed)
	}
	srv.mu.Lock()
	srv.refuseJoin = map[string]string{"#full": "471 :Cannot join channel (+l)"}
	srv.mu.Unlock()
	srv.hangUp()
	if removed := connected(evs2); !slices.Equal(removed, []string{"#full"}) {
		t.Errorf("rooms removed once #full refused again: %q; want #full", removed)
	}
}
