package echo

import (
	"os"
	"path/filepath"
	"strings"
)

// GroupNameFile, in a login's folder (sdk.LoginInfo.Dir), is a rename of
// the account's group made on the network while the plugin was not
// running: the group has that name when the plugin, started again, loads
// the login. It stands for what a real network's servers keep while the
// gateway is down; the echo network's own state lives in the process.
// Tests write it between a stop and a start of the gateway.
const GroupNameFile = "group-name"

// maxGroupName bounds a name read from GroupNameFile.
const maxGroupName = 200

// offlineGroupName is the group's name in dir's GroupNameFile; "" when
// there is none.
func offlineGroupName(dir string) string {
	if dir == "" {
		return ""
	}
	raw, err := os.ReadFile(filepath.Join(dir, GroupNameFile))
	if err != nil || len(raw) > maxGroupName {
		return ""
	}
	return strings.TrimSpace(string(raw))
}
