package mail

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	netmail "net/mail"
	"net/textproto"
	"os"
	"strings"
	"sync"
	"time"
	"unicode"

	gomail "github.com/wneessen/go-mail"

	"careconnect/config"
)

// EventHeader is the header that carries a message's idempotency key, so
// that a copy delivered twice can be matched to its event downstream.
const EventHeader = "X-CareConnect-Event"

// DefaultTimeout bounds dialling and every SMTP command of one Send.
const DefaultTimeout = 15 * time.Second

// maxKeyLen bounds an idempotency key; it travels in a header line.
const maxKeyLen = 200

// Message is one email to send.
type Message struct {
	// To are the envelope and header recipients; at least one.
	To      []string
	Subject string
	// Text and HTML are the two alternative bodies; at least one is required.
	Text string
	HTML string
	// IdempotencyKey names the event the email is for, e.g.
	// "worksite/K4T6CLP/declaration_reminder/2". Sending twice with one key
	// gives two copies with the same Message-ID. Required.
	IdempotencyKey string
}

// Sender sends email through one SMTP relay. It holds no connection
// between sends and is safe for concurrent use.
type Sender struct {
	host     string
	port     int
	tlsMode  string
	username string
	password string
	from     string // the configured From, e.g. "CareConnect <no-reply@example.ca>"
	idDomain string // right-hand side of generated Message-IDs
	timeout  time.Duration
	tls      *tls.Config // for STARTTLS and implicit TLS; read-only after NewSender
}

// NewSender returns a Sender for cfg. TLS "none" sends in clear text (the
// dev catcher), "starttls" requires STARTTLS and "tls" uses implicit TLS.
// With a username set it authenticates with PLAIN or LOGIN, whichever the
// server offers; go-mail sends those credentials only over TLS or to localhost.
func NewSender(cfg config.SMTP) (*Sender, error) {
	if strings.TrimSpace(cfg.Host) == "" {
		return nil, errors.New("mail: smtp host is required")
	}
	if cfg.Port <= 0 || cfg.Port > 65535 {
		return nil, fmt.Errorf("mail: smtp port %d is not a TCP port", cfg.Port)
	}
	switch cfg.TLS {
	case "none", "starttls", "tls":
	default:
		return nil, fmt.Errorf("mail: smtp tls must be none, starttls or tls, not %q", cfg.TLS)
	}
	from, err := netmail.ParseAddress(cfg.From)
	if err != nil {
		return nil, errors.New("mail: smtp from is not a valid email address")
	}
	at := strings.LastIndexByte(from.Address, '@')
	s := &Sender{
		host:     cfg.Host,
		port:     cfg.Port,
		tlsMode:  cfg.TLS,
		username: cfg.Username,
		password: cfg.Password,
		from:     from.String(),
		idDomain: from.Address[at+1:],
		timeout:  DefaultTimeout,
		tls:      &tls.Config{ServerName: cfg.Host, MinVersion: tls.VersionTLS12},
	}
	if cfg.CAFile != "" {
		roots, err := rootsWith(cfg.CAFile)
		if err != nil {
			return nil, err
		}
		s.tls.RootCAs = roots
	}
	// Build one client now so that a bad option fails at startup, not at the first send.
	if _, err := s.client(s.dial); err != nil {
		return nil, fmt.Errorf("mail: configuring smtp client: %w", err)
	}
	return s, nil
}

// MessageID returns the Message-ID, angle brackets included, that Send
// gives the message with idempotency key key.
func (s *Sender) MessageID(key string) string { return "<" + s.messageID(key) + ">" }

// messageID is MessageID without the angle brackets.
func (s *Sender) messageID(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:]) + "@" + s.idDomain
}

// Send delivers m: it dials (bounded by DefaultTimeout and ctx), sends and
// quits. Cancelling ctx aborts the SMTP conversation. An error is a
// *SendError whose text never contains an email address; see IsPermanent.
func (s *Sender) Send(ctx context.Context, m Message) error {
	msg, err := s.message(m)
	if err != nil {
		return err
	}

	// Closing the connection is the only way to interrupt a blocked SMTP
	// command, so remember the one this send dials. guarded by mu.
	var (
		mu   sync.Mutex
		conn net.Conn
	)
	dial := func(dctx context.Context, network, addr string) (net.Conn, error) {
		c, err := s.dial(dctx, network, addr)
		if err != nil {
			return nil, err
		}
		mu.Lock()
		conn = c
		mu.Unlock()
		if ctx.Err() != nil { // cancelled between dialling and recording conn
			_ = c.Close() // the send fails with ctx's error
		}
		return c, nil
	}
	stop := context.AfterFunc(ctx, func() {
		mu.Lock()
		defer mu.Unlock()
		if conn != nil {
			_ = conn.Close() // unblocks the SMTP command in progress
		}
	})
	defer stop()

	client, err := s.client(dial)
	if err != nil {
		return &SendError{Op: "dial", msg: redact(err.Error())}
	}
	sc, err := client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return s.fail(ctx, "dial", err)
	}
	sendErr := client.SendWithSMTPClient(sc, msg)
	// Once the server has accepted the data the message is delivered; a
	// failing QUIT must not make the caller send it again.
	_ = client.CloseWithSMTPClient(sc)
	if sendErr != nil && !msg.IsDelivered() {
		return s.fail(ctx, "send", sendErr)
	}
	return nil
}

// dial opens a TCP connection, wrapped in TLS for implicit TLS. go-mail
// only dials TLS itself when no dial function is given, and a *tls.Conn
// is how its SMTP client knows the connection is encrypted.
func (s *Sender) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	d := &net.Dialer{Timeout: s.timeout}
	if s.tlsMode == "tls" {
		td := &tls.Dialer{NetDialer: d, Config: s.tls.Clone()}
		return td.DialContext(ctx, network, addr)
	}
	return d.DialContext(ctx, network, addr)
}

// client returns a go-mail client for one send, dialling with dial.
func (s *Sender) client(dial gomail.DialContextFunc) (*gomail.Client, error) {
	opts := []gomail.Option{
		gomail.WithPort(s.port),
		gomail.WithTimeout(s.timeout),
		gomail.WithDialContextFunc(dial),
		gomail.WithTLSConfig(s.tls.Clone()),
	}
	switch s.tlsMode {
	case "none":
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	case "starttls":
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case "tls":
		opts = append(opts, gomail.WithSSL())
	}
	if s.username != "" {
		opts = append(opts,
			gomail.WithOpportunisticSMTPAuth(gomail.SMTPAuthPlain, gomail.SMTPAuthLogin),
			gomail.WithUsername(s.username),
			gomail.WithPassword(s.password))
	}
	return gomail.NewClient(s.host, opts...)
}

// message checks m and builds the go-mail message for it.
func (s *Sender) message(m Message) (*gomail.Msg, error) {
	invalid := func(format string, args ...any) error {
		return &SendError{Op: "compose", msg: fmt.Sprintf(format, args...), invalid: true}
	}
	if err := checkKey(m.IdempotencyKey); err != nil {
		return nil, invalid("%v", err)
	}
	if len(m.To) == 0 {
		return nil, invalid("no recipients")
	}
	for i, to := range m.To {
		if _, err := netmail.ParseAddress(to); err != nil {
			return nil, invalid("recipient %d is not a valid email address", i+1)
		}
	}
	subject := oneLine(m.Subject)
	if subject == "" {
		return nil, invalid("subject is required")
	}
	if strings.TrimSpace(m.Text) == "" && strings.TrimSpace(m.HTML) == "" {
		return nil, invalid("a text or HTML body is required")
	}

	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	if err := msg.From(s.from); err != nil {
		return nil, invalid("sender address rejected by go-mail")
	}
	if err := msg.To(m.To...); err != nil {
		return nil, invalid("recipient address rejected by go-mail")
	}
	msg.Subject(subject)
	msg.SetMessageIDWithValue(s.messageID(m.IdempotencyKey))
	msg.SetDate()
	msg.SetGenHeader(gomail.Header(EventHeader), m.IdempotencyKey)
	// RFC 3834: tells auto-responders not to answer.
	msg.SetGenHeader(gomail.Header("Auto-Submitted"), "auto-generated")
	switch {
	case m.Text != "" && m.HTML != "":
		msg.SetBodyString(gomail.TypeTextPlain, m.Text)
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	case m.Text != "":
		msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	default:
		msg.SetBodyString(gomail.TypeTextHTML, m.HTML)
	}
	return msg, nil
}

// checkKey accepts an idempotency key that fits on one header line.
func checkKey(key string) error {
	if key == "" {
		return errors.New("idempotency key is required")
	}
	if len(key) > maxKeyLen {
		return fmt.Errorf("idempotency key longer than %d bytes", maxKeyLen)
	}
	for _, r := range key {
		if r > unicode.MaxASCII || !unicode.IsPrint(r) {
			return errors.New("idempotency key must be printable ASCII")
		}
	}
	return nil
}

// SendError is a failed Send. Its text is safe to log: email addresses in
// the underlying error are redacted.
type SendError struct {
	// Op is the step that failed: "compose", "dial" or "send".
	Op string
	// Code is the SMTP reply code, 0 when the server gave none.
	Code    int
	msg     string
	invalid bool  // the message itself can never be sent
	cause   error // the context or network error, for errors.Is and errors.As
}

// Error implements error; the text holds no email address.
func (e *SendError) Error() string { return "mail: " + e.Op + ": " + e.msg }

// Unwrap returns the context or network error behind e, if any.
func (e *SendError) Unwrap() error { return e.cause }

// Permanent reports whether sending again cannot succeed: an SMTP 5xx
// reply, or a message that is invalid in itself.
func (e *SendError) Permanent() bool {
	return e.invalid || (e.Code >= 500 && e.Code < 600)
}

// IsPermanent reports whether err says sending again is pointless: the
// server answered with a 5xx reply (for example recipient rejected), or the
// message is invalid (no recipient, malformed address, no idempotency key).
// Timeouts, refused connections, cancellation and 4xx replies are not permanent.
func IsPermanent(err error) bool {
	var se *SendError
	if errors.As(err, &se) {
		return se.Permanent()
	}
	code := smtpCode(err)
	return code >= 500 && code < 600
}

// fail wraps a go-mail error from step op.
func (s *Sender) fail(ctx context.Context, op string, err error) error {
	e := &SendError{Op: op, Code: smtpCode(err), msg: redact(err.Error())}
	var ne net.Error
	switch {
	case ctx.Err() != nil:
		e.Code = 0 // whatever the server said, we hung up on it
		e.msg = "interrupted: " + ctx.Err().Error()
		e.cause = ctx.Err()
	case errors.As(err, &ne):
		e.cause = ne
	}
	return e
}

// smtpCode finds the SMTP reply code in err, 0 if there is none.
func smtpCode(err error) int {
	var se *gomail.SendError
	if errors.As(err, &se) && se.ErrorCode() != 0 {
		return se.ErrorCode()
	}
	var te *textproto.Error
	if errors.As(err, &te) {
		return te.Code
	}
	return 0
}

// redact replaces every word containing '@' (email addresses, Message-IDs)
// so that error text can be logged.
func redact(s string) string {
	words := strings.Fields(s)
	for i, w := range words {
		if strings.Contains(w, "@") {
			words[i] = "[redacted]"
		}
	}
	return strings.Join(words, " ")
}

// rootsWith returns the system roots plus the CA certificates in the PEM
// file at path (smtp.ca_file).
func rootsWith(path string) (*x509.CertPool, error) {
	pemData, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("mail: smtp ca_file: %w", err)
	}
	roots, err := x509.SystemCertPool()
	if err != nil || roots == nil {
		roots = x509.NewCertPool()
	}
	if !roots.AppendCertsFromPEM(pemData) {
		return nil, fmt.Errorf("mail: smtp ca_file %s holds no PEM certificate", path)
	}
	return roots, nil
}
