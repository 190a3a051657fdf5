package devidp

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
)

// TestDevToken: the dev token endpoint mints verifiable ID tokens for
// registered clients and known personas only.
func TestDevToken(t *testing.T) {
	p, err := Start("127.0.0.1:0", Options{Env: "dev", Clients: map[string]Client{
		"cli": {Secret: "s3cret-s3cret", RedirectURIs: []string{"http://127.0.0.1:1/cb"}}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	post := func(form url.Values) (int, map[string]string) {
		t.Helper()
		res, err := http.PostForm(p.Issuer()+"/dev/token", form)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var body map[string]string
		if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
			t.Fatal(err)
		}
		return res.StatusCode, body
	}
	status, body := post(url.Values{"persona": {PersonaPhysician}, "client_id": {"cli"}})
	if status != http.StatusOK {
		t.Fatalf("got %d %v; want 200", status, body)
	}
	prov, err := oidc.NewProvider(context.Background(), p.Issuer())
	if err != nil {
		t.Fatal(err)
	}
	tok, err := prov.Verifier(&oidc.Config{ClientID: "cli"}).Verify(context.Background(), body["id_token"])
	if err != nil {
		t.Fatalf("minted token does not verify: %v", err)
	}
	if want, _ := p.Persona(PersonaPhysician); tok.Subject != want.Subject {
		t.Errorf("sub = %q; want %q", tok.Subject, want.Subject)
	}
	for _, bad := range []url.Values{
		{"persona": {PersonaPhysician}, "client_id": {"other"}},
		{"persona": {"nobody"}, "client_id": {"cli"}},
	} {
		if status, _ := post(bad); status != http.StatusBadRequest {
			t.Errorf("%v: got %d; want 400", bad, status)
		}
	}
}
