package pluginhost

import (
	"context"
	"fmt"
	"os"

	pb "passerelle.im/passerelle/plugins/proto"
)

// CheckInit starts the plugin at path and hands it configJSON in Init, as
// a start of the gateway would, then stops it: check-config's proof that
// the plugin runs and takes its [transport.config]. The plugin gets a
// fresh folder of its own, removed afterwards, never the transport's
// data_dir: a gateway that runs meanwhile holds that one (its lock), and
// what a plugin clears there at Init is the running one's.
func CheckInit(ctx context.Context, path string, configJSON []byte, domain string) (*pb.Capabilities, error) {
	dir, err := os.MkdirTemp("", "passerelle-check-")
	if err != nil {
		return nil, fmt.Errorf("a folder for the plugin: %w", err)
	}
	defer os.RemoveAll(dir)
	p, err := launch(ctx, launchConfig{Path: path})
	if err != nil {
		return nil, err
	}
	defer p.Kill()
	return p.init(ctx, configJSON, dir, domain)
}
