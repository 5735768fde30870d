package prosodytest

import "testing"

func TestScratch(t *testing.T) {
	s := Start(t, Options{HTTPUpload: true, Components: []Component{{Domain: "echo.localhost", Secret: "s", Privileged: true}}})
	if err := s.Register("alice", "pw"); err != nil {
		t.Fatal(err)
	}
	t.Log(s.LogTail())
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
}
