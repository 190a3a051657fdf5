package store

import "io/fs"

func mustSub(f fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(f, dir)
	if err != nil {
		panic("store: embedded migrations: " + err.Error()) // a build error, not a runtime one
	}
	return sub
}
