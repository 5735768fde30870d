// Command passerelle-filenet is the FileNet transport plugin
// (examples/filenet): the gateway starts it.
package main

import (
	"passerelle.im/passerelle/examples/filenet"
	"passerelle.im/passerelle/plugins/sdk"
)

func main() { sdk.Serve[*filenet.Session](filenet.New()) }
