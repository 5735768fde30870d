package pythonecho_test

import (
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "passerelle.im/passerelle/plugins/proto"
	"passerelle.im/passerelle/plugins/sdk"
)

// The example's table of gRPC status codes (GRPC_CODES, what a plugin
// author copies) has every ErrorCode of the contract, each the status the
// host reads back as that code (sdk.FromGRPC). Before, it had no BANNED:
// a BANNED error of a call crossed as INTERNAL, internal-server-error for
// the user instead of forbidden.
func TestErrorCodesTable(t *testing.T) {
	needPython(t)
	cmd := exec.Command(python, "-c", `import sys; sys.dont_write_bytecode = True
import transport_pb2 as pb, passerelle_echo as p
for v in pb.ErrorCode.values():
    c = p.GRPC_CODES.get(v)
    print(v, c.name if c else "-")`)
	cmd.Dir = "."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("read GRPC_CODES: %v", err)
	}
	seen := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		v, name, _ := strings.Cut(line, " ")
		n, err := strconv.Atoi(v)
		if err != nil {
			t.Fatalf("line %q", line)
		}
		want := pb.ErrorCode(n)
		seen++
		if name == "-" {
			t.Errorf("GRPC_CODES has no %v", want)
			continue
		}
		var c codes.Code
		if err := c.UnmarshalJSON([]byte(strconv.Quote(name))); err != nil {
			t.Fatalf("status %q: %v", name, err)
		}
		if got := sdk.FromGRPC(status.Error(c, "x")).Code; got != want {
			t.Errorf("GRPC_CODES[%v] = %s, which the host reads as %v", want, name, got)
		}
	}
	if seen != len(pb.ErrorCode_name) {
		t.Errorf("%d codes in transport_pb2, %d in the contract", seen, len(pb.ErrorCode_name))
	}
}
