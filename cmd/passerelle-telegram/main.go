// Command passerelle-telegram is the Telegram transport plugin of
// passerelle (user accounts on MTProto; bots with a bot token).
package main

import (
	"passerelle.im/passerelle/plugins/sdk"
	"passerelle.im/passerelle/plugins/telegram"
)

func main() { sdk.Serve[*telegram.Session](telegram.New()) }
