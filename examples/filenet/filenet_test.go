package filenet_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"passerelle.im/passerelle/examples/filenet"
	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
)

func TestMain(m *testing.M) { plugintest.Main(m) }

const (
	me    = "+33612345678"
	bob   = "+33687654321"
	group = "friends"
)

// TestConformance runs the kit with the test as the network's far side:
// it makes the account, reads the login code the plugin "texted", writes
// bob's messages (Incoming) and reads what the plugin sent (Delivered).
func TestConformance(t *testing.T) {
	dir, cfg := network(t, filenet.Account{Contacts: map[string]string{bob: "Bob"},
		Groups: map[string]filenet.Group{group: {Name: "Friends", Members: []string{bob}}}})
	var n atomic.Uint64
	plugintest.Run(t, plugintest.Config{
		Binary:     plugintest.BuildBinary(t, pkg),
		ConfigJSON: cfg,
		Login: []plugintest.LoginStep{
			{Wrong: map[string]string{"phone": "0612"}, Fields: map[string]string{"phone": me}},
			{Wrong: map[string]string{"code": "000000"}, Act: readCode(dir)},
		},
		Contact: bob,
		Group:   group,
		Incoming: func(t testing.TB, loginID, chatID string) string {
			k := n.Add(1)
			text := fmt.Sprintf("hello %d", k)
			if err := filenet.AppendLine(filenet.ChatFile(dir, loginID, chatID),
				filenet.Line{ID: fmt.Sprintf("in-%d", k), From: bob, Text: text}); err != nil {
				t.Fatal(err)
			}
			return text
		},
		Delivered: func(t testing.TB, loginID, chatID string) []string {
			f, err := os.Open(filenet.ChatFile(dir, loginID, chatID))
			if os.IsNotExist(err) {
				return nil
			} else if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			var texts []string
			for sc := bufio.NewScanner(f); sc.Scan(); {
				var l filenet.Line
				if json.Unmarshal(sc.Bytes(), &l) == nil && l.From == loginID {
					texts = append(texts, l.Text)
				}
			}
			return texts
		},
	})
}

// pkg is the plugin's command.
const pkg = "passerelle.im/passerelle/examples/filenet/cmd/passerelle-filenet"

// network makes a network folder holding account me, with acct, and the
// plugin's config naming it.
func network(t *testing.T, acct filenet.Account) (dir string, cfg []byte) {
	t.Helper()
	dir = t.TempDir()
	if err := os.MkdirAll(filenet.AccountDir(dir, me), 0o700); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(acct)
	if err := os.WriteFile(filepath.Join(filenet.AccountDir(dir, me), "account.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, _ = json.Marshal(filenet.Config{Dir: dir})
	return dir, cfg
}

// readCode is the login's code step: the code the network "texted" to
// me, read from its file.
func readCode(dir string) func(testing.TB, *pb.LoginStep) map[string]string {
	return func(t testing.TB, _ *pb.LoginStep) map[string]string {
		code, err := os.ReadFile(filenet.CodeFile(dir, me))
		if err != nil {
			t.Fatal(err)
		}
		return map[string]string{"code": string(code)}
	}
}
