// Package api is the thin gin HTTP layer: each handler decodes the
// request, calls one use case of the application layer (package
// enrolment) and encodes its answer. It imports neither the store nor the
// workflows (TestImports). Every error goes through writeError.
package api

import (
	"context"
	"crypto/rand"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"regexp"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"careconnect/codec"
	"careconnect/config"
	"careconnect/domain"
	"careconnect/enrolment"
	"careconnect/health"
	"careconnect/logging"
	"careconnect/telemetry"
	"careconnect/web"
)

//go:embed openapi.yaml
var openapiFS embed.FS

// OpenAPI returns the OpenAPI 3 document describing this API.
func OpenAPI() []byte {
	b, err := openapiFS.ReadFile("openapi.yaml")
	if err != nil {
		panic("api: embedded openapi.yaml missing: " + err.Error()) // a build error
	}
	return b
}

// Deps are the Server's dependencies, built once in main.
type Deps struct {
	Config config.Config
	// App runs the use cases.
	App *enrolment.Service
	// Codec serves /codec/* to the Temporal Web UI; nil when payloads are
	// not encrypted (codec.keys empty, dev only).
	Codec  *codec.Codec
	Logger *slog.Logger
	// DevMail, when set, serves the dev mail catcher's page at /dev/mail.
	DevMail http.Handler
	// Auth verifies tokens and runs browser sign-in.
	Auth Authenticator
	// Now is the rate limiters' clock; nil means time.Now.
	Now func() time.Time
	// TemporalHealth is Temporal's last known state (a background check):
	// nil when it answered, an error otherwise. /readyz reports it without
	// depending on it. Nil reports "unknown".
	TemporalHealth func() error
	// Metrics is the process's registry and counters (the admin
	// listener's /metrics); nil makes one for this Server.
	Metrics *telemetry.Metrics
	// Tracing makes the requests' spans; nil records none.
	Tracing *telemetry.Tracing
}

// Server is the HTTP API.
type Server struct {
	cfg   config.Config
	app   *enrolment.Service
	codec *codec.Codec
	// codecOrigin is the Temporal Web UI's origin (config.CodecUIOrigin).
	codecOrigin string
	log         *slog.Logger
	now         func() time.Time
	types       domain.WorksiteTypes
	auth        Authenticator
	temporalOK  func() error
	limits      limits
	engine      *gin.Engine
	handler     http.Handler // engine behind securityHeaders
	admin       http.Handler // the admin listener's routes, behind securityHeaders
	metrics     *telemetry.Metrics
	tracer      trace.Tracer
	propagator  propagation.TextMapPropagator
}

// New builds the Server and its routes.
func New(d Deps) *Server {
	gin.SetMode(gin.ReleaseMode)
	s := &Server{cfg: d.Config, app: d.App, codec: d.Codec, codecOrigin: d.Config.CodecUIOrigin(), log: d.Logger, now: d.Now,
		types: domain.IndexWorksiteTypes(d.Config.Policy.WorksiteTypes), metrics: d.Metrics,
		auth: d.Auth, limits: newLimits(d.Config), temporalOK: d.TemporalHealth, tracer: d.Tracing.Tracer(),
		propagator: propagation.TraceContext{}}
	if s.metrics == nil {
		s.metrics = telemetry.NewMetrics()
	}
	if d.Tracing != nil {
		s.propagator = d.Tracing.Propagator
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}

	e := gin.New()
	s.trustProxies(e)
	e.HandleMethodNotAllowed = true
	e.Use(s.requestIDMiddleware, s.observe, s.recoverMiddleware, deadline)
	e.NoRoute(s.noRoute)
	e.NoMethod(func(c *gin.Context) {
		c.AbortWithStatusJSON(http.StatusMethodNotAllowed, ErrorBody{Error: ErrorDetail{Code: "method_not_allowed",
			Message: "this endpoint does not accept " + c.Request.Method, RequestID: requestID(c)}})
	})

	// The web portal and the team console: embedded pages and assets that call this API.
	portal := gin.WrapH(web.Handler())
	e.GET("/", portal)
	e.GET("/portal", portal)
	e.GET("/team", portal)
	e.GET("/static/:dir/:file", portal)

	// Probes may use the public listener; /metrics is on the admin listener only (AdminHandler).
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/api/openapi.yaml", func(c *gin.Context) { c.Data(http.StatusOK, "application/yaml", OpenAPI()) })

	auth := e.Group("/auth")
	auth.GET("/login", s.rateLimited, s.login)
	auth.GET("/callback", s.rateLimited, s.callback)
	auth.POST("/logout", s.authenticate, s.csrf, s.logout)

	// Declarations are reached through a signed link by a signing
	// authority who may have no account: the token is the credential.
	e.GET("/api/v1/declarations/:token", s.limit(s.limits.declarations), s.getDeclarationForm)
	e.POST("/api/v1/declarations/:token", s.limit(s.limits.declarations), s.signDeclaration)
	e.GET("/api/v1/reference", s.reference)
	// Join request links name the answering administrator: the token is the credential.
	e.GET("/api/v1/join-links/:token", s.limit(s.limits.links), s.joinLink)
	e.POST("/api/v1/join-links/:token", s.limit(s.limits.links), s.answerJoinLink)

	// Everything else under /api/v1 knows its caller and goes through authz.
	v1 := e.Group("/api/v1", s.authenticate, s.csrf)
	v1.GET("/me", s.me)
	v1.GET("/me/status", s.myStatus)
	v1.POST("/me/account", s.rateLimited, s.registerAccount)
	v1.PATCH("/me/account", s.updateAccount)
	v1.POST("/me/password", s.rateLimited, s.resetPassword)
	v1.POST("/me/email-confirmation", s.rateLimited, s.resendEmailConfirmation)
	// The emailed link proves the mailbox; the session proves the account.
	v1.POST("/email-confirmations/:token", s.limit(s.limits.links), s.confirmEmail)
	v1.GET("/me/applications", s.myApplications)
	v1.POST("/me/applications", s.submitApplication)
	v1.POST("/me/applications/:worksite/sponsorship-request", s.requestSponsorship)
	v1.GET("/worksites/:id/sponsorship-requests", s.sponsorshipRequests)
	v1.POST("/worksites/:id/sponsorships/:subject/approve", s.approveSponsorship)
	v1.GET("/me/worksites", s.myWorksites)
	v1.GET("/worksites/search", s.limit(s.limits.search), s.searchWorksites)
	v1.POST("/worksites", s.registerWorksite)
	v1.GET("/worksites/:id", s.getWorksite)
	v1.GET("/worksites/:id/preview", s.limit(s.limits.search), s.previewWorksite)
	v1.PATCH("/worksites/:id", s.editWorksite)
	v1.POST("/worksites/:id/close", s.closeWorksite)
	v1.GET("/worksites/:id/members", s.members)
	v1.POST("/worksites/:id/join-requests", s.requestJoin)
	v1.POST("/worksites/:id/join-requests/:rid/approve", s.decideJoinRequest(true))
	v1.POST("/worksites/:id/join-requests/:rid/reject", s.decideJoinRequest(false))
	v1.POST("/worksites/:id/invitations", s.invite)
	v1.POST("/worksites/:id/invitations/:iid/resend", s.resendInvitation)
	v1.POST("/worksites/:id/members/:subject/promote", s.memberAction(enrolment.Promote))
	v1.POST("/worksites/:id/members/:subject/demote", s.memberAction(enrolment.Demote))
	v1.POST("/worksites/:id/members/:subject/deactivate", s.memberAction(enrolment.Deactivate))
	v1.POST("/worksites/:id/members/:subject/reactivate", s.memberAction(enrolment.Reactivate))
	v1.PUT("/worksites/:id/members/:subject/end-date", s.memberAction(enrolment.SetEndDate))
	v1.POST("/invitations/:token/accept", s.limit(s.limits.links), s.acceptInvitation)
	v1.GET("/me/pending", s.myPending)
	v1.POST("/me/invitations/:id/:iid/accept", s.acceptMyInvitation)
	v1.GET("/me/attention", s.attention)

	staff := v1.Group("/staff")
	staff.GET("/reference", s.staffReference)
	staff.GET("/people", s.staffPeople)
	staff.GET("/people/:subject", s.staffPerson)
	staff.PUT("/people/:subject/profession", s.changeProfession)
	staff.POST("/people/:subject/suspend", s.suspendPerson(true))
	staff.POST("/people/:subject/reinstate", s.suspendPerson(false))
	staff.POST("/people/:subject/revoke-sessions", s.revokeSessions)
	staff.GET("/applications", s.applicationQueue)
	staff.GET("/funnel", s.funnel)
	staff.GET("/funnel.svg", s.funnelSVG)
	staff.POST("/applications/:subject/:worksite/provision", s.decideApplication(enrolment.Provision))
	staff.POST("/applications/:subject/:worksite/reject", s.decideApplication(enrolment.RejectApplication))
	staff.POST("/applications/:subject/:worksite/send-back", s.decideApplication(enrolment.SendBack))
	staff.GET("/worksites", s.listWorksites)
	staff.PATCH("/worksites/:id", s.classifyWorksite)
	staff.POST("/worksites/:id/suspend", s.suspendWorksite(true))
	staff.POST("/worksites/:id/reinstate", s.suspendWorksite(false))
	staff.GET("/worksites/:id/audit", s.worksiteAudit)
	staff.GET("/worksites/:id/emails", s.worksiteEmails)
	staff.GET("/worksites/:id/declaration", s.worksiteDeclaration)
	staff.GET("/worksites/:id/declaration/screenshot", s.declarationScreenshot)
	staff.POST("/worksites/:id/approve", s.decideWorksite(true))
	staff.POST("/worksites/:id/reject", s.decideWorksite(false))

	// LearningHub's callbacks carry no caller identity: the HMAC signature is the credential.
	// Limited per sending address, with an allowance for LearningHub's bursts.
	e.POST("/webhooks/learninghub", s.limit(s.limits.webhook), s.learningHubCallback)

	// The Temporal Web UI's codec endpoint (api/codec.go): the enrolment team
	// only, from the UI's origin or from no browser at all; no CSRF token,
	// as it changes nothing and the UI cannot send one.
	cg := e.Group("/codec", s.codecCORS)
	cg.OPTIONS("/decode", s.codecPreflight)
	cg.OPTIONS("/encode", s.codecPreflight)
	cg.POST("/decode", s.authenticate, s.codecPayloads(codecDecode))
	cg.POST("/encode", s.authenticate, s.codecPayloads(codecEncode))

	e.GET("/declaration/:token", s.limit(s.limits.declarations), s.declarationPage)
	e.GET("/join-requests/:token", s.limit(s.limits.links), s.linkPage(joinLinkKind))
	e.GET("/invitations/:token", s.limit(s.limits.links), s.linkPage(invitationLinkKind))
	e.GET("/confirm-email/:token", s.limit(s.limits.links), s.confirmEmailPage)
	if d.DevMail != nil {
		e.GET("/dev/mail", gin.WrapH(http.StripPrefix("/dev/mail", d.DevMail)))
	}
	s.engine = e

	a := gin.New()
	a.Use(s.requestIDMiddleware, s.recoverMiddleware, deadline)
	a.NoRoute(s.noRoute)
	a.GET("/metrics", gin.WrapH(promhttp.HandlerFor(s.metrics.Registry, promhttp.HandlerOpts{})))
	a.GET("/healthz", s.healthz)
	a.GET("/readyz", s.readyz)
	s.handler = securityHeaders(e, isHTTPS(d.Config.HTTP.PublicBaseURL))
	s.admin = securityHeaders(a, false)
	return s
}

func (s *Server) noRoute(c *gin.Context) {
	writeError(c, s.log, domain.Errorf(domain.ENOTFOUND, "no such endpoint"))
}

// ServeHTTP implements http.Handler: the public listener's routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// AdminHandler serves the admin listener (http.admin_addr), which is for
// the operators' network: /metrics, /healthz and /readyz.
func (s *Server) AdminHandler() http.Handler { return s.admin }

const requestIDKey = "request_id"

var requestIDRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// requestIDMiddleware takes a well-formed X-Request-ID or makes one, and echoes it.
func (s *Server) requestIDMiddleware(c *gin.Context) {
	id := c.GetHeader("X-Request-ID")
	if !requestIDRE.MatchString(id) {
		b := make([]byte, 12)
		_, _ = rand.Read(b)
		id = hex.EncodeToString(b)
	}
	c.Set(requestIDKey, id)
	c.Header("X-Request-ID", id)
	c.Request = c.Request.WithContext(logging.WithRequestID(c.Request.Context(), id))
	c.Next()
}

func requestID(c *gin.Context) string { return c.GetString(requestIDKey) }

// jsonField is one member of an object writeJSONObject writes.
type jsonField struct {
	name string
	raw  json.RawMessage
}

// writeJSONObject answers 200 with an object of the fields in order. Each
// raw value is JSON the service wrote itself (a stored projection, or
// json.Marshal's output), so it is passed on as it is: encoding/json would
// validate and copy it again, most of a status read's encoding cost.
func writeJSONObject(c *gin.Context, fields ...jsonField) {
	n := 2
	for _, f := range fields {
		n += len(f.name) + len(f.raw) + 4
	}
	body := append(make([]byte, 0, n), '{')
	for i, f := range fields {
		if i > 0 {
			body = append(body, ',')
		}
		body = append(append(append(body, '"'), f.name...), `":`...)
		body = append(body, f.raw...)
	}
	c.Data(http.StatusOK, "application/json; charset=utf-8", append(body, '}'))
}

// requestTimeout bounds every request's calls to the database and Temporal:
// a dependency that hangs yields 503, never a request that waits forever.
const requestTimeout = 20 * time.Second

func deadline(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), requestTimeout)
	defer cancel()
	c.Request = c.Request.WithContext(ctx)
	c.Next()
}

// recoverMiddleware turns a panic into the internal error body, never a stack trace.
func (s *Server) recoverMiddleware(c *gin.Context) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("panic in handler", "request_id", requestID(c), "route", c.FullPath(), "panic", r)
			writeError(c, s.log, domain.Errorf(domain.EINTERNAL, "panic"))
		}
	}()
	c.Next()
}

func (s *Server) healthz(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) }

// readyz is ready when the database answers: reads come from its
// projections, so an API pod serves while Temporal is down (writes answer
// 503). Temporal's last known state is reported beside it, never waited
// on, so that an outage of Temporal does not take every pod out of
// rotation.
func (s *Server) readyz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 3*time.Second)
	defer cancel()
	checks := gin.H{"database": health.StateOK, "temporal": health.StateUnknown}
	ready := true
	if err := s.app.Ready(ctx); err != nil {
		checks["database"], ready = health.StateUnavailable, false
	}
	if s.temporalOK != nil {
		switch err := s.temporalOK(); {
		case err == nil:
			checks["temporal"] = health.StateOK
		case !errors.Is(err, health.ErrNotChecked):
			checks["temporal"] = health.StateUnavailable
		}
	}
	if !ready {
		c.Header("Retry-After", "5")
		c.JSON(http.StatusServiceUnavailable, gin.H{"status": "unavailable", "checks": checks})
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "ready", "checks": checks})
}

// reference returns the policy tables the registration and declaration
// forms offer, the words for every code (domain.Labels, shared with the
// emails) and the contacts the pages show: the enrolment team's mailbox
// and the CareConnect viewer's address.
func (s *Server) reference(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{
		"labels":        domain.DefaultLabels().WithProfessions(s.cfg.Policy.Professions),
		"teamEmail":     s.cfg.Team.Email,
		"viewerUrl":     s.cfg.Viewer.URL,
		"locationTypes": s.cfg.Policy.WorksiteTypes,
		"emrVendors":    s.cfg.Policy.EMRVendors,
		"attestations":  s.cfg.Policy.Attestations,
		"professions":   s.cfg.Policy.Professions,
		"questions":     s.cfg.Policy.Questions,
		"learningHub":   gin.H{"courseName": s.cfg.LearningHub.CourseName, "courseUrl": s.cfg.LearningHub.CourseURL},
	})
}

// staffReference is what only the team's console needs: the Temporal Web
// UI, for its links to each workflow (empty hides the links). Anonymous
// callers do not learn where the workflow service is.
func (s *Server) staffReference(c *gin.Context) {
	if err := s.app.TeamReference(caller(c)); err != nil {
		writeError(c, s.log, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"temporalUi": s.cfg.Temporal.UIURL, "temporalNamespace": s.cfg.Temporal.Namespace})
}
