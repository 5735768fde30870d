// Command passerelle-whatsapp is passerelle's WhatsApp transport plugin.
// The gateway starts it; run by hand, it says what it is and exits.
package main

import (
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/whatsapp"
)

func main() { sdk.Serve[*whatsapp.Session](whatsapp.New()) }
