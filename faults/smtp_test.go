package faults

import (
	"bytes"
	"io"
	"log"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"careconnect/mail"
)

// holdPoint is where in an SMTP conversation mailFront holds a send.
type holdPoint int

const (
	// beforeData holds the RCPT TO reply: the worker is connected and has
	// begun the message, but has not transferred it. Killed there, the
	// message was never delivered.
	beforeData holdPoint = iota + 1
	// afterCommit holds the reply to the final "." after the message is
	// delivered: the server has the message, the worker has not heard so.
	afterCommit
)

// hold is one send held at a holdPoint; the test kills the worker, then
// releases it.
type hold struct {
	To      string
	release chan struct{}
	once    sync.Once
}

// Release lets the held session go on (into a connection the killed
// worker has closed).
func (h *hold) Release() { h.once.Do(func() { close(h.release) }) }

// mailFront is the SMTP server the worker sends to in these tests. It
// hands every message it accepts to a real mail.Catcher (the record of what
// was delivered), and can hold the next send to a recipient at a holdPoint,
// so that a test kills the worker exactly in the middle of an email send.
type mailFront struct {
	Catcher *mail.Catcher
	srv     *smtp.Server
	ln      net.Listener

	mu    sync.Mutex
	armed map[string]armedHold // recipient -> the next send to hold; guarded by mu
	holds []*hold              // every hold taken, released at Close; guarded by mu
}

type armedHold struct {
	at   holdPoint
	took chan *hold
}

// startMailFront starts a catcher and an SMTP front for it on a free port.
func startMailFront(t *testing.T) *mailFront {
	t.Helper()
	c, err := mail.StartCatcher("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &mailFront{Catcher: c, ln: ln, armed: map[string]armedHold{}}
	f.srv = smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &frontSession{f: f}, nil }))
	f.srv.Domain = "localhost"
	f.srv.ReadTimeout, f.srv.WriteTimeout = time.Minute, time.Minute
	f.srv.ErrorLog = log.New(io.Discard, "", 0)
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = f.srv.Serve(ln)
	}()
	t.Cleanup(func() {
		f.mu.Lock()
		for _, h := range f.holds {
			h.Release()
		}
		f.mu.Unlock()
		_ = f.srv.Close()
		<-served
		_ = c.Close()
	})
	return f
}

// Port is the SMTP port the worker is given.
func (f *mailFront) Port() int { return f.ln.Addr().(*net.TCPAddr).Port }

// HoldNext arms a hold of the next send to rcpt at point. The channel
// yields the hold once a session has reached it.
func (f *mailFront) HoldNext(rcpt string, at holdPoint) <-chan *hold {
	took := make(chan *hold, 1)
	f.mu.Lock()
	f.armed[strings.ToLower(rcpt)] = armedHold{at: at, took: took}
	f.mu.Unlock()
	return took
}

// take disarms and returns the hold for one of rcpts at point, if armed.
func (f *mailFront) take(at holdPoint, rcpts ...string) *hold {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range rcpts {
		a, ok := f.armed[strings.ToLower(r)]
		if !ok || a.at != at {
			continue
		}
		delete(f.armed, strings.ToLower(r))
		h := &hold{To: r, release: make(chan struct{})}
		f.holds = append(f.holds, h)
		a.took <- h
		return h
	}
	return nil
}

// Copies returns how many copies of the email with event key the catcher
// received, and their distinct Message-IDs.
func (f *mailFront) Copies(key string) (n int, ids []string) {
	seen := map[string]bool{}
	for _, m := range f.Catcher.Messages() {
		if m.EventKey != key {
			continue
		}
		n++
		if !seen[m.MessageID] {
			seen[m.MessageID] = true
			ids = append(ids, m.MessageID)
		}
	}
	return n, ids
}

// frontSession is one SMTP session of a mailFront.
type frontSession struct {
	f    *mailFront
	from string
	to   []string
}

func (s *frontSession) Mail(from string, _ *smtp.MailOptions) error {
	s.from = from
	return nil
}

func (s *frontSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if h := s.f.take(beforeData, to); h != nil {
		<-h.release
		// The worker was killed meanwhile; had it not been, it would retry.
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "send was held by the test"}
	}
	s.to = append(s.to, to)
	return nil
}

func (s *frontSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	// Delivered: the catcher has it, whatever becomes of this session.
	if err := relay(s.f.Catcher.Addr(), s.from, s.to, raw); err != nil {
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "catcher unavailable"}
	}
	if h := s.f.take(afterCommit, s.to...); h != nil {
		<-h.release
	}
	return nil
}

func (s *frontSession) Reset() {
	s.from = ""
	s.to = nil
}

func (s *frontSession) Logout() error { return nil }

// relay hands a message to the catcher at addr over plain SMTP.
func relay(addr, from string, to []string, raw []byte) error {
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.SendMail(from, to, bytes.NewReader(raw)); err != nil {
		return err
	}
	return c.Quit()
}
