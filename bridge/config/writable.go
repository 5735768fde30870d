package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// A state folder or store file that exists but that the gateway's user
// may not write (a first run as root made it, then the service runs as
// its own user) failed late: the store at its open, with a bare
// "permission denied" and an exit status the unit restarts on, a
// plugin's data_dir at every start of the plugin, for ever. Prepare
// finds it first and says whose it is and what to do.

// writableFolder checks that the gateway's user may make files in dir:
// it makes one and removes it, as no file mode check would tell root
// from another user.
func writableFolder(dir string) error {
	f, err := os.CreateTemp(dir, ".passerelle-write-check-*")
	if err != nil {
		return notWritable(dir, dir, err)
	}
	name := f.Name()
	f.Close()
	os.Remove(name)
	return nil
}

// notWritable explains a refused write to path (a folder, or the store
// file in folder): whose it is and how to give it to the gateway's user.
// Other errors are returned as they are, with the path.
func notWritable(path, folder string, err error) error {
	if !errors.Is(err, fs.ErrPermission) {
		return fmt.Errorf("cannot write in %s: %w", folder, err)
	}
	owner := ""
	if fi, serr := os.Stat(path); serr == nil {
		if uid, ok := ownerOf(fi); ok {
			owner = fmt.Sprintf(", which belongs to uid %d (mode %04o)", uid, fi.Mode().Perm())
		}
	}
	return fmt.Errorf("%w: the gateway's user (uid %d) may not write %s%s; a run as another user (root?) made it: give the gateway's user the folder (chown -R %d %s), or run the gateway as that user",
		err, os.Geteuid(), path, owner, os.Geteuid(), filepath.Clean(folder))
}
