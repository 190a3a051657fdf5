package mail_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/smtp"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"careconnect/mail"
)

func TestCatcherAddress(t *testing.T) {
	c := mustCatcher(t)
	if c.Host() != "127.0.0.1" {
		t.Errorf("got host %q; want %q", c.Host(), "127.0.0.1")
	}
	if c.Port() <= 0 {
		t.Errorf("got port %d; want the bound port", c.Port())
	}
	if want := c.Host() + ":" + strconv.Itoa(c.Port()); c.Addr() != want {
		t.Errorf("got address %q; want %q", c.Addr(), want)
	}
}

func TestWaitForTimesOut(t *testing.T) {
	c := mustCatcher(t)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.WaitFor(ctx, func(mail.Caught) bool { return true })
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got error %v; want context.DeadlineExceeded", err)
	}
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Errorf("WaitFor returned after %v; want soon after the 100ms deadline", elapsed)
	}
}

func TestWaitForWakesOnArrival(t *testing.T) {
	c := mustCatcher(t)
	s := mustSender(t, catcherConfig(c))
	mustSend(t, s, message("k/before", "admin@clinic.example"))

	type result struct {
		m   mail.Caught
		err error
	}
	done := make(chan result, 1)
	go func() {
		m, err := c.WaitFor(testCtx(t), func(m mail.Caught) bool { return m.EventKey == "k/after" })
		done <- result{m, err}
	}()
	mustSend(t, s, message("k/after", "admin@clinic.example"))
	r := <-done
	if r.err != nil {
		t.Fatalf("WaitFor: %v", r.err)
	}
	if r.m.EventKey != "k/after" {
		t.Errorf("got event key %q; want %q", r.m.EventKey, "k/after")
	}
	// A message caught before the call counts too.
	if m := mustWaitKey(t, c, "k/before"); m.EventKey != "k/before" {
		t.Errorf("got event key %q; want %q", m.EventKey, "k/before")
	}
}

func TestWaitForEndsOnClose(t *testing.T) {
	c, err := mail.StartCatcher("127.0.0.1:0")
	if err != nil {
		t.Fatalf("StartCatcher: %v", err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := c.WaitFor(testCtx(t), func(mail.Caught) bool { return false })
		done <- err
	}()
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := <-done; err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got error %v; want the catcher-closed error", err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close: got %v; want nil", err)
	}
}

func TestCatcherTo(t *testing.T) {
	c := mustCatcher(t)
	s := mustSender(t, catcherConfig(c))
	mustSend(t, s, message("k/1", "a@clinic.example"))
	mustSend(t, s, message("k/2", "b@clinic.example", "a@clinic.example"))
	mustSend(t, s, message("k/3", "b@clinic.example"))
	mustWaitKey(t, c, "k/3")

	tests := []struct {
		addr string
		want []string // event keys, oldest first
	}{
		{"a@clinic.example", []string{"k/1", "k/2"}},
		// Addresses compare without regard to case.
		{"B@Clinic.Example", []string{"k/2", "k/3"}},
		{"nobody@clinic.example", nil},
	}
	for _, tt := range tests {
		var got []string
		for _, m := range c.To(tt.addr) {
			got = append(got, m.EventKey)
		}
		if strings.Join(got, ",") != strings.Join(tt.want, ",") {
			t.Errorf("To(%q): got %v; want %v", tt.addr, got, tt.want)
		}
	}
}

func TestMessagesReturnsCopies(t *testing.T) {
	c := mustCatcher(t)
	mustSend(t, mustSender(t, catcherConfig(c)), message("k/1", "a@clinic.example"))
	mustWaitKey(t, c, "k/1")
	first := c.Messages()
	first[0].To[0] = "changed@example.com"
	first[0].Header["Subject"] = []string{"changed"}
	again := c.Messages()[0]
	if again.To[0] != "a@clinic.example" || again.Header.Get("Subject") != "Test k/1" {
		t.Errorf("got To %v, Subject %q after changing a copy; want the catcher's data unchanged", again.To, again.Header.Get("Subject"))
	}
}

// TestCatcherDecodes sends hand-written MIME with net/smtp, so the parser
// is checked against encodings go-mail does not produce.
func TestCatcherDecodes(t *testing.T) {
	tests := []struct {
		name     string
		msg      string
		wantSubj string
		wantText string
		wantHTML string
	}{
		{
			name: "plain, no MIME headers",
			msg:  "Subject: hello\r\n\r\nline 1\r\nline 2\r\n",
			// Line endings become "\n".
			wantSubj: "hello", wantText: "line 1\nline 2\n",
		},
		{
			name: "base64 latin-1 text and encoded-word subject",
			msg: "Subject: =?ISO-8859-1?Q?Caf=E9?=\r\nMIME-Version: 1.0\r\n" +
				"Content-Type: text/plain; charset=ISO-8859-1\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
				"Q2Fm6SBhdSBs\r\nYWl0Cg==\r\n",
			wantSubj: "Café", wantText: "Café au lait\n",
		},
		{
			name: "nested multipart with an attachment",
			msg: "Subject: nested\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=outer\r\n\r\n" +
				"--outer\r\nContent-Type: multipart/alternative; boundary=inner\r\n\r\n" +
				"--inner\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
				"https://x.example/?token=3Dabc.def_-=\r\nmore\r\n" +
				"--inner\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>hi</p>\r\n" +
				"--inner--\r\n" +
				"--outer\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=a.txt\r\n\r\nnot the body\r\n" +
				"--outer--\r\n",
			wantSubj: "nested", wantText: "https://x.example/?token=abc.def_-more", wantHTML: "<p>hi</p>",
		},
	}
	c := mustCatcher(t)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			to := "case" + strconv.Itoa(i) + "@clinic.example"
			if err := smtp.SendMail(c.Addr(), nil, "sender@clinic.example", []string{to}, []byte(tt.msg)); err != nil {
				t.Fatalf("SendMail: %v", err)
			}
			m, err := c.WaitFor(testCtx(t), func(m mail.Caught) bool { return len(m.To) == 1 && m.To[0] == to })
			if err != nil {
				t.Fatalf("WaitFor: %v", err)
			}
			if m.ParseError != "" {
				t.Errorf("got parse error %q; want none", m.ParseError)
			}
			if m.Subject != tt.wantSubj {
				t.Errorf("got subject %q; want %q", m.Subject, tt.wantSubj)
			}
			if m.Text != tt.wantText {
				t.Errorf("got text %q; want %q", m.Text, tt.wantText)
			}
			if m.HTML != tt.wantHTML {
				t.Errorf("got HTML %q; want %q", m.HTML, tt.wantHTML)
			}
			if !strings.HasPrefix(string(m.Raw), "Subject: ") {
				t.Errorf("got raw message starting %q; want it as sent", string(m.Raw[:min(len(m.Raw), 20)]))
			}
		})
	}
}

func TestHandler(t *testing.T) {
	c := mustCatcher(t)
	s := mustSender(t, catcherConfig(c))
	m := message("k/page", "admin@clinic.example")
	m.Subject = `Worksite <b>K4T6CLP</b> & "friends"`
	m.Text = "Sign here: https://careconnect.example/declaration?token=abc.def_-.\n"
	m.HTML = `<p style="margin:16px 0;">Hello &amp; <a href="x" style="color:&quot;#1a5a96&quot;;">welcome</a></p>`
	mustSend(t, s, m)
	mustWaitKey(t, c, "k/page")
	h := c.Handler()

	t.Run("html page", func(t *testing.T) {
		body, res := get(t, h, http.MethodGet, "/")
		if res.StatusCode != http.StatusOK {
			t.Fatalf("got status %d; want 200", res.StatusCode)
		}
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Errorf("got Content-Type %q; want text/html", ct)
		}
		for _, want := range []string{
			"Worksite &lt;b&gt;K4T6CLP&lt;/b&gt; &amp; &#34;friends&#34;",
			"admin@clinic.example",
			"k/page",
			// The link is clickable and the trailing full stop is not part of it.
			`<a href="https://careconnect.example/declaration?token=abc.def_-">`,
			`href="?html=0"`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("page does not contain %q:\n%s", want, body)
			}
		}
		if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "style-src 'sha256-") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("got Content-Security-Policy %q; want its own style sheet by hash, and no framing", csp)
		}
		if strings.Contains(body, "<b>K4T6CLP") {
			t.Errorf("page contains the subject unescaped")
		}
	})

	t.Run("json", func(t *testing.T) {
		body, res := get(t, h, http.MethodGet, "/?format=json")
		if ct := res.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("got Content-Type %q; want application/json", ct)
		}
		var got []mail.Caught
		if err := json.Unmarshal([]byte(body), &got); err != nil {
			t.Fatalf("decoding JSON: %v\n%s", err, body)
		}
		if len(got) != 1 || got[0].Subject != m.Subject || got[0].EventKey != "k/page" || got[0].Text != m.Text {
			t.Errorf("got %+v; want the one message sent", got)
		}
	})

	t.Run("html body", func(t *testing.T) {
		body, res := get(t, h, http.MethodGet, "/?html=0")
		if body != m.HTML {
			t.Errorf("got body %q; want %q", body, m.HTML)
		}
		csp := res.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "sandbox") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("got Content-Security-Policy %q; want a sandbox that nothing may frame", csp)
		}
		// Each style attribute is allowed by the hash of its value as the
		// browser reads it (entities decoded), and no inline style else.
		for _, css := range []string{"margin:16px 0;", `color:"#1a5a96";`} {
			sum := sha256.Sum256([]byte(css))
			if h := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"; !strings.Contains(csp, h) {
				t.Errorf("got Content-Security-Policy %q; want %s for the style %q", csp, h, css)
			}
		}
		if !strings.Contains(csp, "style-src 'unsafe-hashes' 'sha256-") || strings.Count(csp, "'sha256-") != 2 {
			t.Errorf("got Content-Security-Policy %q; want the two styles' hashes and nothing else inline", csp)
		}
	})

	tests := []struct {
		name, method, target string
		want                 int
	}{
		{"empty path", http.MethodGet, "", http.StatusOK},
		{"other path", http.MethodGet, "/elsewhere", http.StatusNotFound},
		{"post", http.MethodPost, "/", http.StatusMethodNotAllowed},
		{"html body out of range", http.MethodGet, "/?html=1", http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, res := get(t, h, tt.method, tt.target); res.StatusCode != tt.want {
				t.Errorf("%s %q: got status %d; want %d", tt.method, tt.target, res.StatusCode, tt.want)
			}
		})
	}
}

func TestHandlerEmpty(t *testing.T) {
	c := mustCatcher(t)
	body, _ := get(t, c.Handler(), http.MethodGet, "/?format=json")
	if strings.TrimSpace(body) != "[]" {
		t.Errorf("got %q; want an empty JSON array", body)
	}
}

// get serves one request to h. An empty target requests the path "".
func get(t *testing.T, h http.Handler, method, target string) (string, *http.Response) {
	t.Helper()
	req := httptest.NewRequest(method, "/", nil)
	if target == "" {
		req.URL.Path = ""
	} else {
		req = httptest.NewRequest(method, target, nil)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Body.String(), rec.Result()
}

// TestCatcherKeepsMessagesAcrossRestarts: a catcher with a directory
// loads what an earlier one received there, so that a restart of the dev
// server keeps every emailed link.
func TestCatcherKeepsMessagesAcrossRestarts(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "mail")
	first, err := mail.StartCatcherIn("127.0.0.1:0", dir)
	if err != nil {
		t.Fatal(err)
	}
	s := mustSender(t, catcherConfig(first))
	mustSend(t, s, message("k/1", "a@clinic.example"))
	mustSend(t, s, message("k/2", "b@clinic.example"))
	mustWaitKey(t, first, "k/2")
	want := first.Messages()
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}

	second, err := mail.StartCatcherIn("127.0.0.1:0", dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { second.Close() })
	got := second.Messages()
	if len(got) != len(want) {
		t.Fatalf("after a restart: %d messages; want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].EventKey != want[i].EventKey || got[i].Text != want[i].Text || !bytes.Equal(got[i].Raw, want[i].Raw) ||
			strings.Join(got[i].To, ",") != strings.Join(want[i].To, ",") || !got[i].ReceivedAt.Equal(want[i].ReceivedAt) {
			t.Errorf("message %d after a restart = %+v; want %+v", i, got[i], want[i])
		}
	}
	// New messages join the kept ones.
	mustSend(t, mustSender(t, catcherConfig(second)), message("k/3", "a@clinic.example"))
	mustWaitKey(t, second, "k/3")
	if n := len(second.To("a@clinic.example")); n != 2 {
		t.Errorf("To(a@clinic.example) after a restart and a new message: %d; want 2", n)
	}
}
