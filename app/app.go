// Package app wires the adapters together. cmd/careconnect hands off to a
// Main, and the end-to-end tests start the same Main on port 0 with a fresh
// database, so what is tested is what runs.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
	sdkworker "go.temporal.io/sdk/worker"

	"careconnect/activities"
	"careconnect/api"
	"careconnect/config"
	"careconnect/devidp"
	"careconnect/devtemporal"
	"careconnect/identity"
	"careconnect/learninghub/delivery"
	"careconnect/links"
	"careconnect/logging"
	"careconnect/mail"
	"careconnect/relay"
	"careconnect/store"
	"careconnect/worker"
)

// Roles says which parts a process runs.
type Roles struct {
	API     bool // serve HTTP
	Worker  bool // poll the task queue
	Migrate bool // apply database migrations first
}

// Main is the running program.
type Main struct {
	Config config.Config
	Logger *slog.Logger

	Store    *store.Store
	Temporal client.Client
	// Catcher is the dev mail catcher, when smtp.dev_catcher is set.
	Catcher *mail.Catcher
	// DevServer is the Temporal dev server, when temporal.address is empty.
	DevServer *devtemporal.Server
	// DevIDP is the dev OIDC identity provider, when auth.dev_idp.enabled
	// and no applicant issuer is configured.
	DevIDP *devidp.Provider
	// DevIDPPersonas replaces the dev identity provider's default personas (tests).
	DevIDPPersonas []devidp.Persona

	worker sdkworker.Worker
	// Relay is the outbox relay, when the worker role runs.
	Relay       *relay.Relay
	stopRelay   context.CancelFunc
	relayDone   chan struct{}
	httpServer  *http.Server
	ln          net.Listener
	adminServer *http.Server // /metrics, /healthz, /readyz on http.admin_addr
	adminLn     net.Listener
	serveErr    chan error
}

// New returns a Main for cfg. Call Run, then Close.
func New(cfg config.Config, logger *slog.Logger) *Main {
	if logger == nil {
		logger = logging.New(os.Stderr, slog.LevelInfo)
	}
	return &Main{Config: cfg, Logger: logger}
}

// Run starts the dev services the configuration asks for, connects to the
// database and Temporal, and starts the roles. It returns once everything
// is serving; Close stops it all.
func (m *Main) Run(ctx context.Context, roles Roles) (err error) {
	defer func() {
		if err != nil {
			_ = m.Close()
		}
	}()
	cfg := &m.Config
	if cfg.SMTP.DevCatcher {
		if cfg.Env == config.EnvProduction {
			return errors.New("app: the dev mail catcher is refused in production")
		}
		if m.Catcher, err = mail.StartCatcher(net.JoinHostPort(cfg.SMTP.Host, fmt.Sprint(cfg.SMTP.Port))); err != nil {
			return fmt.Errorf("app: mail catcher: %w", err)
		}
		cfg.SMTP.Port = m.Catcher.Port()
	}
	if cfg.Temporal.Address == "" {
		if cfg.Env == config.EnvProduction {
			return errors.New("app: temporal.address is required in production")
		}
		ds := cfg.Temporal.DevServer
		if ds.DBFile != "" {
			if err := os.MkdirAll(filepath.Dir(ds.DBFile), 0o750); err != nil {
				return fmt.Errorf("app: temporal.dev_server.db_file: %w", err)
			}
		}
		m.DevServer, err = devtemporal.Start(ctx, devtemporal.Options{Binary: ds.Binary, IP: ds.IP, Port: ds.Port,
			UIPort: ds.UIPort, DBFile: ds.DBFile, Namespace: cfg.Temporal.Namespace})
		if err != nil {
			return fmt.Errorf("app: temporal dev server (temporal.dev_server.binary): %w", err)
		}
		cfg.Temporal.Address = m.DevServer.Address()
		cfg.Temporal.UIURL = m.DevServer.UIURL()
	}

	if m.Store, err = store.Open(ctx, cfg.Database.URL, cfg.Database.SQLitePath); err != nil {
		return err
	}
	if roles.Migrate {
		if err := m.Store.Migrate(ctx); err != nil {
			return err
		}
	}
	m.Temporal, err = client.DialContext(ctx, client.Options{HostPort: cfg.Temporal.Address, Namespace: cfg.Temporal.Namespace,
		Logger: tlog.NewStructuredLogger(m.Logger.With("component", "temporal"))})
	if err != nil {
		return fmt.Errorf("app: temporal at %s: %w", cfg.Temporal.Address, err)
	}
	signer, err := links.NewSigner(cfg.Links.Secret)
	if err != nil {
		return fmt.Errorf("app: links.secret: %w", err)
	}

	if roles.API {
		if m.ln, err = net.Listen("tcp", cfg.HTTP.Addr); err != nil {
			return fmt.Errorf("app: http.addr %s: %w", cfg.HTTP.Addr, err)
		}
		if m.adminLn, err = net.Listen("tcp", cfg.HTTP.AdminAddr); err != nil {
			return fmt.Errorf("app: http.admin_addr %s: %w", cfg.HTTP.AdminAddr, err)
		}
		if cfg.HTTP.PublicBaseURL == "" {
			cfg.HTTP.PublicBaseURL = m.URL()
		}
	}
	if roles.Worker {
		sender, err := mail.NewSender(cfg.SMTP)
		if err != nil {
			return fmt.Errorf("app: smtp: %w", err)
		}
		rc := cfg.Relay
		m.Relay = &relay.Relay{Store: m.Store, Mailer: sender, Temporal: m.Temporal, Links: signer,
			LearningHub: delivery.Deliverer{Store: m.Store, Temporal: m.Temporal, CourseCode: cfg.LearningHub.CourseCode,
				AgreementCode: cfg.LearningHub.AgreementCode, Log: m.Logger.With("component", "learninghub")},
			Log: m.Logger.With("component", "relay"),
			Config: relay.Config{Interval: rc.Interval, BatchSize: rc.BatchSize, Lease: rc.Lease, RetryFor: rc.RetryFor,
				PublicBaseURL: cfg.HTTP.PublicBaseURL, TeamEmail: cfg.Team.Email, ViewerURL: cfg.Viewer.URL,
				DeclarationTTL: cfg.Links.DeclarationTTL, JoinLinkTTL: cfg.Links.JoinRequestTTL,
				EmailConfirmationTTL: cfg.Links.EmailConfirmationTTL}}
		acts := &activities.Activities{Store: m.Store, Outbox: m.Relay}
		if err := worker.EnsureSearchAttributes(ctx, m.Temporal, cfg.Temporal.Namespace); err != nil {
			return fmt.Errorf("app: %w", err)
		}
		m.worker = worker.New(m.Temporal, cfg.Temporal.TaskQueue, cfg.Temporal.WorkflowCacheSize, acts)
		if err := m.worker.Start(); err != nil {
			return fmt.Errorf("app: worker: %w", err)
		}
		// The relay runs on its own until Close, whatever ctx (Run's) does.
		rctx, stop := context.WithCancel(context.Background())
		m.stopRelay, m.relayDone = stop, make(chan struct{})
		go func() {
			defer close(m.relayDone)
			m.Relay.Run(rctx)
		}()
	}

	if roles.API {
		auth, err := m.startIdentity(ctx)
		if err != nil {
			return err
		}
		deps := api.Deps{Config: *cfg, Store: m.Store, Temporal: startingClient{m.Temporal}, Links: signer, Logger: m.Logger, Auth: auth}
		if m.Catcher != nil {
			deps.DevMail = m.Catcher.Handler()
		}
		srv := api.New(deps)
		m.httpServer = &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout: time.Minute, WriteTimeout: time.Minute, IdleTimeout: 2 * time.Minute}
		m.adminServer = &http.Server{Handler: srv.AdminHandler(), ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout: time.Minute, WriteTimeout: time.Minute, IdleTimeout: 2 * time.Minute}
		m.serveErr = make(chan error, 2)
		go func() { m.serveErr <- m.httpServer.Serve(m.ln) }()
		go func() { m.serveErr <- m.adminServer.Serve(m.adminLn) }()
	}
	return nil
}

// startIdentity starts the dev identity provider when configured (never in
// production) and discovers the OIDC issuers.
func (m *Main) startIdentity(ctx context.Context) (*identity.Authenticator, error) {
	cfg := &m.Config
	redirect := strings.TrimRight(cfg.HTTP.PublicBaseURL, "/") + "/auth/callback"
	if cfg.Auth.Applicant.Issuer == "" && cfg.Auth.DevIDP.Enabled {
		var err error
		m.DevIDP, err = devidp.Start(cfg.Auth.DevIDP.Addr, devidp.Options{Env: cfg.Env, Personas: m.DevIDPPersonas, Clients: map[string]devidp.Client{
			cfg.Auth.Applicant.ClientID: {Secret: cfg.Auth.Applicant.ClientSecret, RedirectURIs: []string{redirect}}}})
		if err != nil {
			return nil, fmt.Errorf("app: dev identity provider (auth.dev_idp): %w", err)
		}
		cfg.Auth.Applicant.Issuer = m.DevIDP.Issuer()
	}
	a := cfg.Auth
	auth, err := identity.New(ctx, identity.Config{
		Applicant: identity.IssuerConfig{Issuer: a.Applicant.Issuer, ClientID: a.Applicant.ClientID, ClientSecret: a.Applicant.ClientSecret},
		Team:      identity.IssuerConfig{Issuer: a.Team.Issuer, ClientID: a.Team.ClientID, ClientSecret: a.Team.ClientSecret},
		RoleClaim: a.TeamRoleClaim, RoleValue: a.TeamRoleValue, MinIAL: a.MinIdentityAssurance, IALClaim: a.IALClaim,
		RedirectURL: redirect, SessionTTL: a.SessionTTL, IdleTimeout: a.SessionIdleTimeout, RoleRecheck: a.TeamRoleRecheck,
		Logger: m.Logger.With("component", "identity"),
	}, m.Store)
	if err != nil {
		return nil, fmt.Errorf("app: sign-in (auth.applicant / auth.team): %w", err)
	}
	return auth, nil
}

// URL is the API's base URL, e.g. http://127.0.0.1:41234.
func (m *Main) URL() string {
	if m.ln == nil {
		return ""
	}
	return "http://" + m.ln.Addr().String()
}

// AdminURL is the admin listener's base URL (/metrics, /healthz, /readyz),
// e.g. http://127.0.0.1:9091.
func (m *Main) AdminURL() string {
	if m.adminLn == nil {
		return ""
	}
	return "http://" + m.adminLn.Addr().String()
}

// Close stops everything Run started, in reverse order.
func (m *Main) Close() error {
	var errs []error
	errs = append(errs, stopHTTP(m.httpServer, m.ln), stopHTTP(m.adminServer, m.adminLn))
	m.httpServer, m.ln, m.adminServer, m.adminLn = nil, nil, nil, nil
	if m.stopRelay != nil {
		m.stopRelay() // a send in flight is cut off; its claim lapses and another relay sends it
		<-m.relayDone
		m.stopRelay = nil
	}
	if m.worker != nil {
		m.worker.Stop()
		m.worker = nil
	}
	if m.Temporal != nil {
		m.Temporal.Close()
		m.Temporal = nil
	}
	if m.Store != nil {
		errs = append(errs, m.Store.Close())
		m.Store = nil
	}
	if m.DevServer != nil {
		errs = append(errs, m.DevServer.Stop())
		m.DevServer = nil
	}
	if m.Catcher != nil {
		errs = append(errs, m.Catcher.Close())
		m.Catcher = nil
	}
	if m.DevIDP != nil {
		errs = append(errs, m.DevIDP.Close())
		m.DevIDP = nil
	}
	return errors.Join(errs...)
}

// stopHTTP shuts srv down, or closes ln when no server serves it yet.
func stopHTTP(srv *http.Server, ln net.Listener) error {
	switch {
	case srv != nil:
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return srv.Shutdown(ctx)
	case ln != nil:
		return ln.Close()
	}
	return nil
}
