package domain

import (
	"errors"
	"strings"
	"time"
)

// ErrLowAssurance marks (in a chain with an EFORBIDDEN *Error) a sign-in
// refused because the BC Services Card identity assurance level is below
// the minimum, so that the sign-in page can say what to do about it.
var ErrLowAssurance = errors.New("identity assurance level below the minimum")

// ErrNotTeam marks (in a chain with an EFORBIDDEN *Error) a team sign-in by
// someone who is not a member of the enrolment team.
var ErrNotTeam = errors.New("not a member of the enrolment team")

// Role is what an authenticated caller may act as.
type Role string

// Roles.
const (
	RoleApplicant Role = "applicant"
	RoleTeam      Role = "enrolment_team"
)

// Principal is an authenticated caller.
type Principal struct {
	Subject    string `json:"subject"`
	Issuer     string `json:"-"`
	Role       Role   `json:"role"`
	GivenName  string `json:"givenName"`
	FamilyName string `json:"familyName"`
	Email      string `json:"email,omitempty"`
	IAL        int    `json:"identityAssuranceLevel"`
	// SessionID (hashed) and CSRFToken are set for cookie sessions; the
	// CSRF token must then accompany every state change.
	SessionID string `json:"-"`
	CSRFToken string `json:"-"`
}

// SignInKind selects which issuer a browser signs in with.
type SignInKind string

// Sign-in kinds.
const (
	SignInApplicant SignInKind = "applicant"
	SignInTeam      SignInKind = "team"
)

// LoginState is a pending browser sign-in, kept server-side until the callback.
type LoginState struct {
	State    string
	Nonce    string
	Verifier string
	// BrowserHash binds the sign-in to the browser that started it: the
	// hash of that browser's pre-login cookie, which the callback must bring.
	BrowserHash string
	Kind        SignInKind
	ReturnTo    string
	ExpiresAt   time.Time
}

// Session is a signed-in browser session.
type Session struct {
	IDHash    string
	Principal Principal
	CSRFToken string
	// ExpiresAt is the end of its absolute lifetime.
	ExpiresAt time.Time
	// LastSeenAt is its last recorded use (recorded at most once a
	// minute); it ends when idle too long.
	LastSeenAt time.Time
	// CheckedAt is when a team session's role was last confirmed with the issuer.
	CheckedAt time.Time
	// Sealed is a team session's issuer tokens, encrypted with a key only
	// the session cookie yields; empty for applicants.
	Sealed string
}

// Account is a person's HxBC account (DOMAIN "User types and professions").
type Account struct {
	Subject  string `json:"subject"`
	Username string `json:"username"`
	// Email is the address in force: every email goes to it. It binds
	// LearningHub events and invitations only once EmailConfirmed.
	Email          string `json:"email"`
	EmailConfirmed bool   `json:"emailConfirmed"`
	// PendingEmail is a new address awaiting confirmation; Email stays in
	// force until its link is used.
	PendingEmail string `json:"pendingEmail,omitempty"`
	// LearningHubID is the learner's LearningHub ID, bound at the first
	// LearningHub event delivered to the account by its confirmed address;
	// later events with it reach the account whatever address they carry.
	LearningHubID string `json:"learningHubId,omitempty"`
	// EmailLink is the nonce of the one link that may confirm the address
	// awaiting confirmation (AwaitingEmail), and EmailLinksSent how many
	// links have been sent for it; EmailConfirmedLink is the link that
	// confirmed Email (a replay of it confirms nothing new). Never shown
	// to callers.
	EmailLink           string            `json:"-"`
	EmailLinksSent      int               `json:"-"`
	EmailConfirmedLink  string            `json:"-"`
	LegalFirstName      string            `json:"legalFirstName"`
	LegalLastName       string            `json:"legalLastName"`
	PreferredFirstName  string            `json:"preferredFirstName,omitempty"`
	PreferredLastName   string            `json:"preferredLastName,omitempty"`
	Profession          string            `json:"profession"`
	ProfessionIDs       map[string]string `json:"professionIds"`
	Phone               string            `json:"phone"`
	Mobile              string            `json:"mobile,omitempty"`
	HasHANetworkAccount bool              `json:"hasHealthAuthorityNetworkAccount"`
	PasswordChangedAt   time.Time         `json:"passwordChangedAt"`
	CreatedAt           time.Time         `json:"createdAt"`
}

// ConfirmedEmail is the account's confirmed address, or "" when it has none.
func (a Account) ConfirmedEmail() string {
	if !a.EmailConfirmed {
		return ""
	}
	return a.Email
}

// AwaitingEmail is the address waiting for its confirmation link: the
// pending new address, or the address in force when it was never
// confirmed; "" when none waits.
func (a Account) AwaitingEmail() string {
	switch {
	case a.PendingEmail != "":
		return a.PendingEmail
	case !a.EmailConfirmed:
		return a.Email
	}
	return ""
}

// DisplayName is the name to greet the person by: preferred names where
// given, legal names otherwise.
func (a Account) DisplayName() string {
	first, last := a.PreferredFirstName, a.PreferredLastName
	if first == "" {
		first = a.LegalFirstName
	}
	if last == "" {
		last = a.LegalLastName
	}
	return strings.TrimSpace(first + " " + last)
}

// UserState is where a person's enrolment is.
type UserState string

// User states.
const (
	// UserIdentityValidated: signed in with BCSC; the applicant must register an HxBC account.
	UserIdentityValidated UserState = "identity_validated"
	// UserAccountRegistered: the account exists; the password is current.
	UserAccountRegistered UserState = "account_registered"
	// UserPasswordExpired: the password expired; the applicant must reset it.
	UserPasswordExpired UserState = "password_expired"
)

// UserStatus is a person's enrolment status as the API returns it.
type UserStatus struct {
	Subject        string    `json:"subject"`
	State          UserState `json:"state"`
	LegalFirstName string    `json:"legalFirstName"`
	LegalLastName  string    `json:"legalLastName"`
	Username       string    `json:"username,omitempty"`
	Profession     string    `json:"profession,omitempty"`
	WaitingOn      Party     `json:"waitingOn,omitempty"`
	WaitingSince   time.Time `json:"waitingSince"`
	NextAction     string    `json:"nextAction,omitempty"`
	// PasswordExpiresAt is set once an account exists.
	PasswordExpiresAt *time.Time `json:"passwordExpiresAt,omitempty"`
	NextMilestone     *Milestone `json:"nextMilestone,omitempty"`
	// Worksites are the person's memberships as their worksites reported them.
	Worksites []UserWorksite `json:"worksites,omitempty"`
	// CourseCompletedAt is when the person completed the Privacy & Security
	// course on LearningHub; per person, not per worksite.
	CourseCompletedAt *time.Time `json:"courseCompletedAt,omitempty"`
	// AgreementAcknowledgedAt is when the person acknowledged the HPCAA on LearningHub.
	AgreementAcknowledgedAt *time.Time `json:"agreementAcknowledgedAt,omitempty"`
	// EmailConfirmation is where the confirmation of the person's email
	// address stands; nil for an enrolment that has never been told (one
	// registered before addresses were confirmed).
	EmailConfirmation *EmailConfirmation `json:"emailConfirmation,omitempty"`
	// Applications are the person's access applications, one per worksite.
	Applications []Application `json:"applications,omitempty"`
	// AccessSuspended is set while the enrolment team has suspended the
	// person's access (every worksite); provisioning waits until reinstated.
	AccessSuspended *AccessSuspension `json:"accessSuspended,omitempty"`
	Timeline        []TimelineEvent   `json:"timeline"`
	Seq             int               `json:"seq"`
}

// AccessSuspension is the enrolment team's suspension of a person's access.
type AccessSuspension struct {
	At     time.Time `json:"at"`
	By     string    `json:"by"`
	Reason string    `json:"reason"`
}

// UserWorksite is one of a person's memberships, as their status shows it.
type UserWorksite struct {
	WorksiteID string    `json:"worksiteId"`
	Active     bool      `json:"active"`
	Admin      bool      `json:"admin"`
	Since      time.Time `json:"since"`
	// WorksiteState and Suspended are the worksite's, as last reported.
	WorksiteState WorksiteState `json:"worksiteState,omitempty"`
	Suspended     bool          `json:"suspended,omitempty"`
}

// NoWorksiteAction is the next action of a person whose account asks
// nothing more of them and who has no active worksite: the portal's "who
// must act" says the same (DOMAIN: an account with no worksite yet waits
// on the applicant: register or join one).
const NoWorksiteAction = "register your worksite or join one: find it by address or worksite ID and ask to join"

// NextStep says who must act next on st and what they must do: the
// account's own step first (UserNextAction); then, for a registered
// account with no active worksite among those its status lists, the
// applicant, who must register or join a worksite (NoWorksiteAction). The
// enrolment layer refines the latter from what the status cannot know:
// a worksite registered a moment ago, a pending join request or an
// invitation (PersonNextAction).
func (st UserStatus) NextStep() (Party, string) {
	p, a := UserNextAction(st.State, st.EmailConfirmation)
	if p == PartyNone && st.State == UserAccountRegistered && st.ActiveWorksites() == 0 {
		return PartyApplicant, NoWorksiteAction
	}
	return p, a
}

// UserNextAction says who must act in state s, with the email
// confirmation e (nil when unknown), and what they must do. An address
// awaiting confirmation comes after registering and after an expired
// password, which the portal needs first.
func UserNextAction(s UserState, e *EmailConfirmation) (Party, string) {
	switch s {
	case UserIdentityValidated:
		return PartyApplicant, "register your HxBC account: profession, contact details, username and password"
	case UserPasswordExpired:
		return PartyApplicant, "your password has expired: reset it to keep using the portal"
	}
	switch {
	case e == nil || !e.Awaiting:
	case e.Confirmed:
		return PartyApplicant, "confirm your new email address: open the link we emailed to it (or send it again from your status page); until then we keep using your current address"
	default:
		return PartyApplicant, "confirm your email address: open the link we emailed to it (or send it again from your status page); your course, HPCAA and invitations reach your account only once it is confirmed"
	}
	return PartyNone, ""
}
