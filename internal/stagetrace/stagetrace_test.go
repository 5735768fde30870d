package stagetrace

import (
	"testing"
	"time"
)

func TestKey(t *testing.T) {
	for text, want := range map[string]string{
		"pb3:1:42:1:123456:xxxx": "pb3:1:42",
		"pb12:0:7:":              "pb12:0:7",
		"pb3:1":                  "",
		"hello":                  "",
		"":                       "",
	} {
		got, ok := Key(text)
		if got != want || ok != (want != "") {
			t.Errorf("Key(%q) = %q, %v; want %q", text, got, ok, want)
		}
	}
}

func TestMarkAndRead(t *testing.T) {
	dir := t.TempDir()
	old := rec
	rec = start(dir)
	t.Cleanup(func() { rec = old })

	before := time.Now().UnixNano()
	Mark(GatewayIn, "pb3:1:7:1:123:xxxx")
	Mark(GatewayOut, "pb30:1:7:1:123:xxxx") // another phase
	Mark(GatewayIn, "not a load-tool message")
	after := time.Now().UnixNano()

	var recs []Record
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		var err error
		if recs, err = ReadDir(dir, "pb"); err != nil {
			t.Fatal(err)
		}
		if len(recs) >= 2 {
			break
		}
	}
	if len(recs) != 2 {
		t.Fatalf("records = %+v, want the two load-tool marks", recs)
	}
	phase3, err := ReadDir(dir, "pb3:")
	if err != nil {
		t.Fatal(err)
	}
	if len(phase3) != 1 || phase3[0].Stage != GatewayIn || phase3[0].Key != "pb3:1:7" {
		t.Fatalf("phase 3 records = %+v", phase3)
	}
	if at := phase3[0].At; at < before || at > after {
		t.Errorf("recorded at %d, not within [%d, %d]", at, before, after)
	}
}

func TestOffByDefault(t *testing.T) {
	if start("") != nil {
		t.Error("recording with no folder set")
	}
}
