package botmode_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"passerelle.im/passerelle/plugins/plugintest"
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/telegram/botmode"

	pb "passerelle.im/passerelle/plugins/proto"
)

// TestMain makes this test binary a plugin process when a host (the
// conformance kit, the gateway) launches it, as go-plugin's handshake
// cookie says: the tiny connector below, serving bot mode alone, so that
// the session runs under the real SDK without the Telegram connector.
func TestMain(m *testing.M) {
	if os.Getenv(sdk.Handshake.MagicCookieKey) == sdk.Handshake.MagicCookieValue {
		sdk.Serve[*botmode.Session](&testConnector{})
		os.Exit(0)
	}
	plugintest.Main(m)
}

// testConnector is a connector of bot logins only, wired as the package
// comment tells the Telegram connector to.
type testConnector struct {
	host    sdk.Host
	dataDir string
	cfg     struct {
		BotAPIURL     string `json:"bot_api_url"`
		PollTimeoutMS int    `json:"poll_timeout_ms"`
	}
}

func (c *testConnector) Init(_ context.Context, req sdk.InitRequest, host sdk.Host) (*pb.Capabilities, error) {
	if err := json.Unmarshal(req.ConfigJSON, &c.cfg); err != nil {
		return nil, err
	}
	c.host, c.dataDir = host, req.DataDir
	return &pb.Capabilities{Network: "telegram", DisplayName: "Telegram (bots)", Version: "test", Features: botmode.Features()}, nil
}

func (c *testConnector) LoginFlows(context.Context) ([]*pb.LoginFlow, error) {
	return []*pb.LoginFlow{botmode.Flow()}, nil
}

func (c *testConnector) StartLogin(_ context.Context, req sdk.LoginRequest) (sdk.LoginProcess, error) {
	if req.FlowID != "" && req.FlowID != botmode.FlowID {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_BAD_REQUEST, "no login flow %q", req.FlowID)
	}
	return botmode.NewLoginProcess(botmode.LoginOptions{ServerURL: c.cfg.BotAPIURL}), nil
}

func (c *testConnector) LoadLogin(_ context.Context, login sdk.LoginInfo) (*botmode.Session, error) {
	if !botmode.IsLoginID(login.LoginID) {
		return nil, sdk.Errorf(pb.ErrorCode_ERROR_CODE_NOT_FOUND, "%q is not a bot login", login.LoginID)
	}
	dir := login.Dir
	if dir == "" {
		// The kit's host gives no login folder: one in the data folder,
		// so a restarted plugin finds its offset.
		dir = filepath.Join(c.dataDir, login.LoginID)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, err
		}
	}
	return botmode.NewSession(botmode.Config{Host: c.host, LoginID: login.LoginID, Dir: dir, SavedState: login.SavedState,
		ServerURL: c.cfg.BotAPIURL, PollTimeout: time.Duration(c.cfg.PollTimeoutMS) * time.Millisecond,
		MinBackoff: 50 * time.Millisecond, MaxBackoff: time.Second})
}

func TestConformance(t *testing.T) {
	api := newFakeAPI(t)
	api.chatJS["501"] = `{"id":501,"type":"private","first_name":"Alice","username":"alice","max_reaction_count":1,"bio":"","join_to_send_messages":false}`
	api.chatJS[fmt.Sprint(groupID)] = fmt.Sprintf(`{"id":%d,"type":"supergroup","title":"Test group","max_reaction_count":11,"bio":"","join_to_send_messages":false}`, groupID)
	bin, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	conf, _ := json.Marshal(map[string]any{"bot_api_url": api.URL(), "poll_timeout_ms": 1000})
	var n atomic.Int64
	plugintest.Run(t, plugintest.Config{
		Binary:      bin,
		ConfigJSON:  conf,
		FlowID:      botmode.FlowID,
		LoginFields: map[string]string{botmode.FieldToken: testToken},
		Contact:     "501",
		Group:       fmt.Sprint(groupID),
		// A message is delivered once the bot confirmed it to Telegram,
		// so the kit's kills find no batch half handled (a killed
		// plugin gets such a batch again from Telegram, under the same
		// event_id: TestKilledMidBatch).
		Incoming: func(t testing.TB, loginID, chatID string) string {
			i := n.Add(1)
			text := fmt.Sprintf("from alice %d", i)
			id := api.push(privateMsg(5000+int(i), text, ""))
			deadline := time.Now().Add(plugintest.Timeout)
			for !api.confirmed(id) {
				if time.Now().After(deadline) {
					t.Fatalf("the bot never confirmed update %d", id)
				}
				time.Sleep(5 * time.Millisecond)
			}
			return text
		},
		Delivered: func(t testing.TB, loginID, chatID string) []string {
			var out []string
			for _, c := range api.callsOf("sendMessage") {
				if c.Params["chat_id"] == chatID {
					out = append(out, c.Params["text"])
				}
			}
			return out
		},
	})
}
