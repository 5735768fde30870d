package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// readFile reads the configuration file and secret files. A variable so
// that a test can refuse a read as the file system refuses the service's
// user: the tests run as root, whom no file mode stops.
var readFile = os.ReadFile

// Under examples/passerelle.service the gateway is a DynamicUser: a file
// only root may read, as a chmod 600 under /etc/passerelle leaves it, is
// refused. What to do differs for the configuration and a secret file.
const (
	configUnreadable = "under examples/passerelle.service keep it readable by all (chmod 644) with no secret in it, the secrets in /etc/passerelle/secrets.env"
	secretUnreadable = "under examples/passerelle.service hand it over with LoadCredential=NAME:PATH and set secret_file to /run/credentials/passerelle.service/NAME, or use /etc/passerelle/secrets.env"
)

// unreadable adds to a refused read which user was refused and what to
// do; other errors are returned as they are.
func unreadable(err error, advice string) error {
	if !errors.Is(err, fs.ErrPermission) {
		return err
	}
	return fmt.Errorf("%w: the gateway's user (uid %d) must be able to read it; %s", err, os.Geteuid(), advice)
}
