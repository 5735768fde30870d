package config

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
)

// credentialsRoot is where systemd puts the credentials of a unit
// (LoadCredential=NAME:PATH makes /run/credentials/UNIT/NAME), there only
// while the unit runs.
const credentialsRoot = "/run/credentials"

// credential returns the unit and the credential's name when path is a
// systemd credential's path, /run/credentials/UNIT/NAME, else "", "".
func credential(path string) (unit, name string) {
	rest, ok := strings.CutPrefix(filepath.Clean(path), credentialsRoot+"/")
	if !ok {
		return "", ""
	}
	unit, name, ok = strings.Cut(rest, "/")
	if !ok || unit == "" || name == "" || strings.Contains(name, "/") {
		return "", ""
	}
	return unit, name
}

// missingCredential says, of a secret_file at a systemd credential's path
// that does not exist, what it is and what to do: outside its unit (an
// admin's shell, check-config) it never exists, and inside it only with
// the unit's LoadCredential line. Other errors are returned as they are.
func missingCredential(path string, err error) error {
	unit, name := credential(path)
	if unit == "" || !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return fmt.Errorf("%w: a systemd credential, there only while %s runs with LoadCredential=%s:/etc/passerelle/%s in its unit (see examples/passerelle.service); check-config does not need it", err, unit, name, name)
}
