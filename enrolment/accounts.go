package enrolment

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"careconnect/authz"
	"careconnect/domain"
	"careconnect/links"
	"careconnect/workflows"
)

// EnsurePerson starts the enrolment of a person who signed in, or reaches
// it, and returns their status. p is the principal sign-in has just
// verified. A first sign-in starts their workflow with the identity in its
// input (UserInput.Identity), unless it runs already (a concurrent sign-in:
// nothing is added to it); its first workflow task records "identity
// validated" and its projection write makes the person's row, so nothing
// is stored before the workflow has it. EnsurePerson waits for that
// projection (up to the write budget). A later sign-in reads the
// projection and changes nothing, unless the card's legal names changed,
// which the identity-validated update records. Errors: EUNAVAILABLE (the
// database or the workflow service does not answer, or the enrolment did
// not start in time: signing in again is safe).
func (s *Service) EnsurePerson(ctx context.Context, p domain.Principal) (domain.UserStatus, error) {
	id := workflows.UserWorkflowID(p.Subject)
	v := workflows.IdentityValidated{LegalFirstName: p.GivenName, LegalLastName: p.FamilyName, At: s.now().UTC()}
	st, ok, err := s.projectedUserStatus(ctx, p.Subject)
	switch {
	case err != nil:
		return st, err
	case ok && st.LegalFirstName == v.LegalFirstName && st.LegalLastName == v.LegalLastName:
		return st, nil
	case ok:
		// The update's ID is the service's own: a name changed back and
		// forth is a new change each time.
		var out domain.UserStatus
		err := s.wf.Update(ctx, id, "", workflows.UpdateIdentityValidated, v, &out)
		return out, err
	}
	err = s.wf.Ensure(ctx, id, workflows.UserWorkflowName, workflows.UserInput{Subject: p.Subject,
		Schedule: s.cfg.Schedule.DomainSchedule(), Calendar: s.cfg.Calendar.DomainCalendar(), Identity: &v})
	if err != nil {
		return st, err
	}
	return s.awaitUserStatus(ctx, p.Subject)
}

// projectedUserStatus reads a person's projected status; ok is false for a
// person with none yet (no row, or a row never projected).
func (s *Service) projectedUserStatus(ctx context.Context, subject string) (st domain.UserStatus, ok bool, err error) {
	raw, seq, err := s.store.UserStatusJSON(ctx, subject)
	switch {
	case domain.ErrorCode(err) == domain.ENOTFOUND:
		return st, false, nil
	case err != nil:
		return st, false, err
	case seq == 0:
		return st, false, nil
	}
	if err := json.Unmarshal(raw, &st); err != nil {
		return st, false, fmt.Errorf("enrolment: a stored status: %w", err)
	}
	return st, true, nil
}

// awaitUserStatus waits for a started enrolment's first projection, up to
// the write budget (config temporal.write_budget) and ctx's deadline.
// Errors: EUNAVAILABLE (none in time: the workflow has not run yet, its
// worker being down; it will).
func (s *Service) awaitUserStatus(ctx context.Context, subject string) (domain.UserStatus, error) {
	wctx, cancel := context.WithTimeout(ctx, s.writeBudget())
	defer cancel()
	pause := firstProjectionPoll
	for {
		st, ok, err := s.projectedUserStatus(wctx, subject)
		if ok {
			return st, nil
		}
		if err != nil && wctx.Err() == nil {
			return st, err
		}
		t := time.NewTimer(pause)
		select {
		case <-wctx.Done():
			t.Stop()
			return domain.UserStatus{}, domain.Errorf(domain.EUNAVAILABLE,
				"your enrolment is starting but did not answer in time; try again shortly")
		case <-t.C:
		}
		pause = min(2*pause, 10*firstProjectionPoll)
	}
}

// firstProjectionPoll is how often, at first, awaitUserStatus reads the
// projection (a workflow's first task takes tens of milliseconds).
const firstProjectionPoll = 20 * time.Millisecond

// statusOrEnsure returns the status of a person whose enrolment already
// runs (readUserStatus: the projection, or a query; neither adds to its
// history); only a person without one gets EnsurePerson's start. Reads
// poll this: an update per read would fill the workflow's history.
func (s *Service) statusOrEnsure(ctx context.Context, p domain.Principal) (domain.UserStatus, error) {
	if st, err := s.readUserStatus(ctx, p.Subject); err == nil && st.State != "" {
		return st, nil
	}
	return s.EnsurePerson(ctx, p)
}

// readUserStatus answers a read of a person's status from the projection,
// which the workflow writes before each of its updates returns, so a
// client sees its own change. Only a status never projected (or a
// projection that cannot be read) is asked of the workflow.
func (s *Service) readUserStatus(ctx context.Context, subject string) (domain.UserStatus, error) {
	st, ok, err := s.projectedUserStatus(ctx, subject)
	if ok {
		return st, nil
	}
	var live domain.UserStatus
	qerr := s.wf.Query(ctx, workflows.UserWorkflowID(subject), workflows.QueryStatus, &live)
	if qerr == nil {
		return live, nil
	}
	if err != nil {
		return st, err
	}
	return st, qerr
}

// userUpdate sends an update to a person's workflow and returns their status.
func (s *Service) userUpdate(ctx context.Context, by Caller, subject, name string, arg any) (domain.UserStatus, error) {
	var st domain.UserStatus
	err := s.userUpdateInto(ctx, by, subject, name, arg, &st)
	return st, err
}

// userWrite sends a write update to a person's workflow and returns their status.
func (s *Service) userWrite(ctx context.Context, by Caller, subject, name string, arg any, notAfter time.Time, statusURL string) (domain.UserStatus, error) {
	var st domain.UserStatus
	err := s.write(ctx, WriteCall{WorkflowID: workflows.UserWorkflowID(subject), UpdateID: updateID(by, name), Name: name, Arg: arg,
		Out: &st, NotAfter: notAfter}, statusURL)
	return st, err
}

// userUpdateInto sends an update to a person's workflow and decodes its result into out.
func (s *Service) userUpdateInto(ctx context.Context, by Caller, subject, name string, arg, out any) error {
	return s.wf.Update(ctx, workflows.UserWorkflowID(subject), updateID(by, name), name, arg, out)
}

// userStatus asks a person's workflow for their status, or the projection
// when it does not answer.
func (s *Service) userStatus(ctx context.Context, subject string) (domain.UserStatus, error) {
	var st domain.UserStatus
	if err := s.wf.Query(ctx, workflows.UserWorkflowID(subject), workflows.QueryStatus, &st); err == nil {
		return st, nil
	}
	return s.store.GetUserStatus(ctx, subject)
}

// Me is who the caller is to the enrolment: an applicant's status and
// account (nil without one); nothing for the team.
type Me struct {
	Status  *domain.UserStatus
	Account *domain.Account
}

// Me returns the caller's enrolment status and account; an applicant's
// first call starts their enrolment. Errors: EUNAUTHORIZED, EUNAVAILABLE.
func (s *Service) Me(ctx context.Context, by Caller) (Me, error) {
	if err := signedIn(by); err != nil {
		return Me{}, err
	}
	p := by.Principal
	if p.Role != domain.RoleApplicant {
		return Me{}, nil
	}
	st, err := s.statusOrEnsure(ctx, *p)
	if err != nil {
		return Me{}, err
	}
	if err := s.completeStatus(ctx, p.Subject, &st); err != nil {
		return Me{}, err
	}
	me := Me{Status: &st}
	acct, err := s.store.GetAccount(ctx, p.Subject)
	switch domain.ErrorCode(err) {
	case "":
		me.Account = &acct
	case domain.ENOTFOUND:
	default:
		return Me{}, err
	}
	return me, nil
}

// MyStatus is the caller's enrolment status: JSON, the projection as
// stored, passed on undecoded when completing it adds nothing, or else
// Status.
type MyStatus struct {
	JSON   json.RawMessage
	Status domain.UserStatus
}

// MyStatus returns the caller's enrolment status; a bearer client's first
// call may be this one, and starts their enrolment. Errors: EUNAUTHORIZED,
// EFORBIDDEN, EUNAVAILABLE.
func (s *Service) MyStatus(ctx context.Context, by Caller) (MyStatus, error) {
	if err := authorize(by, authz.ReadOwnStatus, authz.Resource{}); err != nil {
		return MyStatus{}, err
	}
	// The projection as stored is the answer, completed with what the
	// person's workflow does not know (completeStatus).
	if raw, seq, mine, err := s.store.UserStatusView(ctx, by.Principal.Subject); err == nil && seq > 0 {
		raw, st, err := s.completeStatusJSON(ctx, by.Principal.Subject, raw, mine)
		return MyStatus{JSON: raw, Status: st}, err
	}
	st, err := s.statusOrEnsure(ctx, *by.Principal)
	if err == nil {
		err = s.completeStatus(ctx, by.Principal.Subject, &st)
	}
	return MyStatus{Status: st}, err
}

// Registered is an account registered and the enrolment's status after.
type Registered struct {
	Account domain.Account
	Status  domain.UserStatus
}

// RegisterAccount creates the caller's HxBC account (the input is a
// domain.AccountRegistration): their enrolment's account-registered
// update carries it (with the password's hash, never the password), the
// workflow stores it and sends the link to confirm the address. Errors:
// EUNAUTHORIZED, EFORBIDDEN, EINVALID, ECONFLICT (an account already, or
// the username taken), EUNAVAILABLE (nothing stored), *domain.Accepted
// (it will be).
func (s *Service) RegisterAccount(ctx context.Context, by Caller, in Input) (Registered, error) {
	if err := authorize(by, authz.RegisterAccount, authz.Resource{}); err != nil {
		return Registered{}, err
	}
	p := by.Principal
	var req domain.AccountRegistration
	if err := in(&req); err != nil {
		return Registered{}, err
	}
	reg, err := domain.ValidateAccountRegistration(req, s.professions)
	if err != nil {
		return Registered{}, err
	}
	// A person whose enrolment runs needs no start (which would wait for
	// a worker): the account-registered write is the one that must reach
	// it.
	if _, err := s.statusOrEnsure(ctx, *p); err != nil {
		return Registered{}, err
	}
	hash, err := s.hasher.Hash(reg.Password)
	if err != nil {
		return Registered{}, err
	}
	now := s.now().UTC()
	audit := s.audit(by, "person:"+p.Subject, "account registered", "username "+reg.Username+", profession "+reg.Profession)
	audit.Key = "person/" + p.Subject + "/audit/account"
	nonce := newID() + newID()
	stored := reg
	stored.Password = "" // the hash travels; the password never does
	notAfter := s.notAfter()
	// The workflow stores the account and sends the first link to confirm
	// the address: until it is used, nothing (LearningHub events,
	// invitations) binds to it.
	st, err := s.userWrite(ctx, by, p.Subject, workflows.UpdateAccountRegistered, workflows.AccountRegistered{
		Username: reg.Username, Profession: reg.Profession, At: now, RequestID: by.RequestID, NotAfter: notAfter,
		Write: &domain.Write{Key: "account/" + p.Subject, Account: &domain.AccountWrite{Subject: p.Subject, Registration: stored,
			PasswordHash: hash, EmailNonce: nonce, At: now, Audit: audit}},
		EmailConfirmation: &workflows.EmailConfirmationRequest{Link: nonce, Seq: 1, RequestID: by.RequestID}}, notAfter, "/api/v1/me/status")
	acct := domain.Account{Subject: p.Subject, Username: reg.Username, Email: reg.Email, EmailLink: nonce, EmailLinksSent: 1,
		LegalFirstName: p.GivenName, LegalLastName: p.FamilyName, PreferredFirstName: reg.PreferredFirstName,
		PreferredLastName: reg.PreferredLastName, Profession: reg.Profession, ProfessionIDs: reg.ProfessionIDs, Phone: reg.Phone,
		Mobile: reg.Mobile, PasswordChangedAt: now, CreatedAt: now}
	if reg.HasHANetworkAccount != nil {
		acct.HasHANetworkAccount = *reg.HasHANetworkAccount
	}
	var acc *domain.Accepted
	if errors.As(err, &acc) {
		return Registered{Account: acct}, err
	}
	if err != nil {
		return Registered{}, err
	}
	return Registered{Account: acct, Status: st}, nil
}

// AccountChange is a change of the caller's preferred names and contact
// details; absent fields stay.
type AccountChange struct {
	PreferredFirstName *string `json:"preferredFirstName"`
	PreferredLastName  *string `json:"preferredLastName"`
	Email              *string `json:"email"`
	Phone              *string `json:"phone"`
	Mobile             *string `json:"mobile"`
}

// AccountUpdated is an account changed and, when the email changed and
// the enrolment took it, the enrolment's status after.
type AccountUpdated struct {
	Account domain.Account
	Status  *domain.UserStatus
}

// UpdateAccount changes the caller's preferred names and contact details
// (the input is an AccountChange). Legal names and the profession are not
// editable here. A new email is confirmed through a link sent to it before
// it counts: a confirmed address stays in force meanwhile. The change
// rides in the person's account-changed update, planned against the
// account as read here (domain.PlanEmailChange, the new link's nonce); the
// workflow stores it with what it means for the enrolment, or refuses it
// when the account changed meanwhile. Errors: EUNAUTHORIZED, EFORBIDDEN,
// EINVALID, ENOTFOUND (no account), ECONFLICT, EUNAVAILABLE (nothing
// changed), *domain.Accepted (it will be).
func (s *Service) UpdateAccount(ctx context.Context, by Caller, in Input) (AccountUpdated, error) {
	if err := authorize(by, authz.UpdateOwnAccount, authz.Resource{}); err != nil {
		return AccountUpdated{}, err
	}
	p := by.Principal
	var req AccountChange
	if err := in(&req); err != nil {
		return AccountUpdated{}, err
	}
	u, err := validateAccountChange(req)
	if err != nil {
		return AccountUpdated{}, err
	}
	acct, err := s.store.GetAccount(ctx, p.Subject)
	if err != nil {
		return AccountUpdated{}, err
	}
	audit := s.audit(by, "person:"+p.Subject, "contact details updated", "")
	audit.Key = "person/" + p.Subject + "/audit/account-change/" + by.RequestID
	w := domain.AccountChangeWrite{Subject: p.Subject, Update: u, From: acct.Email, FromPending: acct.PendingEmail, Audit: audit}
	arg := workflows.AccountChanged{RequestID: by.RequestID}
	if u.Email != nil {
		w.Change = domain.PlanEmailChange(acct.Email, acct.EmailConfirmed, acct.PendingEmail, *u.Email)
	}
	switch w.Change {
	case domain.EmailReplaced, domain.EmailPending:
		w.Nonce = newID() + newID()
		arg.Request = &workflows.EmailConfirmationRequest{Link: w.Nonce, Seq: 1, Change: acct.EmailConfirmed, RequestID: by.RequestID}
	case domain.EmailWithdrawn:
		arg.Withdrawn = true
	}
	// The person's worksites keep their name and address in force on
	// their member and join request records: another display name, or an
	// unconfirmed address replaced at once, must reach them (a confirmed
	// one is replaced only when the new one is confirmed).
	after := acct
	if u.PreferredFirstName != nil {
		after.PreferredFirstName = *u.PreferredFirstName
	}
	if u.PreferredLastName != nil {
		after.PreferredLastName = *u.PreferredLastName
	}
	arg.Profile = after.DisplayName() != acct.DisplayName() || w.Change == domain.EmailReplaced
	arg.NotAfter = s.notAfter()
	arg.Write = &domain.Write{Key: "account-change/" + by.RequestID, AccountChange: &w}
	st, err := s.userWrite(ctx, by, p.Subject, workflows.UpdateAccountChanged, arg, arg.NotAfter, "/api/v1/me/account")
	if err != nil {
		return AccountUpdated{}, err
	}
	out := AccountUpdated{}
	if out.Account, err = s.store.GetAccount(ctx, p.Subject); err != nil {
		return AccountUpdated{}, err
	}
	if w.Change != domain.EmailUnchanged {
		out.Status = &st
	}
	return out, nil
}

// validateAccountChange checks and normalises an account change.
func validateAccountChange(req AccountChange) (domain.AccountUpdate, error) {
	fe := domain.FieldErrors{}
	trim := func(p *string) *string {
		if p == nil {
			return nil
		}
		v := strings.TrimSpace(*p)
		return &v
	}
	u := domain.AccountUpdate{PreferredFirstName: trim(req.PreferredFirstName), PreferredLastName: trim(req.PreferredLastName),
		Email: trim(req.Email), Phone: trim(req.Phone), Mobile: trim(req.Mobile)}
	if u.PreferredFirstName != nil {
		if problem := domain.PreferredNameProblem(*u.PreferredFirstName); problem != "" {
			fe.Add("preferredFirstName", problem)
		}
	}
	if u.PreferredLastName != nil {
		if problem := domain.PreferredNameProblem(*u.PreferredLastName); problem != "" {
			fe.Add("preferredLastName", problem)
		}
	}
	if u.Email != nil {
		if !domain.ValidEmail(*u.Email) {
			fe.Add("email", "must be an email address such as name@example.ca")
		} else {
			*u.Email = strings.ToLower(*u.Email)
		}
	}
	if u.Phone != nil {
		if ph, ok := domain.NormalisePhone(*u.Phone); !ok {
			fe.Add("phone", "must be a 10-digit North American phone number")
		} else {
			u.Phone = &ph
		}
	}
	if u.Mobile != nil && *u.Mobile != "" {
		if m, ok := domain.NormalisePhone(*u.Mobile); !ok {
			fe.Add("mobile", "must be a 10-digit North American phone number")
		} else {
			u.Mobile = &m
		}
	}
	if u == (domain.AccountUpdate{}) {
		return u, domain.Errorf(domain.EINVALID, "send at least one of preferredFirstName, preferredLastName, email, phone, mobile")
	}
	return u, fe.Err()
}

// PasswordInput is a new password.
type PasswordInput struct {
	Password string `json:"password"`
}

// ResetPassword sets a new password for the caller (the input is a
// PasswordInput), who proved who they are by signing in with the BC
// Services Card; the password's life restarts. The person's workflow
// stores the new hash (PasswordWrite) with the change. Errors:
// EUNAUTHORIZED, EFORBIDDEN, EINVALID, ENOTFOUND (no account),
// EUNAVAILABLE (nothing changed), *domain.Accepted (it will).
func (s *Service) ResetPassword(ctx context.Context, by Caller, in Input) (domain.UserStatus, error) {
	if err := authorize(by, authz.ResetOwnPassword, authz.Resource{}); err != nil {
		return domain.UserStatus{}, err
	}
	p := by.Principal
	var req PasswordInput
	if err := in(&req); err != nil {
		return domain.UserStatus{}, err
	}
	if err := domain.ValidPassword(req.Password); err != nil {
		return domain.UserStatus{}, (domain.FieldErrors{"password": err.Error()}).Err()
	}
	if _, err := s.store.GetAccount(ctx, p.Subject); err != nil {
		return domain.UserStatus{}, err
	}
	hash, err := s.hasher.Hash(req.Password)
	if err != nil {
		return domain.UserStatus{}, err
	}
	now := s.now().UTC()
	audit := s.audit(by, "person:"+p.Subject, "password reset", "")
	audit.Key = "person/" + p.Subject + "/audit/password/" + by.RequestID
	notAfter := s.notAfter()
	return s.userWrite(ctx, by, p.Subject, workflows.UpdatePasswordChanged, workflows.PasswordChanged{At: now, RequestID: by.RequestID,
		NotAfter: notAfter, Write: &domain.Write{Key: "password/" + by.RequestID, Password: &domain.PasswordWrite{Subject: p.Subject,
			Hash: hash, At: now, Audit: audit}}}, notAfter, "/api/v1/me/status")
}

// An account's email binds nothing (LearningHub events, invitations) until
// its owner has used the signed link sent to it (DOMAIN "Account fields").
// The link proves the mailbox; the session proves the account: only the
// account's owner, signed in, may use it, so that a link sent for someone
// else's account (a squatter who registered your address) confirms
// nothing when you click it.

// emailLink verifies an email confirmation token and returns the account
// it names and the nonce of the link. Errors: ENOTFOUND (not valid),
// EUNPROCESSABLE (expired).
func (s *Service) emailLink(token string) (subject, nonce string, err error) {
	claims, err := s.links.Verify(token, domain.LinkEmailConfirmation, s.now())
	switch {
	case errors.Is(err, links.ErrExpired):
		return "", "", domain.Errorf(domain.EUNPROCESSABLE, "this link has expired; sign in and send a new one from your status page")
	case err != nil:
		return "", "", domain.Errorf(domain.ENOTFOUND, "this link is not valid; use the link in your email")
	}
	i := strings.LastIndexByte(claims.Subject, '/')
	if i <= 0 || i == len(claims.Subject)-1 {
		return "", "", domain.Errorf(domain.ENOTFOUND, "this link is not valid; use the link in your email")
	}
	return claims.Subject[:i], claims.Subject[i+1:], nil
}

// EmailConfirmed is what using a confirmation link did: the outcome, the
// account, and the enrolment's status when it heard of it.
type EmailConfirmed struct {
	Outcome domain.EmailLinkOutcome
	Account domain.Account
	Status  *domain.UserStatus
}

// ConfirmEmail confirms the address a link was sent to, for the signed-in
// owner of the account it names: that address becomes the one in force,
// and what waited for it (LearningHub events) reaches the account. The
// confirmation rides in the email-confirmation-settled update (an
// EmailConfirmWrite), which the workflow stores with the status. A replay
// answers "already_confirmed" and changes nothing. Errors: EUNAUTHORIZED,
// EFORBIDDEN (another account's link), ENOTFOUND, EUNPROCESSABLE (expired,
// or replaced), ECONFLICT (another account confirmed the address first),
// EUNAVAILABLE (nothing changed), *domain.Accepted (it will be).
func (s *Service) ConfirmEmail(ctx context.Context, by Caller, token string) (EmailConfirmed, error) {
	if err := authorize(by, authz.ConfirmOwnEmail, authz.Resource{}); err != nil {
		return EmailConfirmed{}, err
	}
	subject, nonce, err := s.emailLink(token)
	if err != nil {
		return EmailConfirmed{}, err
	}
	if err := authorize(by, authz.ConfirmOwnEmail, authz.Resource{Owner: subject}); err != nil {
		return EmailConfirmed{}, err
	}
	acct, outcome, err := s.checkEmailLink(ctx, subject, nonce)
	if err != nil || outcome == domain.EmailLinkAlreadyUsed {
		return EmailConfirmed{Outcome: outcome, Account: acct}, err
	}
	now := s.now().UTC()
	audit := s.audit(by, "person:"+subject, "email confirmed", "")
	audit.Key = "person/" + subject + "/audit/email-confirmed/" + by.RequestID
	notAfter := s.notAfter()
	st, err := s.userWrite(ctx, by, subject, workflows.UpdateEmailConfirmationSettled, workflows.EmailConfirmationSettled{
		Confirmed: true, At: now, RequestID: by.RequestID, NotAfter: notAfter,
		Write: &domain.Write{Key: "email-confirm/" + nonce, EmailConfirm: &domain.EmailConfirmWrite{Subject: subject, Nonce: nonce,
			At: now, Audit: audit}}}, notAfter, "/api/v1/me/status")
	if domain.ErrorCode(err) == domain.ECONFLICT {
		// Nothing awaits: a second click confirmed it meanwhile, or the
		// store says why not.
		if acct, outcome, cerr := s.checkEmailLink(ctx, subject, nonce); cerr == nil && outcome == domain.EmailLinkAlreadyUsed {
			return EmailConfirmed{Outcome: outcome, Account: acct}, nil
		}
	}
	if err != nil {
		return EmailConfirmed{}, err
	}
	if acct, err = s.store.GetAccount(ctx, subject); err != nil {
		return EmailConfirmed{}, err
	}
	s.deliverLearningHub(ctx, acct.Email, acct.LearningHubID)
	return EmailConfirmed{Outcome: domain.EmailLinkConfirms, Account: acct, Status: &st}, nil
}

// checkEmailLink reads subject's account and says what using the link
// with nonce would do (the workflow's write decides again). Errors:
// ENOTFOUND, EUNPROCESSABLE (replaced), EUNAVAILABLE.
func (s *Service) checkEmailLink(ctx context.Context, subject, nonce string) (domain.Account, domain.EmailLinkOutcome, error) {
	acct, err := s.store.GetAccount(ctx, subject)
	if domain.ErrorCode(err) == domain.ENOTFOUND {
		return domain.Account{}, "", domain.Errorf(domain.ENOTFOUND, "this link is not valid; use the link in your email")
	} else if err != nil {
		return domain.Account{}, "", err
	}
	f := domain.EmailLinkFacts{Used: acct.EmailConfirmedLink}
	if acct.AwaitingEmail() != "" {
		f.Outstanding = acct.EmailLink
	}
	outcome, err := domain.CheckEmailLink(f, nonce)
	return acct, outcome, err
}

// ConfirmationSent is a confirmation link sent again: the address it went
// to and the enrolment's status.
type ConfirmationSent struct {
	SentTo string
	Status domain.UserStatus
}

// ResendEmailConfirmation sends another link to the address the caller's
// account waits to confirm (at most domain.MaxEmailConfirmationLinks): the
// account-changed update carries the count of links (an EmailLinkWrite),
// which the workflow stores with the email. Errors: EUNAUTHORIZED,
// EFORBIDDEN, ECONFLICT (nothing awaits, or the address changed
// meanwhile), EUNPROCESSABLE (too many links), EUNAVAILABLE (nothing
// sent), *domain.Accepted (it will be).
func (s *Service) ResendEmailConfirmation(ctx context.Context, by Caller) (ConfirmationSent, error) {
	acct, err := s.account(ctx, by, authz.UpdateOwnAccount)
	if err != nil {
		return ConfirmationSent{}, err
	}
	if acct.Subject == "" {
		return ConfirmationSent{}, domain.Errorf(domain.ENOTFOUND, "no HxBC account is registered for you yet")
	}
	if err := domain.CanResendEmailConfirmation(acct.AwaitingEmail() != "", acct.EmailLinksSent); err != nil {
		return ConfirmationSent{}, err
	}
	link := domain.EmailLinkWrite{Subject: acct.Subject, Nonce: acct.EmailLink, Seq: acct.EmailLinksSent + 1,
		PrevNonce: acct.EmailLink, PrevSeq: acct.EmailLinksSent}
	if link.Nonce == "" { // registered before addresses were confirmed
		link.Nonce = newID() + newID()
	}
	notAfter := s.notAfter()
	out := ConfirmationSent{SentTo: acct.AwaitingEmail()}
	out.Status, err = s.userWrite(ctx, by, acct.Subject, workflows.UpdateAccountChanged, workflows.AccountChanged{
		Write:    &domain.Write{Key: fmt.Sprintf("email-link/%s/%d", link.Nonce, link.Seq), EmailLink: &link},
		NotAfter: notAfter, RequestID: by.RequestID,
		Request: &workflows.EmailConfirmationRequest{Link: link.Nonce, Seq: link.Seq, Change: acct.EmailConfirmed, RequestID: by.RequestID}},
		notAfter, "/api/v1/me/status")
	if err != nil {
		return ConfirmationSent{}, err
	}
	return out, nil
}

// EmailLinkView is what an email confirmation link's page shows: that it
// was used already, or the (masked) address it confirms for the account.
type EmailLinkView struct {
	AlreadyUsed bool
	Address     string
	Username    string
	// Change is set when the address replaces a confirmed one.
	Change bool
}

// EmailLinkPage says what an email confirmation link does, after
// verifying its token and reading the account; the page's button then
// calls ConfirmEmail. Errors: ENOTFOUND (not valid), EUNPROCESSABLE
// (expired, or replaced by a later change), EUNAVAILABLE.
func (s *Service) EmailLinkPage(ctx context.Context, token string) (EmailLinkView, error) {
	subject, nonce, err := s.emailLink(token)
	if err != nil {
		return EmailLinkView{}, err
	}
	acct, outcome, err := s.checkEmailLink(ctx, subject, nonce)
	switch {
	case err != nil:
		return EmailLinkView{}, err
	case outcome == domain.EmailLinkAlreadyUsed:
		return EmailLinkView{AlreadyUsed: true}, nil
	}
	return EmailLinkView{Address: domain.MaskEmail(acct.AwaitingEmail()), Username: acct.Username, Change: acct.EmailConfirmed}, nil
}

// Bcrypt is the Hasher of the source system's rule: bcrypt at Cost.
type Bcrypt struct{ Cost int }

// Hash returns password's bcrypt hash.
func (b Bcrypt) Hash(password string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(password), b.Cost)
	return string(h), err
}
