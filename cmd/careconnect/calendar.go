package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"careconnect/app"
	"careconnect/config"
	"careconnect/domain"
	"careconnect/logging"
)

// calendarCmd is `careconnect calendar show|push`:
//
//	show  print the configured business calendar (zone, years, every
//	      holiday and why) and the calendar last pushed to the running
//	      enrolments, if the database can say
//	push  send the configured calendar to every running enrolment now,
//	      whether or not it was pushed before, and record it
func calendarCmd(args []string, out io.Writer) error {
	if len(args) == 0 || (args[0] != "show" && args[0] != "push") {
		return fmt.Errorf("usage: careconnect calendar show|push [--config FILE]")
	}
	sub := args[0]
	fs := flag.NewFlagSet("calendar "+sub, flag.ContinueOnError)
	cfgPath := fs.String("config", os.Getenv("CARECONNECT_CONFIG"), "YAML configuration file")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	cfg, err := config.Load(*cfgPath, os.LookupEnv)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if sub == "show" {
		return showCalendar(ctx, cfg, out, time.Now())
	}
	res, err := app.PushCalendar(ctx, cfg, logging.New(os.Stderr, slog.LevelInfo))
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "calendar %s pushed to %d running enrolments on %s (previous: %s)\n",
		res.Fingerprint, res.Workflows, cfg.Temporal.TaskQueue, orNone(res.Previous))
	return err
}

// showCalendar prints the configured calendar at now and the last push.
func showCalendar(ctx context.Context, cfg config.Config, out io.Writer, now time.Time) error {
	c := cfg.Calendar
	ys, err := c.YearRange(now)
	if err != nil {
		return err
	}
	hs, err := c.HolidaysAt(now)
	if err != nil {
		return err
	}
	cal := c.DomainCalendarAt(now)
	fmt.Fprintf(out, "time zone          %s\nstatutory holidays %s, %d-%d\nfingerprint        %s\n\n",
		c.TimeZone, c.StatutoryHolidays, ys.From, ys.To, cal.Fingerprint())
	for _, h := range hs {
		d, err := time.Parse(time.DateOnly, h.Date)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "%s %s  %s\n", h.Date, d.Weekday().String()[:3], h.Name)
	}
	last, err := app.LastCalendarPush(ctx, cfg)
	switch {
	case domain.ErrorCode(err) == domain.ENOTFOUND:
		_, err = fmt.Fprintf(out, "\nlast pushed        never (the worker pushes it when it starts)\n")
	case err != nil:
		_, err = fmt.Fprintf(out, "\nlast pushed        unknown: %v\n", err)
	default:
		same := "the same"
		if last.Fingerprint != cal.Fingerprint() {
			same = "differs: the next worker start pushes the configured one"
		}
		_, err = fmt.Fprintf(out, "\nlast pushed        %s to %d running enrolments at %s (%s)\n",
			last.Fingerprint, last.Workflows, last.PushedAt.Format(time.RFC3339), same)
	}
	return err
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
