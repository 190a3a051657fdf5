// Command careconnect runs the CareConnect enrolment service.
//
//	careconnect dev      everything on embedded defaults: Temporal dev server,
//	                     mail catcher, SQLite (unless database.url is set), worker, API
//	careconnect api      the HTTP API
//	careconnect worker   the Temporal worker
//	careconnect migrate  apply database migrations and exit
//	careconnect learninghub-send --email x@example.ca [--type course.completed|agreement.acknowledged]
//	                     [--url http://127.0.0.1:8080] [--event-id ID]
//	                     post one callback signed with learninghub.secret, as LearningHub would
//	careconnect healthcheck [--ready] [--url URL]
//	                     ask the admin listener for /healthz (or /readyz); exit 1 unless 200
//	                     (container health checks: the image has no shell or curl)
//	careconnect version  print the version, VCS revision and Go version
//	careconnect calendar show|push
//	                     show the business calendar (and the one last pushed), or
//	                     push it to every running enrolment now
//	careconnect email resend KEY
//	                     send a stuck or failed email again (operate.go)
//	careconnect learninghub redeliver
//	                     deliver the pending LearningHub events an account can take now
//	careconnect export queue|worksites|audit [--from D --to D] [--out FILE]
//	                     the team's queue, the worksites, or an audit range as CSV
//	careconnect timeline person:SUBJECT|worksite:ID
//	                     a subject's audit timeline in the terminal
//
// Configuration: --config FILE (YAML) and CARECONNECT_* environment variables.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"careconnect/app"
	"careconnect/buildinfo"
	"careconnect/config"
	"careconnect/logging"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "careconnect:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: careconnect dev|api|worker|migrate|learninghub-send|healthcheck|calendar|email|learninghub|export|timeline|version [--config FILE]")
	}
	cmd := args[0]
	switch cmd {
	case "learninghub-send":
		return learningHubSend(args[1:], out)
	case "healthcheck":
		return healthcheck(args[1:], out)
	case "version":
		_, err := fmt.Fprintln(out, buildinfo.Get())
		return err
	case "calendar":
		return calendarCmd(args[1:], out)
	case "email":
		return emailCmd(args[1:], out)
	case "export":
		return exportCmd(args[1:], out)
	case "timeline":
		return timelineCmd(args[1:], out)
	}
	if cmd == "learninghub" {
		if len(args) < 2 || args[1] != "redeliver" {
			return fmt.Errorf("usage: careconnect learninghub redeliver")
		}
		return learningHubRedeliver(args[2:], out)
	}
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	cfgPath := fs.String("config", os.Getenv("CARECONNECT_CONFIG"), "YAML configuration file")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	cfg, err := config.Load(*cfgPath, os.LookupEnv)
	if err != nil {
		return err
	}
	var roles app.Roles
	switch cmd {
	case "dev":
		if cfg.Env == config.EnvProduction {
			return fmt.Errorf("dev refuses to run with env=production; use api and worker")
		}
		roles = app.Roles{API: true, Worker: true, Migrate: true}
		if cfg.SMTP.CatcherDir == "" {
			cfg.SMTP.CatcherDir = "data/mail" // a restart keeps the emailed links
		}
	case "api":
		roles = app.Roles{API: true}
	case "worker":
		roles = app.Roles{Worker: true}
	case "migrate":
		roles = app.Roles{Migrate: true}
	default:
		return fmt.Errorf("unknown command %q: want dev, api, worker, migrate, learninghub-send, healthcheck, calendar or version", cmd)
	}
	logger, err := logging.Open(os.Stderr, cfg.Log.Level, cfg.Log.Format)
	if err != nil {
		return err
	}
	logger.Info("starting", "command", cmd, "build", buildinfo.Get().String())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	m := app.New(cfg, logger)
	if err := m.Run(ctx, roles); err != nil {
		return err
	}
	defer m.Close()
	if cmd == "migrate" {
		logger.Info("migrations applied")
		return nil
	}
	if cmd == "dev" {
		printURLs(m)
	}
	<-ctx.Done()
	logger.Info("shutting down")
	return nil
}

func printURLs(m *app.Main) {
	c := m.Config
	fmt.Printf(`
CareConnect enrolment is running (env=%s). Ctrl-C stops everything.

  Portal         %s/portal   (applicants, site administrators, authorizers)
  Team console   %s/team     (the enrolment team: queue, subjects, funnel)
  API            %s   (OpenAPI: %s/api/openapi.yaml)
  Health         %s/healthz  %s/readyz
  Admin          %s/metrics  %s/healthz  %s/readyz   (admin listener: operators only)
  Dashboards     deploy/observability/: dashboard.json (Grafana), alerts.yml and prometheus.yml (scrapes %s)
  Logs           %s on stderr at log.level=%s; traces: %s
  Mail           %s
  Temporal UI    %s
  Temporal gRPC  %s
  Database       %s

  Sign in        %s/auth/login   (enrolment team: %s/auth/login?as=team)
  Identity       %s
`, c.Env, m.URL(), m.URL(), m.URL(), m.URL(), m.URL(), m.URL(), m.AdminURL(), m.AdminURL(), m.AdminURL(),
		strings.TrimPrefix(m.AdminURL(), "http://"), c.Log.Format, c.Log.Level, tracesLabel(c), mailLabel(m), c.Temporal.UIURL, c.Temporal.Address,
		databaseLabel(c), m.URL(), m.URL(), identityLabel(m))
}

func tracesLabel(c config.Config) string {
	if c.Telemetry.OTLPEndpoint == "" {
		return "not exported (set telemetry.otlp_endpoint)"
	}
	return "OTLP to " + c.Telemetry.OTLPEndpoint
}

func databaseLabel(c config.Config) string {
	if c.Database.URL != "" {
		return "PostgreSQL (database.url)"
	}
	return "SQLite " + c.Database.SQLitePath + " (embedded default)"
}

func mailLabel(m *app.Main) string {
	if m.Catcher == nil {
		return fmt.Sprintf("SMTP relay %s:%d", m.Config.SMTP.Host, m.Config.SMTP.Port)
	}
	return fmt.Sprintf("%s/dev/mail   (dev mail catcher, SMTP on %s)", m.URL(), m.Catcher.Addr())
}

func identityLabel(m *app.Main) string {
	if m.DevIDP != nil {
		return m.DevIDP.Issuer() + "   (dev identity provider: pick a persona; NOT the BC Services Card)"
	}
	return m.Config.Auth.Applicant.Issuer + " (applicants)"
}
