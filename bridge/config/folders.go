package config

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// FolderProblems reports the folders Prepare would create (the store's,
// the built-in file server's when on, each enabled transport's data_dir)
// that no user could: a file stands where the path needs a folder. One
// the gateway's user may not write is found only by run, whose user
// check-config's seldom is. Nothing is created.
func (c *Config) FolderProblems() []error {
	type folder struct {
		key, path string
		line      int
	}
	folders := []folder{{"store.path", filepath.Dir(c.Store.Path), c.Store.PathLine}}
	if c.Media.Listen != "" {
		folders = append(folders, folder{"media.dir", c.Media.Dir, c.Media.DirLine})
	}
	for i, t := range c.Transports {
		if t.Enabled {
			folders = append(folders, folder{fmt.Sprintf("transport[%d].data_dir", i), t.DataDir, cmp.Or(t.DataDirLine, t.Line)})
		}
	}
	var errs []error
	for _, f := range folders {
		if file := fileInTheWay(f.path); file != "" {
			errs = append(errs, &Error{File: c.Path, Line: f.line, Key: f.key,
				Err: fmt.Errorf("cannot create %s: %s is a file, not a folder", f.path, file)})
		}
	}
	return errs
}

// fileInTheWay returns the path, dir or its nearest existing parent,
// that exists and is no folder, else "".
func fileInTheWay(dir string) string {
	for p := dir; ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		switch {
		case err == nil && !fi.IsDir():
			return p
		case err == nil, !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR):
			return ""
		}
		if filepath.Dir(p) == p {
			return ""
		}
	}
}
