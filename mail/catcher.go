package mail

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	htmltemplate "html/template"
	"io"
	"log"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/http"
	netmail "net/mail"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Recipient domains the Catcher refuses, so that tests can provoke
// delivery failures. ".invalid" never resolves (RFC 2606).
const (
	// RejectDomain recipients are refused permanently: 550 5.1.1.
	RejectDomain = "reject.invalid"
	// DeferDomain recipients are refused temporarily: 451 4.3.0.
	DeferDomain = "defer.invalid"
)

// catcherLimit is how many messages a Catcher keeps; older ones are dropped
// so that a long-running dev server does not grow without bound.
const catcherLimit = 1000

// maxMIMEDepth bounds how deeply nested multiparts are walked.
const maxMIMEDepth = 8

// Caught is one message received by a Catcher.
type Caught struct {
	// From and To are the SMTP envelope sender and recipients.
	From string   `json:"from"`
	To   []string `json:"to"`
	// Subject is the decoded Subject header.
	Subject string `json:"subject"`
	// MessageID is the Message-ID header, angle brackets included.
	MessageID string `json:"messageId"`
	// EventKey is the X-CareConnect-Event header: the sender's idempotency key.
	EventKey string         `json:"eventKey"`
	Header   netmail.Header `json:"header"`
	// Text and HTML are the decoded bodies, with "\n" line endings.
	Text string `json:"text"`
	HTML string `json:"html"`
	// Raw is the message exactly as received.
	Raw        []byte    `json:"-"`
	ReceivedAt time.Time `json:"receivedAt"`
	// AuthUser is the SMTP AUTH username of the session; empty without AUTH.
	AuthUser string `json:"authUser,omitempty"`
	// ParseError says why the message could not be fully decoded; empty if it could.
	ParseError string `json:"parseError,omitempty"`

	file string // its file in the Catcher's directory; empty when kept in memory only
}

// clone returns a deep copy of m, so callers cannot change what the Catcher holds.
func (m Caught) clone() Caught {
	m.To = append([]string(nil), m.To...)
	m.Raw = append([]byte(nil), m.Raw...)
	h := make(netmail.Header, len(m.Header))
	for k, v := range m.Header {
		h[k] = append([]string(nil), v...)
	}
	m.Header = h
	return m
}

// Catcher is an in-process SMTP server that keeps every message it
// receives: the project's own mail catcher for development and tests. It
// accepts sessions without AUTH, and AUTH PLAIN with any credentials. It is
// safe for concurrent use.
type Catcher struct {
	srv    *smtp.Server
	ln     net.Listener
	served chan struct{} // closed when the SMTP server has stopped
	page   *htmltemplate.Template
	linkRE *regexp.Regexp

	mu       sync.Mutex
	msgs     []Caught      // the last catcherLimit messages, oldest first; guarded by mu
	received uint64        // messages ever received; guarded by mu
	arrived  chan struct{} // closed and replaced when a message arrives; closed by Close; guarded by mu
	closed   bool          // guarded by mu
	// dir keeps one file per message so that they survive a restart; "" keeps them in memory only.
	dir string
}

// StartCatcher listens on addr ("127.0.0.1:0" picks a free port) and
// serves SMTP until Close, keeping the messages in memory.
func StartCatcher(addr string) (*Catcher, error) { return StartCatcherIn(addr, "") }

// StartCatcherIn is StartCatcher keeping the messages in dir too (one
// JSON file each, created if missing), so that a restart of the dev
// server keeps every emailed link; the messages already in dir are loaded
// first. An empty dir keeps them in memory only.
func StartCatcherIn(addr, dir string) (*Catcher, error) {
	var kept []Caught
	if dir != "" {
		var err error
		if kept, err = loadCaught(dir); err != nil {
			return nil, err
		}
	}
	page, err := htmltemplate.New("catcher").Parse(catcherPage)
	if err != nil {
		return nil, fmt.Errorf("mail: parsing catcher page: %w", err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("mail: catcher: %w", err)
	}
	c := &Catcher{
		ln:      ln,
		served:  make(chan struct{}),
		page:    page,
		linkRE:  regexp.MustCompile(`https?://[^\s<>"]+`),
		arrived: make(chan struct{}),
		dir:     dir,
		msgs:    kept,
	}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &catcherSession{c: c}, nil
	}))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.MaxMessageBytes = 10 << 20
	srv.MaxRecipients = 100
	srv.ReadTimeout = time.Minute
	srv.WriteTimeout = time.Minute
	// go-smtp's error log may quote envelope addresses.
	srv.ErrorLog = log.New(io.Discard, "", 0)
	c.srv = srv
	go func() {
		defer close(c.served)
		_ = srv.Serve(ln) // returns when Close closes the listener
	}()
	return c, nil
}

// Addr returns the host:port the Catcher listens on.
func (c *Catcher) Addr() string { return c.ln.Addr().String() }

// Host returns the IP address the Catcher listens on.
func (c *Catcher) Host() string {
	if a, ok := c.ln.Addr().(*net.TCPAddr); ok {
		return a.IP.String()
	}
	host, _, _ := net.SplitHostPort(c.Addr())
	return host
}

// Port returns the TCP port the Catcher listens on.
func (c *Catcher) Port() int {
	if a, ok := c.ln.Addr().(*net.TCPAddr); ok {
		return a.Port
	}
	return 0
}

// Messages returns a copy of the messages received, oldest first.
func (c *Catcher) Messages() []Caught {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]Caught, len(c.msgs))
	for i, m := range c.msgs {
		out[i] = m.clone()
	}
	return out
}

// To returns the messages with addr (compared without regard to case)
// among their envelope recipients, oldest first.
func (c *Catcher) To(addr string) []Caught {
	out := []Caught{}
	for _, m := range c.Messages() {
		for _, to := range m.To {
			if strings.EqualFold(to, addr) {
				out = append(out, m)
				break
			}
		}
	}
	return out
}

// WaitFor returns the first message, already received or yet to come, for
// which pred is true. It fails when ctx is done or the Catcher is closed.
// pred is called without locks held and sees each message once.
func (c *Catcher) WaitFor(ctx context.Context, pred func(Caught) bool) (Caught, error) {
	var next uint64 // sequence number of the first message pred has not seen
	for {
		c.mu.Lock()
		first := c.received - uint64(len(c.msgs))
		next = max(next, first)
		batch := make([]Caught, 0, c.received-next)
		for _, m := range c.msgs[next-first:] {
			batch = append(batch, m.clone())
		}
		next = c.received
		arrived, closed := c.arrived, c.closed
		c.mu.Unlock()

		for _, m := range batch {
			if pred(m) {
				return m, nil
			}
		}
		if closed {
			return Caught{}, errors.New("mail: catcher closed")
		}
		select {
		case <-arrived:
		case <-ctx.Done():
			return Caught{}, fmt.Errorf("mail: waiting for a message: %w", ctx.Err())
		}
	}
}

// Close stops the SMTP server, drops open sessions and wakes every WaitFor.
// Messages stay readable.
func (c *Catcher) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	close(c.arrived)
	c.mu.Unlock()

	err := c.srv.Close()
	// The server only knows the listener once Serve has started; closing it
	// here too stops a Serve that has not got that far.
	if lerr := c.ln.Close(); err == nil && !errors.Is(lerr, net.ErrClosed) {
		err = lerr
	}
	<-c.served
	if err != nil && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("mail: closing catcher: %w", err)
	}
	return nil
}

// store records m and wakes the waiters.
func (c *Catcher) store(m Caught) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 2}, Message: "catcher is closing"}
	}
	if c.dir != "" {
		if err := c.save(&m); err != nil {
			return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "catcher cannot keep the message"}
		}
	}
	if len(c.msgs) == catcherLimit {
		if f := c.msgs[0].file; f != "" {
			_ = os.Remove(f) // the oldest goes, as in memory
		}
		c.msgs = append(c.msgs[:0], c.msgs[1:]...)
	}
	c.msgs = append(c.msgs, m)
	c.received++
	close(c.arrived)
	c.arrived = make(chan struct{})
	return nil
}

// keptMessage is a Caught as its file holds it: Raw included.
type keptMessage struct {
	Caught
	Raw []byte `json:"raw"`
}

// save writes m to a new file of the Catcher's directory (written whole,
// then renamed into place) and records its name in m. Names sort in the
// order the messages arrived. Called with mu held.
func (c *Catcher) save(m *Caught) error {
	b, err := json.Marshal(keptMessage{Caught: *m, Raw: m.Raw})
	if err != nil {
		return err
	}
	name := filepath.Join(c.dir, fmt.Sprintf("%020d-%06d.json", m.ReceivedAt.UnixNano(), c.received%1000000))
	tmp := name + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	if err := os.Rename(tmp, name); err != nil {
		return err
	}
	m.file = name
	return nil
}

// loadCaught reads the messages kept in dir, oldest first (at most
// catcherLimit of them), creating dir when it is missing. A file that
// cannot be read is skipped: the catcher is a development aid.
func loadCaught(dir string) ([]Caught, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("mail: catcher directory: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("mail: catcher directory: %w", err)
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".json") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	if len(names) > catcherLimit {
		names = names[len(names)-catcherLimit:]
	}
	var out []Caught
	for _, n := range names {
		path := filepath.Join(dir, n)
		b, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		var k keptMessage
		if json.Unmarshal(b, &k) != nil {
			continue
		}
		m := k.Caught
		m.Raw, m.file = k.Raw, path
		out = append(out, m)
	}
	return out, nil
}

// catcherSession is one SMTP session of a Catcher.
type catcherSession struct {
	c        *Catcher
	authUser string
	from     string
	to       []string
}

// AuthMechanisms implements smtp.AuthSession.
func (s *catcherSession) AuthMechanisms() []string { return []string{sasl.Plain} }

// Auth implements smtp.AuthSession: any credentials are accepted.
func (s *catcherSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, username, _ string) error {
		s.authUser = username
		return nil
	}), nil
}

// Mail implements smtp.Session.
func (s *catcherSession) Mail(from string, _ *smtp.MailOptions) error {
	s.from = from
	return nil
}

// Rcpt implements smtp.Session; it refuses RejectDomain and DeferDomain.
func (s *catcherSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	domain := strings.ToLower(to[strings.LastIndexByte(to, '@')+1:])
	switch domain {
	case RejectDomain:
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "mailbox unavailable: recipient rejected"}
	case DeferDomain:
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "mailbox busy: try again later"}
	}
	s.to = append(s.to, to)
	return nil
}

// Data implements smtp.Session.
func (s *catcherSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m := parseCaught(raw)
	m.From = s.from
	m.To = append([]string(nil), s.to...)
	m.AuthUser = s.authUser
	m.ReceivedAt = time.Now()
	return s.c.store(m)
}

// Reset implements smtp.Session.
func (s *catcherSession) Reset() {
	s.from = ""
	s.to = nil
}

// Logout implements smtp.Session.
func (s *catcherSession) Logout() error { return nil }

// headerGetter is what netmail.Header and textproto.MIMEHeader have in common.
type headerGetter interface {
	Get(key string) string
}

// parseCaught decodes raw into a Caught. What cannot be decoded is
// described in ParseError; Raw is always kept.
func parseCaught(raw []byte) Caught {
	m := Caught{Raw: raw, Header: netmail.Header{}}
	msg, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		m.ParseError = err.Error()
		return m
	}
	m.Header = msg.Header
	dec := new(mime.WordDecoder)
	m.Subject = msg.Header.Get("Subject")
	if s, err := dec.DecodeHeader(m.Subject); err == nil {
		m.Subject = s
	}
	m.MessageID = strings.TrimSpace(msg.Header.Get("Message-Id"))
	m.EventKey = strings.TrimSpace(msg.Header.Get(EventHeader))
	if err := walkPart(msg.Header, msg.Body, &m, 0); err != nil {
		m.ParseError = err.Error()
	}
	return m
}

// walkPart decodes one MIME part into m.Text or m.HTML (the first of each
// wins), descending into multiparts.
func walkPart(h headerGetter, body io.Reader, m *Caught, depth int) error {
	if depth > maxMIMEDepth {
		return errors.New("multipart nested too deeply")
	}
	ct := h.Get("Content-Type")
	if ct == "" {
		ct = "text/plain; charset=us-ascii"
	}
	mediaType, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return fmt.Errorf("content type: %w", err)
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return fmt.Errorf("multipart: %w", err)
			}
			if err := walkPart(p.Header, p, m, depth+1); err != nil {
				return err
			}
		}
	}
	if disp, _, err := mime.ParseMediaType(h.Get("Content-Disposition")); err == nil && disp == "attachment" {
		return nil
	}
	if mediaType != "text/plain" && mediaType != "text/html" {
		return nil
	}
	var r io.Reader = body
	switch strings.ToLower(strings.TrimSpace(h.Get("Content-Transfer-Encoding"))) {
	case "quoted-printable":
		r = quotedprintable.NewReader(body)
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, body) // ignores line breaks
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("%s body: %w", mediaType, err)
	}
	s := strings.ReplaceAll(toUTF8(params["charset"], b), "\r\n", "\n")
	if mediaType == "text/plain" && m.Text == "" {
		m.Text = s
	} else if mediaType == "text/html" && m.HTML == "" {
		m.HTML = s
	}
	return nil
}

// toUTF8 converts b from charset; UTF-8, US-ASCII and ISO-8859-1 are known,
// anything else is passed through.
func toUTF8(charset string, b []byte) string {
	switch strings.ToLower(charset) {
	case "iso-8859-1", "latin1", "windows-1252":
		if utf8.Valid(b) {
			return string(b)
		}
		r := make([]rune, len(b))
		for i, c := range b {
			r[i] = rune(c)
		}
		return string(r)
	}
	return string(b)
}

// Handler returns the catcher's dev page. GET "" or "/" lists the messages
// in an HTML table, newest first; "?format=json" returns them as a JSON
// array, oldest first; "?html=N" shows the HTML body of message N (the
// index in that array) in a sandbox.
func (c *Catcher) Handler() http.Handler {
	return http.HandlerFunc(c.serveHTTP)
}

func (c *Catcher) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if r.URL.Path != "" && r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	q := r.URL.Query()
	msgs := c.Messages()
	switch {
	case q.Get("format") == "json":
		w.Header().Set("Content-Type", "application/json")
		if err := json.NewEncoder(w).Encode(msgs); err != nil {
			return // the client went away
		}
	case q.Has("html"):
		n, err := strconv.Atoi(q.Get("html"))
		if err != nil || n < 0 || n >= len(msgs) {
			http.NotFound(w, r)
			return
		}
		// Anyone on the host can send the catcher mail: show it inert.
		w.Header().Set("Content-Security-Policy", previewCSP(msgs[n].HTML))
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(w, msgs[n].HTML)
	default:
		rows := make([]catcherRow, len(msgs))
		for i, m := range msgs {
			rows[len(msgs)-1-i] = catcherRow{Index: i, Caught: m, Body: c.linkify(m.Text)}
		}
		var b bytes.Buffer
		if err := c.page.Execute(&b, rows); err != nil {
			http.Error(w, "mail: rendering catcher page", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Security-Policy", catcherPageCSP)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(b.Bytes())
	}
}

// catcherRow is one message on the dev page.
type catcherRow struct {
	Index int
	Caught
	Body []textSegment
}

// textSegment is a run of body text; URL marks a link.
type textSegment struct {
	Text string
	URL  bool
}

// linkify splits s into plain text and http(s) links; the page template
// escapes both.
func (c *Catcher) linkify(s string) []textSegment {
	var out []textSegment
	last := 0
	for _, loc := range c.linkRE.FindAllStringIndex(s, -1) {
		start, end := loc[0], loc[1]
		end = start + len(strings.TrimRight(s[start:end], ".,;:!?)'"))
		if start > last {
			out = append(out, textSegment{Text: s[last:start]})
		}
		out = append(out, textSegment{Text: s[start:end], URL: true})
		last = end
	}
	if last < len(s) {
		out = append(out, textSegment{Text: s[last:]})
	}
	return out
}

var (
	styleElementRE   = regexp.MustCompile(`(?is)<style\b[^>]*>(.*?)</style>`)
	styleAttributeRE = regexp.MustCompile(`(?i)\sstyle\s*=\s*"([^"]*)"`)
)

// styleHash is the CSP source that allows exactly one inline style: the
// SHA-256 of its text (an element's content, or an attribute's value).
func styleHash(css string) string {
	sum := sha256.Sum256([]byte(css))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

// catcherPageCSP lets the dev page use its own style sheet, and nothing else.
var catcherPageCSP = "default-src 'none'; style-src " + styleHash(styleElementRE.FindStringSubmatch(catcherPage)[1]) +
	"; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

// previewCSP shows a caught HTML email inert (a sandbox: no script, no
// loads, no form) with the styles it carries: each of its style elements
// and style attributes (as our templates write them, double-quoted) is
// allowed by its hash, so no inline style is allowed wholesale.
func previewCSP(body string) string {
	seen := map[string]bool{}
	var sources []string
	add := func(css string) {
		if h := styleHash(css); !seen[h] {
			seen[h] = true
			sources = append(sources, h)
		}
	}
	for _, m := range styleElementRE.FindAllStringSubmatch(body, -1) {
		add(m[1])
	}
	attrs := styleAttributeRE.FindAllStringSubmatch(body, -1)
	for _, m := range attrs {
		add(html.UnescapeString(m[1]))
	}
	csp := "sandbox; default-src 'none'; frame-ancestors 'none'"
	if len(sources) > 0 {
		if len(attrs) > 0 {
			sources = append([]string{"'unsafe-hashes'"}, sources...)
		}
		csp += "; style-src " + strings.Join(sources, " ")
	}
	return csp
}

// catcherPage is the dev page; html/template escapes every value.
const catcherPage = `<!DOCTYPE html>
<html lang="en-CA">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>CareConnect mail catcher</title>
<style>
body { font-family: system-ui, sans-serif; margin: 1rem; color: #1a1a1a; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #ccc; padding: 0.4rem; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
pre { white-space: pre-wrap; word-break: break-word; }
a { color: #1a5a96; }
</style>
</head>
<body>
<h1>CareConnect mail catcher</h1>
<p>{{len .}} message(s). <a href="?">Refresh</a> · <a href="?format=json">JSON</a></p>
{{if .}}<table>
<thead><tr><th scope="col">Received</th><th scope="col">To</th><th scope="col">Subject</th><th scope="col">Event key</th><th scope="col">Message</th></tr></thead>
<tbody>
{{range .}}<tr>
<td><time datetime="{{.ReceivedAt.Format "2006-01-02T15:04:05Z07:00"}}">{{.ReceivedAt.Format "2006-01-02 15:04:05"}}</time></td>
<td>{{range $i, $to := .To}}{{if $i}}<br>{{end}}{{$to}}{{end}}</td>
<td>{{.Subject}}</td>
<td><code>{{.EventKey}}</code></td>
<td><details><summary>Text body</summary><pre>{{range .Body}}{{if .URL}}<a href="{{.Text}}">{{.Text}}</a>{{else}}{{.Text}}{{end}}{{end}}</pre></details>
{{if .HTML}}<a href="?html={{.Index}}" target="_blank" rel="noopener">HTML body</a>{{end}}
{{if .ParseError}}<p>Parse error: {{.ParseError}}</p>{{end}}</td>
</tr>
{{end}}</tbody>
</table>{{else}}<p>No messages yet.</p>{{end}}
</body>
</html>
`
