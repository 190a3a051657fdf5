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
	"sync"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	sdkworker "go.temporal.io/sdk/worker"

	"careconnect/activities"
	"careconnect/api"
	"careconnect/codec"
	"careconnect/config"
	"careconnect/devidp"
	"careconnect/devtemporal"
	"careconnect/domain"
	"careconnect/enrolment"
	enrolmenttemporal "careconnect/enrolment/temporal"
	"careconnect/health"
	"careconnect/identity"
	"careconnect/learninghub"
	"careconnect/learninghub/delivery"
	"careconnect/links"
	"careconnect/logging"
	"careconnect/mail"
	"careconnect/relay"
	"careconnect/store"
	"careconnect/telemetry"
	"careconnect/telemetry/backend"
	"careconnect/temporalconn"
	"careconnect/worker"
)

// The adapters implement the application layer's ports.
var (
	_ enrolment.Store               = (*store.Store)(nil)
	_ enrolment.LinkVerifier        = (*links.Signer)(nil)
	_ enrolment.LearningHubVerifier = (*learninghub.Keyring)(nil)
	_ enrolment.Workflows           = (*enrolmenttemporal.Workflows)(nil)
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
	// Codec encrypts the payloads the Temporal client sends (nil when
	// codec.keys is empty, dev only).
	Codec *codec.Codec
	// Catcher is the dev mail catcher, when smtp.dev_catcher is set.
	Catcher *mail.Catcher
	// DevServer is the Temporal dev server, when temporal.address is empty.
	DevServer *devtemporal.Server
	// DevIDP is the dev OIDC identity provider, when auth.dev_idp.enabled
	// and no applicant issuer is configured.
	DevIDP *devidp.Provider
	// DevIDPPersonas replaces the dev identity provider's default personas (tests).
	DevIDPPersonas []devidp.Persona
	// SpanExporters receive every span as it ends, beside the OTLP export
	// of telemetry.otlp_endpoint (tests: an in-memory exporter).
	SpanExporters []sdktrace.SpanExporter

	// Metrics is the process's registry: the admin listener's /metrics.
	Metrics *telemetry.Metrics
	// Tracing makes the spans of the API, Temporal, SQL and SMTP.
	Tracing *telemetry.Tracing

	// Relay is the outbox relay, when the worker role runs.
	Relay       *relay.Relay
	stopRelay   context.CancelFunc
	relayDone   chan struct{}
	httpServer  *http.Server
	ln          net.Listener
	adminServer *http.Server // /metrics, /healthz, /readyz on http.admin_addr
	adminLn     net.Listener
	serveErr    chan error

	// stopCalendarPush ends the background push of the calendar;
	// calendarPushed is closed when it has ended (calendar.go).
	stopCalendarPush context.CancelFunc
	calendarPushed   chan struct{}

	auth *identity.Authenticator
	// temporalHealth checks Temporal in the background for /readyz.
	temporalHealth *health.Monitor

	mu      sync.Mutex
	worker  sdkworker.Worker // set once it polls; guarded by mu
	closing bool             // Close has begun; guarded by mu
	// workerRetry is closed to stop the background start of the worker;
	// workerRetried is closed when that has ended.
	workerRetry, workerRetried chan struct{}
}

// Worker start-up retry bounds, when Temporal cannot be reached at start.
const (
	workerRetryMin = time.Second
	workerRetryMax = 30 * time.Second
	// temporalCheckEvery is how often the background check asks Temporal
	// for its health (/readyz reports the last answer).
	temporalCheckEvery = 10 * time.Second
)

// New returns a Main for cfg. Call Run, then Close.
func New(cfg config.Config, logger *slog.Logger) *Main {
	if logger == nil {
		logger = logging.New(os.Stderr, slog.LevelInfo)
	}
	return &Main{Config: cfg, Logger: logger}
}

// Run starts the dev services the configuration asks for, connects to the
// database, migrates it if asked, and starts the roles. It returns once
// everything is serving; Close stops it all.
//
// Only the database must answer at start. Migrating needs nothing else.
// The Temporal client connects lazily: the API serves while Temporal is
// unreachable (reads from the projections; writes answer 503), and the
// worker starts polling once Temporal answers, retrying in the background.
// An OIDC issuer that is down is discovered later (identity.New).
func (m *Main) Run(ctx context.Context, roles Roles) (err error) {
	defer func() {
		if err != nil {
			_ = m.Close()
		}
	}()
	cfg := &m.Config
	serves := roles.API || roles.Worker
	m.Metrics = telemetry.NewMetrics()
	if m.Tracing, err = telemetry.NewTracing(cfg.Telemetry, m.SpanExporters...); err != nil {
		return fmt.Errorf("app: telemetry: %w", err)
	}
	if serves && cfg.SMTP.DevCatcher {
		if cfg.Env == config.EnvProduction {
			return errors.New("app: the dev mail catcher is refused in production")
		}
		if m.Catcher, err = mail.StartCatcherIn(net.JoinHostPort(cfg.SMTP.Host, fmt.Sprint(cfg.SMTP.Port)), cfg.SMTP.CatcherDir); err != nil {
			return fmt.Errorf("app: mail catcher: %w", err)
		}
		cfg.SMTP.Port = m.Catcher.Port()
	}
	if serves && cfg.Temporal.Address == "" {
		if cfg.Env == config.EnvProduction {
			return errors.New("app: temporal.address is required in production")
		}
		ds := cfg.Temporal.DevServer
		if ds.DBFile != "" {
			if err := os.MkdirAll(filepath.Dir(ds.DBFile), 0o750); err != nil {
				return fmt.Errorf("app: temporal.dev_server.db_file: %w", err)
			}
		}
		// The dev server's UI decodes payloads with the API's codec endpoint
		// (the team signs in at the API, and turns on "include cross-origin
		// credentials" in the UI's codec settings: README).
		codecEndpoint := ""
		if len(cfg.Codec.Keys)+len(cfg.Codec.KeyFiles) > 0 && cfg.HTTP.PublicBaseURL != "" {
			codecEndpoint = strings.TrimRight(cfg.HTTP.PublicBaseURL, "/") + "/codec"
		}
		m.DevServer, err = devtemporal.Start(ctx, devtemporal.Options{Binary: ds.Binary, IP: ds.IP, Port: ds.Port,
			UIPort: ds.UIPort, DBFile: ds.DBFile, Namespace: cfg.Temporal.Namespace, UICodecEndpoint: codecEndpoint})
		if err != nil {
			return fmt.Errorf("app: temporal dev server (temporal.dev_server.binary): %w", err)
		}
		cfg.Temporal.Address = m.DevServer.Address()
		cfg.Temporal.UIURL = m.DevServer.UIURL()
	}

	if m.Store, err = store.Open(ctx, cfg.Database.URL, cfg.Database.SQLitePath); err != nil {
		return err
	}
	if err := m.Store.Trace(m.Tracing.Tracer()); err != nil {
		return fmt.Errorf("app: store tracing: %w", err)
	}
	db := cfg.Database
	if err := m.Store.SetPool(store.Pool{MaxOpen: db.MaxOpenConns, MaxIdle: db.MaxIdleConns,
		MaxLifetime: db.ConnMaxLifetime, MaxIdleTime: db.ConnMaxIdleTime}); err != nil {
		return err
	}
	if roles.Migrate {
		if err := m.Store.Migrate(ctx); err != nil {
			return err
		}
	}
	if !serves {
		return nil
	}
	if m.Temporal, m.Codec, err = temporalClient(*cfg, m.Logger, m.Metrics, m.Tracing); err != nil {
		return err
	}
	m.temporalHealth = health.StartMonitor("temporal", func(ctx context.Context) error {
		_, err := m.Temporal.CheckHealth(ctx, &client.CheckHealthRequest{})
		return err
	}, temporalCheckEvery, 5*time.Second, m.Logger.With("component", "temporal"))
	signer, err := LinkSigner(cfg.Links)
	if err != nil {
		return err
	}

	// The admin listener serves the API's probes and metrics, or the
	// worker's when the process runs the worker alone.
	if m.adminLn, err = net.Listen("tcp", cfg.HTTP.AdminAddr); err != nil {
		return fmt.Errorf("app: http.admin_addr %s: %w", cfg.HTTP.AdminAddr, err)
	}
	if roles.API {
		if m.ln, err = net.Listen("tcp", cfg.HTTP.Addr); err != nil {
			return fmt.Errorf("app: http.addr %s: %w", cfg.HTTP.Addr, err)
		}
		if cfg.HTTP.PublicBaseURL == "" {
			cfg.HTTP.PublicBaseURL = m.URL()
		}
	}
	m.serveErr = make(chan error, 2)
	if roles.Worker {
		sender, err := mail.NewSender(cfg.SMTP)
		if err != nil {
			return fmt.Errorf("app: smtp: %w", err)
		}
		rc := cfg.Relay
		loc, err := cfg.Calendar.Location()
		if err != nil {
			return fmt.Errorf("app: calendar.time_zone: %w", err)
		}
		m.Relay = &relay.Relay{Store: m.Store, Mailer: telemetry.TracedMailer{Mailer: sender, Tracer: m.Tracing.Tracer()},
			Temporal: m.Temporal, Links: signer, Metrics: m.Metrics,
			LearningHub: delivery.Deliverer{Store: m.Store, Temporal: m.Temporal, CourseCode: cfg.LearningHub.CourseCode,
				AgreementCode: cfg.LearningHub.AgreementCode, Log: m.Logger.With("component", "learninghub")},
			Log: m.Logger.With("component", "relay"),
			Config: relay.Config{Interval: rc.Interval, BatchSize: rc.BatchSize, Lease: rc.Lease, RetryFor: rc.RetryFor,
				PublicBaseURL: cfg.HTTP.PublicBaseURL, TeamEmail: cfg.Team.Email, ViewerURL: cfg.Viewer.URL,
				CourseName: cfg.LearningHub.CourseName, CourseURL: cfg.LearningHub.CourseURL,
				Labels:         domain.DefaultLabels().WithProfessions(cfg.Policy.Professions),
				DeclarationTTL: cfg.Links.DeclarationTTL, JoinLinkTTL: cfg.Links.JoinRequestTTL,
				EmailConfirmationTTL: cfg.Links.EmailConfirmationTTL, Location: loc}}
		acts := &activities.Activities{Store: m.Store, Outbox: m.Relay, Metrics: m.Metrics, Log: m.Logger.With("component", "activities")}
		// The worker reports the projection gauges (one process of a
		// deployment should, or each replica repeats the same counts).
		m.Metrics.Registry.MustRegister(backend.ProjectionCollector{Source: m.Store, Log: m.Logger.With("component", "metrics")})
		if !roles.API {
			// Probes answer while the worker waits for Temporal.
			m.adminServer = adminServer(m.workerAdmin())
			go func() { m.serveErr <- m.adminServer.Serve(m.adminLn) }()
		}
		m.startWorker(ctx, acts)
		m.startCalendarPush(ctx)
		// The relay runs on its own until Close, whatever ctx (Run's) does.
		rctx, stop := context.WithCancel(context.Background())
		m.stopRelay, m.relayDone = stop, make(chan struct{})
		go func() {
			defer close(m.relayDone)
			m.Relay.Run(rctx)
		}()
	}

	if roles.API {
		if m.auth, err = m.startIdentity(ctx); err != nil {
			return err
		}
		hub, err := LearningHubKeyring(cfg.LearningHub)
		if err != nil {
			return err
		}
		svc := enrolment.New(enrolment.Deps{Config: *cfg, Store: m.Store, Workflows: enrolmenttemporal.New(startingClient{m.Temporal}, cfg.Temporal.TaskQueue),
			Links: signer, LearningHub: hub, Hasher: enrolment.Bcrypt{Cost: cfg.Auth.BcryptCost}, Logger: m.Logger,
			Operations: operationsStore{m.Store}})
		deps := api.Deps{Config: *cfg, App: svc, Codec: m.Codec, Logger: m.Logger, Auth: m.auth, TemporalHealth: m.temporalHealth.Err,
			Metrics: m.Metrics, Tracing: m.Tracing}
		if m.Catcher != nil {
			deps.DevMail = m.Catcher.Handler()
		}
		srv := api.New(deps)
		m.httpServer = &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout: time.Minute, WriteTimeout: time.Minute, IdleTimeout: 2 * time.Minute}
		m.adminServer = adminServer(srv.AdminHandler())
		go func() { m.serveErr <- m.httpServer.Serve(m.ln) }()
		go func() { m.serveErr <- m.adminServer.Serve(m.adminLn) }()
	}
	return nil
}

func adminServer(h http.Handler) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout: time.Minute, WriteTimeout: time.Minute, IdleTimeout: 2 * time.Minute}
}

// workerAdmin is the admin listener of a worker process: /healthz;
// /readyz, ready once the worker polls and the database answers, with
// Temporal's last known state beside them; and /metrics.
func (m *Main) workerAdmin() http.Handler {
	return health.Handler(m.Metrics.Registry,
		health.Check{Name: "database", Required: true, Check: m.Store.Ping},
		health.Check{Name: "worker", Required: true, Check: func(context.Context) error {
			if !m.WorkerPolling() {
				return errors.New("app: the worker is not polling yet")
			}
			return nil
		}},
		health.Check{Name: "temporal", Check: func(context.Context) error { return m.temporalHealth.Err() }},
	)
}

// WorkerPolling reports whether the worker has started polling.
func (m *Main) WorkerPolling() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.worker != nil
}

// startWorker starts the worker. When Temporal cannot be reached (or the
// search attributes cannot be registered), it logs why and keeps trying
// in the background, backing off from workerRetryMin to workerRetryMax,
// until it succeeds or Close; the worker's /readyz is unavailable until
// then.
func (m *Main) startWorker(ctx context.Context, acts *activities.Activities) {
	err := m.tryStartWorker(ctx, acts)
	if err == nil {
		return
	}
	m.Logger.Warn("worker not started: Temporal unavailable; retrying in the background", "error", err)
	m.workerRetry, m.workerRetried = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(m.workerRetried)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() {
			select {
			case <-m.workerRetry:
				cancel()
			case <-ctx.Done():
			}
		}()
		for wait := workerRetryMin; ; wait = min(2*wait, workerRetryMax) {
			select {
			case <-m.workerRetry:
				return
			case <-time.After(wait):
			}
			err := m.tryStartWorker(ctx, acts)
			if err == nil {
				m.Logger.Info("worker started: polling " + m.Config.Temporal.TaskQueue)
				return
			}
			if ctx.Err() != nil {
				return
			}
			m.Logger.Warn("worker not started yet", "error", err, "retry_in", min(2*wait, workerRetryMax).String())
		}
	}()
}

// tryStartWorker makes one attempt: Temporal must answer, the search
// attributes are registered if configured, and a new worker is started
// (an SDK worker whose Start failed cannot be started again).
func (m *Main) tryStartWorker(ctx context.Context, acts *activities.Activities) error {
	cfg := m.Config.Temporal
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if _, err := m.Temporal.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		return fmt.Errorf("app: temporal at %s: %w", cfg.Address, err)
	}
	if cfg.RegisterSearchAttributes {
		if err := worker.EnsureSearchAttributes(ctx, m.Temporal, cfg.Namespace); err != nil {
			return fmt.Errorf("app: %w (or create them as README \"Search attributes\" says and set temporal.register_search_attributes=false)", err)
		}
	}
	w := worker.New(m.Temporal, cfg.TaskQueue, cfg.WorkflowCacheSize, acts)
	if err := w.Start(); err != nil {
		return fmt.Errorf("app: worker: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closing {
		w.Stop()
		return errors.New("app: closing")
	}
	m.worker = w
	return nil
}

// temporalClient is the lazy Temporal client of cfg, with the payload codec
// of its codec keys (nil when there are none), the SDK's metrics on
// metrics' registry and its tracing interceptor on tracing (which the
// workers built from the client use too); either may be nil (a one-off command).
func temporalClient(cfg config.Config, logger *slog.Logger, metrics *telemetry.Metrics, tracing *telemetry.Tracing) (client.Client, *codec.Codec, error) {
	pc, err := PayloadCodec(cfg.Codec)
	if err != nil {
		return nil, nil, err
	}
	opts, err := temporalconn.Options(cfg.Temporal, logger.With("component", "temporal"))
	if err != nil {
		return nil, nil, fmt.Errorf("app: %w", err)
	}
	dc := codec.DataConverter(pc)
	opts.DataConverter, opts.FailureConverter = dc, codec.FailureConverter(dc)
	if metrics != nil {
		if opts.MetricsHandler, err = backend.TemporalMetrics(metrics.Registry); err != nil {
			return nil, nil, fmt.Errorf("app: %w", err)
		}
	}
	if tracing != nil {
		ti, err := backend.TemporalTracing(tracing)
		if err != nil {
			return nil, nil, fmt.Errorf("app: %w", err)
		}
		opts.Interceptors = append([]interceptor.ClientInterceptor{ti}, opts.Interceptors...)
	}
	c, err := client.NewLazyClient(opts)
	if err != nil {
		return nil, nil, fmt.Errorf("app: temporal at %s: %w", cfg.Temporal.Address, err)
	}
	return c, pc, nil
}

// PayloadCodec is the codec of codec.keys and codec.key_files, or nil when
// there are none (payloads in clear text: dev only).
func PayloadCodec(c config.Codec) (*codec.Codec, error) {
	active, keys, err := c.Ring()
	if err != nil || len(keys) == 0 {
		return nil, err
	}
	ring := make([]codec.Key, len(keys))
	for i, k := range keys {
		ring[i] = codec.Key{ID: k.ID, Secret: k.Key}
	}
	pc, err := codec.New(active, ring...)
	if err != nil {
		return nil, fmt.Errorf("app: codec.keys: %w", err)
	}
	return pc, nil
}

// LinkSigner is the key ring of links.secret or links.keys.
func LinkSigner(c config.Links) (*links.Signer, error) {
	active, keys, err := c.Ring()
	if err != nil {
		return nil, err
	}
	ring := make([]links.Key, len(keys))
	for i, k := range keys {
		ring[i] = links.Key(k)
	}
	s, err := links.NewKeyRing(active, ring...)
	if err != nil {
		return nil, fmt.Errorf("app: links.keys: %w", err)
	}
	return s, nil
}

// LearningHubKeyring is the key ring of learninghub.secret or learninghub.keys.
func LearningHubKeyring(c config.LearningHub) (*learninghub.Keyring, error) {
	active, keys, err := c.Ring()
	if err != nil {
		return nil, err
	}
	ring := make([]learninghub.Key, len(keys))
	for i, k := range keys {
		ring[i] = learninghub.Key(k)
	}
	k, err := learninghub.NewKeyring(active, ring...)
	if err != nil {
		return nil, fmt.Errorf("app: learninghub.keys: %w", err)
	}
	return k, nil
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
	if m.stopCalendarPush != nil {
		m.stopCalendarPush() // a push cut off is made again at the next start
		<-m.calendarPushed
		m.stopCalendarPush = nil
	}
	m.mu.Lock()
	m.closing = true
	m.mu.Unlock()
	if m.workerRetry != nil {
		close(m.workerRetry)
		<-m.workerRetried
		m.workerRetry, m.workerRetried = nil, nil
	}
	m.mu.Lock()
	w := m.worker
	m.worker = nil
	m.mu.Unlock()
	if w != nil {
		w.Stop()
	}
	if m.auth != nil {
		m.auth.Close()
		m.auth = nil
	}
	if m.temporalHealth != nil {
		m.temporalHealth.Stop()
		m.temporalHealth = nil
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
	if m.Tracing != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		errs = append(errs, m.Tracing.Close(ctx))
		m.Tracing = nil
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
