package main

import (
	"flag"
	"fmt"
)

// emptyFlag refuses a flag given with an empty value (-config "$UNSET"):
// taken as not given, -config "" and -plugin "" ran the echo demo, and
// -dir "" the working directory, without a word.
func emptyFlag(fs *flag.FlagSet) error {
	var err error
	fs.Visit(func(f *flag.Flag) {
		if err == nil && f.Value.String() == "" {
			if _, isBool := f.Value.(interface{ IsBoolFlag() bool }); !isBool {
				err = fmt.Errorf("-%s given empty: give its value, or leave the flag out", f.Name)
			}
		}
	})
	return err
}
