package domain

import "strings"

// Labels is the one table of the words people read for the codes of
// enrolment: states, parties, requirements, milestones and timeline
// events. The portal and the team console get it from the reference
// tables (GET /api/v1/reference) and the emails and link pages use it
// here, so that a raw code ("awaiting_team_review", "site_administrator")
// never reaches a person.
type Labels struct {
	WorksiteStates    map[string]string `json:"worksiteStates"`
	ApplicationStates map[string]string `json:"applicationStates"`
	UserStates        map[string]string `json:"userStates"`
	Parties           map[string]string `json:"parties"`
	Requirements      map[string]string `json:"requirements"`
	UserTypes         map[string]string `json:"userTypes"`
	Roles             map[string]string `json:"roles"`
	// Professions are the professions' labels (the configured profession
	// table's, see WithProfessions).
	Professions map[string]string `json:"professions"`
	// Milestones name the next reminder or deadline of a wait. The ones in
	// TeamOnlyMilestones (the enrolment team's service levels and flags)
	// are shown to the team only; applicants read ApplicantReviewWait.
	Milestones         map[string]string `json:"milestones"`
	TeamOnlyMilestones []string          `json:"teamOnlyMilestones"`
	// Events name the kinds of timeline events ("declaration_signed").
	Events map[string]string `json:"events"`
	// ApplicantReviewWait is what applicants are told about the team's pace.
	ApplicantReviewWait string `json:"applicantReviewWait"`
}

// ApplicantReviewWait is the service level an applicant is promised.
const ApplicantReviewWait = "The enrolment team usually answers within 5–7 business days."

// DefaultLabels returns the label table (a fresh copy; callers may not share maps).
func DefaultLabels() Labels {
	return Labels{
		WorksiteStates: map[string]string{
			string(WorksiteAwaitingDeclaration): "Waiting for the signed declaration",
			string(WorksiteAwaitingReview):      "Waiting for the enrolment team's review",
			string(WorksiteApproved):            "Approved",
			string(WorksiteRejected):            "Rejected",
			string(WorksiteLapsed):              "Lapsed (the declaration was not signed in time)",
			string(WorksiteRegisteredOnly):      "Registered only (no CareConnect access)",
			string(WorksiteClosed):              "Closed",
			"registering":                       "Being registered",
		},
		ApplicationStates: map[string]string{
			string(AppWaiting):     "Waiting on requirements",
			string(AppReady):       "Ready for provisioning",
			string(AppProvisioned): "Provisioned",
			string(AppRejected):    "Rejected",
			string(AppSentBack):    "Sent back to you",
			string(AppLapsed):      "Lapsed",
			string(AppEnded):       "Ended",
			string(AppSuspended):   "Suspended",
		},
		UserStates: map[string]string{
			string(UserIdentityValidated): "Identity validated",
			"account_registered":          "Account registered",
			"password_expired":            "Password expired",
		},
		Parties: map[string]string{
			string(PartyApplicant):        "Applicant",
			string(PartySiteAdmin):        "Site administrator",
			string(PartySigningAuthority): "Signing authority",
			string(PartySponsor):          "Sponsor (an authorizer at the worksite)",
			string(PartyLearningHub):      "LearningHub",
			string(PartyEnrolmentTeam):    "Enrolment team",
		},
		Requirements: map[string]string{
			"membership": "Membership at the worksite",
			"worksite":   "Worksite declaration signed and worksite approved",
			"course":     "Privacy & Security course (LearningHub)",
			"hpcaa":      "Access agreement (HPCAA) acknowledged (LearningHub)",
			"sponsor":    "Sponsorship by an authorizer",
			"team":       "Provisioning by the enrolment team",
		},
		UserTypes: map[string]string{
			"authorizer":     "Authorizer",
			"on_behalf_of":   "On-behalf-of user",
			"independent":    "Independent user",
			"not_designated": "Not designated",
		},
		Roles: map[string]string{
			string(RoleApplicant): "Applicant",
			string(RoleTeam):      "Enrolment team",
			"system":              "CareConnect (automatic)",
			"site_administrator":  "Site administrator",
			"signing_authority":   "Signing authority",
			"learninghub":         "LearningHub",
		},
		Professions: professionLabels(DefaultProfessions()),
		Milestones: map[string]string{
			string(MilestoneReminder): "Next reminder",
			string(MilestoneStalled):  "Flagged as stalled",
			string(MilestoneLapse):    "Lapses",
			string(MilestoneEscalate): "Escalated to the team",
			string(MilestoneBreach):   "Service level breached",
			"sponsor_reminder":        "Next reminder to the authorizers",
			"residency_notice":        "Residency ending notice",
			"residency_end":           "Access ends with the residency",
		},
		TeamOnlyMilestones: []string{string(MilestoneStalled), string(MilestoneEscalate), string(MilestoneBreach)},
		Events: map[string]string{
			"identity_validated":        "Identity validated with the BC Services Card",
			"legal_name_changed":        "Legal name changed on the BC Services Card",
			"account_registered":        "HxBC account registered",
			"email_confirmation_sent":   "Email confirmation link sent",
			"email_confirmed":           "Email confirmed",
			"email_change_withdrawn":    "Email change withdrawn",
			"password_changed":          "Password changed",
			"password_expiry_reminder":  "Password expiry reminder sent",
			"password_expired":          "Password expired",
			"profession_changed":        "Profession corrected by the enrolment team",
			"course_completed":          "Privacy & Security course completed",
			"agreement_acknowledged":    "Access agreement (HPCAA) acknowledged",
			"membership_changed":        "Membership changed",
			"application_submitted":     "Application submitted",
			"application_waiting":       "Application waiting on requirements",
			"application_ready":         "Application ready for provisioning",
			"application_provisioned":   "Access provisioned",
			"application_rejected":      "Application not approved",
			"application_sent_back":     "Application sent back",
			"application_lapsed":        "Application lapsed",
			"application_reminder":      "Application reminder sent",
			"sponsorship_requested":     "Sponsorship requested",
			"sponsorship_approved":      "Sponsorship approved",
			"sponsorship_reminder":      "Sponsorship reminder sent",
			"residency_ending":          "Residency ending notice sent",
			"access_changed":            "Access changed",
			"access_ended":              "Access ended",
			"registered":                "Worksite registered",
			"declaration_reminder":      "Declaration reminder sent",
			"declaration_signed":        "Worksite declaration signed",
			"approved":                  "Worksite approved by the enrolment team",
			"rejected":                  "Worksite not approved",
			"closed":                    "Worksite closed",
			"stalled":                   "Flagged as stalled",
			"review_escalated":          "Review escalated",
			"review_sla_breached":       "Review service level breached",
			"worksite_changed":          "Worksite details changed",
			"join_request_overdue":      "Join request waiting too long",
			"end_date_kept_last_admin":  "End date kept: last site administrator",
			"calendar_changed":          "Business calendar changed",
			"member_profession_changed": "Member's profession corrected",
		},
		ApplicantReviewWait: ApplicantReviewWait,
	}
}

// WithProfessions returns l with the labels of the profession table ps
// (the configured policy's) in place of the default ones; an empty ps
// keeps them.
func (l Labels) WithProfessions(ps []Profession) Labels {
	if len(ps) > 0 {
		l.Professions = professionLabels(ps)
	}
	return l
}

func professionLabels(ps []Profession) map[string]string {
	m := make(map[string]string, len(ps))
	for _, p := range ps {
		m[p.Code] = p.Label
	}
	return m
}

// AuditActor is how an audit timeline names who acted in e: a person by
// the words for their role and their name ("Enrolment team: Jane Smith"),
// a person acting on their own record as "The applicant", and CareConnect
// itself and LearningHub by name. It never shows the actor's subject ID: a
// person whose name is unknown is named by role alone (the ID stays in
// e.Actor, for support).
func (l Labels) AuditActor(e AuditEvent) string {
	role, name := Label(l.Roles, e.Role), strings.TrimSpace(e.ActorName)
	if name == "" && e.Role == "signing_authority" {
		name = e.Actor // a signer has no account: the workflow records them by the name they signed with
	}
	switch {
	case e.Role == "system" || e.Role == "learninghub":
		return role
	case e.Role == string(RoleApplicant) && e.Subject == "person:"+e.Actor:
		return "The applicant"
	case name == "":
		return role
	}
	return role + ": " + name
}

// Label returns the words for code in table, or the code made readable
// ("some_new_code" becomes "Some new code") when the table lacks it, so
// that even a code added later never reaches a person raw.
func Label(table map[string]string, code string) string {
	if l, ok := table[code]; ok {
		return l
	}
	return Humanize(code)
}

// Humanize turns a code into words: underscores and dots become spaces
// and the first letter a capital.
func Humanize(code string) string {
	s := strings.TrimSpace(strings.NewReplacer("_", " ", ".", " ", "-", " ").Replace(code))
	if s == "" {
		return ""
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
