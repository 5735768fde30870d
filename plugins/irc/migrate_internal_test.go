package irc

import "testing"

// A saved key and refusal of a channel with a control character move
// from its legacy ID to its ID of now, for a UTF-8 name and a Latin-1
// one; a key already under the ID of now stays.
func TestMigrateIDs(t *testing.T) {
	acc := Account{
		Channels: []string{"#\x02Bold\x02", "#caf\xe9\x1f", "#plain"},
		Keys:     map[string]string{"#\x02bold\x02": "a", "#caf\u00e9\x1f,latin1": "b", "#plain": "c"},
		Refused:  []string{"#caf\u00e9\x1f,latin1"},
	}
	s := &Session{acc: acc}
	s.migrateIDs()
	want := map[string]string{"#,02bold,02": "a", "#caf\u00e9,1f,latin1": "b", "#plain": "c"}
	if len(s.acc.Keys) != len(want) {
		t.Errorf("keys %q, want %q", s.acc.Keys, want)
	}
	for id, k := range want {
		if s.acc.Keys[id] != k {
			t.Errorf("key of %q: %q, want %q (keys %q)", id, s.acc.Keys[id], k, s.acc.Keys)
		}
	}
	if len(s.acc.Refused) != 1 || s.acc.Refused[0] != "#caf\u00e9,1f,latin1" {
		t.Errorf("refused %q, want the ID of now", s.acc.Refused)
	}
}
