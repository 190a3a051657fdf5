package identity

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"golang.org/x/oauth2"
)

// A team session keeps its issuer's tokens so that the role can be asked
// for again (Session). They are stored sealed: AES-256-GCM under a key
// derived from the session cookie, which only the browser holds (the
// database keeps the cookie's SHA-256, a different derivation). A copy of
// the database therefore yields no usable access or refresh token, and a
// token is only ever opened while serving a request of its own session.

// sealLabel separates the sealing key's derivation from the session ID hash.
const sealLabel = "careconnect session tokens\x00"

// sealedToken is what is kept of an issuer's token response.
type sealedToken struct {
	Access  string    `json:"a"`
	Refresh string    `json:"r,omitempty"`
	Type    string    `json:"t,omitempty"`
	Expiry  time.Time `json:"e"`
}

func sessionAEAD(cookie string) (cipher.AEAD, error) {
	key := sha256.Sum256([]byte(sealLabel + cookie))
	block, err := aes.NewCipher(key[:])
	if err != nil {
		return nil, fmt.Errorf("identity: seal: %w", err)
	}
	return cipher.NewGCM(block)
}

// seal encrypts tok for the session whose cookie is cookie.
func seal(cookie string, tok *oauth2.Token) (string, error) {
	plain, err := json.Marshal(sealedToken{Access: tok.AccessToken, Refresh: tok.RefreshToken, Type: tok.TokenType, Expiry: tok.Expiry})
	if err != nil {
		return "", fmt.Errorf("identity: seal: %w", err)
	}
	aead, err := sessionAEAD(cookie)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("identity: seal: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(aead.Seal(nonce, nonce, plain, []byte(sealLabel))), nil
}

// errNoToken is a team session that keeps no token to ask the issuer with.
var errNoToken = errors.New("identity: the session keeps no issuer token")

// unseal opens what seal made with the same cookie.
func unseal(cookie, sealed string) (*oauth2.Token, error) {
	if sealed == "" {
		return nil, errNoToken
	}
	raw, err := base64.RawURLEncoding.DecodeString(sealed)
	if err != nil {
		return nil, fmt.Errorf("identity: unseal: %w", err)
	}
	aead, err := sessionAEAD(cookie)
	if err != nil {
		return nil, err
	}
	if len(raw) < aead.NonceSize() {
		return nil, errors.New("identity: unseal: too short")
	}
	plain, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], []byte(sealLabel))
	if err != nil {
		return nil, fmt.Errorf("identity: unseal: %w", err)
	}
	var st sealedToken
	if err := json.Unmarshal(plain, &st); err != nil {
		return nil, fmt.Errorf("identity: unseal: %w", err)
	}
	return &oauth2.Token{AccessToken: st.Access, RefreshToken: st.Refresh, TokenType: st.Type, Expiry: st.Expiry}, nil
}
