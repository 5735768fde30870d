// Command passerelle-echo is the echo transport plugin. The gateway starts
// it; run by hand it explains that and exits.
package main

import (
	"passerelle.im/passerelle/examples/echo"
	"passerelle.im/passerelle/plugins/sdk"
)

func main() { sdk.Serve[*echo.Session](echo.New(), echo.ServeOptions()...) }
