package codec_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"careconnect/codec"
)

// person is what a workflow input carries: personal information.
type person struct {
	Email     string
	LegalName string
}

var pat = person{Email: "pat.doe@clinic.example.ca", LegalName: "Patricia Doe"}

func mustKey(t testing.TB, id string) codec.Key {
	t.Helper()
	k := codec.Key{ID: id, Secret: make([]byte, codec.KeySize)}
	if _, err := rand.Read(k.Secret); err != nil {
		t.Fatal(err)
	}
	return k
}

func mustCodec(t testing.TB, active string, keys ...codec.Key) *codec.Codec {
	t.Helper()
	c, err := codec.New(active, keys...)
	if err != nil {
		t.Fatalf("codec.New(%q): %v", active, err)
	}
	return c
}

// mustPayload is v as the SDK's default converter makes it.
func mustPayload(t testing.TB, v any) *commonpb.Payload {
	t.Helper()
	p, err := converter.GetDefaultDataConverter().ToPayload(v)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// inClear says whether any of the person's details shows in p.
func inClear(p *commonpb.Payload) bool {
	all := bytes.Join([][]byte{p.GetData(), []byte(p.String())}, nil)
	return bytes.Contains(all, []byte(pat.Email)) || bytes.Contains(all, []byte(pat.LegalName)) || bytes.Contains(all, []byte("json/plain"))
}

func TestNew(t *testing.T) {
	a := mustKey(t, "2026a")
	for _, tc := range []struct {
		name   string
		active string
		keys   []codec.Key
		ok     bool
	}{
		{"one key", "2026a", []codec.Key{a}, true},
		{"active not in the ring", "2026b", []codec.Key{a}, false},
		{"no keys", "2026a", nil, false},
		{"16-byte key", "k", []codec.Key{{ID: "k", Secret: make([]byte, 16)}}, false},
		{"empty ID", "", []codec.Key{{ID: "", Secret: a.Secret}}, false},
		{"ID twice", "2026a", []codec.Key{a, {ID: "2026a", Secret: a.Secret}}, false},
	} {
		if _, err := codec.New(tc.active, tc.keys...); (err == nil) != tc.ok {
			t.Errorf("%s: New() error = %v; want ok %v", tc.name, err, tc.ok)
		}
	}
}

// TestEncodeDecode: a payload encrypts to one that shows nothing of it
// (data or metadata) but its key, with a fresh nonce each time, and
// decrypts back to the same payload.
func TestEncodeDecode(t *testing.T) {
	c := mustCodec(t, "2026a", mustKey(t, "2026a"))
	in := []*commonpb.Payload{mustPayload(t, pat), nil, mustPayload(t, "Patricia Doe")}
	enc, err := c.Encode(in)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range enc {
		if in[i] == nil {
			if p != nil {
				t.Errorf("payload %d: nil encoded as %v; want nil", i, p)
			}
			continue
		}
		if inClear(p) {
			t.Errorf("encrypted payload %d shows the person or the encoding: %v", i, p)
		}
		md := p.GetMetadata()
		if string(md[converter.MetadataEncoding]) != codec.Encoding || string(md[codec.MetadataKeyID]) != "2026a" ||
			string(md[codec.MetadataCipher]) != codec.Cipher || len(md) != 3 {
			t.Errorf("payload %d metadata %q; want the encoding, the key ID and the cipher only", i, md)
		}
		if !codec.Encrypted(p) {
			t.Errorf("Encrypted(payload %d) = false", i)
		}
	}
	again, err := c.Encode(in[:1])
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(again[0].Data[:12], enc[0].Data[:12]) || bytes.Equal(again[0].Data, enc[0].Data) {
		t.Error("two encryptions of one payload share a nonce; want a fresh one each time")
	}
	dec, err := c.Decode(enc)
	if err != nil {
		t.Fatal(err)
	}
	var got person
	if err := converter.GetDefaultDataConverter().FromPayload(dec[0], &got); err != nil || got != pat {
		t.Errorf("decoded %+v, %v; want %+v", got, err, pat)
	}
	if dec[1] != nil {
		t.Errorf("decoded nil as %v", dec[1])
	}
}

// TestDecodeRefuses: an altered payload, a key ID changed in the metadata
// (it is authenticated) and a key the ring does not hold are refused; a
// payload that was never encrypted (a history from before encryption)
// passes unchanged.
func TestDecodeRefuses(t *testing.T) {
	a, b := mustKey(t, "2026a"), mustKey(t, "2026b")
	c := mustCodec(t, "2026a", a, b)
	enc, err := c.Encode([]*commonpb.Payload{mustPayload(t, pat)})
	if err != nil {
		t.Fatal(err)
	}
	p := enc[0]
	flipped := &commonpb.Payload{Metadata: p.Metadata, Data: append([]byte(nil), p.Data...)}
	flipped.Data[len(flipped.Data)-1] ^= 1
	renamed := &commonpb.Payload{Metadata: map[string][]byte{converter.MetadataEncoding: []byte(codec.Encoding),
		codec.MetadataKeyID: []byte("2026b")}, Data: p.Data}
	unknown := &commonpb.Payload{Metadata: map[string][]byte{converter.MetadataEncoding: []byte(codec.Encoding),
		codec.MetadataKeyID: []byte("2025")}, Data: p.Data}
	short := &commonpb.Payload{Metadata: p.Metadata, Data: p.Data[:20]}
	for _, tc := range []struct {
		name string
		p    *commonpb.Payload
		want error
	}{
		{"one bit flipped", flipped, codec.ErrCorrupt},
		{"key ID changed", renamed, codec.ErrCorrupt},
		{"unknown key", unknown, codec.ErrUnknownKey},
		{"truncated", short, codec.ErrCorrupt},
	} {
		if _, err := c.Decode([]*commonpb.Payload{tc.p}); !errors.Is(err, tc.want) {
			t.Errorf("%s: Decode() error = %v; want %v", tc.name, err, tc.want)
		}
	}
	plain := mustPayload(t, pat)
	if got, err := c.Decode([]*commonpb.Payload{plain}); err != nil || got[0] != plain {
		t.Errorf("unencrypted payload: %v, %v; want it unchanged", got, err)
	}
}

// TestRotation: payloads written under key A still decrypt after key B
// becomes active (A kept in the ring), new ones are written under B, and
// once A is removed A's payloads are refused while B's still decrypt.
func TestRotation(t *testing.T) {
	a, b := mustKey(t, "2026a"), mustKey(t, "2026b")
	underA, err := mustCodec(t, "2026a", a).Encode([]*commonpb.Payload{mustPayload(t, pat)})
	if err != nil {
		t.Fatal(err)
	}
	rotated := mustCodec(t, "2026b", a, b)
	if _, err := rotated.Decode(underA); err != nil {
		t.Errorf("after rotation, A's payload: %v; want it decrypted", err)
	}
	underB, err := rotated.Encode([]*commonpb.Payload{mustPayload(t, pat)})
	if err != nil {
		t.Fatal(err)
	}
	if kid := string(underB[0].Metadata[codec.MetadataKeyID]); kid != "2026b" {
		t.Errorf("new payload under key %q; want the active key 2026b", kid)
	}
	retired := mustCodec(t, "2026b", b)
	if _, err := retired.Decode(underA); !errors.Is(err, codec.ErrUnknownKey) {
		t.Errorf("A removed, A's payload: %v; want ErrUnknownKey", err)
	}
	if _, err := retired.Decode(underB); err != nil {
		t.Errorf("A removed, B's payload: %v; want it decrypted", err)
	}
}

// TestDataConverter: what the SDK sends through the data converter is
// encrypted, and comes back as it was; so are failures' messages and stack
// traces through the failure converter.
func TestDataConverter(t *testing.T) {
	dc := codec.DataConverter(mustCodec(t, "k", mustKey(t, "k")))
	ps, err := dc.ToPayloads(pat, "signal from "+pat.Email)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range ps.Payloads {
		if inClear(p) {
			t.Errorf("payload %d in clear: %v", i, p)
		}
	}
	var got person
	var note string
	if err := dc.FromPayloads(ps, &got, &note); err != nil || got != pat || !strings.Contains(note, pat.Email) {
		t.Errorf("FromPayloads = %+v, %q, %v; want the values back", got, note, err)
	}

	fc := codec.FailureConverter(dc)
	f := fc.ErrorToFailure(temporal.NewApplicationError("no account for "+pat.Email, "rule_violation", pat))
	if strings.Contains(f.String(), pat.Email) || strings.Contains(f.String(), pat.LegalName) {
		t.Errorf("failure shows the person: %v", f)
	}
	var appErr *temporal.ApplicationError
	if err := fc.FailureToError(f); !errors.As(err, &appErr) || !strings.Contains(appErr.Error(), pat.Email) || appErr.Type() != "rule_violation" {
		t.Errorf("failure back to an error: %v; want the application error with its message", err)
	}

	if codec.DataConverter(nil) != converter.GetDefaultDataConverter() {
		t.Error("DataConverter(nil) is not the SDK's default converter")
	}
}
