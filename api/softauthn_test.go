package api_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"testing"

	"github.com/fxamacker/cbor/v2"
)

// softAuthn is a software WebAuthn authenticator that speaks the real
// formats: CBOR attestation objects ("none" attestation) with a COSE ES256
// key, authenticator data with the relying party id hash, flags and a sign
// counter, and ECDSA P-256 signatures over authenticatorData ||
// SHA-256(clientDataJSON). One authenticator holds one discoverable
// credential.
type softAuthn struct {
	t      *testing.T
	key    *ecdsa.PrivateKey
	credID []byte
	handle string // the user handle the relying party gave, base64url
	rpID   string
	origin string
	// counter is the sign count of the next assertion (0: always 0, as
	// many platform authenticators do); noUV leaves the user-verified flag
	// off.
	counter uint32
	noUV    bool
}

var b64 = base64.RawURLEncoding

func newSoftAuthn(t *testing.T, origin string) *softAuthn {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id := make([]byte, 32)
	rand.Read(id)
	return &softAuthn{t: t, key: k, credID: id, rpID: "localhost", origin: origin}
}

// publicKey reads options["publicKey"] of a begin answer.
func publicKey(t *testing.T, body map[string]any) map[string]any {
	t.Helper()
	opts, _ := body["options"].(map[string]any)
	pk, _ := opts["publicKey"].(map[string]any)
	if pk == nil {
		t.Fatalf("no options.publicKey in %v", body)
	}
	return pk
}

func (a *softAuthn) clientData(typ, challenge string) []byte {
	cd, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": a.origin, "crossOrigin": false})
	return cd
}

func (a *softAuthn) authData(attested []byte) []byte {
	rp := sha256.Sum256([]byte(a.rpID))
	flags := byte(0x01) // user present
	if !a.noUV {
		flags |= 0x04
	}
	if attested != nil {
		flags |= 0x40
	}
	out := append(rp[:], flags)
	out = binary.BigEndian.AppendUint32(out, a.counter)
	return append(out, attested...)
}

// create answers navigator.credentials.create with the begin answer body.
func (a *softAuthn) create(body map[string]any) map[string]any {
	a.t.Helper()
	pk := publicKey(a.t, body)
	user, _ := pk["user"].(map[string]any)
	a.handle, _ = user["id"].(string)
	if rp, _ := pk["rp"].(map[string]any); rp != nil && rp["id"] != nil {
		a.rpID = rp["id"].(string)
	}
	coseKey, err := cbor.Marshal(map[int]any{1: 2, 3: -7, -1: 1,
		-2: a.key.X.FillBytes(make([]byte, 32)), -3: a.key.Y.FillBytes(make([]byte, 32))})
	if err != nil {
		a.t.Fatal(err)
	}
	attested := make([]byte, 16) // AAGUID: none
	attested = binary.BigEndian.AppendUint16(attested, uint16(len(a.credID)))
	attested = append(append(attested, a.credID...), coseKey...)
	att, err := cbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": a.authData(attested)})
	if err != nil {
		a.t.Fatal(err)
	}
	cd := a.clientData("webauthn.create", pk["challenge"].(string))
	return map[string]any{"id": b64.EncodeToString(a.credID), "rawId": b64.EncodeToString(a.credID), "type": "public-key",
		"response": map[string]any{"clientDataJSON": b64.EncodeToString(cd), "attestationObject": b64.EncodeToString(att),
			"transports": []string{"internal"}}, "clientExtensionResults": map[string]any{}}
}

// get answers navigator.credentials.get with the begin (or challenge)
// answer body.
func (a *softAuthn) get(body map[string]any) map[string]any {
	a.t.Helper()
	pk := publicKey(a.t, body)
	cd := a.clientData("webauthn.get", pk["challenge"].(string))
	ad := a.authData(nil)
	digest := sha256.Sum256(append(append([]byte{}, ad...), sha256Sum(cd)...))
	sig, err := ecdsa.SignASN1(rand.Reader, a.key, digest[:])
	if err != nil {
		a.t.Fatal(err)
	}
	return map[string]any{"id": b64.EncodeToString(a.credID), "rawId": b64.EncodeToString(a.credID), "type": "public-key",
		"response": map[string]any{"clientDataJSON": b64.EncodeToString(cd), "authenticatorData": b64.EncodeToString(ad),
			"signature": b64.EncodeToString(sig), "userHandle": a.handle}, "clientExtensionResults": map[string]any{}}
}

func sha256Sum(b []byte) []byte {
	h := sha256.Sum256(b)
	return h[:]
}
