package main

import (
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"careconnect/app"
	"careconnect/config"
	"careconnect/domain"
	"careconnect/enrolment"
	"careconnect/logging"
)

// The operators' commands. Each runs one use case of the application
// layer (package enrolment) as the enrolment team, under the operator's
// name (--as, default $USER), against the configured database and
// Temporal:
//
//	careconnect email resend KEY            send a stuck or failed email again
//	careconnect learninghub redeliver       deliver the pending LearningHub events now
//	careconnect export queue|worksites      the team's queue or the worksites, as CSV
//	careconnect export audit --from D --to D  the audit records in [from, to), as CSV
//	careconnect timeline person:SUBJECT|worksite:ID  a subject's audit timeline
const operateUsage = `usage:
  careconnect email resend KEY
  careconnect learninghub redeliver
  careconnect export queue|worksites [--out FILE]
  careconnect export audit --from 2026-01-01 [--to 2026-02-01] [--out FILE]
  careconnect timeline person:SUBJECT|worksite:ID
(each also takes --config FILE and --as NAME)`

// operate parses the common flags of an operator's command and runs do
// with an Operator and its output.
func operate(name string, args []string, out io.Writer, extra func(*flag.FlagSet), do func(context.Context, *app.Operator, []string, io.Writer) error) error {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	cfgPath := fs.String("config", os.Getenv("CARECONNECT_CONFIG"), "YAML configuration file")
	as := fs.String("as", os.Getenv("USER"), "the operator's name, recorded on what the command does")
	outPath := fs.String("out", "", "write to FILE instead of standard output")
	if extra != nil {
		extra(fs)
	}
	// Flags may follow the positional arguments.
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		pos, args = append(pos, fs.Arg(0)), fs.Args()[1:]
	}
	if *as == "" {
		*as = "unknown"
	}
	cfg, err := config.Load(*cfgPath, os.LookupEnv)
	if err != nil {
		return err
	}
	logger, err := logging.Open(os.Stderr, "warn", "text")
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	op, err := app.OpenOperator(ctx, cfg, logger, *as)
	if err != nil {
		return err
	}
	defer op.Close()
	if *outPath != "" {
		f, err := os.Create(*outPath)
		if err != nil {
			return err
		}
		defer f.Close()
		out = f
	}
	return errorText(do(ctx, op, pos, out))
}

// errorText is err as the operator should read it: a domain error's message.
func errorText(err error) error {
	if err == nil || domain.ErrorCode(err) == "" || domain.ErrorCode(err) == domain.EINTERNAL {
		return err
	}
	return errors.New(domain.ErrorMessage(err))
}

func emailCmd(args []string, out io.Writer) error {
	if len(args) < 1 || args[0] != "resend" {
		return errors.New(operateUsage)
	}
	return operate("email resend", args[1:], out, nil, func(ctx context.Context, op *app.Operator, pos []string, out io.Writer) error {
		if len(pos) != 1 {
			return errors.New("usage: careconnect email resend KEY (the key is in the team console's email log)")
		}
		if err := op.App.ResendEmail(ctx, op.Caller, pos[0]); err != nil {
			return err
		}
		_, err := fmt.Fprintf(out, "email %s queued again; the worker's relay sends it at its next round\n", pos[0])
		return err
	})
}

func learningHubRedeliver(args []string, out io.Writer) error {
	return operate("learninghub redeliver", args, out, nil, func(ctx context.Context, op *app.Operator, _ []string, out io.Writer) error {
		n, err := op.App.RedeliverLearningHub(ctx, op.Caller)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(out, "tried the pending events of %d learners; any left pending are in careconnect_learninghub_deliverable_events\n", n)
		return err
	})
}

func exportCmd(args []string, out io.Writer) error {
	if len(args) < 1 {
		return errors.New(operateUsage)
	}
	what := args[0]
	var from, to string
	extra := func(fs *flag.FlagSet) {
		fs.StringVar(&from, "from", "", "audit: the first day (YYYY-MM-DD, UTC) or an RFC 3339 time")
		fs.StringVar(&to, "to", "", "audit: the day after the last (default: now)")
	}
	return operate("export "+what, args[1:], out, extra, func(ctx context.Context, op *app.Operator, _ []string, out io.Writer) error {
		w := csv.NewWriter(out)
		switch what {
		case "queue":
			q, err := op.App.ApplicationQueue(ctx, op.Caller, enrolment.QueueQuery{})
			if err != nil {
				return err
			}
			_ = w.Write([]string{"kind", "workflow_id", "subject_or_worksite", "name", "profession_or_type", "state", "business_days_waiting"})
			for _, a := range q.Applications {
				_ = w.Write([]string{"application", a.WorkflowID, a.Subject, a.Name, a.Profession, string(a.State), strconv.Itoa(a.BusinessDaysWaiting)})
			}
			for _, ws := range q.Worksites {
				_ = w.Write([]string{"worksite", ws.WorkflowID, ws.ID, ws.Name, string(ws.LocationType), ws.State, strconv.Itoa(ws.BusinessDaysWaiting)})
			}
		case "worksites":
			ws, err := op.App.ListWorksites(ctx, op.Caller, "", "")
			if err != nil {
				return err
			}
			_ = w.Write([]string{"id", "name", "location_type", "address", "state", "waiting_on", "waiting_since", "escalated", "breached", "registered_at"})
			for _, s := range ws {
				_ = w.Write([]string{s.ID, s.Name, string(s.LocationType), s.Address, s.State, s.WaitingOn, timeText(s.WaitingSince),
					strconv.FormatBool(s.Escalated), strconv.FormatBool(s.Breached), s.RegisteredAt.UTC().Format(time.RFC3339)})
			}
		case "audit":
			f, err := parseWhen(from, time.Time{})
			if err != nil {
				return fmt.Errorf("--from: %w", err)
			}
			t, err := parseWhen(to, time.Now())
			if err != nil {
				return fmt.Errorf("--to: %w", err)
			}
			events, err := op.App.AuditRange(ctx, op.Caller, f, t)
			if err != nil {
				return err
			}
			_ = w.Write([]string{"at", "subject", "worksite_id", "action", "actor", "actor_name", "role", "detail", "request_id"})
			for _, e := range events {
				_ = w.Write([]string{e.At.UTC().Format(time.RFC3339), e.Subject, e.WorksiteID, e.Action, e.Actor, e.ActorName, e.Role, e.Detail, e.RequestID})
			}
		default:
			return errors.New(operateUsage)
		}
		w.Flush()
		return w.Error()
	})
}

func timelineCmd(args []string, out io.Writer) error {
	return operate("timeline", args, out, nil, func(ctx context.Context, op *app.Operator, pos []string, out io.Writer) error {
		if len(pos) != 1 {
			return errors.New("usage: careconnect timeline person:SUBJECT|worksite:ID")
		}
		kind, id, _ := strings.Cut(pos[0], ":")
		var events []domain.AuditEvent
		switch kind {
		case "person":
			p, err := op.App.StaffPerson(ctx, op.Caller, id)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "person %s: %s, waiting on %s\n\n", id, p.Status.State, orNone(string(p.Status.WaitingOn)))
			events = p.Audit
		case "worksite":
			a, err := op.App.WorksiteAudit(ctx, op.Caller, id)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "worksite %s\n\n", id)
			events = a.Events
		default:
			return errors.New("usage: careconnect timeline person:SUBJECT|worksite:ID")
		}
		for _, e := range events {
			fmt.Fprintf(out, "%s  %-28s %-32s %s\n", e.At.UTC().Format("2006-01-02 15:04"), e.Action, e.ActorLabel, e.Detail)
		}
		if len(events) == 0 {
			fmt.Fprintln(out, "(no audit records)")
		}
		return nil
	})
}

// parseWhen reads a day (UTC midnight) or an RFC 3339 time; empty is def.
func parseWhen(s string, def time.Time) (time.Time, error) {
	if s == "" {
		if def.IsZero() {
			return time.Time{}, errors.New("required (YYYY-MM-DD)")
		}
		return def, nil
	}
	if d, err := time.Parse(time.DateOnly, s); err == nil {
		return d, nil
	}
	return time.Parse(time.RFC3339, s)
}

func timeText(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
