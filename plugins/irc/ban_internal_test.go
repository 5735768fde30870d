package irc

import "testing"

// TestBanWords: the ERRORs that servers send a banned client are bans;
// those of a restart, a timeout or a connection limit are not.
func TestBanWords(t *testing.T) {
	for text, want := range map[string]bool{
		"Closing Link: ned[127.0.0.1] (K-Lined)":                          true,
		"Closing Link: ned[127.0.0.1] (G-lined: open proxy)":              true,
		"Closing Link: 127.0.0.1 (Z-Lined: drones)":                       true,
		"Closing Link: ned[1.2.3.4] (D-line)":                             true,
		"Closing Link: ned[1.2.3.4] (You are banned from this server)":    true,
		"Closing Link: ned[1.2.3.4] (AKILLed: spam)":                      true,
		"Closing Link: ned[127.0.0.1] (Ping timeout)":                     false,
		"Closing Link: ned[127.0.0.1] (Server is restarting)":             false,
		"Closing Link: 127.0.0.1 (Too many connections from your IP)":     false,
		"Closing Link: ned[127.0.0.1] (Throttled: reconnecting too fast)": false,
		"Closing Link: ned[127.0.0.1] (Online since the klinedale era)":   false,
	} {
		if got := banned(text); got != want {
			t.Errorf("banned(%q) = %v, want %v", text, got, want)
		}
	}
}
