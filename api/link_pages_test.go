package api

import (
	"context"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"careconnect/config"
	"careconnect/domain"
	"careconnect/enrolment"
	"careconnect/enrolment/enrolmenttest"
	"careconnect/links"
	"careconnect/web"
)

// linkPageStore knows one worksite, awaiting its declaration; any other
// call panics (enrolmenttest's fakes).
func linkPageStore() *enrolmenttest.Store {
	return &enrolmenttest.Store{
		GetWorksiteFn: func(_ context.Context, id string) (domain.Worksite, error) {
			if id != linkPageWorksite {
				return domain.Worksite{}, domain.Errorf(domain.ENOTFOUND, "no such worksite")
			}
			return domain.Worksite{ID: id, Name: "Proctor Clinic", LocationType: "community_private_practice"}, nil
		},
		GetWorksiteStatusFn: func(_ context.Context, id string) (domain.WorksiteStatus, error) {
			return domain.WorksiteStatus{WorksiteID: id, State: domain.WorksiteAwaitingDeclaration}, nil
		},
	}
}

const linkPageWorksite = "K4T6CLP"

// downTemporal answers no query, so the status comes from the store.
func downTemporal() *enrolmenttest.Workflows {
	return &enrolmenttest.Workflows{QueryFn: func(context.Context, string, string, any) error {
		return domain.Errorf(domain.EUNAVAILABLE, "temporal: unavailable")
	}}
}

var (
	scriptTagRE = regexp.MustCompile(`(?is)<script\b([^>]*)>(.*?)</script>`)
	inlineRE    = regexp.MustCompile(`(?i)<style|\sstyle\s*=|\son[a-z]+\s*=|javascript:`)
	scriptSrcRE = regexp.MustCompile(`^\s+type="module"\s+src="/static/js/([a-z-]+\.js)"$`)
)

// TestLinkPages: every page an emailed link opens verifies its token
// (signature, purpose, expiry) before it renders anything. A link that
// cannot be used gets a page that says what happened and what to do, with
// no script and no inline style; a usable one gets its page, whose only
// scripts are modules from /static/js and which hands the token over as
// data. No page needs inline code or style allowed.
func TestLinkPages(t *testing.T) {
	now := time.Date(2026, 3, 2, 17, 0, 0, 0, time.UTC)
	cfg := config.Default()
	signer, err := links.NewSigner(cfg.Links.Secret)
	if err != nil {
		t.Fatal(err)
	}
	other, err := links.NewSigner(strings.Repeat("another secret ", 3))
	if err != nil {
		t.Fatal(err)
	}
	clock := func() time.Time { return now }
	app := enrolment.New(enrolment.Deps{Config: cfg, Store: linkPageStore(), Workflows: downTemporal(), Links: signer, Now: clock})
	s := New(Deps{Config: cfg, App: app, Now: clock})
	sign := func(sg *links.Signer, p links.Purpose, subject string, ttl time.Duration) string {
		return sg.Sign(links.Claims{Purpose: p, Subject: subject, Expires: now.Add(ttl)})
	}
	pages := []struct {
		path    string
		purpose links.Purpose
		subject string
		script  string
		// says is a way forward the page of an unusable link offers.
		says string
	}{
		{"/invitations/", links.PurposeInvitation, linkPageWorksite + "/inv-1", "invitation-link.js", "administrator to send you a new invitation"},
		{"/join-requests/", links.PurposeJoinDecision, linkPageWorksite + "/jr-1/admin-subject", "join-link.js", "CareConnect portal"},
		{"/declaration/", links.PurposeDeclaration, linkPageWorksite, "declaration.js", "enrolment team"},
	}
	for _, pg := range pages {
		wrongPurpose := links.PurposeDeclaration
		if pg.purpose == links.PurposeDeclaration {
			wrongPurpose = links.PurposeInvitation
		}
		valid := sign(signer, pg.purpose, pg.subject, time.Hour)
		payload, sig, _ := strings.Cut(valid, ".")
		bad := []struct {
			name, token string
			status      int
			problem     string
		}{
			{"forged", sign(other, pg.purpose, pg.subject, time.Hour), http.StatusNotFound, "not valid"},
			{"signature altered", payload + "." + flip(sig), http.StatusNotFound, "not valid"},
			{"expired", sign(signer, pg.purpose, pg.subject, -time.Minute), http.StatusUnprocessableEntity, "expired"},
			{"wrong purpose", sign(signer, wrongPurpose, pg.subject, time.Hour), http.StatusNotFound, "not valid"},
			{"malformed", "not-a-token", http.StatusNotFound, "not valid"},
			// The review's crafted link: a path walked out of with backslashes.
			{"path escape", `..%5Cworksites%5C` + linkPageWorksite + `%5Cjoin-requests%5Cjr-1%5Capprove%3F`, http.StatusNotFound, "not valid"},
		}
		for _, tc := range bad {
			t.Run(pg.path+tc.name, func(t *testing.T) {
				w := getPage(t, s, pg.path+tc.token)
				body := w.Body.String()
				if w.Code != tc.status {
					t.Errorf("got %d; want %d", w.Code, tc.status)
				}
				if strings.Contains(strings.ToLower(body), "<script") {
					t.Errorf("the page of an unusable link has a script:\n%s", body)
				}
				if m := inlineRE.FindString(body); m != "" {
					t.Errorf("the page has inline code or style %q:\n%s", m, body)
				}
				if strings.Contains(body, "data-token") {
					t.Errorf("the page of an unusable link hands its token to a script:\n%s", body)
				}
				for _, want := range []string{tc.problem, pg.says, cfg.Team.Email, `role="alert"`} {
					if !strings.Contains(body, want) {
						t.Errorf("the page does not say %q:\n%s", want, body)
					}
				}
				mustStrictPageHeaders(t, w)
			})
		}
		t.Run(pg.path+"valid", func(t *testing.T) {
			w := getPage(t, s, pg.path+valid)
			body := w.Body.String()
			if w.Code != http.StatusOK {
				t.Fatalf("got %d; want 200\n%s", w.Code, body)
			}
			tags := scriptTagRE.FindAllStringSubmatch(body, -1)
			if n := strings.Count(strings.ToLower(body), "<script"); n != 1 || len(tags) != 1 {
				t.Fatalf("the page has %d script tags; want exactly one, its module:\n%s", n, body)
			}
			m := scriptSrcRE.FindStringSubmatch(tags[0][1])
			if m == nil || strings.TrimSpace(tags[0][2]) != "" {
				t.Errorf("script %q; want an empty module tag with a src under /static/js/", tags[0][0])
			} else if m[1] != pg.script {
				t.Errorf("the page loads %s; want %s", m[1], pg.script)
			} else if _, err := fs.Stat(web.Static(), "js/"+m[1]); err != nil {
				t.Errorf("the page loads %s, which web/static does not have", m[1])
			}
			if m := inlineRE.FindString(body); m != "" {
				t.Errorf("the page has inline code or style %q:\n%s", m, body)
			}
			if !strings.Contains(body, `data-token="`+valid+`"`) {
				t.Errorf("the page does not hand its token over as data-token:\n%s", body)
			}
			mustStrictPageHeaders(t, w)
		})
	}
}

// flip changes the first character of a token part.
func flip(s string) string {
	if s[0] == 'A' {
		return "B" + s[1:]
	}
	return "A" + s[1:]
}

func getPage(t *testing.T, s *Server, path string) *httptest.ResponseRecorder {
	t.Helper()
	w := httptest.NewRecorder()
	s.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("GET %s: Content-Type %q; want HTML", path, ct)
	}
	return w
}

// mustStrictPageHeaders: the portal's CSP (nothing inline allowed), and no Referer that would carry the token.
func mustStrictPageHeaders(t *testing.T, w *httptest.ResponseRecorder) {
	t.Helper()
	if csp := w.Header().Get("Content-Security-Policy"); csp != web.ContentSecurityPolicy || strings.Contains(csp, "unsafe-") {
		t.Errorf("Content-Security-Policy = %q; want %q", csp, web.ContentSecurityPolicy)
	}
	if rp := w.Header().Get("Referrer-Policy"); rp != "no-referrer" {
		t.Errorf("Referrer-Policy = %q; want no-referrer", rp)
	}
}
