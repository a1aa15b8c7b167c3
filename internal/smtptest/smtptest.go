// Package smtptest is an in-process SMTP server for tests outside package
// mail (whose own tests have a fuller one, with TLS and AUTH): it accepts
// every message on a loopback port, without TLS or AUTH, and keeps them.
// Test binaries only: the server binary never imports it.
package smtptest

import (
	"bytes"
	"errors"
	"io"
	"log"
	"mime/quotedprintable"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Message is one accepted message: the envelope recipients and the raw
// data, and Text, the data with quoted-printable decoded (good enough to
// search a mail's text for a link or a sentence).
type Message struct {
	To   []string
	Data []byte
	Text string
}

// Server is a running test SMTP server.
type Server struct {
	Port int
	mu   sync.Mutex
	msgs []Message
}

// Start runs a server until t ends.
func Start(t testing.TB) *Server {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &Server{Port: l.Addr().(*net.TCPAddr).Port}
	s := smtp.NewServer(backend{srv})
	s.Domain = "localhost"
	s.ReadTimeout, s.WriteTimeout = 5*time.Second, 5*time.Second
	s.ErrorLog = log.New(io.Discard, "", 0)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := s.Serve(l); err != nil && !errors.Is(err, smtp.ErrServerClosed) {
			t.Errorf("smtp test server: %v", err)
		}
	}()
	t.Cleanup(func() { s.Close(); <-done })
	return srv
}

// Messages returns the messages accepted so far to the address to ("" for
// all), oldest first.
func (s *Server) Messages(to string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, m := range s.msgs {
		for _, rcpt := range m.To {
			if to == "" || strings.EqualFold(rcpt, to) {
				out = append(out, m)
				break
			}
		}
	}
	return out
}

type backend struct{ s *Server }

func (b backend) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{s: b.s}, nil }

type session struct {
	s  *Server
	to []string
}

func (*session) Mail(string, *smtp.MailOptions) error { return nil }

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.to = append(x.to, to)
	return nil
}

func (x *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	text, _ := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(data)))
	x.s.mu.Lock()
	x.s.msgs = append(x.s.msgs, Message{To: x.to, Data: data, Text: string(text)})
	x.s.mu.Unlock()
	return nil
}

func (x *session) Reset()      { x.to = nil }
func (*session) Logout() error { return nil }
