package mail_test

import (
	"context"
	"errors"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"careconnect/config"
	"careconnect/mail"
)

const testFrom = "CareConnect <no-reply@careconnect.test>"

// mustCatcher starts a catcher on a free loopback port, closed when the test ends.
func mustCatcher(t *testing.T) *mail.Catcher {
	t.Helper()
	c, err := mail.StartCatcher("127.0.0.1:0")
	if err != nil {
		t.Fatalf("StartCatcher: %v", err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return c
}

// catcherConfig is the SMTP configuration for sending to c.
func catcherConfig(c *mail.Catcher) config.SMTP {
	return config.SMTP{Host: c.Host(), Port: c.Port(), From: testFrom, TLS: "none"}
}

// mustSender returns a Sender for cfg or fails the test.
func mustSender(t *testing.T, cfg config.SMTP) *mail.Sender {
	t.Helper()
	s, err := mail.NewSender(cfg)
	if err != nil {
		t.Fatalf("NewSender: %v", err)
	}
	return s
}

// testCtx is a context that ends before the test binary's timeout would.
func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// mustSend sends m or fails the test.
func mustSend(t *testing.T, s *mail.Sender, m mail.Message) {
	t.Helper()
	if err := s.Send(testCtx(t), m); err != nil {
		t.Fatalf("Send(%s): %v", m.IdempotencyKey, err)
	}
}

// mustWaitKey waits for the message with idempotency key key.
func mustWaitKey(t *testing.T, c *mail.Catcher, key string) mail.Caught {
	t.Helper()
	m, err := c.WaitFor(testCtx(t), func(m mail.Caught) bool { return m.EventKey == key })
	if err != nil {
		t.Fatalf("WaitFor(%s): %v", key, err)
	}
	return m
}

// message is a small valid message with idempotency key key.
func message(key string, to ...string) mail.Message {
	return mail.Message{To: to, Subject: "Test " + key, Text: "Hello\n", HTML: "<p>Hello</p>", IdempotencyKey: key}
}

// freePort returns a loopback port that nothing listens on.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	if err := ln.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	return port
}

var linkRE = regexp.MustCompile(`https://\S+`)

func TestSendRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		link string
	}{
		// The token alphabet of links.Signer: '=' and '_' matter to quoted-printable.
		{"short token", "https://careconnect.example/declaration?token=abc.def_-"},
		// Longer than a quoted-printable line (76), so the encoder must break it softly.
		{"long token", "https://careconnect.example/declaration?token=abc.def_-" + strings.Repeat("Zz9_-", 30) + "=="},
	}
	c := mustCatcher(t)
	s := mustSender(t, catcherConfig(c))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := fullData()
			d.Link = tt.link
			r := mustRender(t, mail.KindWorksiteRegistered, d)
			key := "worksite/K4T6CLP/worksite_registered/" + tt.name
			to := []string{"admin1@clinic.example", "admin2@clinic.example"}
			mustSend(t, s, mail.Message{To: to, Subject: r.Subject, Text: r.Text, HTML: r.HTML, IdempotencyKey: key})

			got := mustWaitKey(t, c, key)
			if strings.Join(got.To, ",") != strings.Join(to, ",") {
				t.Errorf("got envelope recipients %v; want %v", got.To, to)
			}
			if got.From != "no-reply@careconnect.test" {
				t.Errorf("got envelope sender %q; want %q", got.From, "no-reply@careconnect.test")
			}
			if got.Subject != r.Subject {
				t.Errorf("got subject %q; want %q", got.Subject, r.Subject)
			}
			if got.Text != r.Text {
				t.Errorf("got text body\n%s\nwant\n%s", got.Text, r.Text)
			}
			if links := linkRE.FindAllString(got.Text, -1); len(links) == 0 || links[0] != tt.link {
				t.Errorf("got links %q in the text; want the first to be %q", links, tt.link)
			}
			if !strings.Contains(got.HTML, `href="`+tt.link+`"`) {
				t.Errorf("HTML body has no link to %s", tt.link)
			}
			if got.MessageID != s.MessageID(key) {
				t.Errorf("got Message-ID %q; want %q", got.MessageID, s.MessageID(key))
			}
			if v := got.Header.Get(mail.EventHeader); v != key {
				t.Errorf("got %s %q; want %q", mail.EventHeader, v, key)
			}
			if v := got.Header.Get("Auto-Submitted"); v != "auto-generated" {
				t.Errorf("got Auto-Submitted %q; want %q", v, "auto-generated")
			}
			if got.ParseError != "" {
				t.Errorf("got parse error %q; want none", got.ParseError)
			}
		})
	}
}

func TestSendMessageIDIsDeterministic(t *testing.T) {
	c := mustCatcher(t)
	s := mustSender(t, catcherConfig(c))
	const keyA, keyB = "worksite/K4T6CLP/declaration_reminder/1", "worksite/K4T6CLP/declaration_reminder/2"
	for _, key := range []string{keyA, keyA, keyB} {
		mustSend(t, s, message(key, "admin@clinic.example"))
	}
	if _, err := c.WaitFor(testCtx(t), func(m mail.Caught) bool { return m.EventKey == keyB }); err != nil {
		t.Fatalf("WaitFor: %v", err)
	}
	msgs := c.Messages()
	if len(msgs) != 3 {
		t.Fatalf("got %d messages; want 3", len(msgs))
	}
	a1, a2, b := msgs[0].MessageID, msgs[1].MessageID, msgs[2].MessageID
	if a1 != a2 {
		t.Errorf("same key: got Message-IDs %q and %q; want equal", a1, a2)
	}
	if a1 == b {
		t.Errorf("different keys: got the same Message-ID %q twice", a1)
	}
	if want := regexp.MustCompile(`^<[0-9a-f]{64}@careconnect\.test>$`); !want.MatchString(a1) {
		t.Errorf("got Message-ID %q; want <sha256 hex@careconnect.test>", a1)
	}
	other := mustSender(t, catcherConfig(c))
	if got, want := other.MessageID(keyA), a1; got != want {
		t.Errorf("another Sender: got Message-ID %q; want %q", got, want)
	}
}

func TestSendUnreachable(t *testing.T) {
	s := mustSender(t, config.SMTP{Host: "127.0.0.1", Port: freePort(t), From: testFrom, TLS: "none"})
	err := s.Send(testCtx(t), message("k/1", "admin@clinic.example"))
	if err == nil {
		t.Fatal("Send to a closed port: got nil error; want one")
	}
	if mail.IsPermanent(err) {
		t.Errorf("IsPermanent(%v) = true; want false: the relay may come back", err)
	}
	if !strings.HasPrefix(err.Error(), "mail: ") {
		t.Errorf("error %q; want prefix %q", err, "mail: ")
	}
	var ne net.Error
	if !errors.As(err, &ne) {
		t.Errorf("errors.As(%v, net.Error) = false; want the network error to be reachable", err)
	}
}

func TestSendRecipientRefused(t *testing.T) {
	tests := []struct {
		name          string
		rcpt          string
		wantPermanent bool
		wantCode      int
	}{
		// 550: the mailbox does not exist; retrying cannot help.
		{"rejected", "nobody@" + mail.RejectDomain, true, 550},
		// 451: the server is busy; a later retry may succeed.
		{"deferred", "busy@" + mail.DeferDomain, false, 451},
	}
	c := mustCatcher(t)
	s := mustSender(t, catcherConfig(c))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.Send(testCtx(t), message("k/"+tt.name, "ok@clinic.example", tt.rcpt))
			if err == nil {
				t.Fatal("Send: got nil error; want one")
			}
			if got := mail.IsPermanent(err); got != tt.wantPermanent {
				t.Errorf("IsPermanent(%v) = %v; want %v", err, got, tt.wantPermanent)
			}
			var se *mail.SendError
			if !errors.As(err, &se) || se.Code != tt.wantCode {
				t.Errorf("got error %#v; want a *mail.SendError with code %d", err, tt.wantCode)
			}
			if strings.Contains(err.Error(), "@") {
				t.Errorf("error %q contains an address; want it redacted", err)
			}
		})
	}
	if n := len(c.Messages()); n != 0 {
		t.Errorf("got %d messages caught; want 0: a refused recipient fails the whole message", n)
	}
}

func TestSendInvalidMessage(t *testing.T) {
	valid := message("k/1", "admin@clinic.example")
	tests := []struct {
		name   string
		modify func(*mail.Message)
	}{
		{"no idempotency key", func(m *mail.Message) { m.IdempotencyKey = "" }},
		{"key with a line break", func(m *mail.Message) { m.IdempotencyKey = "k/1\r\nBcc: x@evil.example" }},
		{"no recipients", func(m *mail.Message) { m.To = nil }},
		{"malformed recipient", func(m *mail.Message) { m.To = []string{"not an address"} }},
		{"no subject", func(m *mail.Message) { m.Subject = " " }},
		{"no body", func(m *mail.Message) { m.Text, m.HTML = "", "" }},
	}
	// Nothing is dialled: the port is closed, so only validation can answer.
	s := mustSender(t, config.SMTP{Host: "127.0.0.1", Port: freePort(t), From: testFrom, TLS: "none"})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := valid
			tt.modify(&m)
			err := s.Send(testCtx(t), m)
			if err == nil {
				t.Fatal("Send: got nil error; want one")
			}
			if !mail.IsPermanent(err) {
				t.Errorf("IsPermanent(%v) = false; want true: the message can never be sent", err)
			}
			var se *mail.SendError
			if !errors.As(err, &se) || se.Op != "compose" {
				t.Errorf("got error %v; want a compose *mail.SendError", err)
			}
		})
	}
}

func TestSendRespectsContext(t *testing.T) {
	// A server that accepts connections and never greets: only ctx ends the wait.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { conn.Close() })
		}
	}()
	s := mustSender(t, config.SMTP{Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, From: testFrom, TLS: "none"})

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = s.Send(ctx, message("k/1", "admin@clinic.example"))
	if elapsed := time.Since(start); elapsed > 3*time.Second {
		t.Errorf("Send took %v; want it to stop soon after the 200ms deadline", elapsed)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got error %v; want context.DeadlineExceeded", err)
	}
	if mail.IsPermanent(err) {
		t.Errorf("IsPermanent(%v) = true; want false", err)
	}

	cancelled, cancelNow := context.WithCancel(context.Background())
	cancelNow()
	if err := s.Send(cancelled, message("k/2", "admin@clinic.example")); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: got error %v; want context.Canceled", err)
	}
}

func TestSendWithAuth(t *testing.T) {
	c := mustCatcher(t)
	cfg := catcherConfig(c)
	cfg.Username, cfg.Password = "relay-user", "relay-password"
	s := mustSender(t, cfg)
	mustSend(t, s, message("k/auth", "admin@clinic.example"))
	if got := mustWaitKey(t, c, "k/auth").AuthUser; got != "relay-user" {
		t.Errorf("got AUTH user %q; want %q", got, "relay-user")
	}
}

func TestSendTLSModesRequireTLS(t *testing.T) {
	// The catcher speaks plain SMTP only: both TLS modes must refuse to send.
	tests := []string{"starttls", "tls"}
	c := mustCatcher(t)
	for _, mode := range tests {
		t.Run(mode, func(t *testing.T) {
			cfg := catcherConfig(c)
			cfg.TLS = mode
			err := mustSender(t, cfg).Send(testCtx(t), message("k/"+mode, "admin@clinic.example"))
			if err == nil {
				t.Fatal("Send: got nil error; want one")
			}
			if mail.IsPermanent(err) {
				t.Errorf("IsPermanent(%v) = true; want false", err)
			}
		})
	}
	if n := len(c.Messages()); n != 0 {
		t.Errorf("got %d messages caught; want 0", n)
	}
}

func TestNewSenderValidates(t *testing.T) {
	good := config.SMTP{Host: "127.0.0.1", Port: 1025, From: testFrom, TLS: "none"}
	tests := []struct {
		name   string
		modify func(*config.SMTP)
	}{
		{"no host", func(c *config.SMTP) { c.Host = "" }},
		{"port zero", func(c *config.SMTP) { c.Port = 0 }},
		{"port too large", func(c *config.SMTP) { c.Port = 70000 }},
		{"unknown tls mode", func(c *config.SMTP) { c.TLS = "ssl" }},
		{"no from", func(c *config.SMTP) { c.From = "" }},
		{"malformed from", func(c *config.SMTP) { c.From = "CareConnect no-reply" }},
	}
	if _, err := mail.NewSender(good); err != nil {
		t.Fatalf("NewSender(valid config): %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := good
			tt.modify(&cfg)
			_, err := mail.NewSender(cfg)
			if err == nil {
				t.Fatal("NewSender: got nil error; want one")
			}
			if !strings.HasPrefix(err.Error(), "mail: ") {
				t.Errorf("error %q; want prefix %q", err, "mail: ")
			}
		})
	}
}
