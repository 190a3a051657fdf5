// Package config loads the service's one Config struct with viper: defaults,
// then an optional file, then CARECONNECT_* environment overrides. main loads
// it once and passes it down; nothing reads configuration from globals.
package config

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/viper"

	"careconnect/domain"
)

// Environments.
const (
	EnvDev        = "dev"
	EnvTest       = "test"
	EnvProduction = "production"
)

// Dev-only defaults. Production refuses to start while any is in use.
const (
	DevLinkSecret = "dev-only-link-secret-not-for-production-use"
	// DevOIDCClientSecret is the dev identity provider's client secret.
	DevOIDCClientSecret = "dev-only-oidc-client-secret"
	// DevOIDCClientID is the client the dev identity provider registers.
	DevOIDCClientID = "careconnect-dev"
	// DevLearningHubSecret is the dev shared secret of LearningHub callbacks.
	DevLearningHubSecret = "dev-only-learninghub-secret-0000000000"
	devMarker            = "dev-only"
	EnvPrefix            = "CARECONNECT"
	// DefaultTaskQueue must equal workflows.TaskQueue (config imports no adapter; a test checks).
	DefaultTaskQueue = "careconnect-enrolment"
	DefaultTeamTag   = "CareConnect enrolment team"
	// MaxTeamRoleRecheck bounds auth.team_role_recheck: a team member whose
	// role is revoked loses access within this long.
	MaxTeamRoleRecheck = 5 * time.Minute
	// MinSecretBits is the entropy production asks of every key of
	// links, learninghub and codec (see SecretProblem).
	MinSecretBits = 256
)

// Config is the whole service configuration.
type Config struct {
	Env      string   `mapstructure:"env"`
	HTTP     HTTP     `mapstructure:"http"`
	Database Database `mapstructure:"database"`
	Temporal Temporal `mapstructure:"temporal"`
	SMTP     SMTP     `mapstructure:"smtp"`
	Links    Links    `mapstructure:"links"`
	Auth     Auth     `mapstructure:"auth"`
	Team     Team     `mapstructure:"team"`
	Viewer   Viewer   `mapstructure:"viewer"`
	Schedule Schedule `mapstructure:"schedule"`
	Calendar Calendar `mapstructure:"calendar"`
	Uploads  Uploads  `mapstructure:"uploads"`
	Policy   Policy   `mapstructure:"policy"`
	// LearningHub configures the LearningHub callback ingest.
	LearningHub LearningHub `mapstructure:"learninghub"`
	// Codec encrypts the payloads of workflow histories.
	Codec Codec `mapstructure:"codec"`
	// Relay configures the worker's outbox relay.
	Relay Relay `mapstructure:"relay"`
	// Log configures the logs (config/telemetry.go).
	Log Log `mapstructure:"log"`
	// Telemetry configures tracing (config/telemetry.go).
	Telemetry Telemetry `mapstructure:"telemetry"`
}

// Relay configures the outbox relay that runs in the worker process: it
// sends the emails and member notices the workflows' projection writes put
// in the outbox, and delivers the LearningHub events left pending.
type Relay struct {
	// Interval is how often it looks for work (a projection write in the
	// same process wakes it at once).
	Interval time.Duration `mapstructure:"interval"`
	// BatchSize is how many emails it sends at once, and how many notices
	// and LearningHub learners it takes per round.
	BatchSize int `mapstructure:"batch_size"`
	// Lease is how long an email or notice it claimed is left to it before
	// another relay may try again (its worker died mid-send): longer than
	// one SMTP send can take.
	Lease time.Duration `mapstructure:"lease"`
	// RetryFor is how long a failing email or notice is retried, with
	// exponential back-off (1 s doubling to 5 min), before it is marked
	// failed for good.
	RetryFor time.Duration `mapstructure:"retry_for"`
}

// MinRelayLease bounds relay.lease from below: a claim must outlast one send.
const MinRelayLease = 5 * time.Second

// LearningHub configures POST /webhooks/learninghub (DOMAIN "LearningHub callbacks").
type LearningHub struct {
	// Secret is the HMAC-SHA256 key LearningHub signs callbacks with, as
	// key DefaultKeyID; Keys replace it for a rotation (see Ring).
	Secret string `mapstructure:"secret"`
	// Keys are "<key ID>:<secret>" entries: every one verifies callbacks;
	// ActiveKey names the one learninghub-send signs with.
	Keys      []string `mapstructure:"keys"`
	ActiveKey string   `mapstructure:"active_key"`
	// Tolerance is how far a callback's signed timestamp may be from now, either side.
	Tolerance time.Duration `mapstructure:"tolerance"`
	// CourseCode is the Privacy & Security course whose completion counts.
	CourseCode string `mapstructure:"course_code"`
	// AgreementCode is the HPCAA whose acknowledgement counts.
	AgreementCode string `mapstructure:"agreement_code"`
	// CourseName and CourseURL are the course as applicants are told of
	// it: the application-received email and the status page name it and
	// link to it (DOMAIN: configurable).
	CourseName string `mapstructure:"course_name"`
	CourseURL  string `mapstructure:"course_url"`
}

// HTTP configures the API listener and the links it puts in emails.
type HTTP struct {
	Addr string `mapstructure:"addr"`
	// AdminAddr is the admin listener's host:port: /metrics, and /healthz
	// and /readyz for probes. It is for the operators' network only; the
	// public listener does not serve /metrics.
	AdminAddr string `mapstructure:"admin_addr"`
	// PublicBaseURL is where people reach the portal; emailed links start with
	// it. Outside production, empty means the API listener's own URL.
	PublicBaseURL string `mapstructure:"public_base_url"`
	// TrustedProxies are the addresses (IPs or CIDRs) of the reverse proxies
	// whose X-Forwarded-For names the client. Empty trusts none: the client
	// is the connection's peer, and X-Forwarded-For is ignored.
	TrustedProxies []string `mapstructure:"trusted_proxies"`
	// RateLimits bound how often one client address may call the routes
	// that take no sign-in or are cheap to flood.
	RateLimits RateLimits `mapstructure:"rate_limits"`
}

// RateLimits are per-client-address allowances a minute, each route with
// a bucket of its own; a client over its allowance gets 429 with
// Retry-After. Sign-in, registration and password resets use
// auth.rate_limit_per_minute.
type RateLimits struct {
	// Declarations: the declaration page and its form (GET and POST
	// /api/v1/declarations/{token}, GET /declaration/{token}).
	Declarations int `mapstructure:"declarations_per_minute"`
	// Links: join-request answers and the invitation and join-request pages.
	Links int `mapstructure:"links_per_minute"`
	// Search: GET /api/v1/worksites/search (type-ahead).
	Search int `mapstructure:"search_per_minute"`
	// Webhook: LearningHub's callbacks, per sending address. LearningHub
	// delivers in bursts of thousands, so the default is high; it stops a
	// flood, not LearningHub.
	Webhook int `mapstructure:"webhook_per_minute"`
}

// Database selects the application database.
type Database struct {
	// URL is a PostgreSQL URL. Empty means the embedded SQLite default (dev only).
	URL        string `mapstructure:"url"`
	SQLitePath string `mapstructure:"sqlite_path"`
	// MaxOpenConns bounds the PostgreSQL connections one process opens.
	// Every API and worker replica has a pool of its own: PostgreSQL's
	// max_connections must exceed replicas times this, plus Temporal's.
	MaxOpenConns int `mapstructure:"max_open_conns"`
	// MaxIdleConns is how many connections the pool keeps open while idle
	// (at most max_open_conns). Fewer than the concurrency makes every
	// other query open a connection (and PostgreSQL fork a backend).
	MaxIdleConns int `mapstructure:"max_idle_conns"`
	// ConnMaxLifetime closes a connection this old at its next release, so
	// the pool follows a database failover or a rotated password; 0 keeps
	// connections forever.
	ConnMaxLifetime time.Duration `mapstructure:"conn_max_lifetime"`
	// ConnMaxIdleTime closes a connection unused this long; 0 never does.
	ConnMaxIdleTime time.Duration `mapstructure:"conn_max_idle_time"`
}

// Temporal says how to reach Temporal, or how to start the dev server.
type Temporal struct {
	// Address is host:port of the frontend. Empty means: start the dev server (dev only).
	Address   string `mapstructure:"address"`
	Namespace string `mapstructure:"namespace"`
	// TaskQueue defaults to workflows.TaskQueue; tests give each run its own.
	TaskQueue string    `mapstructure:"task_queue"`
	UIURL     string    `mapstructure:"ui_url"`
	DevServer DevServer `mapstructure:"dev_server"`
	// WorkflowCacheSize is how many enrolments the worker keeps in memory
	// between their events (the SDK's sticky cache, about 90 KiB each); an
	// evicted one is replayed from its history when it next wakes.
	WorkflowCacheSize int `mapstructure:"workflow_cache_size"`
	// WriteBudget is how long a write (registering a worksite or an
	// account, signing a declaration, a password reset, an edit) may take
	// to reach its workflow: its update's validator refuses it after the
	// request's start plus this, so a 503 means it never happens. Zero
	// means 10s.
	WriteBudget time.Duration `mapstructure:"write_budget"`
	// TLS secures the connection to the frontend (self-hosted with TLS or
	// mTLS, and Temporal Cloud).
	TLS TemporalTLS `mapstructure:"tls"`
	// APIKey authenticates to Temporal Cloud (or a cluster that takes API
	// keys) as a bearer token; it turns TLS on. APIKeyFile names a file
	// holding the key instead, read again whenever it changes, so a
	// rotated key (a Kubernetes Secret update) needs no restart.
	APIKey     string `mapstructure:"api_key"`
	APIKeyFile string `mapstructure:"api_key_file"`
	// RegisterSearchAttributes: the worker adds the workflows' missing
	// search attributes through the OperatorService before it polls. The
	// default is true outside production and false in production, where
	// an operator creates them once (README "Search attributes"): Temporal
	// Cloud refuses the OperatorService, and a worker should not hold
	// the rights to change a namespace.
	RegisterSearchAttributes bool `mapstructure:"register_search_attributes"`
}

// TemporalTLS is the client side of TLS to the Temporal frontend.
type TemporalTLS struct {
	// Enabled turns TLS on, trusting the system's CA roots (Temporal
	// Cloud). Setting ca_file, cert_file or an API key turns it on too.
	Enabled bool `mapstructure:"enabled"`
	// CAFile is a PEM file of the CA certificates that may sign the
	// frontend's certificate; when set, only they are trusted.
	CAFile string `mapstructure:"ca_file"`
	// ServerName is the name the frontend's certificate must carry, when
	// it is not the host of temporal.address (a load balancer, an IP).
	ServerName string `mapstructure:"server_name"`
	// CertFile and KeyFile are the client certificate and its key (PEM)
	// for mTLS. Both files are read again when they change, at the next
	// connection's handshake, so a renewed certificate needs no restart.
	CertFile string `mapstructure:"cert_file"`
	KeyFile  string `mapstructure:"key_file"`
}

// TLSOn reports whether the connection to Temporal uses TLS.
func (t Temporal) TLSOn() bool {
	return t.TLS.Enabled || t.TLS.CAFile != "" || t.TLS.CertFile != "" || t.APIKey != "" || t.APIKeyFile != ""
}

// DevServer configures the `temporal server start-dev` child process.
type DevServer struct {
	// Binary is the temporal CLI, as built by scripts/temporal-cli.sh.
	Binary string `mapstructure:"binary"`
	IP     string `mapstructure:"ip"`
	Port   int    `mapstructure:"port"`
	UIPort int    `mapstructure:"ui_port"`
	// DBFile persists the dev server's state between runs; empty keeps it in memory.
	DBFile string `mapstructure:"db_file"`
}

// SMTP configures outgoing mail.
type SMTP struct {
	Host     string `mapstructure:"host"`
	Port     int    `mapstructure:"port"`
	Username string `mapstructure:"username"`
	Password string `mapstructure:"password"`
	From     string `mapstructure:"from"`
	// TLS is "none" (dev catcher only; refused in production), "starttls" or "tls".
	TLS string `mapstructure:"tls"`
	// CAFile is a PEM file of CA certificates trusted for the relay besides
	// the system roots, for a relay whose certificate an internal CA issued.
	CAFile string `mapstructure:"ca_file"`
	// DevCatcher starts the in-process mail catcher on Host:Port (dev and tests only).
	DevCatcher bool `mapstructure:"dev_catcher"`
	// CatcherDir is where the dev mail catcher keeps its messages, so that
	// a restart keeps every emailed link; empty keeps them in memory only.
	// `careconnect dev` uses data/mail when it is empty.
	CatcherDir string `mapstructure:"catcher_dir"`
}

// Links configures signed, expiring links in emails.
type Links struct {
	// Secret is the HMAC key links are signed with, as key DefaultKeyID;
	// Keys replace it for a rotation (see Ring).
	Secret string `mapstructure:"secret"`
	// Keys are "<key ID>:<secret>" entries: every one verifies links;
	// ActiveKey names the one new links are signed with.
	Keys           []string      `mapstructure:"keys"`
	ActiveKey      string        `mapstructure:"active_key"`
	DeclarationTTL time.Duration `mapstructure:"declaration_ttl"`
	// JoinRequestTTL is how long an administrator's emailed answer link works.
	JoinRequestTTL time.Duration `mapstructure:"join_request_ttl"`
	// EmailConfirmationTTL is how long an email confirmation link works.
	EmailConfirmationTTL time.Duration `mapstructure:"email_confirmation_ttl"`
}

// Auth configures sign-in: applicants through the BC Services Card OIDC
// issuer, the enrolment team through their own issuer or a role claim.
type Auth struct {
	// Applicant is the BC Services Card client registration. An empty
	// issuer means the dev identity provider (dev and test only).
	Applicant OIDCClient `mapstructure:"applicant"`
	// Team is the enrolment team's own issuer. An empty issuer means team
	// members sign in through the applicant issuer and carry the role claim.
	Team OIDCClient `mapstructure:"team"`
	// TeamRoleClaim and TeamRoleValue recognise a team member in a token.
	TeamRoleClaim string `mapstructure:"team_role_claim"`
	TeamRoleValue string `mapstructure:"team_role_value"`
	// MinIdentityAssurance refuses BCSC sign-ins below this level.
	MinIdentityAssurance int    `mapstructure:"min_identity_assurance"`
	IALClaim             string `mapstructure:"ial_claim"`
	// SessionTTL is a browser session's absolute lifetime.
	SessionTTL time.Duration `mapstructure:"session_ttl"`
	// SessionIdleTimeout ends a browser session unused this long (its last
	// use is recorded at most once a minute).
	SessionIdleTimeout time.Duration `mapstructure:"session_idle_timeout"`
	// TeamRoleRecheck is how often a team session asks the issuer again
	// whether the person is still on the team (at most 5m).
	TeamRoleRecheck time.Duration `mapstructure:"team_role_recheck"`
	// CookieSecure marks the session cookie Secure; only plain-http dev may turn it off.
	CookieSecure bool   `mapstructure:"cookie_secure"`
	DevIDP       DevIDP `mapstructure:"dev_idp"`
	// RateLimitPerMinute bounds sign-in, registration and password resets per client address.
	RateLimitPerMinute int `mapstructure:"rate_limit_per_minute"`
	// BcryptCost is the password hash cost.
	BcryptCost int `mapstructure:"bcrypt_cost"`
}

// OIDCClient is one OIDC client registration.
type OIDCClient struct {
	Issuer       string `mapstructure:"issuer"`
	ClientID     string `mapstructure:"client_id"`
	ClientSecret string `mapstructure:"client_secret"`
}

// DevIDP runs the dev OIDC identity provider (refused in production).
type DevIDP struct {
	Enabled bool   `mapstructure:"enabled"`
	Addr    string `mapstructure:"addr"`
}

// Viewer is CareConnect itself, which the welcome package points to (it is
// not the enrolment portal).
type Viewer struct {
	URL string `mapstructure:"url"`
}

// Team is the enrolment team's mailbox, told about stalled and escalated items.
type Team struct {
	Email string `mapstructure:"email"`
}

// Schedule is the reminder schedule (DOMAIN defaults).
type Schedule struct {
	DeclarationReminders            []time.Duration `mapstructure:"declaration_reminders"`
	DeclarationStalledAfter         time.Duration   `mapstructure:"declaration_stalled_after"`
	DeclarationLapseAfter           time.Duration   `mapstructure:"declaration_lapse_after"`
	TeamReviewEscalateBusinessDays  int             `mapstructure:"team_review_escalate_business_days"`
	TeamReviewBreachBusinessDays    int             `mapstructure:"team_review_breach_business_days"`
	PasswordMaxAge                  time.Duration   `mapstructure:"password_max_age"`
	PasswordRemindersBefore         []time.Duration `mapstructure:"password_reminders_before"`
	JoinRequestReminderBusinessDays []int           `mapstructure:"join_request_reminder_business_days"`
	InvitationResendAfter           time.Duration   `mapstructure:"invitation_resend_after"`
	InvitationExpiresAfter          time.Duration   `mapstructure:"invitation_expires_after"`
	ApplicationReminders            []time.Duration `mapstructure:"application_reminders"`
	ApplicationLapseAfter           time.Duration   `mapstructure:"application_lapse_after"`
	SponsorReminderBusinessDays     []int           `mapstructure:"sponsor_reminder_business_days"`
	ResidencyNoticeBefore           time.Duration   `mapstructure:"residency_notice_before"`
}

// Calendar defines business days for SLAs, and the zone dates are shown in.
type Calendar struct {
	// TimeZone is the IANA zone business days are counted in and emails
	// show dates in.
	TimeZone string `mapstructure:"time_zone"`
	// StatutoryHolidays are the statutory holidays the calendar starts
	// from: "bc" (British Columbia's, the default) or "none".
	StatutoryHolidays string `mapstructure:"statutory_holidays"`
	// Years are the years statutory holidays are computed for: "2025-2030",
	// "2026", or empty for a window that moves with the clock: from the
	// year before the current one to five years after it.
	Years string `mapstructure:"years"`
	// Holidays are more dates ("2026-12-24") that are not business days,
	// added to the statutory holidays.
	Holidays []string `mapstructure:"holidays"`
}

// Location is the calendar's zone: business days are counted, and emails
// show dates, in it.
func (c Calendar) Location() (*time.Location, error) {
	return domain.Calendar{TimeZone: c.TimeZone}.Location()
}

// Rolling window of Calendar.Years when it is empty: the year before the
// current one (an SLA counted across New Year skips last Christmas) to
// calendarYearsAhead after it.
const calendarYearsAhead = 5

// YearRange is the range of years Years names at now (its zone's year).
func (c Calendar) YearRange(now time.Time) (domain.Years, error) {
	s := strings.TrimSpace(c.Years)
	if s == "" {
		if loc, err := (domain.Calendar{TimeZone: c.TimeZone}).Location(); err == nil {
			now = now.In(loc)
		}
		y := now.Year()
		return domain.Years{From: y - 1, To: y + calendarYearsAhead}, nil
	}
	from, to, isRange := strings.Cut(s, "-")
	if !isRange {
		to = from
	}
	f, err1 := strconv.Atoi(strings.TrimSpace(from))
	t, err2 := strconv.Atoi(strings.TrimSpace(to))
	if err1 != nil || err2 != nil {
		return domain.Years{}, fmt.Errorf("years: %q is not a year (2026) or a range of years (2025-2030)", c.Years)
	}
	ys := domain.Years{From: f, To: t}
	return ys, ys.Validate()
}

// HolidaysAt lists every holiday of the calendar at now, with its name:
// the statutory holidays of its years, then the configured dates, in date
// order (a date may be listed twice, once for each reason).
func (c Calendar) HolidaysAt(now time.Time) ([]domain.Holiday, error) {
	ys, err := c.YearRange(now)
	if err != nil {
		return nil, err
	}
	hs := domain.StatutoryHolidays(c.StatutoryHolidays).Holidays(ys)
	for _, d := range c.Holidays {
		hs = append(hs, domain.Holiday{Date: d, Name: "calendar.holidays"})
	}
	slices.SortStableFunc(hs, func(a, b domain.Holiday) int { return strings.Compare(a.Date, b.Date) })
	return hs, nil
}

// Uploads bounds uploaded files.
type Uploads struct {
	MaxScreenshotBytes int64 `mapstructure:"max_screenshot_bytes"`
}

// Policy holds the policy tables an operator may change.
type Policy struct {
	WorksiteTypes []domain.WorksiteTypePolicy `mapstructure:"worksite_types"`
	EMRVendors    []domain.EMRVendor          `mapstructure:"emr_vendors"`
	Attestations  []domain.Attestation        `mapstructure:"attestations"`
	Professions   []domain.Profession         `mapstructure:"professions"`
	// Questions is the access application questionnaire.
	Questions []domain.Question `mapstructure:"questions"`
}

// DomainSchedule converts the configured schedule to the domain's form.
func (s Schedule) DomainSchedule() domain.Schedule {
	return domain.Schedule{
		DeclarationReminders:    durations(s.DeclarationReminders),
		DeclarationStalledAfter: domain.Duration(s.DeclarationStalledAfter),
		DeclarationLapseAfter:   domain.Duration(s.DeclarationLapseAfter),
		TeamReviewEscalateDays:  s.TeamReviewEscalateBusinessDays,
		TeamReviewBreachDays:    s.TeamReviewBreachBusinessDays,
		PasswordMaxAge:          domain.Duration(s.PasswordMaxAge),
		PasswordRemindersBefore: durations(s.PasswordRemindersBefore),
		JoinRequestReminderDays: append([]int(nil), s.JoinRequestReminderBusinessDays...),
		InvitationResendAfter:   domain.Duration(s.InvitationResendAfter),
		InvitationExpiresAfter:  domain.Duration(s.InvitationExpiresAfter),
		ApplicationReminders:    durations(s.ApplicationReminders),
		ApplicationLapseAfter:   domain.Duration(s.ApplicationLapseAfter),
		SponsorReminderDays:     append([]int(nil), s.SponsorReminderBusinessDays...),
		ResidencyNoticeBefore:   domain.Duration(s.ResidencyNoticeBefore),
	}
}

// DomainCalendar is the configured calendar in the domain's form, now:
// DomainCalendarAt(time.Now()). With the default years the holidays
// follow the clock, a year more each New Year.
func (c Calendar) DomainCalendar() domain.Calendar { return c.DomainCalendarAt(time.Now()) }

// DomainCalendarAt is the configured calendar in the domain's form at now:
// its zone, and the dates of HolidaysAt(now), normalized. A calendar that
// Validate refused (bad years) has only the configured dates.
func (c Calendar) DomainCalendarAt(now time.Time) domain.Calendar {
	// Computing a window of years' holidays costs tens of microseconds, and
	// the API asks on every queue request and workflow start: the result
	// depends only on the settings and the years, so it is kept.
	key := c.TimeZone + "|" + c.StatutoryHolidays + "|" + strings.Join(c.Holidays, ",")
	if ys, err := c.YearRange(now); err == nil {
		key += fmt.Sprintf("|%d-%d", ys.From, ys.To)
	}
	if v, ok := calendars.Load(key); ok {
		cal := v.(domain.Calendar)
		cal.Holidays = slices.Clone(cal.Holidays) // callers may keep or change it
		return cal
	}
	cal := c.computeCalendar(now)
	calendars.Store(key, cal)
	return domain.Calendar{TimeZone: cal.TimeZone, Holidays: slices.Clone(cal.Holidays)}
}

// calendars caches DomainCalendarAt's results by settings and years. Its
// values are immutable (DomainCalendarAt hands out copies).
var calendars sync.Map

// computeCalendar is DomainCalendarAt without the cache.
func (c Calendar) computeCalendar(now time.Time) domain.Calendar {
	hs, err := c.HolidaysAt(now)
	if err != nil {
		hs = nil
		for _, d := range c.Holidays {
			hs = append(hs, domain.Holiday{Date: d})
		}
	}
	dates := make([]string, len(hs))
	for i, h := range hs {
		dates[i] = h.Date
	}
	return domain.Calendar{TimeZone: c.TimeZone, Holidays: dates}.Normalize()
}

// validate checks the zone, the statutory set, the years and every
// configured date, naming the key.
func (c Calendar) validate() error {
	bad := func(key, format string, args ...any) error {
		return &KeyError{Key: key, Problem: fmt.Sprintf(format, args...)}
	}
	if _, err := (domain.Calendar{TimeZone: c.TimeZone}).Location(); err != nil || strings.TrimSpace(c.TimeZone) == "" {
		return bad("calendar.time_zone", "want an IANA zone such as America/Vancouver")
	}
	if !domain.StatutoryHolidays(c.StatutoryHolidays).Valid() {
		return bad("calendar.statutory_holidays", "want %q or %q; got %q", domain.StatutoryBC, domain.StatutoryNone, c.StatutoryHolidays)
	}
	if _, err := c.YearRange(time.Now()); err != nil {
		return bad("calendar.years", "%v", err)
	}
	for i, d := range c.Holidays {
		if _, err := time.Parse(time.DateOnly, d); err != nil {
			return bad(fmt.Sprintf("calendar.holidays[%d]", i), "%q is not a YYYY-MM-DD date", d)
		}
	}
	return nil
}

func durations(ds []time.Duration) []domain.Duration {
	out := make([]domain.Duration, len(ds))
	for i, d := range ds {
		out[i] = domain.Duration(d)
	}
	return out
}

func stdDurations(ds []domain.Duration) []time.Duration {
	out := make([]time.Duration, len(ds))
	for i, d := range ds {
		out[i] = time.Duration(d)
	}
	return out
}

// Default returns the configuration with every default applied: a local
// dev system on embedded parts.
func Default() Config {
	ds := domain.DefaultSchedule()
	return Config{
		Env:       EnvDev,
		Log:       Log{Level: "info", Format: "json"},
		Telemetry: Telemetry{ServiceName: "careconnect", SampleRatio: 1},
		HTTP: HTTP{Addr: "127.0.0.1:8080", AdminAddr: "127.0.0.1:9091", PublicBaseURL: "http://127.0.0.1:8080",
			RateLimits: RateLimits{Declarations: 30, Links: 30, Search: 120, Webhook: 20000}},
		Database: Database{SQLitePath: "data/careconnect.db", MaxOpenConns: 20, MaxIdleConns: 20,
			ConnMaxLifetime: 30 * time.Minute, ConnMaxIdleTime: 5 * time.Minute},
		Temporal: Temporal{Namespace: "default", TaskQueue: DefaultTaskQueue, UIURL: "http://localhost:8233", WorkflowCacheSize: 5000,
			DevServer:                DevServer{IP: "127.0.0.1", Port: 7233, UIPort: 8233, DBFile: "data/temporal.db"},
			RegisterSearchAttributes: true},
		SMTP: SMTP{Host: "127.0.0.1", Port: 1025, From: "CareConnect <no-reply@careconnect.localhost>", TLS: "none", DevCatcher: true},
		Links: Links{Secret: DevLinkSecret, DeclarationTTL: time.Duration(ds.DeclarationLapseAfter), JoinRequestTTL: 30 * 24 * time.Hour,
			EmailConfirmationTTL: 7 * 24 * time.Hour},
		Auth: Auth{
			Applicant:     OIDCClient{ClientID: DevOIDCClientID, ClientSecret: DevOIDCClientSecret},
			TeamRoleClaim: "roles", TeamRoleValue: "enrolment_team", MinIdentityAssurance: 3,
			IALClaim: "identity_assurance_level", SessionTTL: 8 * time.Hour, SessionIdleTimeout: 30 * time.Minute,
			TeamRoleRecheck: MaxTeamRoleRecheck, CookieSecure: true,
			DevIDP: DevIDP{Enabled: true, Addr: "127.0.0.1:8090"}, RateLimitPerMinute: 30, BcryptCost: 12},
		Team:   Team{Email: "enrolment-team@careconnect.localhost"},
		Viewer: Viewer{URL: "https://viewer.careconnect.localhost"},
		Schedule: Schedule{DeclarationReminders: stdDurations(ds.DeclarationReminders),
			PasswordMaxAge: time.Duration(ds.PasswordMaxAge), PasswordRemindersBefore: stdDurations(ds.PasswordRemindersBefore),
			JoinRequestReminderBusinessDays: ds.JoinRequestReminderDays, InvitationResendAfter: time.Duration(ds.InvitationResendAfter),
			InvitationExpiresAfter: time.Duration(ds.InvitationExpiresAfter),
			ApplicationReminders:   stdDurations(ds.ApplicationReminders), ApplicationLapseAfter: time.Duration(ds.ApplicationLapseAfter),
			SponsorReminderBusinessDays: ds.SponsorReminderDays, ResidencyNoticeBefore: time.Duration(ds.ResidencyNoticeBefore), DeclarationStalledAfter: time.Duration(ds.DeclarationStalledAfter),
			DeclarationLapseAfter: time.Duration(ds.DeclarationLapseAfter), TeamReviewEscalateBusinessDays: ds.TeamReviewEscalateDays,
			TeamReviewBreachBusinessDays: ds.TeamReviewBreachDays},
		Calendar: Calendar{TimeZone: domain.DefaultTimeZone, StatutoryHolidays: string(domain.StatutoryBC)},
		Uploads:  Uploads{MaxScreenshotBytes: domain.MaxScreenshotBytes},
		Policy: Policy{WorksiteTypes: domain.DefaultWorksiteTypes(), EMRVendors: domain.DefaultEMRVendors(),
			Attestations: domain.DefaultAttestations(), Professions: domain.DefaultProfessions(),
			Questions: domain.DefaultQuestions()},
		LearningHub: LearningHub{Secret: DevLearningHubSecret, Tolerance: 5 * time.Minute,
			CourseCode: "CC-PRIVACY-COMMUNITY", AgreementCode: "CC-HPCAA",
			CourseName: "Privacy and Security Training for Community Care Providers", CourseURL: "https://learninghub.phsa.ca/"},
		Codec: Codec{Keys: []string{DevCodecKeyID + ":" + base64.StdEncoding.EncodeToString([]byte(DevCodecKey))}},
		Relay: Relay{Interval: 2 * time.Second, BatchSize: 10, Lease: time.Minute, RetryFor: 7 * 24 * time.Hour},
	}
}

// Load reads configuration: defaults, then the YAML file at path (if not
// empty), then CARECONNECT_* environment variables (CARECONNECT_DATABASE_URL
// sets database.url). lookupEnv is os.LookupEnv in main; tests pass a map.
// The result is validated; an error names the offending key.
func Load(path string, lookupEnv func(string) (string, bool)) (Config, error) {
	v := viper.New()
	v.SetConfigType("yaml")
	def := Default()
	var defMap map[string]any
	if err := mapstructure.Decode(def, &defMap); err != nil {
		return Config{}, fmt.Errorf("config: defaults: %w", err)
	}
	for _, k := range flatten("", defMap) {
		v.SetDefault(k.key, k.val)
	}
	if path != "" {
		v.SetConfigFile(path)
		if err := v.ReadInConfig(); err != nil {
			return Config{}, fmt.Errorf("config: reading %s: %w", path, err)
		}
	}
	for _, key := range v.AllKeys() {
		if val, ok := lookupEnv(envName(key)); ok {
			v.Set(key, val)
		}
	}
	// Settings whose default depends on env: true unless production.
	devTrue := []string{"temporal.register_search_attributes"}
	explicit := map[string]bool{}
	for _, key := range devTrue {
		_, inEnv := lookupEnv(envName(key))
		explicit[key] = inEnv || v.InConfig(key)
	}
	var c Config
	err := v.Unmarshal(&c, viper.DecodeHook(mapstructure.ComposeDecodeHookFunc(
		durationHook, listHook)), func(dc *mapstructure.DecoderConfig) { dc.ErrorUnused = true })
	if err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	if !explicit["temporal.register_search_attributes"] {
		c.Temporal.RegisterSearchAttributes = c.Env != EnvProduction
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// envName is the environment variable of a dotted key:
// database.url is CARECONNECT_DATABASE_URL.
func envName(key string) string {
	return EnvPrefix + "_" + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// durationHook decodes "72h" and "3d" into time.Duration.
func durationHook(from, to reflect.Type, data any) (any, error) {
	if to != reflect.TypeOf(time.Duration(0)) || from.Kind() != reflect.String {
		return data, nil
	}
	return domain.ParseDuration(data.(string))
}

// listHook splits a string into a comma list for any list setting (an
// environment variable can only carry a string): "2m, 4m" becomes
// ["2m" "4m"], and each element is then decoded into the list's element
// type (a duration, an int, a string) as a YAML list's would be. Lists of
// tables (the policy tables) take no string.
func listHook(from, to reflect.Type, data any) (any, error) {
	if from.Kind() != reflect.String || to.Kind() != reflect.Slice {
		return data, nil
	}
	switch to.Elem().Kind() {
	case reflect.Struct, reflect.Map, reflect.Slice:
		return data, nil
	case reflect.Uint8:
		return data, nil // []byte takes the string as it is
	}
	raw := strings.TrimSpace(data.(string))
	if raw == "" {
		return []string{}, nil
	}
	parts := strings.Split(raw, ",")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts, nil
}

type kv struct {
	key string
	val any
}

// flatten turns nested maps into dotted keys; slices stay whole.
func flatten(prefix string, m map[string]any) []kv {
	var out []kv
	for k, v := range m {
		key := k
		if prefix != "" {
			key = prefix + "." + k
		}
		if sub, ok := v.(map[string]any); ok {
			out = append(out, flatten(key, sub)...)
			continue
		}
		out = append(out, kv{key, v})
	}
	return out
}

// KeyError is a configuration error that names its key.
type KeyError struct {
	Key     string
	Problem string
	cause   error
}

func (e *KeyError) Error() string { return "config: " + e.Key + ": " + e.Problem }

// Unwrap lets errors.Is find ErrDevDefault.
func (e *KeyError) Unwrap() error { return e.cause }

// Validate checks every value and, in production, refuses dev-only defaults.
func (c Config) Validate() error {
	if err := c.validateTelemetry(); err != nil {
		return err
	}
	bad := func(key, format string, args ...any) error {
		return &KeyError{Key: key, Problem: fmt.Sprintf(format, args...)}
	}
	switch c.Env {
	case EnvDev, EnvTest, EnvProduction:
	default:
		return bad("env", "must be dev, test or production, not %q", c.Env)
	}
	if _, _, err := net.SplitHostPort(c.HTTP.Addr); err != nil {
		return bad("http.addr", "must be host:port (%v)", err)
	}
	if _, _, err := net.SplitHostPort(c.HTTP.AdminAddr); err != nil {
		return bad("http.admin_addr", "must be host:port (%v)", err)
	}
	for i, p := range c.HTTP.TrustedProxies {
		if !validProxy(p) {
			return bad(fmt.Sprintf("http.trusted_proxies[%d]", i), "%q is not an IP address or CIDR", p)
		}
	}
	for key, n := range map[string]int{"declarations_per_minute": c.HTTP.RateLimits.Declarations,
		"links_per_minute": c.HTTP.RateLimits.Links, "search_per_minute": c.HTTP.RateLimits.Search,
		"webhook_per_minute": c.HTTP.RateLimits.Webhook} {
		if n < 1 {
			return bad("http.rate_limits."+key, "must be at least 1")
		}
	}
	if c.HTTP.PublicBaseURL == "" && c.Env != EnvProduction {
		// Dev and tests: the API's own listener URL is used.
	} else if u, err := url.Parse(c.HTTP.PublicBaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return bad("http.public_base_url", "must be an absolute http(s) URL")
	}
	if c.Database.URL != "" && !strings.HasPrefix(c.Database.URL, "postgres://") && !strings.HasPrefix(c.Database.URL, "postgresql://") {
		return bad("database.url", "must be a postgres:// URL")
	}
	if c.Database.URL == "" && c.Database.SQLitePath == "" {
		return bad("database.sqlite_path", "must be set when database.url is empty")
	}
	if c.Database.MaxOpenConns < 1 {
		return bad("database.max_open_conns", "must be at least 1")
	}
	if c.Database.MaxIdleConns < 0 || c.Database.MaxIdleConns > c.Database.MaxOpenConns {
		return bad("database.max_idle_conns", "must be between 0 and database.max_open_conns (%d)", c.Database.MaxOpenConns)
	}
	if c.Database.ConnMaxLifetime < 0 {
		return bad("database.conn_max_lifetime", "must not be negative (0 keeps connections)")
	}
	if c.Database.ConnMaxIdleTime < 0 {
		return bad("database.conn_max_idle_time", "must not be negative (0 keeps idle connections)")
	}
	if c.Temporal.Namespace == "" {
		return bad("temporal.namespace", "is required")
	}
	if c.Temporal.TaskQueue == "" {
		return bad("temporal.task_queue", "is required")
	}
	if c.Temporal.WorkflowCacheSize < 1 {
		return bad("temporal.workflow_cache_size", "must be at least 1")
	}
	if c.Relay.Interval < 10*time.Millisecond || c.Relay.Interval > time.Minute {
		return bad("relay.interval", "must be between 10ms and 1m, not %s", c.Relay.Interval)
	}
	if c.Relay.BatchSize < 1 || c.Relay.BatchSize > 1000 {
		return bad("relay.batch_size", "must be between 1 and 1000, not %d", c.Relay.BatchSize)
	}
	if c.Relay.Lease < MinRelayLease {
		return bad("relay.lease", "must be at least %s (one send must fit in it), not %s", MinRelayLease, c.Relay.Lease)
	}
	if c.Relay.RetryFor < time.Minute {
		return bad("relay.retry_for", "must be at least 1m, not %s", c.Relay.RetryFor)
	}
	if c.Temporal.Address != "" {
		if _, _, err := net.SplitHostPort(c.Temporal.Address); err != nil {
			return bad("temporal.address", "must be host:port")
		}
	} else if c.Temporal.TLSOn() || c.Temporal.TLS.ServerName != "" {
		return bad("temporal.tls", "needs temporal.address: the dev server (temporal.address empty) speaks plain text")
	}
	if (c.Temporal.TLS.CertFile == "") != (c.Temporal.TLS.KeyFile == "") {
		return bad("temporal.tls.cert_file", "cert_file and key_file go together (mTLS needs both)")
	}
	if c.Temporal.APIKey != "" && c.Temporal.APIKeyFile != "" {
		return bad("temporal.api_key", "set api_key or api_key_file, not both")
	}
	if c.SMTP.Host == "" {
		return bad("smtp.host", "is required")
	}
	if c.SMTP.Port <= 0 || c.SMTP.Port > 65535 {
		return bad("smtp.port", "must be a TCP port, not %d", c.SMTP.Port)
	}
	switch c.SMTP.TLS {
	case "none", "starttls", "tls":
	default:
		return bad("smtp.tls", "must be none, starttls or tls, not %q", c.SMTP.TLS)
	}
	if c.SMTP.From == "" {
		return bad("smtp.from", "is required")
	}
	if c.Links.DeclarationTTL <= 0 {
		return bad("links.declaration_ttl", "must be positive")
	}
	if c.Links.JoinRequestTTL <= 0 {
		return bad("links.join_request_ttl", "must be positive")
	}
	if c.Links.EmailConfirmationTTL <= 0 {
		return bad("links.email_confirmation_ttl", "must be positive")
	}
	if c.Auth.Applicant.Issuer == "" && !c.Auth.DevIDP.Enabled {
		return bad("auth.applicant.issuer", "is required unless auth.dev_idp.enabled (dev only)")
	}
	if c.Auth.Applicant.ClientID == "" {
		return bad("auth.applicant.client_id", "is required")
	}
	if c.Auth.Team.Issuer != "" && c.Auth.Team.ClientID == "" {
		return bad("auth.team.client_id", "is required with auth.team.issuer")
	}
	if c.Auth.Team.Issuer == "" && (c.Auth.TeamRoleClaim == "" || c.Auth.TeamRoleValue == "") {
		return bad("auth.team_role_claim", "team_role_claim and team_role_value are required without auth.team.issuer")
	}
	if c.Auth.MinIdentityAssurance < 1 || c.Auth.MinIdentityAssurance > 3 {
		return bad("auth.min_identity_assurance", "must be 1, 2 or 3")
	}
	if c.Auth.SessionTTL < time.Minute || c.Auth.SessionTTL > 24*time.Hour {
		return bad("auth.session_ttl", "must be between 1m and 24h")
	}
	if c.Auth.SessionIdleTimeout < time.Minute || c.Auth.SessionIdleTimeout > c.Auth.SessionTTL {
		return bad("auth.session_idle_timeout", "must be between 1m and auth.session_ttl")
	}
	if c.Auth.TeamRoleRecheck < 10*time.Second || c.Auth.TeamRoleRecheck > MaxTeamRoleRecheck {
		return bad("auth.team_role_recheck", "must be between 10s and %v", MaxTeamRoleRecheck)
	}
	if c.Auth.RateLimitPerMinute < 1 {
		return bad("auth.rate_limit_per_minute", "must be at least 1")
	}
	if c.Auth.BcryptCost < 4 || c.Auth.BcryptCost > 16 {
		return bad("auth.bcrypt_cost", "must be between 4 and 16")
	}
	if !domain.ValidEmail(c.Team.Email) {
		return bad("team.email", "must be an email address")
	}
	if err := c.Schedule.DomainSchedule().Validate(); err != nil {
		return bad("schedule", "%v", err)
	}
	if err := c.Calendar.validate(); err != nil {
		return err
	}
	if c.Uploads.MaxScreenshotBytes <= 0 || c.Uploads.MaxScreenshotBytes > 20<<20 {
		return bad("uploads.max_screenshot_bytes", "must be between 1 and 20 MiB")
	}
	if len(c.Policy.WorksiteTypes) == 0 {
		return bad("policy.worksite_types", "must not be empty")
	}
	for i, t := range c.Policy.WorksiteTypes {
		switch t.Access {
		case domain.AccessYes, domain.AccessRestricted, domain.AccessRefused, domain.AccessStops, domain.AccessReclassify:
		default:
			return bad(fmt.Sprintf("policy.worksite_types[%d].access", i), "unknown access %q", t.Access)
		}
	}
	if len(c.Policy.EMRVendors) == 0 {
		return bad("policy.emr_vendors", "must not be empty")
	}
	if err := domain.ValidateProfessions(c.Policy.Professions); err != nil {
		return bad("policy.professions", "%v", err)
	}
	if u, err := url.Parse(c.Viewer.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return bad("viewer.url", "must be an absolute http(s) URL")
	}
	if u, err := url.Parse(c.LearningHub.CourseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return bad("learninghub.course_url", "must be an absolute http(s) URL")
	}
	if strings.TrimSpace(c.LearningHub.CourseName) == "" {
		return bad("learninghub.course_name", "is required")
	}
	if len(c.Policy.Attestations) == 0 {
		return bad("policy.attestations", "must not be empty")
	}
	if err := c.validateKeys(); err != nil {
		return err
	}
	if c.LearningHub.Tolerance < 30*time.Second || c.LearningHub.Tolerance > time.Hour {
		return bad("learninghub.tolerance", "must be between 30s and 1h")
	}
	if c.LearningHub.CourseCode == "" {
		return bad("learninghub.course_code", "is required")
	}
	if c.LearningHub.AgreementCode == "" || c.LearningHub.AgreementCode == c.LearningHub.CourseCode {
		return bad("learninghub.agreement_code", "is required and must differ from learninghub.course_code")
	}
	if c.Env == EnvProduction {
		if err := c.refuseDevDefaults(); err != nil {
			return err
		}
		if err := c.refuseWeakKeys(); err != nil {
			return err
		}
		return c.refuseWeakSettings()
	}
	return nil
}

// validProxy reports whether p is an IP address or a CIDR.
func validProxy(p string) bool {
	if _, _, err := net.ParseCIDR(p); err == nil {
		return true
	}
	return net.ParseIP(p) != nil
}

// ErrWeakSetting marks a production configuration that would run without
// transport encryption or with a guessable secret.
var ErrWeakSetting = errors.New("weak setting refused in production")

// refuseWeakSettings refuses what production must not run with: mail in
// clear text and a database connection that may fall back to clear text
// (refuseWeakKeys refuses secrets an attacker could guess).
func (c Config) refuseWeakSettings() error {
	bad := func(key, why string) error {
		return &KeyError{Key: key, Problem: fmt.Sprintf("%s: %v", why, ErrWeakSetting), cause: ErrWeakSetting}
	}
	if c.SMTP.TLS == "none" {
		return bad("smtp.tls", "mail would travel in clear text; use starttls or tls")
	}
	if why := databaseTLSProblem(c.Database.URL); why != "" {
		return bad("database.url", why)
	}
	return nil
}

// databaseTLSProblem says why a PostgreSQL URL may connect without TLS, or
// "". Only require, verify-ca and verify-full insist on TLS; disable never
// uses it, and allow and prefer (the default when sslmode is absent) fall
// back to clear text when the server, or whoever is in the middle, declines.
func databaseTLSProblem(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "cannot be parsed"
	}
	modes := u.Query()["sslmode"]
	if len(modes) != 1 {
		return "set sslmode once, to require, verify-ca or verify-full (verify-full checks the server's name); " +
			"without it the connection may be made in clear text"
	}
	switch strings.ToLower(modes[0]) {
	case "require", "verify-ca", "verify-full":
		return ""
	}
	return fmt.Sprintf("sslmode=%s may connect in clear text; use require, verify-ca or verify-full", modes[0])
}

// SecretProblem says why s is too weak for an HMAC key, or "" when it is
// strong enough. A secret needs MinSecretBits (32 bytes) of entropy, counted
// as 4 bits a character when it is hex and 6 bits a character otherwise
// (base64 carries 6; padding '=' counts nothing): 64 hex characters, or 43
// of base64 or other text. And it must not be an obvious low-entropy
// string: fewer than 8 distinct characters, a run of 8 or more characters
// that appears twice (a repeated word or block), or more than half its
// neighbouring characters equal or one apart ("aaaa", "abcd", "4321").
func SecretProblem(s string) string {
	body := strings.TrimRight(s, "=")
	bitsPerChar := 6
	if isHex(body) {
		bitsPerChar = 4
	}
	if bits := len(body) * bitsPerChar; bits < MinSecretBits {
		return fmt.Sprintf("carries at most %d bits; it needs %d (32 bytes: 64 hex or 43 base64 characters)", bits, MinSecretBits)
	}
	distinct := map[byte]bool{}
	for i := 0; i < len(body); i++ {
		distinct[body[i]] = true
	}
	if len(distinct) < 8 {
		return fmt.Sprintf("uses only %d distinct characters; use a random secret", len(distinct))
	}
	const block = 8
	seen := map[string]bool{}
	for i := 0; i+block <= len(body); i++ {
		if seen[body[i:i+block]] {
			return fmt.Sprintf("repeats %q; use a random secret", body[i:i+block])
		}
		seen[body[i:i+block]] = true
	}
	steps := 0
	for i := 1; i < len(body); i++ {
		if d := int(body[i]) - int(body[i-1]); d >= -1 && d <= 1 {
			steps++
		}
	}
	if 2*steps > len(body)-1 {
		return "is mostly runs of equal or consecutive characters; use a random secret"
	}
	return ""
}

func isHex(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// ErrDevDefault marks a production configuration that still uses a dev-only default.
var ErrDevDefault = errors.New("dev-only default refused in production")

func (c Config) refuseDevDefaults() error {
	bad := func(key, why string) error {
		return &KeyError{Key: key, Problem: fmt.Sprintf("%s: %v", why, ErrDevDefault), cause: ErrDevDefault}
	}
	switch {
	case c.Auth.DevIDP.Enabled:
		return bad("auth.dev_idp.enabled", "the dev identity provider is dev-only; configure auth.applicant.issuer (BC Services Card)")
	case c.Auth.Applicant.ClientSecret == "" || strings.Contains(c.Auth.Applicant.ClientSecret, devMarker):
		return bad("auth.applicant.client_secret", "set the BC Services Card client secret (CARECONNECT_AUTH_APPLICANT_CLIENT_SECRET)")
	case c.Auth.Team.Issuer != "" && (c.Auth.Team.ClientSecret == "" || strings.Contains(c.Auth.Team.ClientSecret, devMarker)):
		return bad("auth.team.client_secret", "set the team issuer's client secret")
	case !c.Auth.CookieSecure:
		return bad("auth.cookie_secure", "session cookies must be Secure in production")
	case c.SMTP.DevCatcher:
		return bad("smtp.dev_catcher", "the dev mail catcher cannot send real mail; configure a real SMTP relay")
	case c.Database.URL == "":
		return bad("database.url", "embedded SQLite is dev-only; configure PostgreSQL")
	case c.Temporal.Address == "":
		return bad("temporal.address", "the Temporal dev server is dev-only; configure a Temporal cluster")
	case !strings.HasPrefix(c.HTTP.PublicBaseURL, "https://"):
		return bad("http.public_base_url", "must be https in production")
	}
	return nil
}

// DeclarationTTLFrom is when a declaration link issued at t expires.
func (c Config) DeclarationTTLFrom(t time.Time) time.Time { return t.Add(c.Links.DeclarationTTL) }
