package wafake

import (
	waBinary "go.mau.fi/whatsmeow/binary"
)

// overWire is n as whatsmeow reads it off the socket: through
// WhatsApp's binary encoding and back (the frame's flag byte unpacked),
// so that the plugin gets what whatsmeow makes of the stanza.
func overWire(n waBinary.Node) (*waBinary.Node, error) {
	wire, err := waBinary.Marshal(n)
	if err != nil {
		return nil, err
	}
	plain, err := waBinary.Unpack(wire)
	if err != nil {
		return nil, err
	}
	return waBinary.Unmarshal(plain)
}
