// Command passerelle-signal is the Signal transport plugin of passerelle:
// it speaks to signal-cli's JSON-RPC daemon (see plugins/signal).
package main

import (
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/signal"
)

func main() { sdk.Serve[*signal.Session](signal.New()) }
