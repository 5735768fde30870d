package telegram_test

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/gotd/td/tg"

	"passerelle.im/passerelle/plugins/plugintest"
	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/telegram/tgfake"
)

func TestMain(m *testing.M) { plugintest.Main(m) }

const pluginPkg = "passerelle.im/passerelle/cmd/passerelle-telegram"

// The people of the end-to-end tests.
var (
	dora  = tgfake.User{ID: 2001, FirstName: "Dora", Phone: "33700000001", Code: "12345", Password: "secret"}
	eve   = tgfake.User{ID: 2002, FirstName: "Eve", Phone: "33700000002", Code: "22222"}
	frank = tgfake.User{ID: 2003, FirstName: "Frank", Phone: "33700000003", Code: "33333"}
)

// fakeTelegram starts the fake Telegram with dora, her contact eve,
// frank and a group of the three.
func fakeTelegram(t *testing.T, mod func(*tgfake.User)) *tgfake.Server {
	t.Helper()
	srv, err := tgfake.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	d := dora
	if mod != nil {
		mod(&d)
	}
	srv.AddUser(d)
	srv.AddUser(eve)
	srv.AddUser(frank)
	srv.AddContact(dora.ID, eve.ID)
	srv.AddGroup(tgfake.Group{ID: 88, Title: "Explorers", About: "maps", Members: []int64{dora.ID, eve.ID, frank.ID}, Creator: dora.ID})
	return srv
}

// configJSON is the plugin's config (JSON, as plugintest gives it) for the
// fake Telegram srv.
func configJSON(t *testing.T, srv *tgfake.Server) []byte {
	t.Helper()
	cfg, err := json.Marshal(map[string]any{"api_id": 17, "api_hash": "0123456789abcdef", "server": srv.ServerConfig()})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// doraPlugin is the plugin binary on the fake Telegram, with dora logged
// in (her device trusted: no code).
func doraPlugin(t *testing.T) (*tgfake.Server, *plugintest.Plugin, *pb.CompleteStep) {
	t.Helper()
	srv := fakeTelegram(t, func(u *tgfake.User) { u.NoCode = true })
	p := plugintest.Start(t, plugintest.BuildBinary(t, pluginPkg), "", configJSON(t, srv))
	return srv, p, p.Login("phone", map[string]string{"phone": "+" + dora.Phone})
}

// The conformance kit, against the plugin binary and the fake Telegram.
// The kit completes a login with one form: dora's device is one Telegram
// trusts (sendCode answers auth.sentCodeSuccess), so her phone number
// alone logs in.
func TestConformance(t *testing.T) {
	srv := fakeTelegram(t, func(u *tgfake.User) { u.NoCode = true })
	cfg := configJSON(t, srv)
	n := 0
	plugintest.Run(t, plugintest.Config{
		Binary:      plugintest.BuildBinary(t, pluginPkg),
		ConfigJSON:  cfg,
		FlowID:      "phone",
		LoginFields: map[string]string{"phone": "+" + dora.Phone},
		Contact:     strconv.FormatInt(eve.ID, 10),
		Identifier:  "+" + eve.Phone,
		Group:       "-88",
		Incoming: func(t testing.TB, _, _ string) string {
			n++
			text := "incoming " + strconv.Itoa(n) + " " + time.Now().Format(time.RFC3339Nano)
			srv.Send(eve.ID, &tg.PeerUser{UserID: dora.ID}, text)
			return text
		},
		Delivered: func(t testing.TB, _, _ string) []string {
			var out []string
			for _, m := range srv.Messages(eve.ID) {
				if !m.Out {
					out = append(out, m.Message)
				}
			}
			return out
		},
	})
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}
