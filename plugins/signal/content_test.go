package signal

import "testing"

// A reference that is not one the plugin made is refused, not fetched.
func TestStickerRefs(t *testing.T) {
	for ref, ok := range map[string]bool{
		"sticker:0a1b:7":      true,
		"sticker:0a1b:x":      false,
		"sticker:0a1b:-1":     false,
		"sticker:../etc:1":    false,
		"sticker::1":          false,
		"sticker:0a1b":        false,
		"att1.jpg":            false,
		"sticker:0a1b:7:more": false,
	} {
		if _, _, got := parseStickerRef(ref); got != ok {
			t.Errorf("parseStickerRef(%q) ok = %v, want %v", ref, got, ok)
		}
	}
}
