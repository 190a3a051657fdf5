package devidp

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Paths of the endpoints, relative to the issuer URL.
const (
	pathDiscovery = "/.well-known/openid-configuration"
	pathJWKS      = "/jwks"
	pathAuthorize = "/authorize"
	pathToken     = "/token"
	pathUserinfo  = "/userinfo"
	// pathDevToken mints an ID token for a persona without the browser flow,
	// so people can call the API with curl locally. The provider never runs
	// in production, and it only mints for registered clients.
	pathDevToken = "/dev/token"
	// pathDevPersona is where SetRoles and RevokeGrants are reached over HTTP.
	pathDevPersona = "/dev/personas/{key}"
)

// refreshTokenLifetime bounds how long a refresh token works: about a
// working day, longer than any session of the service.
const refreshTokenLifetime = 24 * time.Hour

// maxFormBytes bounds request bodies; real requests are far smaller.
const maxFormBytes = 64 << 10

// authCode is an issued authorization code and what it is bound to.
type authCode struct {
	clientID, redirectURI, nonce, challenge, persona, scope string
	authTime, expires                                       time.Time
	used                                                    bool
	accessToken, refreshToken                               string // issued by its exchange; revoked on replay
}

// accessGrant is what an opaque access token stands for.
type accessGrant struct {
	persona, clientID, scope string
	expires                  time.Time
}

// refreshGrant is what an opaque refresh token stands for. It is not
// rotated: a refresh answers with the same refresh token.
type refreshGrant struct {
	persona, clientID, scope string
	authTime, expires        time.Time
}

// routes builds the handler for all endpoints.
func (p *Provider) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+pathDiscovery, p.handleDiscovery)
	mux.HandleFunc("GET "+pathJWKS, p.handleJWKS)
	mux.HandleFunc("GET "+pathAuthorize, p.handleAuthorizeGet)
	mux.HandleFunc("POST "+pathAuthorize, p.handleAuthorizePost)
	mux.HandleFunc("POST "+pathToken, p.handleToken)
	mux.HandleFunc("GET "+pathUserinfo, p.handleUserinfo)
	mux.HandleFunc("POST "+pathUserinfo, p.handleUserinfo)
	mux.HandleFunc("GET /{$}", p.handleIndex)
	mux.HandleFunc("POST "+pathDevToken, p.handleDevToken)
	mux.HandleFunc("POST "+pathDevPersona+"/roles", p.handleDevRoles)
	mux.HandleFunc("POST "+pathDevPersona+"/revoke", p.handleDevRevoke)
	return mux
}

// handleDevRoles answers POST /dev/personas/{key}/roles (form: roles,
// comma-separated; empty removes them) with 204.
func (p *Provider) handleDevRoles(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request"})
		return
	}
	var roles []string
	for _, role := range strings.Split(r.PostForm.Get("roles"), ",") {
		if role = strings.TrimSpace(role); role != "" {
			roles = append(roles, role)
		}
	}
	if err := p.SetRoles(r.PathValue("key"), roles); err != nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "unknown_persona"})
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// handleDevRevoke answers POST /dev/personas/{key}/revoke with 204.
func (p *Provider) handleDevRevoke(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("key")
	if _, ok := p.byKey[key]; !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "unknown_persona"})
		return
	}
	p.RevokeGrants(key)
	w.WriteHeader(http.StatusNoContent)
}

// handleDevToken answers POST /dev/token (form: persona, client_id) with
// {"id_token": ...} for a registered client.
func (p *Provider) handleDevToken(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request"})
		return
	}
	clientID := r.PostForm.Get("client_id")
	if _, ok := p.clients[clientID]; !ok {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_client"})
		return
	}
	tok, err := p.IDToken(r.PostForm.Get("persona"), clientID)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unknown_persona"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"id_token": tok, "token_type": "Bearer"})
}

// discovery is the OpenID Provider Metadata document.
type discovery struct {
	Issuer                            string   `json:"issuer"`
	AuthorizationEndpoint             string   `json:"authorization_endpoint"`
	TokenEndpoint                     string   `json:"token_endpoint"`
	JWKSURI                           string   `json:"jwks_uri"`
	UserinfoEndpoint                  string   `json:"userinfo_endpoint"`
	ResponseTypesSupported            []string `json:"response_types_supported"`
	ResponseModesSupported            []string `json:"response_modes_supported"`
	SubjectTypesSupported             []string `json:"subject_types_supported"`
	IDTokenSigningAlgValuesSupported  []string `json:"id_token_signing_alg_values_supported"`
	CodeChallengeMethodsSupported     []string `json:"code_challenge_methods_supported"`
	ScopesSupported                   []string `json:"scopes_supported"`
	ClaimsSupported                   []string `json:"claims_supported"`
	GrantTypesSupported               []string `json:"grant_types_supported"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported"`
	AuthorizationResponseIssParam     bool     `json:"authorization_response_iss_parameter_supported"`
}

func (p *Provider) handleDiscovery(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, discovery{
		Issuer:                           p.issuer,
		AuthorizationEndpoint:            p.issuer + pathAuthorize,
		TokenEndpoint:                    p.issuer + pathToken,
		JWKSURI:                          p.issuer + pathJWKS,
		UserinfoEndpoint:                 p.issuer + pathUserinfo,
		ResponseTypesSupported:           []string{"code"},
		ResponseModesSupported:           []string{"query"},
		SubjectTypesSupported:            []string{"public"},
		IDTokenSigningAlgValuesSupported: []string{"RS256"},
		CodeChallengeMethodsSupported:    []string{"S256"},
		ScopesSupported:                  []string{"openid", "profile", "email"},
		ClaimsSupported: []string{
			"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "at_hash",
			"name", "given_name", "family_name", "email", "email_verified",
			"identity_assurance_level", "roles",
		},
		GrantTypesSupported:               []string{"authorization_code", "refresh_token"},
		TokenEndpointAuthMethodsSupported: []string{"client_secret_basic", "client_secret_post"},
		AuthorizationResponseIssParam:     true,
	})
}

func (p *Provider) handleJWKS(w http.ResponseWriter, r *http.Request) {
	writeJSONAs(w, http.StatusOK, "application/jwk-set+json", p.jwks())
}

func (p *Provider) handleIndex(w http.ResponseWriter, r *http.Request) {
	p.renderPage(w, http.StatusOK, "index", indexPage{
		Title:        pageTitle,
		Issuer:       p.issuer,
		DiscoveryURL: p.issuer + pathDiscovery,
		Personas:     p.personas,
	})
}

// authRequest holds the parameters of an authorization request that travel
// from the picker's GET to its POST.
type authRequest struct {
	ClientID, RedirectURI, ResponseType, Scope, State, Nonce string
	CodeChallenge, CodeChallengeMethod                       string
}

// hiddenFields returns the request as name/value pairs for the picker form.
func (a authRequest) hiddenFields() []field {
	return []field{
		{"client_id", a.ClientID},
		{"redirect_uri", a.RedirectURI},
		{"response_type", a.ResponseType},
		{"scope", a.Scope},
		{"state", a.State},
		{"nonce", a.Nonce},
		{"code_challenge", a.CodeChallenge},
		{"code_challenge_method", a.CodeChallengeMethod},
	}
}

// authError is a refused authorization request. With redirect set the error
// goes back to the client (RFC 6749 4.1.2.1); otherwise the client cannot be
// trusted with it and the user sees an error page.
type authError struct {
	redirect    bool
	code        string
	description string
}

// parseAuthRequest validates an authorization request. Client and
// redirect_uri are checked first: until both are known good, errors are shown
// to the user rather than redirected.
func (p *Provider) parseAuthRequest(v url.Values) (authRequest, *authError) {
	page := func(format string, args ...any) *authError {
		return &authError{code: "invalid_request", description: fmt.Sprintf(format, args...)}
	}
	redirect := func(code, description string) *authError {
		return &authError{redirect: true, code: code, description: description}
	}
	for _, name := range []string{"client_id", "redirect_uri"} {
		if len(v[name]) > 1 {
			return authRequest{}, page("%s is repeated", name)
		}
	}
	a := authRequest{ClientID: v.Get("client_id"), RedirectURI: v.Get("redirect_uri")}
	client, ok := p.clients[a.ClientID]
	if !ok {
		return a, page("unknown client_id %q", a.ClientID)
	}
	if a.RedirectURI == "" {
		return a, page("redirect_uri is required")
	}
	if !slices.Contains(client.RedirectURIs, a.RedirectURI) {
		return a, page("redirect_uri %q is not registered for client %q", a.RedirectURI, a.ClientID)
	}
	// From here on the redirect URI is trusted, so errors go back to the client.
	a.State = v.Get("state")
	for _, name := range []string{"response_type", "scope", "state", "nonce", "code_challenge", "code_challenge_method", "response_mode"} {
		if len(v[name]) > 1 {
			return a, redirect("invalid_request", name+" is repeated")
		}
	}
	a.ResponseType = v.Get("response_type")
	a.Scope = v.Get("scope")
	a.Nonce = v.Get("nonce")
	a.CodeChallenge = v.Get("code_challenge")
	a.CodeChallengeMethod = v.Get("code_challenge_method")
	switch {
	case a.ResponseType == "":
		return a, redirect("invalid_request", "response_type is required")
	case a.ResponseType != "code":
		return a, redirect("unsupported_response_type", "only response_type=code is supported")
	case v.Get("response_mode") != "" && v.Get("response_mode") != "query":
		return a, redirect("invalid_request", "only response_mode=query is supported")
	case !slices.Contains(strings.Fields(a.Scope), "openid"):
		return a, redirect("invalid_scope", "scope must include openid")
	case a.State == "":
		return a, redirect("invalid_request", "state is required")
	case a.CodeChallenge == "":
		return a, redirect("invalid_request", "code_challenge is required (PKCE with S256)")
	case a.CodeChallengeMethod != "S256":
		return a, redirect("invalid_request", "code_challenge_method must be S256")
	case !validChallenge(a.CodeChallenge):
		return a, redirect("invalid_request", "code_challenge must be the 43-character base64url SHA-256 of the verifier")
	}
	return a, nil
}

// refuseAuth answers a refused authorization request.
func (p *Provider) refuseAuth(w http.ResponseWriter, r *http.Request, a authRequest, e *authError) {
	if !e.redirect {
		p.renderPage(w, http.StatusBadRequest, "error", errorPage{Title: "Sign-in request refused", Message: e.description})
		return
	}
	p.redirectToClient(w, r, a.RedirectURI, url.Values{
		"error":             {e.code},
		"error_description": {e.description},
		"state":             {a.State},
	})
}

// redirectToClient sends the browser to redirectURI with params added to its
// query, plus iss (RFC 9207). Empty params are left out.
func (p *Provider) redirectToClient(w http.ResponseWriter, r *http.Request, redirectURI string, params url.Values) {
	u, err := url.Parse(redirectURI)
	if err != nil {
		// New checked every registered redirect URI, so this is a bug.
		p.renderPage(w, http.StatusInternalServerError, "error", errorPage{Title: "Internal error", Message: "the redirect URI cannot be parsed"})
		return
	}
	q := u.Query()
	for k, vs := range params {
		if len(vs) > 0 && vs[0] != "" {
			q.Set(k, vs[0])
		}
	}
	q.Set("iss", p.issuer)
	u.RawQuery = q.Encode()
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, u.String(), http.StatusFound)
}

func (p *Provider) handleAuthorizeGet(w http.ResponseWriter, r *http.Request) {
	a, e := p.parseAuthRequest(r.URL.Query())
	if e != nil {
		p.refuseAuth(w, r, a, e)
		return
	}
	p.renderPicker(w, a)
}

// handleAuthorizePost takes the picker's choice. A POST without a persona
// (an authorization request sent as a form, which OIDC allows) shows the
// picker.
func (p *Provider) handleAuthorizePost(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		p.renderPage(w, http.StatusBadRequest, "error", errorPage{Title: "Sign-in request refused", Message: "the form could not be read"})
		return
	}
	form := r.PostForm
	a, e := p.parseAuthRequest(form)
	if e != nil {
		p.refuseAuth(w, r, a, e)
		return
	}
	if form.Get("cancel") != "" {
		p.refuseAuth(w, r, a, &authError{redirect: true, code: "access_denied", description: "the user cancelled sign-in"})
		return
	}
	key := form.Get("persona")
	if key == "" {
		p.renderPicker(w, a)
		return
	}
	per, ok := p.byKey[key]
	if !ok {
		p.renderPage(w, http.StatusBadRequest, "error", errorPage{Title: "Sign-in request refused", Message: fmt.Sprintf("unknown persona %q", key)})
		return
	}
	code, err := randomToken()
	if err != nil {
		p.refuseAuth(w, r, a, &authError{redirect: true, code: "server_error", description: "could not issue a code"})
		return
	}
	now := p.now()
	p.mu.Lock()
	p.sweepLocked(now)
	p.codes[code] = &authCode{
		clientID: a.ClientID, redirectURI: a.RedirectURI, nonce: a.Nonce,
		challenge: a.CodeChallenge, persona: per.Key, scope: a.Scope,
		authTime: now, expires: now.Add(codeLifetime),
	}
	p.mu.Unlock()
	p.redirectToClient(w, r, a.RedirectURI, url.Values{"code": {code}, "state": {a.State}})
}

// sweepLocked forgets expired codes and access tokens. Used codes are kept
// until they expire so that a replay is recognised. Callers hold p.mu.
func (p *Provider) sweepLocked(now time.Time) {
	for k, c := range p.codes {
		if now.After(c.expires) {
			delete(p.codes, k)
		}
	}
	for k, g := range p.tokens {
		if now.After(g.expires) {
			delete(p.tokens, k)
		}
	}
	for k, g := range p.refresh {
		if now.After(g.expires) {
			delete(p.refresh, k)
		}
	}
}

// tokenResponse is the successful token endpoint response.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	IDToken      string `json:"id_token"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Scope        string `json:"scope,omitempty"`
}

// tokenError is an RFC 6749 5.2 error response.
type tokenError struct {
	status      int
	code        string
	description string
	basic       bool // the client tried HTTP Basic, so a 401 names that scheme
}

func (p *Provider) handleToken(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		writeTokenError(w, &tokenError{status: http.StatusBadRequest, code: "invalid_request", description: "the form could not be read"})
		return
	}
	resp, terr := p.exchange(r, r.PostForm)
	if terr != nil {
		writeTokenError(w, terr)
		return
	}
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, http.StatusOK, resp)
}

// exchange runs the authorization_code or refresh_token grant.
func (p *Provider) exchange(r *http.Request, form url.Values) (tokenResponse, *tokenError) {
	bad := func(code, description string) *tokenError {
		return &tokenError{status: http.StatusBadRequest, code: code, description: description}
	}
	for name, vs := range form {
		if len(vs) > 1 {
			return tokenResponse{}, bad("invalid_request", name+" is repeated")
		}
	}
	clientID, terr := p.authenticateClient(r, form)
	if terr != nil {
		return tokenResponse{}, terr
	}
	switch gt := form.Get("grant_type"); gt {
	case "authorization_code":
	case "refresh_token":
		return p.refreshGrant(clientID, form)
	case "":
		return tokenResponse{}, bad("invalid_request", "grant_type is required")
	default:
		return tokenResponse{}, bad("unsupported_grant_type", "only authorization_code and refresh_token are supported")
	}
	code := form.Get("code")
	if code == "" {
		return tokenResponse{}, bad("invalid_request", "code is required")
	}
	accessToken, err := randomToken()
	if err != nil {
		return tokenResponse{}, &tokenError{status: http.StatusInternalServerError, code: "server_error", description: "could not issue a token"}
	}
	refreshToken, err := randomToken()
	if err != nil {
		return tokenResponse{}, &tokenError{status: http.StatusInternalServerError, code: "server_error", description: "could not issue a token"}
	}

	now := p.now()
	p.mu.Lock()
	ac, ok := p.codes[code]
	if !ok || now.After(ac.expires) {
		delete(p.codes, code)
		p.mu.Unlock()
		return tokenResponse{}, bad("invalid_grant", "the code is unknown or has expired")
	}
	if ac.used {
		// RFC 6749 4.1.2: a replayed code revokes what the first exchange issued.
		delete(p.tokens, ac.accessToken)
		delete(p.refresh, ac.refreshToken)
		p.mu.Unlock()
		return tokenResponse{}, bad("invalid_grant", "the code has already been used")
	}
	// Any attempt uses the code up, so a verifier cannot be guessed by retrying.
	ac.used = true
	switch {
	case ac.clientID != clientID:
		p.mu.Unlock()
		return tokenResponse{}, bad("invalid_grant", "the code was issued to another client")
	case ac.redirectURI != form.Get("redirect_uri"):
		p.mu.Unlock()
		return tokenResponse{}, bad("invalid_grant", "redirect_uri does not match the authorization request")
	case !verifyPKCE(form.Get("code_verifier"), ac.challenge):
		p.mu.Unlock()
		return tokenResponse{}, bad("invalid_grant", "code_verifier does not match the code_challenge")
	}
	ac.accessToken, ac.refreshToken = accessToken, refreshToken
	p.tokens[accessToken] = &accessGrant{persona: ac.persona, clientID: clientID, scope: ac.scope, expires: now.Add(p.ttl)}
	p.refresh[refreshToken] = &refreshGrant{persona: ac.persona, clientID: clientID, scope: ac.scope,
		authTime: ac.authTime, expires: now.Add(refreshTokenLifetime)}
	bound := *ac
	p.mu.Unlock()

	per, _ := p.Persona(bound.persona)
	idToken, err := sign(p.signer, p.idTokenClaims(per, idTokenParams{
		issuer: p.issuer, audience: clientID, nonce: bound.nonce,
		issuedAt: now, authTime: bound.authTime, expiry: now.Add(p.ttl),
		accessToken: accessToken,
	}))
	if err != nil {
		p.mu.Lock()
		delete(p.tokens, accessToken)
		delete(p.refresh, refreshToken)
		p.mu.Unlock()
		return tokenResponse{}, &tokenError{status: http.StatusInternalServerError, code: "server_error", description: "could not sign the ID token"}
	}
	return tokenResponse{
		AccessToken:  accessToken,
		TokenType:    "Bearer",
		ExpiresIn:    int64(p.ttl / time.Second),
		IDToken:      idToken,
		RefreshToken: refreshToken,
		Scope:        bound.scope,
	}, nil
}

// refreshGrant runs the refresh_token grant for the authenticated client:
// a new access token and an ID token with the persona's current claims
// (no nonce: OIDC Core 12.2), and the same refresh token.
func (p *Provider) refreshGrant(clientID string, form url.Values) (tokenResponse, *tokenError) {
	refreshToken := form.Get("refresh_token")
	if refreshToken == "" {
		return tokenResponse{}, &tokenError{status: http.StatusBadRequest, code: "invalid_request", description: "refresh_token is required"}
	}
	accessToken, err := randomToken()
	if err != nil {
		return tokenResponse{}, &tokenError{status: http.StatusInternalServerError, code: "server_error", description: "could not issue a token"}
	}
	now := p.now()
	p.mu.Lock()
	g, ok := p.refresh[refreshToken]
	if !ok || now.After(g.expires) || g.clientID != clientID {
		p.mu.Unlock()
		return tokenResponse{}, &tokenError{status: http.StatusBadRequest, code: "invalid_grant",
			description: "the refresh token is unknown, revoked, expired or another client's"}
	}
	p.tokens[accessToken] = &accessGrant{persona: g.persona, clientID: clientID, scope: g.scope, expires: now.Add(p.ttl)}
	grant := *g
	p.mu.Unlock()

	per, _ := p.Persona(grant.persona)
	idToken, err := sign(p.signer, p.idTokenClaims(per, idTokenParams{
		issuer: p.issuer, audience: clientID, issuedAt: now, authTime: grant.authTime, expiry: now.Add(p.ttl),
		accessToken: accessToken,
	}))
	if err != nil {
		p.mu.Lock()
		delete(p.tokens, accessToken)
		p.mu.Unlock()
		return tokenResponse{}, &tokenError{status: http.StatusInternalServerError, code: "server_error", description: "could not sign the ID token"}
	}
	return tokenResponse{AccessToken: accessToken, TokenType: "Bearer", ExpiresIn: int64(p.ttl / time.Second),
		IDToken: idToken, RefreshToken: refreshToken, Scope: grant.scope}, nil
}

// authenticateClient checks client_secret_basic or client_secret_post
// credentials (exactly one of them) and returns the client ID.
func (p *Provider) authenticateClient(r *http.Request, form url.Values) (string, *tokenError) {
	user, pass, basic := r.BasicAuth()
	_, postSecret := form["client_secret"]
	if basic && postSecret {
		return "", &tokenError{status: http.StatusBadRequest, code: "invalid_request", description: "use one client authentication method, not two"}
	}
	var id, secret string
	switch {
	case basic:
		// RFC 6749 2.3.1: both parts are form-urlencoded before Basic encoding.
		var err1, err2 error
		id, err1 = url.QueryUnescape(user)
		secret, err2 = url.QueryUnescape(pass)
		if err1 != nil || err2 != nil {
			return "", &tokenError{status: http.StatusUnauthorized, code: "invalid_client", description: "malformed client credentials", basic: true}
		}
		if body := form.Get("client_id"); body != "" && body != id {
			return "", &tokenError{status: http.StatusBadRequest, code: "invalid_request", description: "client_id differs from the authenticated client"}
		}
	case postSecret:
		id, secret = form.Get("client_id"), form.Get("client_secret")
	default:
		return "", &tokenError{status: http.StatusUnauthorized, code: "invalid_client", description: "client authentication is required"}
	}
	c, ok := p.clients[id]
	if !ok || subtle.ConstantTimeCompare([]byte(secret), []byte(c.Secret)) != 1 {
		return "", &tokenError{status: http.StatusUnauthorized, code: "invalid_client", description: "client authentication failed", basic: basic}
	}
	return id, nil
}

func writeTokenError(w http.ResponseWriter, e *tokenError) {
	if e.status == http.StatusUnauthorized {
		// RFC 6749 5.2 asks for the scheme the client used; Basic is the only
		// header scheme here.
		w.Header().Set("WWW-Authenticate", `Basic realm="devidp"`)
	}
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, e.status, map[string]string{"error": e.code, "error_description": e.description})
}

func (p *Provider) handleUserinfo(w http.ResponseWriter, r *http.Request) {
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") || token == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="devidp"`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_request", "error_description": "a bearer access token is required"})
		return
	}
	now := p.now()
	p.mu.Lock()
	g, ok := p.tokens[token]
	var persona string
	if ok && !now.After(g.expires) {
		persona = g.persona
	} else {
		ok = false
	}
	p.mu.Unlock()
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="devidp", error="invalid_token"`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_token", "error_description": "the access token is unknown, revoked or expired"})
		return
	}
	per, _ := p.Persona(persona)
	writeJSON(w, http.StatusOK, profileClaims(per))
}

// writeJSON writes v as a JSON response that no cache keeps.
func writeJSON(w http.ResponseWriter, status int, v any) {
	writeJSONAs(w, status, "application/json", v)
}

// writeJSONAs writes v as a response of the given JSON media type that no
// cache keeps.
func writeJSONAs(w http.ResponseWriter, status int, contentType string, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "devidp: encode response", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	// A failed write means the client went away; there is nobody left to tell.
	_, _ = w.Write(body)
}

// randomToken returns 256 random bits, base64url encoded: codes and access tokens.
func randomToken() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("devidp: random token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// validChallenge reports whether c looks like an S256 code challenge:
// base64url without padding of a 32-byte hash.
func validChallenge(c string) bool {
	b, err := base64.RawURLEncoding.DecodeString(c)
	return err == nil && len(b) == sha256.Size
}

// verifyPKCE checks an RFC 7636 S256 code verifier against its challenge.
func verifyPKCE(verifier, challenge string) bool {
	if len(verifier) < 43 || len(verifier) > 128 {
		return false
	}
	for _, ch := range verifier {
		if !isUnreserved(ch) {
			return false
		}
	}
	sum := sha256.Sum256([]byte(verifier))
	got := base64.RawURLEncoding.EncodeToString(sum[:])
	return subtle.ConstantTimeCompare([]byte(got), []byte(challenge)) == 1
}

// isUnreserved reports whether ch is an RFC 3986 unreserved character, the
// alphabet of code verifiers.
func isUnreserved(ch rune) bool {
	return ch >= 'A' && ch <= 'Z' || ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' ||
		ch == '-' || ch == '.' || ch == '_' || ch == '~'
}
