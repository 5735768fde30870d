package signal

import (
	"log/slog"
	"path/filepath"

	"passerelle.im/passerelle/plugins/sdk"
)

// loadToldSets reads the told sets kept in the login's folder dir under
// file ("" dir: in memory only); what names them in the log, cost says
// what a damaged file costs.
func loadToldSets(dir, file, what, cost string, log *slog.Logger) *sdk.ToldSets {
	path := ""
	if dir != "" {
		path = filepath.Join(dir, file)
	}
	return sdk.LoadToldSets(path, what, cost, log)
}
