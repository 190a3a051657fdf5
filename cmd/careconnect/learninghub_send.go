package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"careconnect/app"
	"careconnect/config"
	"careconnect/learninghub"
)

// learningHubSend is `careconnect learninghub-send`: it plays LearningHub,
// posting one signed callback and printing the answer. It signs with the
// active key of learninghub.keys, naming it (kid=), or with
// learninghub.secret in the form LearningHub sends today (no kid). It is
// for trying the callback ingest in dev and test.
func learningHubSend(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("learninghub-send", flag.ContinueOnError)
	cfgPath := fs.String("config", os.Getenv("CARECONNECT_CONFIG"), "YAML configuration file")
	base := fs.String("url", "http://127.0.0.1:8080", "the API's base URL")
	email := fs.String("email", "", "the learner's email (required)")
	typ := fs.String("type", learninghub.TypeCourseCompleted, learninghub.TypeCourseCompleted+" or "+learninghub.TypeAgreementAcknowledged)
	eventID := fs.String("event-id", "", "the event ID (default: a random one)")
	courseCode := fs.String("course-code", "", "the course code (default: the configured course or agreement code for --type)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *email == "" {
		return fmt.Errorf("learninghub-send: --email is required")
	}
	cfg, err := config.Load(*cfgPath, os.LookupEnv)
	if err != nil {
		return err
	}
	code := *courseCode
	switch {
	case code != "":
	case *typ == learninghub.TypeCourseCompleted:
		code = cfg.LearningHub.CourseCode
	case *typ == learninghub.TypeAgreementAcknowledged:
		code = cfg.LearningHub.AgreementCode
	default:
		return fmt.Errorf("learninghub-send: --type must be %s or %s", learninghub.TypeCourseCompleted, learninghub.TypeAgreementAcknowledged)
	}
	id := *eventID
	if id == "" {
		b := make([]byte, 8)
		if _, err := rand.Read(b); err != nil {
			return err
		}
		id = "cli-" + hex.EncodeToString(b)
	}
	now := time.Now()
	body, err := json.Marshal(learninghub.Event{EventID: id, Type: *typ, CourseCode: code,
		Learner: learninghub.Learner{Email: *email, LearningHubID: "cli-" + *email}, OccurredAt: now.UTC().Truncate(time.Second)})
	if err != nil {
		return err
	}
	sig := learninghub.Sign([]byte(cfg.LearningHub.Secret), now.Unix(), body)
	if len(cfg.LearningHub.Keys) > 0 {
		ring, err := app.LearningHubKeyring(cfg.LearningHub)
		if err != nil {
			return err
		}
		sig = ring.Sign(now.Unix(), body)
	}
	req, err := http.NewRequest(http.MethodPost, strings.TrimRight(*base, "/")+"/webhooks/learninghub", bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("learninghub-send: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(learninghub.Header, sig)
	client := &http.Client{Timeout: 30 * time.Second}
	res, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("learninghub-send: %w", err)
	}
	defer res.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("learninghub-send: reading the answer: %w", err)
	}
	fmt.Fprintf(out, "event %s: %s\n%s\n", id, res.Status, bytes.TrimSpace(answer))
	if res.StatusCode >= 300 {
		return fmt.Errorf("learninghub-send: the callback was refused (%s)", res.Status)
	}
	return nil
}
