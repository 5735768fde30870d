// Command passerelle-bench-echo is the echo transport plugin with the SDK's
// trace hook wired to internal/stagetrace, for passerelle-bench -stages.
// It records nothing unless PASSERELLE_STAGE_TRACE names a folder; the
// shipped passerelle-echo has no hook at all.
package main

import (
	"passerelle.im/passerelle/examples/echo"
	"passerelle.im/passerelle/internal/stagetrace"
	"passerelle.im/passerelle/plugins/sdk"
)

func main() {
	var opts []sdk.Option
	if stagetrace.Enabled() {
		opts = append(opts, sdk.WithTrace(func(stage sdk.Stage, text string) { stagetrace.Mark(string(stage), text) }))
	}
	sdk.Serve[*echo.Session](echo.New(), opts...)
}
