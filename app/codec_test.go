package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/proxy"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	tlog "go.temporal.io/sdk/log"
	sdkworker "go.temporal.io/sdk/worker"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"careconnect/activities"
	"careconnect/api"
	"careconnect/app"
	"careconnect/app/apptest"
	"careconnect/codec"
	"careconnect/config"
	"careconnect/devidp"
	"careconnect/domain"
	"careconnect/mail"
	"careconnect/worker"
	"careconnect/workflows"
)

// codecJourney is a physician's real enrolment through the API: account
// (email confirmed), worksite, declaration signed, access application.
type codecJourney struct {
	env       *apptest.Env
	auth      string
	subject   string
	worksite  string
	workflows []string
	// secrets are the person's details: none may be readable in Temporal.
	secrets []string
}

func runCodecJourney(t *testing.T) codecJourney {
	t.Helper()
	env := apptest.Start(t, nil)
	persona := mustPersonaOf(t, env, devidp.PersonaPhysician)
	acct := apptest.AccountFor(devidp.PersonaPhysician)
	const signer = "Dr. Lee Lead"
	j := codecJourney{env: env, auth: env.RegisterConfirmedAccount(devidp.PersonaPhysician), subject: persona.Subject,
		secrets: []string{acct["email"].(string), persona.GivenName, persona.FamilyName, acct["username"].(string), signer}}
	env.Auth = j.auth // for waitState; requests name their caller again below
	defer func() { env.Auth = "" }()
	j.worksite = mustWorksite(t, env, j.auth, worksiteBody("Codec Clinic", "front@codecclinic.example.ca", 370))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	m, err := env.Catcher.WaitFor(ctx, func(m mail.Caught) bool { return m.EventKey == "worksite/"+j.worksite+"/worksite_registered/1" })
	if err != nil {
		t.Fatalf("no registration email: %v", err)
	}
	_, token := apptest.DeclarationLink(t, m)
	d := apptest.ValidDeclaration(t)
	if d.SignerName != signer {
		t.Fatalf("the declaration is signed by %q; the test looks for %q", d.SignerName, signer)
	}
	mustStatus(t, "sign the declaration", env.PostDeclaration(token, d), http.StatusOK)
	waitState(t, env, j.worksite, domain.WorksiteAwaitingReview)
	mustStatus(t, "apply", env.PostJSON("/api/v1/me/applications",
		map[string]any{"worksiteId": j.worksite, "answers": map[string]bool{"direct_clinical_care": true}}), http.StatusCreated)
	j.workflows = []string{workflows.WorksiteWorkflowID(j.worksite), workflows.UserWorkflowID(j.subject)}
	return j
}

// rawHistory is a workflow's history as anyone with access to Temporal
// reads it: with a client that has no codec.
func rawHistory(t *testing.T, env *apptest.Env, workflowID string) []*historypb.HistoryEvent {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := client.DialContext(ctx, client.Options{HostPort: env.Config.Temporal.Address, Namespace: env.Config.Temporal.Namespace,
		Logger: tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var events []*historypb.HistoryEvent
	it := c.GetWorkflowHistory(ctx, workflowID, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			t.Fatalf("history of %s: %v", workflowID, err)
		}
		events = append(events, e)
	}
	if len(events) < 5 {
		t.Fatalf("history of %s has %d events; want a journey's", workflowID, len(events))
	}
	return events
}

// payloadsOf collects every payload of the events (search attributes aside).
func payloadsOf(t *testing.T, events []*historypb.HistoryEvent) []*commonpb.Payload {
	t.Helper()
	var out []*commonpb.Payload
	for _, e := range events {
		err := proxy.VisitPayloads(context.Background(), e, proxy.VisitPayloadsOptions{SkipSearchAttributes: true,
			Visitor: func(_ *proxy.VisitPayloadsContext, ps []*commonpb.Payload) ([]*commonpb.Payload, error) {
				out = append(out, ps...)
				return ps, nil
			}})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// traceContext reports whether p is the tracing interceptor's header: a
// W3C trace context (random trace and span IDs, nothing about a person),
// which the Temporal SDK writes with its default converter, outside the
// payload codec.
func traceContext(p *commonpb.Payload) bool {
	var m map[string]string
	if json.Unmarshal(p.GetData(), &m) != nil || m["traceparent"] == "" {
		return false
	}
	for k := range m {
		if k != "traceparent" && k != "tracestate" {
			return false
		}
	}
	return true
}

// TestCodecEncryptsHistories: after a real journey, the workflow histories
// fetched raw from Temporal hold none of the person's email, names,
// username or the declaration's signer, and every payload
// in them is encrypted; the same payloads decoded through the codec
// endpoint, as the enrolment team, hold them all. Others are refused, and
// a rotated key ring still reads them.
func TestCodecEncryptsHistories(t *testing.T) {
	j := runCodecJourney(t)
	env := j.env
	var payloads []*commonpb.Payload
	histories := map[string][]*historypb.HistoryEvent{}
	for _, id := range j.workflows {
		events := rawHistory(t, env, id)
		histories[id] = events
		for _, e := range events {
			raw, err := proto.Marshal(e)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range j.secrets {
				if bytes.Contains(bytes.ToLower(raw), []byte(strings.ToLower(s))) {
					t.Errorf("%s: event %s holds %q in clear text", id, protojson.Format(e), s)
				}
			}
		}
		ps := payloadsOf(t, events)
		for _, p := range ps {
			if p != nil && !codec.Encrypted(p) && !traceContext(p) {
				t.Errorf("%s: payload %v is not encrypted", id, p)
			}
		}
		payloads = append(payloads, ps...)
	}
	t.Logf("%d payloads in %d histories", len(payloads), len(j.workflows))

	body, err := protojson.Marshal(&commonpb.Payloads{Payloads: payloads})
	if err != nil {
		t.Fatal(err)
	}
	origin := env.Config.CodecUIOrigin()
	decode := func(headers ...string) apptest.Response {
		return env.Do(http.MethodPost, "/codec/decode", "application/json", body,
			append([]string{api.NamespaceHeader, env.Config.Temporal.Namespace}, headers...)...)
	}

	t.Run("the team decodes through the endpoint", func(t *testing.T) {
		res := decode("Authorization", env.Bearer(devidp.PersonaTeam), "Origin", origin)
		mustStatus(t, "decode as the team", res, http.StatusOK)
		if res.Header.Get("Access-Control-Allow-Origin") != origin || res.Header.Get("Access-Control-Allow-Credentials") != "true" {
			t.Errorf("CORS headers %v; want %s allowed with credentials", res.Header, origin)
		}
		var got commonpb.Payloads
		if err := protojson.Unmarshal(res.Body, &got); err != nil || len(got.Payloads) != len(payloads) {
			t.Fatalf("decoded %d payloads, %v; want %d", len(got.Payloads), err, len(payloads))
		}
		var clear []byte
		for _, p := range got.Payloads {
			if codec.Encrypted(p) {
				t.Errorf("payload still encrypted after decoding: %v", p)
			}
			clear = append(clear, p.GetData()...)
		}
		for _, s := range j.secrets {
			if !bytes.Contains(bytes.ToLower(clear), []byte(strings.ToLower(s))) {
				t.Errorf("decoded payloads lack %q; the check of the raw history cannot see it", s)
			}
		}
	})
	t.Run("a team session from the UI's origin, without a CSRF token", func(t *testing.T) {
		cookie := env.Checked().For(t).SignInBrowser(devidp.PersonaTeam, "?as=team").Cookie
		mustStatus(t, "decode with the team's session cookie", decode("Cookie", cookie, "Origin", origin), http.StatusOK)
		mustStatus(t, "the session cookie from another origin", decode("Cookie", cookie, "Origin", "https://evil.example"), http.StatusForbidden)
	})
	t.Run("others are refused", func(t *testing.T) {
		for _, tc := range []struct {
			name    string
			headers []string
			want    int
		}{
			{"anonymous", nil, http.StatusUnauthorized},
			{"the physician themself", []string{"Authorization", j.auth}, http.StatusForbidden},
			{"the team, from another origin", []string{"Authorization", env.Bearer(devidp.PersonaTeam), "Origin", "https://evil.example"},
				http.StatusForbidden},
		} {
			res := decode(tc.headers...)
			mustStatus(t, tc.name, res, tc.want)
			if res.Header.Get("Access-Control-Allow-Origin") != "" || res.Header.Get("Access-Control-Allow-Credentials") != "" {
				t.Errorf("%s: CORS allowance %v; want none", tc.name, res.Header)
			}
			for _, s := range j.secrets {
				if strings.Contains(string(res.Body), s) {
					t.Errorf("%s: the refusal shows %q", tc.name, s)
				}
			}
		}
		pre := env.Do(http.MethodOptions, "/codec/decode", "", nil, "Origin", "https://evil.example", "Access-Control-Request-Method", "POST")
		if pre.Header.Get("Access-Control-Allow-Origin") != "" || pre.Header.Get("Access-Control-Allow-Methods") != "" {
			t.Errorf("preflight from another origin: %d %v; want no CORS allowance", pre.Status, pre.Header)
		}
		pre = env.Do(http.MethodOptions, "/codec/decode", "", nil, "Origin", origin, "Access-Control-Request-Method", "POST",
			"Access-Control-Request-Headers", "content-type,x-namespace")
		if pre.Status != http.StatusNoContent || pre.Header.Get("Access-Control-Allow-Origin") != origin {
			t.Errorf("preflight from the UI: %d %v; want 204 allowing %s", pre.Status, pre.Header, origin)
		}
	})
	// A worker replays a history whenever a workflow leaves its cache: the
	// encrypted histories replay through the codec, and decrypted (as
	// TestRecordHistories saves them for workflows/replay_test.go) through
	// the default converter.
	t.Run("the histories replay", func(t *testing.T) {
		logger := tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
		dc := codec.DataConverter(env.Main.Codec)
		encrypted, err := sdkworker.NewWorkflowReplayerWithOptions(sdkworker.WorkflowReplayerOptions{DataConverter: dc,
			FailureConverter: codec.FailureConverter(dc)})
		if err != nil {
			t.Fatal(err)
		}
		worker.Register(replayRegistry{encrypted}, &activities.Activities{})
		plain := sdkworker.NewWorkflowReplayer()
		worker.Register(replayRegistry{plain}, &activities.Activities{})
		for id, events := range histories {
			h := &historypb.History{Events: events}
			// Cloned before the first replay: a replay changes the started
			// event's search attributes in place (the SDK applies the
			// run's upserts to them), so it would hand the second replay
			// the run's last attributes for its first.
			dec := proto.Clone(h).(*historypb.History)
			if err := encrypted.ReplayWorkflowHistory(logger, h); err != nil {
				t.Errorf("%s, encrypted, through the codec: %v", id, err)
			}
			if err := proxy.VisitPayloads(context.Background(), dec, proxy.VisitPayloadsOptions{SkipSearchAttributes: true,
				Visitor: func(_ *proxy.VisitPayloadsContext, ps []*commonpb.Payload) ([]*commonpb.Payload, error) {
					return env.Main.Codec.Decode(ps)
				}}); err != nil {
				t.Fatal(err)
			}
			if err := plain.ReplayWorkflowHistory(logger, dec); err != nil {
				t.Errorf("%s, decrypted, through the default converter: %v", id, err)
			}
		}
	})
	t.Run("a rotated ring reads them; without the old key they are unreadable", func(t *testing.T) {
		old := env.Config.Codec.Keys[0]
		rotated, err := app.PayloadCodec(config.Codec{Keys: []string{old, "2026b:" + apptest.RandomCodecKey(t)}, ActiveKey: "2026b"})
		if err != nil {
			t.Fatal(err)
		}
		clear, err := rotated.Decode(payloads)
		if err != nil {
			t.Fatalf("key B active, A kept: %v; want A's payloads decoded", err)
		}
		if !slices.ContainsFunc(clear, func(p *commonpb.Payload) bool { return bytes.Contains(p.GetData(), []byte(j.secrets[0])) }) {
			t.Errorf("key B active, A kept: decoded payloads lack %q", j.secrets[0])
		}
		fresh, err := rotated.Encode(clear[:1])
		if err != nil || string(fresh[0].Metadata[codec.MetadataKeyID]) != "2026b" {
			t.Errorf("new payloads under %q, %v; want the active key 2026b", fresh[0].Metadata[codec.MetadataKeyID], err)
		}
		retired, err := app.PayloadCodec(config.Codec{Keys: []string{"2026b:" + apptest.RandomCodecKey(t)}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := retired.Decode(payloads); !errors.Is(err, codec.ErrUnknownKey) {
			t.Errorf("A removed: %v; want ErrUnknownKey", err)
		}
	})
}

// replayRegistry registers the workflows on a replayer as worker.Register
// does on a worker; a replay runs no activity.
type replayRegistry struct{ sdkworker.WorkflowReplayer }

func (replayRegistry) RegisterActivityWithOptions(any, activity.RegisterOptions) {}

// TestSearchAttributesCarryNoPersonalInformation: after a real journey,
// the search attributes Temporal indexes for the worksite and the user
// workflow (visible to anyone with the Temporal UI, and never encrypted)
// are a status, a party, a profession and worksite IDs, and nothing of the
// person.
func TestSearchAttributesCarryNoPersonalInformation(t *testing.T) {
	j := runCodecJourney(t)
	env := j.env
	statusRE, worksiteRE := regexp.MustCompile(`^[a-z_]{1,40}$`), regexp.MustCompile(`^[A-Z0-9]{7}$`)
	parties := []domain.Party{domain.PartyNone, domain.PartyApplicant, domain.PartySiteAdmin, domain.PartySigningAuthority,
		domain.PartySponsor, domain.PartyLearningHub, domain.PartyEnrolmentTeam}
	var professions []string
	for _, p := range env.Config.Policy.Professions {
		professions = append(professions, p.Code)
	}
	dc := converter.GetDefaultDataConverter()
	for _, id := range j.workflows {
		var fields map[string]*commonpb.Payload
		var worksites []string
		// The user workflow indexes the application's worksite once it has the application.
		for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			d, err := env.Main.Temporal.DescribeWorkflowExecution(context.Background(), id, "")
			if err != nil {
				t.Fatal(err)
			}
			fields = d.GetWorkflowExecutionInfo().GetSearchAttributes().GetIndexedFields()
			worksites = nil
			if p := fields[workflows.SearchWorksiteID.GetName()]; p != nil {
				if err := dc.FromPayload(p, &worksites); err != nil {
					t.Fatalf("%s: %s: %v", id, workflows.SearchWorksiteID.GetName(), err)
				}
			}
			if slices.Contains(worksites, j.worksite) || time.Now().After(deadline) {
				break
			}
		}
		if !slices.Contains(worksites, j.worksite) {
			t.Errorf("%s: worksite IDs %v; want %s indexed", id, worksites, j.worksite)
		}
		for name, p := range fields {
			for _, s := range j.secrets {
				if bytes.Contains(bytes.ToLower(p.GetData()), []byte(strings.ToLower(s))) {
					t.Errorf("%s: search attribute %s holds %q", id, name, s)
				}
			}
		}
		str := func(key string) string {
			var v string
			if p := fields[key]; p != nil {
				if err := dc.FromPayload(p, &v); err != nil {
					t.Fatalf("%s: %s: %v", id, key, err)
				}
			}
			return v
		}
		if st := str(workflows.SearchStatus.GetName()); !statusRE.MatchString(st) {
			t.Errorf("%s: status %q; want a state name", id, st)
		}
		if w := domain.Party(str(workflows.SearchWaitingOn.GetName())); !slices.Contains(parties, w) {
			t.Errorf("%s: waiting on %q; want a party", id, w)
		}
		if p := str(workflows.SearchProfession.GetName()); p != "" && !slices.Contains(professions, p) {
			t.Errorf("%s: profession %q; want a profession of the policy", id, p)
		}
		for _, w := range worksites {
			if !worksiteRE.MatchString(w) {
				t.Errorf("%s: worksite ID %q; want 7 letters or digits", id, w)
			}
		}
		t.Logf("%s: status %q, waiting on %q, profession %q, worksites %v", id, str(workflows.SearchStatus.GetName()),
			str(workflows.SearchWaitingOn.GetName()), str(workflows.SearchProfession.GetName()), worksites)
	}
}
