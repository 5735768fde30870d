package signal

import "testing"

// A group link is read in the spellings signal-cli takes (https, sgnl,
// any case of the scheme and host) and without a scheme, and handed to
// signal-cli as https://signal.group/#FRAGMENT, the fragment's case kept;
// anything else is no link. Two links are the same by their decoded
// fragments, URL-safe or not, padded or not.
func TestGroupLink(t *testing.T) {
	const want = "https://signal.group/#CjQKIAb-c_9Z"
	for _, in := range []string{want, " sgnl://signal.group/#CjQKIAb-c_9Z\n", "SGNL://Signal.Group/#CjQKIAb-c_9Z",
		"signal.group/#CjQKIAb-c_9Z", "http://signal.group/#CjQKIAb-c_9Z", "https://signal.group#CjQKIAb-c_9Z"} {
		if got, ok := groupLink(in); !ok || got != want {
			t.Errorf("groupLink(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "CjQKIAb-c_9Z", "https://signal.group/", "https://signal.group/path#CjQK",
		"https://signal.me/#CjQK", "https://t.me/+AbCd", "sgnl://linkdevice?uuid=x", "https://signal.group/#a b", "ftp://signal.group/#CjQK"} {
		if got, ok := groupLink(in); ok {
			t.Errorf("groupLink(%q) = %q: no group link", in, got)
		}
	}
	if !sameLink("https://signal.group/#CjQKIAb-c_9Z", "https://signal.group/#CjQKIAb+c/9Z") ||
		!sameLink("https://signal.group/#CjQKIA", "https://signal.group/#CjQKIA==") {
		t.Error("the same link in two base64 spellings differs")
	}
	if sameLink("https://signal.group/#CjQKIAb-c_9Z", "https://signal.group/#CjQKIAb-c_9a") || sameLink("https://signal.group/#", "https://signal.group/#") {
		t.Error("different or empty links are the same")
	}
}
