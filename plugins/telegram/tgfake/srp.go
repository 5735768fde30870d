package tgfake

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"math/big"
	"sync"

	"github.com/gotd/td/crypto/srp"
	"github.com/gotd/td/tg"
)

// srpP is Telegram's 2048-bit safe prime for 2FA (g = 3).
var srpP, _ = hex.DecodeString("C71CAEB9C6B1C9048E6C522F70F13F73980D40238E3E21C14934D037563D930F" +
	"48198A0AA7C14058229493D22530F4DBFA336F6E0AC925139543AED44CCE7C37" +
	"20FD51F69458705AC68CD4FE6B6B13ABDC9746512969328454F18FAF8C595F64" +
	"2477FE96BB2A941D5BCD1D4AC8CC49880708FA9B378E3C4F3A9060BEE67CF9A4" +
	"A4A695811051907E162753B56B0F6B410DBA74D8A84B2A14B3144E0EF1284754" +
	"FD17ED950D5965B4B9DD46582DB1178D169C6BC465B0D6FF9CA3928FEF5B9AE4" +
	"E418FC15E83EBEA0F87FA9FF5EED70050DED2849F47BF959D956850CE929851F" +
	"0D8115F635B105EE2E4E15D04B2454BF6F4FADF034B10403119CD8E3B92FCC5B")

const srpG = 3

// srpState is the server's half of one 2FA check (Telegram's SRP).
type srpState struct {
	id           int64
	salt1, salt2 []byte
	v, b, gb     *big.Int
}

func pad256(x *big.Int) []byte {
	out := make([]byte, 256)
	x.FillBytes(out)
	return out
}

func h(parts ...[]byte) []byte {
	d := sha256.New()
	for _, p := range parts {
		d.Write(p)
	}
	return d.Sum(nil)
}

// verifier is what the server keeps of a password: v = g^x and the
// salts (the slow part, PBKDF2, done once per password).
type verifier struct {
	salt1, salt2 []byte
	v            *big.Int
}

// verifiers are the verifiers made in this process, by password: each
// costs a PBKDF2 of 100,000 rounds and a primality check of the 2048-bit
// prime, and a test process starts a fake Telegram per test with the
// same people. A verifier is never changed once made (a recovered
// password drops the user's), so servers may share one.
var verifiers struct {
	mu sync.Mutex
	m  map[string]*verifier
}

func newVerifier(password string) (*verifier, error) {
	verifiers.mu.Lock()
	defer verifiers.mu.Unlock()
	if v, ok := verifiers.m[password]; ok {
		return v, nil
	}
	v, err := makeVerifier(password)
	if err != nil {
		return nil, err
	}
	if verifiers.m == nil {
		verifiers.m = map[string]*verifier{}
	}
	verifiers.m[password] = v
	return v, nil
}

func makeVerifier(password string) (*verifier, error) {
	salt2 := randomBytes(16)
	in := srp.Input{Salt1: randomBytes(32), Salt2: salt2, G: srpG, P: srpP}
	vb, salt1, err := srp.NewSRP(rand.Reader).NewHash([]byte(password), in)
	if err != nil {
		return nil, err
	}
	return &verifier{salt1: salt1, salt2: salt2, v: new(big.Int).SetBytes(vb)}, nil
}

// newSRP makes the server's values for one check: B = k*v + g^b.
func newSRP(ver *verifier) (*srpState, error) {
	salt1, salt2, v := ver.salt1, ver.salt2, ver.v
	p := new(big.Int).SetBytes(srpP)
	g := big.NewInt(srpG)
	b := new(big.Int).SetBytes(randomBytes(256))
	k := new(big.Int).SetBytes(h(srpP, pad256(g)))
	gb := new(big.Int).Exp(g, b, p)
	gb.Add(gb, new(big.Int).Mul(k, v)).Mod(gb, p)
	return &srpState{id: int64(new(big.Int).SetBytes(randomBytes(7)).Int64()), salt1: salt1, salt2: salt2, v: v, b: b, gb: gb}, nil
}

func (st *srpState) algo() *tg.PasswordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow {
	return &tg.PasswordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow{Salt1: st.salt1, Salt2: st.salt2, G: srpG, P: srpP}
}

// check verifies the client's answer: M1 = H(H(p) xor H(g) | H(s1) |
// H(s2) | A | B | H(S)) with S = (A * v^u)^b.
func (st *srpState) check(a, m1 []byte) bool {
	p := new(big.Int).SetBytes(srpP)
	g := big.NewInt(srpG)
	A := new(big.Int).SetBytes(a)
	if A.Sign() <= 0 || A.Cmp(p) >= 0 {
		return false
	}
	ga, gb := pad256(A), pad256(st.gb)
	u := new(big.Int).SetBytes(h(ga, gb))
	S := new(big.Int).Exp(st.v, u, p)
	S.Mul(S, A).Mod(S, p)
	S.Exp(S, st.b, p)
	ka := h(pad256(S))
	hp, hg := h(srpP), h(pad256(g))
	x := make([]byte, len(hp))
	for i := range hp {
		x[i] = hp[i] ^ hg[i]
	}
	want := h(x, h(st.salt1), h(st.salt2), ga, gb, ka)
	return string(want) == string(m1)
}
