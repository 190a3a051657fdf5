package api_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"

	"careconnect/api"
	"careconnect/codec"
	"careconnect/config"
	"careconnect/domain"
	"careconnect/enrolment"
)

// codecAuth knows two bearer tokens and one team session cookie.
type codecAuth struct{ teamAuth }

func (codecAuth) VerifyBearer(_ context.Context, raw string) (domain.Principal, error) {
	switch raw {
	case "team":
		return domain.Principal{Subject: "team-test", Role: domain.RoleTeam, IAL: 3}, nil
	case "applicant":
		return domain.Principal{Subject: "applicant-test", Role: domain.RoleApplicant, IAL: 3}, nil
	}
	return domain.Principal{}, domain.Errorf(domain.EUNAUTHORIZED, "bad token")
}

func (codecAuth) Session(_ context.Context, cookie string) (domain.Principal, error) {
	if cookie == "team-session" {
		return domain.Principal{Subject: "team-test", Role: domain.RoleTeam, IAL: 3, SessionID: "s1", CSRFToken: "csrf-1"}, nil
	}
	return domain.Principal{}, domain.Errorf(domain.EUNAUTHORIZED, "no session")
}

const uiOrigin = "https://temporal.example.ca"

// newCodecServer is an API whose codec holds keys and whose Temporal Web UI is at uiOrigin.
func newCodecServer(t *testing.T, c *codec.Codec) *api.Server {
	t.Helper()
	cfg := config.Default()
	cfg.Codec.UIOrigin = uiOrigin
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	return api.New(api.Deps{Config: cfg, App: enrolment.New(enrolment.Deps{Config: cfg, Logger: log}), Auth: codecAuth{}, Codec: c, Logger: log})
}

func mustTestCodec(t *testing.T, active string, ids ...string) *codec.Codec {
	t.Helper()
	var keys []codec.Key
	for _, id := range ids {
		k := codec.Key{ID: id, Secret: make([]byte, codec.KeySize)}
		if _, err := rand.Read(k.Secret); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	c, err := codec.New(active, keys...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// codecBody is payloads in the protocol's JSON.
func codecBody(t *testing.T, ps ...*commonpb.Payload) []byte {
	t.Helper()
	b, err := protojson.Marshal(&commonpb.Payloads{Payloads: ps})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func do(srv http.Handler, method, path string, body []byte, headers ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, req)
	return w
}

// TestCodecEndpoint: the team decodes and encodes through the endpoint;
// everyone else is refused; the Temporal Web UI's origin, and only it, is
// allowed to read the answer with credentials.
func TestCodecEndpoint(t *testing.T) {
	c := mustTestCodec(t, "k1", "k1")
	srv := newCodecServer(t, c)
	secret, err := converter.GetDefaultDataConverter().ToPayload(map[string]string{"email": "pat@clinic.example.ca"})
	if err != nil {
		t.Fatal(err)
	}
	enc, err := c.Encode([]*commonpb.Payload{secret})
	if err != nil {
		t.Fatal(err)
	}
	body := codecBody(t, enc...)
	jsonHeaders := []string{"Content-Type", "application/json", api.NamespaceHeader, "default"}
	with := func(h ...string) []string { return append(append([]string(nil), jsonHeaders...), h...) }

	t.Run("team decodes, from the UI's origin", func(t *testing.T) {
		w := do(srv, http.MethodPost, "/codec/decode", body, with("Authorization", "Bearer team", "Origin", uiOrigin)...)
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "payloads") {
			t.Fatalf("got %d %s; want 200 with the payloads", w.Code, w.Body)
		}
		var got commonpb.Payloads
		if err := protojson.Unmarshal(w.Body.Bytes(), &got); err != nil || len(got.Payloads) != 1 ||
			!bytes.Contains(got.Payloads[0].Data, []byte("pat@clinic.example.ca")) {
			t.Errorf("decoded %v, %v; want the clear payload", &got, err)
		}
		if w.Header().Get("Access-Control-Allow-Origin") != uiOrigin || w.Header().Get("Access-Control-Allow-Credentials") != "true" ||
			!strings.Contains(w.Header().Get("Vary"), "Origin") {
			t.Errorf("CORS headers %v; want the UI's origin allowed with credentials, varying by Origin", w.Header())
		}
	})
	t.Run("team session cookie, no CSRF token", func(t *testing.T) {
		w := do(srv, http.MethodPost, "/codec/decode", body, with("Cookie", api.SessionCookie+"=team-session", "Origin", uiOrigin)...)
		if w.Code != http.StatusOK {
			t.Fatalf("got %d %s; want 200 (the UI sends the cookie, and cannot send a CSRF token)", w.Code, w.Body)
		}
	})
	t.Run("without an Origin (the CLI)", func(t *testing.T) {
		w := do(srv, http.MethodPost, "/codec/decode", body, with("Authorization", "Bearer team")...)
		if w.Code != http.StatusOK || w.Header().Get("Access-Control-Allow-Origin") != "" {
			t.Fatalf("got %d %v; want 200 without CORS headers", w.Code, w.Header())
		}
	})
	t.Run("encode round trip", func(t *testing.T) {
		w := do(srv, http.MethodPost, "/codec/encode", codecBody(t, secret), with("Authorization", "Bearer team")...)
		if w.Code != http.StatusOK || strings.Contains(w.Body.String(), "pat@") {
			t.Fatalf("got %d %s; want 200, encrypted", w.Code, w.Body)
		}
		var got commonpb.Payloads
		if err := protojson.Unmarshal(w.Body.Bytes(), &got); err != nil || len(got.Payloads) != 1 || !codec.Encrypted(got.Payloads[0]) {
			t.Fatalf("encoded %v, %v; want one encrypted payload", &got, err)
		}
		if dec, err := c.Decode(got.Payloads); err != nil || !bytes.Equal(dec[0].Data, secret.Data) {
			t.Errorf("decoding what the endpoint encoded: %v, %v", dec, err)
		}
	})

	refusals := []struct {
		name    string
		path    string
		body    []byte
		headers []string
		status  int
	}{
		{"anonymous", "/codec/decode", body, with(), http.StatusUnauthorized},
		{"a bad bearer token", "/codec/decode", body, with("Authorization", "Bearer forged"), http.StatusUnauthorized},
		{"an applicant", "/codec/decode", body, with("Authorization", "Bearer applicant"), http.StatusForbidden},
		{"an applicant encoding", "/codec/encode", codecBody(t, secret), with("Authorization", "Bearer applicant"), http.StatusForbidden},
		// Another site's page, even with the team's cookie or token, gets nothing.
		{"another origin, team cookie", "/codec/decode", body, with("Cookie", api.SessionCookie+"=team-session", "Origin", "https://evil.example"),
			http.StatusForbidden},
		{"another origin, team bearer", "/codec/decode", body, with("Authorization", "Bearer team", "Origin", "https://evil.example"), http.StatusForbidden},
		{"a sandboxed page", "/codec/decode", body, with("Authorization", "Bearer team", "Origin", "null"), http.StatusForbidden},
		{"the UI's host on http", "/codec/decode", body, with("Authorization", "Bearer team", "Origin", "http://temporal.example.ca"), http.StatusForbidden},
		{"another namespace", "/codec/decode", body, []string{"Content-Type", "application/json", api.NamespaceHeader, "other", "Authorization", "Bearer team"},
			http.StatusNotFound},
		{"not JSON", "/codec/decode", body, []string{"Content-Type", "text/plain", "Authorization", "Bearer team"}, http.StatusBadRequest},
		{"not a payload list", "/codec/decode", []byte(`{"payloads": "x"}`), with("Authorization", "Bearer team"), http.StatusBadRequest},
		{"an unknown field", "/codec/decode", []byte(`{"payload": []}`), with("Authorization", "Bearer team"), http.StatusBadRequest},
		{"a damaged payload", "/codec/decode", bytes.Replace(body, []byte(`"data":"`), []byte(`"data":"AAAA`), 1),
			with("Authorization", "Bearer team"), http.StatusBadRequest},
		{"GET", "/codec/decode", nil, with("Authorization", "Bearer team"), http.StatusMethodNotAllowed},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			w := do(srv, http.MethodPost, tc.path, tc.body, tc.headers...)
			if tc.name == "GET" {
				w = do(srv, http.MethodGet, tc.path, nil, tc.headers...)
			}
			if w.Code != tc.status {
				t.Fatalf("got %d %s; want %d", w.Code, w.Body, tc.status)
			}
			if strings.Contains(w.Body.String(), "pat@") || w.Header().Get("Access-Control-Allow-Credentials") != "" && tc.status == http.StatusForbidden &&
				strings.Contains(tc.name, "origin") {
				t.Errorf("refusal shows the payload or allows the origin: %v %s", w.Header(), w.Body)
			}
			if ao := w.Header().Get("Access-Control-Allow-Origin"); ao != "" && ao != uiOrigin {
				t.Errorf("Access-Control-Allow-Origin %q; want none, or the UI's", ao)
			}
			var e api.ErrorBody
			if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error.Code == "" {
				t.Errorf("body %s; want the error body", w.Body)
			}
		})
	}

	t.Run("a payload under a key no longer held", func(t *testing.T) {
		old := mustTestCodec(t, "k0", "k0")
		underOld, err := old.Encode([]*commonpb.Payload{secret})
		if err != nil {
			t.Fatal(err)
		}
		w := do(srv, http.MethodPost, "/codec/decode", codecBody(t, underOld...), with("Authorization", "Bearer team")...)
		if w.Code != http.StatusUnprocessableEntity {
			t.Fatalf("got %d %s; want 422", w.Code, w.Body)
		}
	})
	t.Run("no codec keys", func(t *testing.T) {
		w := do(newCodecServer(t, nil), http.MethodPost, "/codec/decode", body, with("Authorization", "Bearer team")...)
		if w.Code != http.StatusNotFound {
			t.Fatalf("got %d %s; want 404", w.Code, w.Body)
		}
	})
}

// TestCodecPreflight: the browser's preflight is allowed for the UI's
// origin, a POST and the UI's headers, and for nothing else.
func TestCodecPreflight(t *testing.T) {
	srv := newCodecServer(t, mustTestCodec(t, "k1", "k1"))
	ok := do(srv, http.MethodOptions, "/codec/decode", nil, "Origin", uiOrigin, "Access-Control-Request-Method", "POST",
		"Access-Control-Request-Headers", "content-type,x-namespace,authorization")
	h := ok.Header()
	if ok.Code != http.StatusNoContent || h.Get("Access-Control-Allow-Origin") != uiOrigin || h.Get("Access-Control-Allow-Credentials") != "true" ||
		h.Get("Access-Control-Allow-Methods") != "POST" || !strings.Contains(h.Get("Access-Control-Allow-Headers"), "X-Namespace") ||
		h.Get("Access-Control-Max-Age") == "" {
		t.Fatalf("preflight from the UI: %d %v; want 204 allowing POST with credentials and the UI's headers", ok.Code, h)
	}
	if w := do(srv, http.MethodOptions, "/codec/encode", nil, "Origin", uiOrigin, "Access-Control-Request-Method", "POST"); w.Code != http.StatusNoContent {
		t.Errorf("preflight of /codec/encode: %d; want 204", w.Code)
	}
	for _, tc := range []struct {
		name    string
		headers []string
	}{
		{"another origin", []string{"Origin", "https://evil.example", "Access-Control-Request-Method", "POST"}},
		{"a subdomain of the UI's", []string{"Origin", "https://x.temporal.example.ca", "Access-Control-Request-Method", "POST"}},
		{"no origin", []string{"Access-Control-Request-Method", "POST"}},
		{"another method", []string{"Origin", uiOrigin, "Access-Control-Request-Method", "DELETE"}},
		{"another header", []string{"Origin", uiOrigin, "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "x-csrf-token"}},
	} {
		w := do(srv, http.MethodOptions, "/codec/decode", nil, tc.headers...)
		if w.Code != http.StatusForbidden || w.Header().Get("Access-Control-Allow-Origin") != "" ||
			w.Header().Get("Access-Control-Allow-Credentials") != "" || w.Header().Get("Access-Control-Allow-Methods") != "" {
			t.Errorf("%s: %d %v; want 403 without any CORS allowance", tc.name, w.Code, w.Header())
		}
	}
}
