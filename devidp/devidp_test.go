package devidp

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"
)

func TestNewRefusesProduction(t *testing.T) {
	for _, env := range []string{
		"production",
		"Production",    // case must not let it through
		" production\n", // nor stray space from an env file
	} {
		if _, err := New(Options{Env: env, Issuer: "http://127.0.0.1:8090"}); !errors.Is(err, ErrProduction) {
			t.Errorf("New(Env=%q): got %v; want ErrProduction", env, err)
		}
		if p, err := Start("127.0.0.1:0", Options{Env: env}); !errors.Is(err, ErrProduction) {
			if p != nil {
				_ = p.Close()
			}
			t.Errorf("Start(Env=%q): got %v; want ErrProduction", env, err)
		}
	}
	if !strings.HasPrefix(ErrProduction.Error(), "devidp: ") {
		t.Errorf("ErrProduction = %q; want the devidp: prefix", ErrProduction)
	}
	for _, env := range []string{"dev", "test", ""} {
		if _, err := New(Options{Env: env, Issuer: "http://127.0.0.1:8090"}); err != nil {
			t.Errorf("New(Env=%q): %v; want success", env, err)
		}
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	good := Client{Secret: "s", RedirectURIs: []string{"http://127.0.0.1:8080/callback"}}
	tests := []struct {
		name string
		o    Options
	}{
		// New cannot guess the URL it is reached at.
		{"no issuer", Options{}},
		{"issuer not http", Options{Issuer: "ftp://idp.example"}},
		{"issuer relative", Options{Issuer: "/idp"}},
		{"issuer with query", Options{Issuer: "http://idp.example?x=1"}},
		{"negative ttl", Options{Issuer: "http://idp.example", TokenTTL: -time.Second}},
		// A client without a secret could not authenticate at /token.
		{"client without secret", Options{Issuer: "http://idp.example", Clients: map[string]Client{"c": {RedirectURIs: good.RedirectURIs}}}},
		{"client without redirect", Options{Issuer: "http://idp.example", Clients: map[string]Client{"c": {Secret: "s"}}}},
		{"relative redirect", Options{Issuer: "http://idp.example", Clients: map[string]Client{"c": {Secret: "s", RedirectURIs: []string{"/callback"}}}}},
		{"redirect with fragment", Options{Issuer: "http://idp.example", Clients: map[string]Client{"c": {Secret: "s", RedirectURIs: []string{"http://a.example/cb#x"}}}}},
		{"empty client id", Options{Issuer: "http://idp.example", Clients: map[string]Client{"": good}}},
		// Keys name personas on the picker, subjects name people to the service.
		{"duplicate persona key", Options{Issuer: "http://idp.example", Personas: []Persona{
			{Key: "a", Subject: "s1"}, {Key: "a", Subject: "s2"}}}},
		{"duplicate subject", Options{Issuer: "http://idp.example", Personas: []Persona{
			{Key: "a", Subject: "s1"}, {Key: "b", Subject: "s1"}}}},
		{"empty persona key", Options{Issuer: "http://idp.example", Personas: []Persona{{Subject: "s1"}}}},
		{"persona without subject", Options{Issuer: "http://idp.example", Personas: []Persona{{Key: "a"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.o)
			if err == nil {
				t.Fatal("New succeeded; want an error")
			}
			if !strings.HasPrefix(err.Error(), "devidp: ") {
				t.Errorf("error %q; want the devidp: prefix", err)
			}
		})
	}
}

func TestNewTrimsIssuerSlash(t *testing.T) {
	p, err := New(Options{Issuer: "http://127.0.0.1:8090/"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.Issuer(), "http://127.0.0.1:8090"; got != want {
		t.Errorf("Issuer() = %q; want %q", got, want)
	}
}

func TestDefaultPersonas(t *testing.T) {
	ps := DefaultPersonas()
	keys := map[string]bool{}
	subjects := map[string]bool{}
	for _, p := range ps {
		if keys[p.Key] {
			t.Errorf("persona key %q is repeated", p.Key)
		}
		keys[p.Key] = true
		if p.Subject == "" || subjects[p.Subject] {
			t.Errorf("persona %q: subject %q is empty or repeated", p.Key, p.Subject)
		}
		subjects[p.Subject] = true
		if p.GivenName == "" || p.FamilyName == "" || p.Email == "" || p.Description == "" {
			t.Errorf("persona %q lacks a name, email or description: %+v", p.Key, p)
		}
		wantIAL, wantTeam := 3, p.Key == PersonaTeam
		if p.Key == PersonaLowAssurance {
			wantIAL = 1
		}
		if p.IAL != wantIAL {
			t.Errorf("persona %q: IAL %d; want %d", p.Key, p.IAL, wantIAL)
		}
		if got := slices.Contains(p.Roles, RoleEnrolmentTeam); got != wantTeam {
			t.Errorf("persona %q: has enrolment_team role = %v; want %v", p.Key, got, wantTeam)
		}
		if !wantTeam && len(p.Roles) != 0 {
			t.Errorf("persona %q: roles %v; want none", p.Key, p.Roles)
		}
	}
	for _, k := range []string{"physician", "nurse_practitioner", "registered_nurse", "moa", "pharmacist", "resident", "team", "low_assurance"} {
		if !keys[k] {
			t.Errorf("DefaultPersonas lacks %q", k)
		}
	}
	// Callers may change what they get without changing the next call's result.
	team := slices.IndexFunc(ps, func(p Persona) bool { return p.Key == PersonaTeam })
	ps[0].Key = "changed"
	ps[team].Roles[0] = "changed"
	if again := DefaultPersonas(); again[0].Key == "changed" || again[team].Roles[0] == "changed" {
		t.Error("DefaultPersonas shares state between calls")
	}
}

func TestDiscoveryAndJWKS(t *testing.T) {
	fx := mustFixture(t, oauth2.AuthStyleInHeader)
	iss := fx.idp.Issuer()
	if !strings.HasPrefix(iss, "http://127.0.0.1:") {
		t.Fatalf("Issuer() = %q; want Start to set it from the loopback listener", iss)
	}

	resp, err := http.Get(iss + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	body := mustReadBody(t, resp)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("discovery: status %d, type %q; want 200 JSON", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var d map[string]any
	if err := json.Unmarshal([]byte(body), &d); err != nil {
		t.Fatalf("discovery: %v", err)
	}
	wantStrings := map[string]string{
		"issuer":                 iss,
		"authorization_endpoint": iss + "/authorize",
		"token_endpoint":         iss + "/token",
		"jwks_uri":               iss + "/jwks",
		"userinfo_endpoint":      iss + "/userinfo",
	}
	for k, want := range wantStrings {
		if got := d[k]; got != want {
			t.Errorf("discovery %s = %v; want %q", k, got, want)
		}
	}
	wantLists := map[string][]string{
		"response_types_supported":              {"code"},
		"subject_types_supported":               {"public"},
		"id_token_signing_alg_values_supported": {"RS256"},
		"code_challenge_methods_supported":      {"S256"},
		"grant_types_supported":                 {"authorization_code", "refresh_token"},
		"token_endpoint_auth_methods_supported": {"client_secret_basic", "client_secret_post"},
	}
	for k, want := range wantLists {
		if got := toStrings(d[k]); !slices.Equal(got, want) {
			t.Errorf("discovery %s = %v; want %v", k, got, want)
		}
	}
	if scopes := toStrings(d["scopes_supported"]); !slices.Contains(scopes, "openid") {
		t.Errorf("scopes_supported = %v; want openid among them", scopes)
	}
	claims := toStrings(d["claims_supported"])
	for _, c := range []string{"sub", "given_name", "family_name", "email", "identity_assurance_level", "roles", "nonce"} {
		if !slices.Contains(claims, c) {
			t.Errorf("claims_supported = %v; want %q among them", claims, c)
		}
	}

	// go-oidc's discovery checks that the document names this issuer.
	mustVerifier(t, fx.idp, testClientID)

	resp, err = http.Get(iss + "/jwks")
	if err != nil {
		t.Fatal(err)
	}
	body = mustReadBody(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("jwks: status %d; want 200", resp.StatusCode)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal([]byte(body), &set); err != nil {
		t.Fatalf("jwks: %v", err)
	}
	if len(set.Keys) != 1 {
		t.Fatalf("jwks has %d keys; want 1", len(set.Keys))
	}
	k := set.Keys[0]
	if k.KeyID == "" || k.Algorithm != "RS256" || k.Use != "sig" || !k.IsPublic() || !k.Valid() {
		t.Errorf("jwks key: kid %q alg %q use %q public %v valid %v; want a public RS256 signing key with a kid",
			k.KeyID, k.Algorithm, k.Use, k.IsPublic(), k.Valid())
	}
	if strings.Contains(body, `"d"`) || strings.Contains(body, `"p"`) {
		t.Errorf("jwks leaks private key material: %s", body)
	}
}

func TestIndexPage(t *testing.T) {
	fx := mustFixture(t, oauth2.AuthStyleInHeader)
	resp, err := http.Get(fx.idp.Issuer() + "/")
	if err != nil {
		t.Fatal(err)
	}
	body := mustReadBody(t, resp)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /: status %d type %q; want 200 HTML", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{fx.idp.Issuer() + "/.well-known/openid-configuration", "not BC Services Card"} {
		if !strings.Contains(body, want) {
			t.Errorf("GET / lacks %q", want)
		}
	}
	for _, p := range DefaultPersonas() {
		if !strings.Contains(body, p.Subject) || !strings.Contains(body, p.GivenName+" "+p.FamilyName) {
			t.Errorf("GET / does not list persona %q", p.Key)
		}
	}
	resp, err = http.Get(fx.idp.Issuer() + "/nothing-here")
	if err != nil {
		t.Fatal(err)
	}
	mustReadBody(t, resp)
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /nothing-here: status %d; want 404", resp.StatusCode)
	}
}

func TestPersonaLookup(t *testing.T) {
	p, err := New(Options{Issuer: "http://127.0.0.1:8090"})
	if err != nil {
		t.Fatal(err)
	}
	team, ok := p.Persona(PersonaTeam)
	if !ok || team.Subject == "" {
		t.Fatalf("Persona(team) = %+v, %v; want the team persona", team, ok)
	}
	team.Roles[0] = "changed"
	if again, _ := p.Persona(PersonaTeam); again.Roles[0] != RoleEnrolmentTeam {
		t.Error("Persona returns a slice shared with the Provider")
	}
	if _, ok := p.Persona("nobody"); ok {
		t.Error("Persona(nobody) found a persona")
	}
}

func TestCloseStopsServing(t *testing.T) {
	p, err := Start("127.0.0.1:0", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := p.Close(); err != nil {
		t.Errorf("second Close: %v; want nil", err)
	}
	client := &http.Client{Timeout: 2 * time.Second}
	if resp, err := client.Get(p.Issuer() + "/jwks"); err == nil {
		resp.Body.Close()
		t.Error("GET after Close succeeded; want the listener closed")
	}
	if n, err := New(Options{Issuer: "http://127.0.0.1:1"}); err != nil || n.Close() != nil {
		t.Errorf("Close of a Provider from New: %v; want a no-op", err)
	}
}

func toStrings(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}
