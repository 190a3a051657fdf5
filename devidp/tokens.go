package devidp

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// tokenSpec collects what the TokenOptions change about a minted ID token.
type tokenSpec struct {
	issuer string
	expiry time.Time // zero means now + TokenTTL
	nonce  string
	extra  map[string]any // nil values delete the claim
}

// TokenOption changes a token minted by IDToken or ForeignSignedToken.
type TokenOption func(*tokenSpec)

// WithExpiry sets the exp claim. A time in the past mints an expired token;
// iat and auth_time are then moved back by the token TTL so the token is
// consistent apart from having expired.
func WithExpiry(t time.Time) TokenOption {
	return func(s *tokenSpec) { s.expiry = t }
}

// WithIssuer sets the iss claim, e.g. to mint a token from the wrong issuer.
func WithIssuer(iss string) TokenOption {
	return func(s *tokenSpec) { s.issuer = iss }
}

// WithNonce sets the nonce claim.
func WithNonce(n string) TokenOption {
	return func(s *tokenSpec) { s.nonce = n }
}

// WithClaims adds claims or overrides standard ones, e.g.
// {"identity_assurance_level": 2}. A nil value removes the claim, e.g.
// {"email": nil}. It is applied last, so it wins over the other options.
func WithClaims(extra map[string]any) TokenOption {
	return func(s *tokenSpec) {
		if s.extra == nil {
			s.extra = make(map[string]any, len(extra))
		}
		maps.Copy(s.extra, extra)
	}
}

// IDToken mints an ID token for the persona with audience as its aud claim,
// signed with the Provider's key, as the token endpoint would issue it. It is
// meant for API bearer tokens in tests and, with options, for tokens that a
// verifier must reject.
func (p *Provider) IDToken(personaKey, audience string, opts ...TokenOption) (string, error) {
	claims, err := p.mintClaims(personaKey, audience, opts)
	if err != nil {
		return "", err
	}
	return sign(p.signer, claims)
}

// UnsignedToken returns a JWT with alg "none" and no signature, carrying the
// claims IDToken would mint, for tests that a verifier refuses it. An unknown
// persona key becomes the subject of an otherwise bare token.
func (p *Provider) UnsignedToken(personaKey, audience string) string {
	claims, err := p.mintClaims(personaKey, audience, nil)
	if err != nil {
		now := p.now()
		claims = map[string]any{
			"iss": p.issuer, "sub": personaKey, "aud": audience,
			"iat": now.Unix(), "exp": now.Add(p.ttl).Unix(),
		}
	}
	// json.Marshal cannot fail on these string, number and bool values.
	header, _ := json.Marshal(map[string]string{"alg": "none", "typ": "JWT", "kid": p.kid})
	payload, _ := json.Marshal(claims)
	enc := base64.RawURLEncoding
	return enc.EncodeToString(header) + "." + enc.EncodeToString(payload) + "."
}

// ForeignSignedToken mints the token IDToken would, but signs it with a
// different RSA key under the Provider's key ID, so that a verifier finds the
// key and the signature does not match. The foreign key is made on first use.
func (p *Provider) ForeignSignedToken(personaKey, audience string, opts ...TokenOption) (string, error) {
	p.foreignOnce.Do(func() {
		key, err := rsa.GenerateKey(rand.Reader, rsaBits)
		if err != nil {
			p.foreignErr = fmt.Errorf("devidp: generate foreign key: %w", err)
			return
		}
		p.foreignSigner, p.foreignErr = newRS256Signer(key, p.kid)
	})
	if p.foreignErr != nil {
		return "", p.foreignErr
	}
	claims, err := p.mintClaims(personaKey, audience, opts)
	if err != nil {
		return "", err
	}
	return sign(p.foreignSigner, claims)
}

// mintClaims builds the claims of a directly minted ID token.
func (p *Provider) mintClaims(personaKey, audience string, opts []TokenOption) (map[string]any, error) {
	per, ok := p.Persona(personaKey)
	if !ok {
		return nil, fmt.Errorf("devidp: unknown persona %q", personaKey)
	}
	if audience == "" {
		return nil, errors.New("devidp: audience is required")
	}
	now := p.now()
	spec := tokenSpec{issuer: p.issuer}
	for _, o := range opts {
		o(&spec)
	}
	exp := spec.expiry
	if exp.IsZero() {
		exp = now.Add(p.ttl)
	}
	iat := now
	if !exp.After(now) {
		iat = exp.Add(-p.ttl)
	}
	claims := p.idTokenClaims(per, idTokenParams{
		issuer: spec.issuer, audience: audience, nonce: spec.nonce,
		issuedAt: iat, authTime: iat, expiry: exp,
	})
	for k, v := range spec.extra {
		if v == nil {
			delete(claims, k)
			continue
		}
		claims[k] = v
	}
	return claims, nil
}

// idTokenParams are the claims of an ID token that do not come from the persona.
type idTokenParams struct {
	issuer, audience, nonce string
	issuedAt, authTime      time.Time
	expiry                  time.Time
	accessToken             string // when set, at_hash is added
}

// idTokenClaims returns the claims of an ID token for per.
func (p *Provider) idTokenClaims(per Persona, tp idTokenParams) map[string]any {
	c := profileClaims(per)
	c["iss"] = tp.issuer
	c["aud"] = tp.audience
	c["iat"] = tp.issuedAt.Unix()
	c["exp"] = tp.expiry.Unix()
	c["auth_time"] = tp.authTime.Unix()
	if tp.nonce != "" {
		c["nonce"] = tp.nonce
	}
	if tp.accessToken != "" {
		c["at_hash"] = accessTokenHash(tp.accessToken)
	}
	return c
}

// profileClaims returns the persona's claims as userinfo reports them.
func profileClaims(per Persona) map[string]any {
	c := map[string]any{
		"sub":                      per.Subject,
		"given_name":               per.GivenName,
		"family_name":              per.FamilyName,
		"name":                     per.GivenName + " " + per.FamilyName,
		"email":                    per.Email,
		"email_verified":           true,
		"identity_assurance_level": per.IAL,
	}
	if len(per.Roles) > 0 {
		c["roles"] = append([]string(nil), per.Roles...)
	}
	return c
}

// accessTokenHash is the at_hash of OIDC Core 3.1.3.6 for RS256: the left
// half of the SHA-256 of the token, base64url encoded.
func accessTokenHash(accessToken string) string {
	sum := sha256.Sum256([]byte(accessToken))
	return base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2])
}

// newRS256Signer returns a JWS signer that names kid in each token's header.
func newRS256Signer(key *rsa.PrivateKey, kid string) (jose.Signer, error) {
	s, err := jose.NewSigner(
		jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: kid, Algorithm: string(jose.RS256), Use: "sig"}},
		(&jose.SignerOptions{}).WithType("JWT"),
	)
	if err != nil {
		return nil, fmt.Errorf("devidp: build signer: %w", err)
	}
	return s, nil
}

// sign serialises claims as a compact JWS.
func sign(s jose.Signer, claims map[string]any) (string, error) {
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("devidp: encode claims: %w", err)
	}
	jws, err := s.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("devidp: sign token: %w", err)
	}
	tok, err := jws.CompactSerialize()
	if err != nil {
		return "", fmt.Errorf("devidp: serialise token: %w", err)
	}
	return tok, nil
}

// jwks returns the public key set served at /jwks.
func (p *Provider) jwks() jose.JSONWebKeySet {
	return jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{
		Key: &p.key.PublicKey, KeyID: p.kid, Algorithm: string(jose.RS256), Use: "sig",
	}}}
}
