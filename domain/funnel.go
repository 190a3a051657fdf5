package domain

// FunnelCount is how many people, worksites or applications wait at one
// place: Kind is "person", "worksite" or "application"; Blocker is an
// application's first outstanding requirement.
type FunnelCount struct {
	Kind      string
	State     string
	Blocker   string
	WaitingOn Party
	Count     int
}

// FunnelStep is one bar of the enrolment team's funnel: how many
// enrolments wait at a step of the process and on whom.
type FunnelStep struct {
	Step      string `json:"step"`
	Label     string `json:"label"`
	WaitingOn Party  `json:"waitingOn"`
	Count     int    `json:"count"`
	// Finished marks the step where nothing waits any more (access provisioned).
	Finished bool `json:"finished"`
}

// funnelStep places counts on a step of the process: a row matches when
// its kind, state, blocker and party match (an empty field matches any).
type funnelStep struct {
	step, label                string
	kind, state, blocker       string
	waitingOn                  Party
	matchWaitingOn, isFinished bool
}

// funnelSteps is the process in order, from first sign-in to provisioned access.
var funnelSteps = []funnelStep{
	{step: "account", label: "Register an HxBC account", kind: "person", state: string(UserIdentityValidated), waitingOn: PartyApplicant},
	{step: "declaration", label: "Sign the worksite declaration", kind: "worksite", state: string(WorksiteAwaitingDeclaration), waitingOn: PartySigningAuthority},
	{step: "worksite_review", label: "Approve the worksite", kind: "worksite", state: string(WorksiteAwaitingReview), waitingOn: PartyEnrolmentTeam},
	{step: "membership", label: "Membership at the worksite", kind: "application", state: string(AppWaiting), blocker: "membership", waitingOn: PartySiteAdmin},
	{step: "application_worksite", label: "Worksite approval before access", kind: "application", state: string(AppWaiting), blocker: "worksite", waitingOn: PartyEnrolmentTeam},
	{step: "course", label: "Privacy & Security course", kind: "application", state: string(AppWaiting), blocker: "course", waitingOn: PartyApplicant},
	{step: "hpcaa", label: "Acknowledge the HPCAA", kind: "application", state: string(AppWaiting), blocker: "hpcaa", waitingOn: PartyApplicant},
	{step: "sponsor_request", label: "Request a sponsor", kind: "application", state: string(AppWaiting), blocker: "sponsor", waitingOn: PartyApplicant, matchWaitingOn: true},
	{step: "sponsor_approval", label: "Sponsor approval", kind: "application", state: string(AppWaiting), blocker: "sponsor", waitingOn: PartySponsor, matchWaitingOn: true},
	{step: "provisioning", label: "Provision access", kind: "application", state: string(AppReady), waitingOn: PartyEnrolmentTeam},
	{step: "provisioned", label: "Access provisioned", kind: "application", state: string(AppProvisioned), isFinished: true},
}

// Funnel places counts on the process's steps, in order; every step is
// listed (zero when nothing waits there). Counts that match no step (a
// rejected worksite, a lapsed application) are not part of the funnel.
func Funnel(counts []FunnelCount) []FunnelStep {
	out := make([]FunnelStep, len(funnelSteps))
	for i, s := range funnelSteps {
		out[i] = FunnelStep{Step: s.step, Label: s.label, WaitingOn: s.waitingOn, Finished: s.isFinished}
	}
	for _, c := range counts {
		for i, s := range funnelSteps {
			if s.kind == c.Kind && s.state == c.State && (s.blocker == "" || s.blocker == c.Blocker) &&
				(!s.matchWaitingOn || s.waitingOn == c.WaitingOn) {
				out[i].Count += c.Count
				break
			}
		}
	}
	return out
}

// FunnelWaiting is the total waiting in steps: everything not finished.
func FunnelWaiting(steps []FunnelStep) int {
	n := 0
	for _, s := range steps {
		if !s.Finished {
			n += s.Count
		}
	}
	return n
}
