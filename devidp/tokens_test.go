package devidp

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

func TestIDTokenVerifies(t *testing.T) {
	fx := mustFixture(t, oauth2.AuthStyleInHeader)
	verifier := mustVerifier(t, fx.idp, "careconnect-api")
	ctx := context.Background()

	raw, err := fx.idp.IDToken(PersonaResident, "careconnect-api", WithNonce("n-42"))
	if err != nil {
		t.Fatalf("IDToken: %v", err)
	}
	tok, err := verifier.Verify(ctx, raw)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	want, _ := fx.idp.Persona(PersonaResident)
	var c idClaims
	if err := tok.Claims(&c); err != nil {
		t.Fatal(err)
	}
	if tok.Subject != want.Subject || c.GivenName != want.GivenName || c.FamilyName != want.FamilyName ||
		c.IAL != 3 || !c.EmailVerified || c.Nonce != "n-42" || tok.Issuer != fx.idp.Issuer() {
		t.Errorf("claims %+v (iss %q); want the resident's, IAL 3, nonce n-42", c, tok.Issuer)
	}
	if got := time.Until(tok.Expiry); got < 9*time.Minute || got > 11*time.Minute {
		t.Errorf("expires in %v; want the default 10 minutes", got)
	}

	// WithClaims overrides a claim, and a nil value removes one.
	raw, err = fx.idp.IDToken(PersonaPhysician, "careconnect-api",
		WithClaims(map[string]any{"identity_assurance_level": 2, "email": nil, "hpdid": "P1-000"}))
	if err != nil {
		t.Fatal(err)
	}
	tok, err = verifier.Verify(ctx, raw)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	var m map[string]any
	if err := tok.Claims(&m); err != nil {
		t.Fatal(err)
	}
	if m["identity_assurance_level"] != float64(2) || m["hpdid"] != "P1-000" {
		t.Errorf("claims %v; want IAL 2 and the added hpdid", m)
	}
	if _, ok := m["email"]; ok {
		t.Errorf("claims %v; want email removed", m)
	}
}

func TestMintedTokensRejected(t *testing.T) {
	fx := mustFixture(t, oauth2.AuthStyleInHeader)
	verifier := mustVerifier(t, fx.idp, "careconnect-api")
	tests := []struct {
		name string
		mint func() (string, error)
	}{
		{"expired", func() (string, error) {
			return fx.idp.IDToken(PersonaPhysician, "careconnect-api", WithExpiry(time.Now().Add(-time.Minute)))
		}},
		{"wrong audience", func() (string, error) {
			return fx.idp.IDToken(PersonaPhysician, "some-other-app")
		}},
		{"wrong issuer", func() (string, error) {
			return fx.idp.IDToken(PersonaPhysician, "careconnect-api", WithIssuer("https://idtest.gov.bc.ca/login"))
		}},
		// alg none must never be accepted, whatever the claims say.
		{"unsigned", func() (string, error) {
			return fx.idp.UnsignedToken(PersonaPhysician, "careconnect-api"), nil
		}},
		// The kid matches the published key; the signature does not.
		{"foreign signature", func() (string, error) {
			return fx.idp.ForeignSignedToken(PersonaPhysician, "careconnect-api")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw, err := tt.mint()
			if err != nil {
				t.Fatalf("mint: %v", err)
			}
			if _, err := verifier.Verify(context.Background(), raw); err == nil {
				t.Fatal("Verify accepted the token; want it rejected")
			} else if tt.name == "expired" {
				var exp *oidc.TokenExpiredError
				if !errors.As(err, &exp) {
					t.Errorf("Verify: %v; want a TokenExpiredError", err)
				}
			}
		})
	}
}

func TestRejectionTokensLookReal(t *testing.T) {
	p, err := New(Options{Issuer: "http://127.0.0.1:8090"})
	if err != nil {
		t.Fatal(err)
	}
	good, err := p.IDToken(PersonaPhysician, "api")
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := p.ForeignSignedToken(PersonaPhysician, "api")
	if err != nil {
		t.Fatal(err)
	}
	unsigned := p.UnsignedToken(PersonaPhysician, "api")

	// Only the signature (or its absence) tells them apart from a good token.
	goodHeader := decodeSegment(t, good, 0)
	if h := decodeSegment(t, foreign, 0); h["kid"] != goodHeader["kid"] || h["alg"] != "RS256" {
		t.Errorf("foreign header %v; want alg RS256 and kid %v", h, goodHeader["kid"])
	}
	if h := decodeSegment(t, unsigned, 0); h["alg"] != "none" {
		t.Errorf("unsigned header %v; want alg none", h)
	}
	if !strings.HasSuffix(unsigned, ".") {
		t.Errorf("unsigned token %q; want an empty signature", unsigned)
	}
	for name, tok := range map[string]string{"foreign": foreign, "unsigned": unsigned} {
		if c := decodeSegment(t, tok, 1); c["sub"] != "bcsc-physician-0001" || c["aud"] != "api" || c["iss"] != p.Issuer() {
			t.Errorf("%s claims %v; want the physician's for aud api", name, c)
		}
	}
}

func TestIDTokenRefusesBadInput(t *testing.T) {
	p, err := New(Options{Issuer: "http://127.0.0.1:8090"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.IDToken("nobody", "api"); err == nil || !strings.HasPrefix(err.Error(), "devidp: ") {
		t.Errorf("IDToken(unknown persona): %v; want a devidp error", err)
	}
	if _, err := p.IDToken(PersonaPhysician, ""); err == nil || !strings.HasPrefix(err.Error(), "devidp: ") {
		t.Errorf("IDToken(no audience): %v; want a devidp error", err)
	}
}

// decodeSegment decodes the i-th dot-separated JSON segment of a compact JWT.
func decodeSegment(t *testing.T, token string, i int) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d segments; want 3", len(parts))
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[i])
	if err != nil {
		t.Fatalf("segment %d: %v", i, err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("segment %d: %v", i, err)
	}
	return m
}
