// Package codec encrypts every payload the Temporal SDK sends (workflow
// inputs and results, update arguments and results, signals, queries,
// activity inputs and results, local activity markers, memos and failure
// details) with AES-256-GCM, so that workflow histories hold no personal
// information in clear text. Keys form a ring: one active key encrypts,
// every key decrypts, and each payload names its key in its metadata.
//
// The SDK calls the Codec through the client's DataConverter (both the
// API's and the worker's); the API serves it to the Temporal Web UI at
// /codec/decode and /codec/encode for the enrolment team.
package codec

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/proto"
)

// Metadata of an encrypted payload. The encoding and key ID names are
// those of Temporal's encryption samples, so tools that know them read ours.
const (
	// Encoding is the "encoding" of an encrypted payload.
	Encoding = "binary/encrypted"
	// MetadataKeyID names the key that encrypted the payload.
	MetadataKeyID = "encryption-key-id"
	// MetadataCipher names the cipher.
	MetadataCipher = "encryption-cipher"
	// Cipher is MetadataCipher's value.
	Cipher = "AES-256-GCM"
)

// KeySize is the size of a key: AES-256.
const KeySize = 32

// Errors of Decode. Both mean the payload cannot be read here.
var (
	// ErrUnknownKey: the payload names a key the ring does not hold (a key
	// removed too early, or another system's payload).
	ErrUnknownKey = errors.New("codec: payload encrypted under a key this ring does not hold")
	// ErrCorrupt: the payload does not decrypt or is malformed: altered,
	// truncated, or encrypted under another key of the same ID.
	ErrCorrupt = errors.New("codec: payload does not decrypt")
)

// Key is one AES-256 key of a ring.
type Key struct {
	ID     string
	Secret []byte
}

// Codec is a converter.PayloadCodec that encrypts with its active key and
// decrypts with any key of its ring. It is safe for concurrent use.
type Codec struct {
	active string
	aeads  map[string]cipher.AEAD
}

var _ converter.PayloadCodec = (*Codec)(nil)

// New returns a Codec that encrypts with the key named active and
// decrypts with any of keys. Keys are 32 bytes, IDs non-empty and unique.
func New(active string, keys ...Key) (*Codec, error) {
	c := &Codec{active: active, aeads: make(map[string]cipher.AEAD, len(keys))}
	for _, k := range keys {
		if k.ID == "" || len(k.ID) > 64 {
			return nil, fmt.Errorf("codec: key ID %q must be 1 to 64 characters", k.ID)
		}
		if len(k.Secret) != KeySize {
			return nil, fmt.Errorf("codec: key %q has %d bytes; want %d", k.ID, len(k.Secret), KeySize)
		}
		if _, dup := c.aeads[k.ID]; dup {
			return nil, fmt.Errorf("codec: key ID %q is used twice", k.ID)
		}
		block, err := aes.NewCipher(k.Secret)
		if err != nil {
			return nil, fmt.Errorf("codec: key %q: %w", k.ID, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("codec: key %q: %w", k.ID, err)
		}
		c.aeads[k.ID] = aead
	}
	if _, ok := c.aeads[active]; !ok {
		return nil, fmt.Errorf("codec: the active key %q is not in the ring", active)
	}
	return c, nil
}

// ActiveKeyID is the ID of the key Encode uses.
func (c *Codec) ActiveKeyID() string { return c.active }

// Encode encrypts each payload, metadata and data, under the active key
// with a fresh random nonce: the result's data is nonce || ciphertext and
// its metadata names only the encoding, the key and the cipher. The key ID
// is authenticated with the payload.
func (c *Codec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	aead := c.aeads[c.active]
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if p == nil {
			continue
		}
		plain, err := proto.Marshal(p)
		if err != nil {
			return nil, fmt.Errorf("codec: payload %d: %w", i, err)
		}
		nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
		if _, err := rand.Read(nonce); err != nil {
			return nil, fmt.Errorf("codec: nonce: %w", err)
		}
		out[i] = &commonpb.Payload{
			Metadata: map[string][]byte{
				converter.MetadataEncoding: []byte(Encoding),
				MetadataKeyID:              []byte(c.active),
				MetadataCipher:             []byte(Cipher),
			},
			Data: aead.Seal(nonce, nonce, plain, []byte(c.active)),
		}
	}
	return out, nil
}

// Decode decrypts each encrypted payload with the key it names. A payload
// that is not encrypted passes unchanged: histories written before
// encryption was turned on stay readable. Errors: ErrUnknownKey,
// ErrCorrupt (wrapped, with the payload's index).
func (c *Codec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if !Encrypted(p) {
			out[i] = p
			continue
		}
		kid := string(p.GetMetadata()[MetadataKeyID])
		aead, ok := c.aeads[kid]
		if !ok {
			return nil, fmt.Errorf("payload %d (key %q): %w", i, kid, ErrUnknownKey)
		}
		data := p.GetData()
		if len(data) < aead.NonceSize()+aead.Overhead() {
			return nil, fmt.Errorf("payload %d: %w", i, ErrCorrupt)
		}
		plain, err := aead.Open(nil, data[:aead.NonceSize()], data[aead.NonceSize():], []byte(kid))
		if err != nil {
			return nil, fmt.Errorf("payload %d: %w", i, ErrCorrupt)
		}
		var dec commonpb.Payload
		if err := proto.Unmarshal(plain, &dec); err != nil {
			return nil, fmt.Errorf("payload %d: %w", i, ErrCorrupt)
		}
		out[i] = &dec
	}
	return out, nil
}

// Encrypted reports whether p is a payload Encode made (by its encoding).
func Encrypted(p *commonpb.Payload) bool {
	return p != nil && string(p.GetMetadata()[converter.MetadataEncoding]) == Encoding
}

// DataConverter is the SDK's default data converter with c applied to
// every payload. A nil c encrypts nothing (codec.keys empty: dev only).
func DataConverter(c *Codec) converter.DataConverter {
	if c == nil {
		return converter.GetDefaultDataConverter()
	}
	return converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), c)
}

// FailureConverter converts errors with dc and moves each failure's message
// and stack trace into its encoded attributes, so that they are encrypted
// too (a message may quote what a person typed).
func FailureConverter(dc converter.DataConverter) converter.FailureConverter {
	return temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{DataConverter: dc, EncodeCommonAttributes: true})
}
