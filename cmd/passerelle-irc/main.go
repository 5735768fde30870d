// Command passerelle-irc is the IRC transport plugin of passerelle.
package main

import (
	"passerelle.im/passerelle/plugins/irc"
	"passerelle.im/passerelle/plugins/sdk"
)

func main() { sdk.Serve[*irc.Session](irc.New()) }
