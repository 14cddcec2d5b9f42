// omnisig runs go-api-signature v0.3.13 (the version Omni pins) on behalf of the tests, so that the
// TypeScript signer is checked against the real verifier and real keys, not only against the fake:
//
//	omnisig verify   stdin {"method", "metadata": {k: [v]}, "publicKey": armored}; prints "ok" or "error: …",
//	                 running message.NewGRPC(md, method).VerifySignature(key), the call Omni's signature
//	                 interceptor makes.
//	omnisig keygen NAME   prints {"key": base64 service-account key, "publicKey": armored, "fingerprint"},
//	                 generated with pgp.GenerateKey and serviceaccount.Encode as omnictl does.
//	omnisig sign NAME METHOD   stdin: a base64 service-account key; prints the metadata a Go client sends
//	                 (message.NewGRPC(md, method).Sign(identity, key)) as JSON.
//
// A test peer, never shipped. Exit code 1 on malformed input.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	pgpcrypto "github.com/ProtonMail/gopenpgp/v3/crypto"
	"github.com/siderolabs/go-api-signature/pkg/message"
	"github.com/siderolabs/go-api-signature/pkg/pgp"
	"github.com/siderolabs/go-api-signature/pkg/serviceaccount"
	"google.golang.org/grpc/metadata"
)

func die(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(1)
}

func main() {
	if len(os.Args) < 2 {
		die("usage: omnisig verify|keygen NAME|sign NAME METHOD")
	}

	switch os.Args[1] {
	case "verify":
		verify()
	case "keygen":
		keygen(os.Args[2])
	case "sign":
		sign(os.Args[2], os.Args[3])
	default:
		die("unknown command %q", os.Args[1])
	}
}

func verify() {
	var in struct {
		Method    string              `json:"method"`
		Metadata  map[string][]string `json:"metadata"`
		PublicKey string              `json:"publicKey"`
	}

	if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
		die("bad input: %v", err)
	}

	armored, err := pgpcrypto.NewKeyFromArmored(in.PublicKey)
	if err != nil {
		die("bad key: %v", err)
	}

	key, err := pgp.NewKey(armored)
	if err != nil {
		die("bad key: %v", err)
	}

	md := metadata.MD{}
	for k, v := range in.Metadata {
		md.Append(k, v...)
	}

	msg := message.NewGRPC(md, in.Method)

	sig, err := msg.Signature()
	if err != nil {
		fmt.Println("error:", err)

		return
	}

	// Omni finds the key by this fingerprint (internal/backend/server.go authenticatorFunc)
	if sig.KeyFingerprint != key.Fingerprint() {
		fmt.Println("error: fingerprint", sig.KeyFingerprint, "is not the key's", key.Fingerprint())

		return
	}

	if err = msg.VerifySignature(key); err != nil {
		fmt.Println("error:", err)

		return
	}

	fmt.Println("ok")
}

func keygen(name string) {
	key, err := pgp.GenerateKey(name, "", name, 24*time.Hour)
	if err != nil {
		die("keygen: %v", err)
	}

	encoded, err := serviceaccount.Encode(name, key)
	if err != nil {
		die("encode: %v", err)
	}

	public, err := key.ArmorPublic()
	if err != nil {
		die("armor: %v", err)
	}

	out, _ := json.Marshal(map[string]string{"key": encoded, "publicKey": public, "fingerprint": key.Fingerprint()}) //nolint:errchkjson

	fmt.Println(string(out))
}

func sign(name, method string) {
	raw, err := io.ReadAll(os.Stdin)
	if err != nil {
		die("read: %v", err)
	}

	sa, err := serviceaccount.Decode(strings.TrimSpace(string(raw)))
	if err != nil {
		die("decode: %v", err)
	}

	md := metadata.MD{}
	msg := message.NewGRPC(md, method)

	if err = msg.Sign(name, sa.Key); err != nil {
		die("sign: %v", err)
	}

	out, _ := json.Marshal(msg.Metadata) //nolint:errchkjson

	fmt.Println(string(out))
}
