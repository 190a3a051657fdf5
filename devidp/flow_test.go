package devidp

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

func TestAuthorizationCodeFlow(t *testing.T) {
	tests := []struct {
		name    string
		style   oauth2.AuthStyle
		persona string
	}{
		// client_secret_basic, an authorizer.
		{"basic/physician", oauth2.AuthStyleInHeader, PersonaPhysician},
		// client_secret_post, the team persona carries a roles claim.
		{"post/team", oauth2.AuthStyleInParams, PersonaTeam},
		// The low-assurance persona signs in fine; refusing IAL 1 is the service's job.
		{"basic/low_assurance", oauth2.AuthStyleInHeader, PersonaLowAssurance},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := mustFixture(t, tt.style)
			ctx := context.Background()
			want, ok := fx.idp.Persona(tt.persona)
			if !ok {
				t.Fatalf("no persona %q", tt.persona)
			}

			verifier := oauth2.GenerateVerifier()
			state, nonce := "state-"+tt.persona, "nonce-"+tt.persona
			authURL := fx.cfg.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), oidc.Nonce(nonce))
			q := mustSignIn(t, fx, authURL, tt.persona)
			if q.Get("state") != state || q.Get("code") == "" {
				t.Fatalf("callback query %v; want a code and state %q", q, state)
			}
			if got := q.Get("iss"); got != fx.idp.Issuer() {
				t.Errorf("callback iss = %q; want %q (RFC 9207)", got, fx.idp.Issuer())
			}

			tok, err := fx.cfg.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
			if err != nil {
				t.Fatalf("Exchange: %v", err)
			}
			if tok.TokenType != "Bearer" || tok.AccessToken == "" || tok.Expiry.IsZero() {
				t.Errorf("token: type %q access %q expiry %v; want a Bearer token with expiry", tok.TokenType, tok.AccessToken, tok.Expiry)
			}
			rawID, _ := tok.Extra("id_token").(string)
			if rawID == "" {
				t.Fatal("token response has no id_token")
			}

			provider, err := oidc.NewProvider(ctx, fx.idp.Issuer())
			if err != nil {
				t.Fatalf("oidc.NewProvider: %v", err)
			}
			idTok, err := provider.Verifier(&oidc.Config{ClientID: testClientID}).Verify(ctx, rawID)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if err := idTok.VerifyAccessToken(tok.AccessToken); err != nil {
				t.Errorf("at_hash: %v", err)
			}
			var c idClaims
			if err := idTok.Claims(&c); err != nil {
				t.Fatal(err)
			}
			if c.Subject != want.Subject || c.GivenName != want.GivenName || c.FamilyName != want.FamilyName ||
				c.Email != want.Email || !c.EmailVerified || c.IAL != want.IAL || !slices.Equal(c.Roles, want.Roles) {
				t.Errorf("claims %+v; want those of %+v", c, want)
			}
			if c.Nonce != nonce {
				t.Errorf("nonce = %q; want %q", c.Nonce, nonce)
			}
			if c.AuthTime == 0 || idTok.Audience[0] != testClientID {
				t.Errorf("auth_time %d aud %v; want a time and aud %q", c.AuthTime, idTok.Audience, testClientID)
			}

			ui, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
			if err != nil {
				t.Fatalf("UserInfo: %v", err)
			}
			var uc idClaims
			if err := ui.Claims(&uc); err != nil {
				t.Fatal(err)
			}
			if ui.Subject != want.Subject || uc.IAL != want.IAL || uc.FamilyName != want.FamilyName {
				t.Errorf("userinfo %+v; want the claims of %q", uc, want.Key)
			}
		})
	}
}

func TestTokenWrongVerifier(t *testing.T) {
	fx := mustFixture(t, oauth2.AuthStyleInHeader)
	verifier := oauth2.GenerateVerifier()
	code := mustCode(t, fx, verifier)
	_, err := fx.cfg.Exchange(context.Background(), code, oauth2.VerifierOption(oauth2.GenerateVerifier()))
	wantTokenError(t, err, "invalid_grant")
	// A failed attempt uses the code up, so the verifier cannot be guessed.
	_, err = fx.cfg.Exchange(context.Background(), code, oauth2.VerifierOption(verifier))
	wantTokenError(t, err, "invalid_grant")
}

func TestTokenCodeReplay(t *testing.T) {
	fx := mustFixture(t, oauth2.AuthStyleInHeader)
	ctx := context.Background()
	verifier := oauth2.GenerateVerifier()
	code := mustCode(t, fx, verifier)
	tok, err := fx.cfg.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("first Exchange: %v", err)
	}
	if got := userinfoStatus(t, fx, tok.AccessToken); got != http.StatusOK {
		t.Fatalf("userinfo before replay: status %d; want 200", got)
	}
	_, err = fx.cfg.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	wantTokenError(t, err, "invalid_grant")
	// RFC 6749 4.1.2: the replay revokes what the first exchange issued.
	if got := userinfoStatus(t, fx, tok.AccessToken); got != http.StatusUnauthorized {
		t.Errorf("userinfo after replay: status %d; want 401", got)
	}
	if _, err := fx.cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token(); err == nil {
		t.Errorf("refresh after replay: got a token; want the refresh token revoked")
	}
}

func TestTokenRefusals(t *testing.T) {
	tests := []struct {
		name string
		// edit changes a valid exchange request; it may advance the clock.
		edit       func(fx *fixture, form url.Values, req *http.Request)
		wantStatus int
		wantError  string
	}{
		{"wrong client secret", func(fx *fixture, f url.Values, r *http.Request) {
			r.SetBasicAuth(testClientID, "wrong")
		}, http.StatusUnauthorized, "invalid_client"},
		{"unknown client", func(fx *fixture, f url.Values, r *http.Request) {
			r.SetBasicAuth("nobody", testClientSecret)
		}, http.StatusUnauthorized, "invalid_client"},
		{"no client authentication", func(fx *fixture, f url.Values, r *http.Request) {
			r.Header.Del("Authorization")
		}, http.StatusUnauthorized, "invalid_client"},
		// The code belongs to testClientID, whoever else presents it.
		{"code of another client", func(fx *fixture, f url.Values, r *http.Request) {
			r.SetBasicAuth(otherClientID, otherSecret)
			f.Set("redirect_uri", fx.callback.URL+"/other")
		}, http.StatusBadRequest, "invalid_grant"},
		{"different redirect_uri", func(fx *fixture, f url.Values, r *http.Request) {
			f.Set("redirect_uri", fx.callback.URL+"/other")
		}, http.StatusBadRequest, "invalid_grant"},
		{"missing verifier", func(fx *fixture, f url.Values, r *http.Request) {
			f.Del("code_verifier")
		}, http.StatusBadRequest, "invalid_grant"},
		{"unknown code", func(fx *fixture, f url.Values, r *http.Request) {
			f.Set("code", "not-a-code")
		}, http.StatusBadRequest, "invalid_grant"},
		// Codes live 60 seconds.
		{"expired code", func(fx *fixture, f url.Values, r *http.Request) {
			fx.clock.Advance(61 * time.Second)
		}, http.StatusBadRequest, "invalid_grant"},
		{"other grant type", func(fx *fixture, f url.Values, r *http.Request) {
			f.Set("grant_type", "client_credentials")
		}, http.StatusBadRequest, "unsupported_grant_type"},
		{"missing code", func(fx *fixture, f url.Values, r *http.Request) {
			f.Del("code")
		}, http.StatusBadRequest, "invalid_request"},
		// RFC 6749 2.3: one authentication method per request.
		{"basic and post together", func(fx *fixture, f url.Values, r *http.Request) {
			f.Set("client_id", testClientID)
			f.Set("client_secret", testClientSecret)
		}, http.StatusBadRequest, "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := mustFixture(t, oauth2.AuthStyleInHeader)
			verifier := oauth2.GenerateVerifier()
			form := url.Values{
				"grant_type":    {"authorization_code"},
				"code":          {mustCode(t, fx, verifier)},
				"redirect_uri":  {fx.cfg.RedirectURL},
				"code_verifier": {verifier},
			}
			req, err := http.NewRequest(http.MethodPost, fx.cfg.Endpoint.TokenURL, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.SetBasicAuth(testClientID, testClientSecret)
			tt.edit(fx, form, req)
			req = withForm(t, req, form)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body := mustReadBody(t, resp)
			var e struct {
				Error string `json:"error"`
			}
			if err := json.Unmarshal([]byte(body), &e); err != nil {
				t.Fatalf("error body %q: %v", body, err)
			}
			if resp.StatusCode != tt.wantStatus || e.Error != tt.wantError {
				t.Errorf("got %d %q; want %d %q (body %s)", resp.StatusCode, e.Error, tt.wantStatus, tt.wantError, body)
			}
			if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control = %q; want no-store", cc)
			}
		})
	}
}

func TestAuthorizeErrorPages(t *testing.T) {
	fx := mustFixture(t, oauth2.AuthStyleInHeader)
	verifier := oauth2.GenerateVerifier()
	tests := []struct {
		name string
		edit func(q url.Values)
	}{
		// The redirect URI is not the client's: telling it would make an open redirector.
		{"unknown redirect_uri", func(q url.Values) { q.Set("redirect_uri", "https://attacker.example/cb") }},
		{"redirect_uri of another client", func(q url.Values) { q.Set("redirect_uri", fx.callback.URL+"/other") }},
		{"redirect_uri prefix only", func(q url.Values) { q.Set("redirect_uri", fx.callback.URL+"/callback/more") }},
		{"missing redirect_uri", func(q url.Values) { q.Del("redirect_uri") }},
		{"unknown client", func(q url.Values) { q.Set("client_id", "nobody") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := mustParseURL(t, fx.cfg.AuthCodeURL("st", oauth2.S256ChallengeOption(verifier)))
			q := u.Query()
			tt.edit(q)
			u.RawQuery = q.Encode()
			before := fx.hits.Load()
			resp, err := noRedirectClient().Get(u.String())
			if err != nil {
				t.Fatal(err)
			}
			body := mustReadBody(t, resp)
			if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
				t.Errorf("status %d Location %q; want 400 and no redirect", resp.StatusCode, resp.Header.Get("Location"))
			}
			if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(body, "refused") {
				t.Errorf("want an HTML error page; got %q:\n%s", resp.Header.Get("Content-Type"), body)
			}
			if fx.hits.Load() != before {
				t.Error("the callback server was reached")
			}
		})
	}
}

func TestAuthorizeRedirectErrors(t *testing.T) {
	fx := mustFixture(t, oauth2.AuthStyleInHeader)
	verifier := oauth2.GenerateVerifier()
	tests := []struct {
		name      string
		edit      func(q url.Values)
		wantError string
	}{
		// PKCE is required, and only with S256.
		{"missing code_challenge", func(q url.Values) {
			q.Del("code_challenge")
			q.Del("code_challenge_method")
		}, "invalid_request"},
		{"plain method", func(q url.Values) { q.Set("code_challenge_method", "plain") }, "invalid_request"},
		{"missing method means plain", func(q url.Values) { q.Del("code_challenge_method") }, "invalid_request"},
		{"malformed challenge", func(q url.Values) { q.Set("code_challenge", "short") }, "invalid_request"},
		{"missing state", func(q url.Values) { q.Del("state") }, "invalid_request"},
		{"no openid scope", func(q url.Values) { q.Set("scope", "profile email") }, "invalid_scope"},
		{"implicit flow", func(q url.Values) { q.Set("response_type", "id_token") }, "unsupported_response_type"},
		{"missing response_type", func(q url.Values) { q.Del("response_type") }, "invalid_request"},
		{"repeated parameter", func(q url.Values) { q.Add("scope", "openid") }, "invalid_request"},
		{"fragment response mode", func(q url.Values) { q.Set("response_mode", "fragment") }, "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := mustParseURL(t, fx.cfg.AuthCodeURL("st-1", oauth2.S256ChallengeOption(verifier)))
			q := u.Query()
			tt.edit(q)
			u.RawQuery = q.Encode()
			resp, err := noRedirectClient().Get(u.String())
			if err != nil {
				t.Fatal(err)
			}
			mustReadBody(t, resp)
			if resp.StatusCode != http.StatusFound {
				t.Fatalf("status %d; want 302 to the client", resp.StatusCode)
			}
			loc := mustParseURL(t, resp.Header.Get("Location"))
			if got := loc.Scheme + "://" + loc.Host + loc.Path; got != fx.cfg.RedirectURL {
				t.Errorf("redirected to %q; want %q", got, fx.cfg.RedirectURL)
			}
			lq := loc.Query()
			if lq.Get("error") != tt.wantError || lq.Get("code") != "" {
				t.Errorf("error = %q code = %q; want %q and no code", lq.Get("error"), lq.Get("code"), tt.wantError)
			}
			if wantState := q.Get("state"); lq.Get("state") != wantState {
				t.Errorf("state = %q; want %q", lq.Get("state"), wantState)
			}
		})
	}
}

func TestPicker(t *testing.T) {
	fx := mustFixture(t, oauth2.AuthStyleInHeader)
	verifier := oauth2.GenerateVerifier()
	authURL := fx.cfg.AuthCodeURL("st <&> \"x\"", oauth2.S256ChallengeOption(verifier), oidc.Nonce("n-1"))
	form := mustGetPicker(t, &http.Client{Timeout: 10 * time.Second}, authURL)
	if !strings.Contains(form.body, "<title>Dev identity provider — not BC Services Card</title>") {
		t.Error("picker title does not say it is not BC Services Card")
	}
	if !strings.Contains(form.body, `<html lang="en">`) {
		t.Error("picker does not declare its language")
	}
	for _, p := range DefaultPersonas() {
		button := `<button type="submit" name="persona" value="` + p.Key + `" aria-describedby="persona-` + p.Key + `">Sign in as ` + p.GivenName + " " + p.FamilyName + `</button>`
		if !strings.Contains(form.body, button) {
			t.Errorf("picker lacks a labelled button for %q", p.Key)
		}
		if !strings.Contains(form.body, `id="persona-`+p.Key+`"`) {
			t.Errorf("picker lacks the details of %q", p.Key)
		}
	}
	if !strings.Contains(form.body, "IAL 1") || !strings.Contains(form.body, "IAL 3") {
		t.Error("picker does not show the identity assurance levels")
	}
	// The hidden fields carry the request through, escaped, to the POST.
	want := mustParseURL(t, authURL).Query()
	for _, k := range []string{"client_id", "redirect_uri", "response_type", "scope", "state", "nonce", "code_challenge", "code_challenge_method"} {
		if got := form.fields.Get(k); got != want.Get(k) {
			t.Errorf("hidden %s = %q; want %q", k, got, want.Get(k))
		}
	}
	if form.action.String() != fx.idp.Issuer()+"/authorize" {
		t.Errorf("form posts to %q; want %q", form.action, fx.idp.Issuer()+"/authorize")
	}
}

func TestPickerCancel(t *testing.T) {
	fx := mustFixture(t, oauth2.AuthStyleInHeader)
	form := mustGetPicker(t, &http.Client{Timeout: 10 * time.Second},
		fx.cfg.AuthCodeURL("st-c", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
	form.fields.Set("cancel", "1")
	resp, err := noRedirectClient().PostForm(form.action.String(), form.fields)
	if err != nil {
		t.Fatal(err)
	}
	mustReadBody(t, resp)
	lq := mustParseURL(t, resp.Header.Get("Location")).Query()
	if resp.StatusCode != http.StatusFound || lq.Get("error") != "access_denied" || lq.Get("state") != "st-c" {
		t.Errorf("status %d query %v; want 302 with access_denied and the state", resp.StatusCode, lq)
	}
}

func TestPickerPostRefusals(t *testing.T) {
	fx := mustFixture(t, oauth2.AuthStyleInHeader)
	form := mustGetPicker(t, &http.Client{Timeout: 10 * time.Second},
		fx.cfg.AuthCodeURL("st-p", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))

	// An unknown persona is a broken form: an error page, no code.
	f := url.Values{}
	for k, v := range form.fields {
		f[k] = v
	}
	f.Set("persona", "nobody")
	resp, err := noRedirectClient().PostForm(form.action.String(), f)
	if err != nil {
		t.Fatal(err)
	}
	mustReadBody(t, resp)
	if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
		t.Errorf("unknown persona: status %d Location %q; want 400, no redirect", resp.StatusCode, resp.Header.Get("Location"))
	}

	// The POST is validated again: a tampered redirect_uri gets no code.
	f.Set("persona", PersonaPhysician)
	f.Set("redirect_uri", "https://attacker.example/cb")
	resp, err = noRedirectClient().PostForm(form.action.String(), f)
	if err != nil {
		t.Fatal(err)
	}
	mustReadBody(t, resp)
	if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
		t.Errorf("tampered redirect_uri: status %d Location %q; want 400, no redirect", resp.StatusCode, resp.Header.Get("Location"))
	}

	// So is PKCE: dropping the challenge from the form is refused.
	f.Set("redirect_uri", fx.cfg.RedirectURL)
	f.Del("code_challenge")
	resp, err = noRedirectClient().PostForm(form.action.String(), f)
	if err != nil {
		t.Fatal(err)
	}
	mustReadBody(t, resp)
	if lq := mustParseURL(t, resp.Header.Get("Location")).Query(); lq.Get("error") != "invalid_request" || lq.Get("code") != "" {
		t.Errorf("no code_challenge on POST: query %v; want invalid_request and no code", lq)
	}
}

func TestUserinfoRefusesBadTokens(t *testing.T) {
	fx := mustFixture(t, oauth2.AuthStyleInHeader)
	for _, tok := range []string{"", "not-a-token"} {
		if got := userinfoStatus(t, fx, tok); got != http.StatusUnauthorized {
			t.Errorf("userinfo with %q: status %d; want 401", tok, got)
		}
	}
	// An ID token is not an access token.
	id, err := fx.idp.IDToken(PersonaPhysician, testClientID)
	if err != nil {
		t.Fatal(err)
	}
	if got := userinfoStatus(t, fx, id); got != http.StatusUnauthorized {
		t.Errorf("userinfo with an ID token: status %d; want 401", got)
	}
}

// userinfoStatus calls /userinfo with the bearer token and returns the status.
func userinfoStatus(t *testing.T, fx *fixture, accessToken string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, fx.idp.Issuer()+"/userinfo", nil)
	if err != nil {
		t.Fatal(err)
	}
	if accessToken != "" {
		req.Header.Set("Authorization", "Bearer "+accessToken)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	mustReadBody(t, resp)
	return resp.StatusCode
}

// wantTokenError checks that err is an OAuth error response with the given code.
func wantTokenError(t *testing.T, err error, code string) {
	t.Helper()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		t.Fatalf("got %v; want an OAuth %s error", err, code)
	}
	if re.ErrorCode != code {
		t.Errorf("got error %q (%s); want %q", re.ErrorCode, re.ErrorDescription, code)
	}
}

// withForm returns req with form as its urlencoded body.
func withForm(t *testing.T, req *http.Request, form url.Values) *http.Request {
	t.Helper()
	r, err := http.NewRequest(req.Method, req.URL.String(), strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	r.Header = req.Header.Clone()
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r
}
