package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"careconnect/domain"
)

// Membership update arguments. Actor is the subject of the person acting;
// RequestID is the API request, which also names new join requests and
// invitations. NotAfter: see notAfter (zero: none, as in histories from
// before it was sent).
type (
	// JoinRequestArgs asks to join (UpdateRequestJoin).
	JoinRequestArgs struct {
		// ID names the request; empty means "jr-" + RequestID.
		ID        string
		Requester domain.Member
		Comment   string
		RequestID string
		NotAfter  time.Time
	}
	// JoinDecision answers a join request (UpdateDecideJoin).
	JoinDecision struct {
		JoinRequestID string
		Approve       bool
		Reason        string
		Actor         string
		EndsAt        *time.Time
		RequestID     string
		NotAfter      time.Time
	}
	// InviteArgs invites one email address (UpdateInvite).
	InviteArgs struct {
		// ID names the invitation; empty means "inv-" + RequestID.
		ID        string
		Email     string
		Actor     string
		ActorName string
		RequestID string
		NotAfter  time.Time
	}
	// InvitationRef names an invitation (UpdateResendInvitation).
	InvitationRef struct {
		InvitationID string
		Actor        string
		RequestID    string
		NotAfter     time.Time
	}
	// AcceptInvitation accepts an invitation for an account (UpdateAcceptInvitation).
	AcceptInvitation struct {
		InvitationID string
		Member       domain.Member
		// AccountEmail is the account's confirmed address ("" when it has
		// none: an invitation binds only to a confirmed address).
		AccountEmail string
		RequestID    string
		NotAfter     time.Time
	}
	// MemberChange changes one member (promote, demote, deactivate,
	// reactivate, set end date).
	MemberChange struct {
		Actor     string
		Target    string
		Reason    string
		EndsAt    *time.Time
		RequestID string
		NotAfter  time.Time
	}
	// WorksiteChange records a change to the worksite itself: details edited
	// (already stored by the API), reclassified, suspended, reinstated, closed.
	WorksiteChange struct {
		Actor     string
		ActorRole domain.Role
		Change    string
		Reason    string
		// TypePolicy is the new type's policy row when the team reclassified it.
		TypePolicy *domain.WorksiteTypePolicy
		RequestID  string
		// Write, when set, is the change's row (an administrator's edit, the
		// team's classification), which the workflow makes.
		Write    *domain.Write `json:",omitempty"`
		NotAfter time.Time
	}
	// MembershipNotice tells a person's workflow that their membership
	// changed (SignalMembershipChanged); the worker's relay sends it from
	// the outbox.
	MembershipNotice = domain.MembershipNotice
)

// Bounded is a write update's argument that carries its NotAfter: the
// API answered 503 "nothing was changed" once it passed, so the validator
// refuses the update after it (notAfter).
type Bounded interface {
	// Deadline is the argument's NotAfter (zero: none).
	Deadline() time.Time
}

// Deadline is d's NotAfter.
func (d Decision) Deadline() time.Time { return d.NotAfter }

// Deadline is a's NotAfter.
func (a JoinRequestArgs) Deadline() time.Time { return a.NotAfter }

// Deadline is d's NotAfter.
func (d JoinDecision) Deadline() time.Time { return d.NotAfter }

// Deadline is a's NotAfter.
func (a InviteArgs) Deadline() time.Time { return a.NotAfter }

// Deadline is r's NotAfter.
func (r InvitationRef) Deadline() time.Time { return r.NotAfter }

// Deadline is a's NotAfter.
func (a AcceptInvitation) Deadline() time.Time { return a.NotAfter }

// Deadline is c's NotAfter.
func (c MemberChange) Deadline() time.Time { return c.NotAfter }

// Deadline is c's NotAfter.
func (c WorksiteChange) Deadline() time.Time { return c.NotAfter }

// setUpdate registers an update handler with its validator; both see the
// run's state, and apply changes it and queues its effects; the update
// returns once the main loop's flush has written the change. Once the
// worksite has ended (closed, lapsed, rejected) every update is refused,
// even in the moment before the workflow completes; an argument past its
// NotAfter (Bounded) is refused too.
func setUpdate[T any, R any](ctx workflow.Context, w *worksiteRun, name string, validate func(T) error, apply func(workflow.Context, T) R) error {
	return workflow.SetUpdateHandlerWithOptions(ctx, name,
		func(ctx workflow.Context, arg T) (R, error) {
			r := apply(ctx, arg)
			w.fx.settle(ctx)
			return r, nil
		},
		workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, arg T) error {
			if err := w.ended(); err != nil {
				return appErr(err)
			}
			if b, ok := any(arg).(Bounded); ok {
				if err := notAfter(ctx, b.Deadline()); err != nil {
					return appErr(err)
				}
			}
			return appErr(validate(arg))
		}})
}

// ended refuses changes to a worksite whose life is over.
func (w *worksiteRun) ended() error {
	if w.Status.State.Ended() {
		return domain.Errorf(domain.EUNPROCESSABLE, "this worksite is %s; it can no longer change", w.Status.State)
	}
	return nil
}

func (w *worksiteRun) registerHandlers(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, QueryStatus, func() (domain.WorksiteStatus, error) { return w.Status, nil }); err != nil {
		return err
	}
	if err := workflow.SetQueryHandler(ctx, QueryMembership, func() (domain.Membership, error) { return w.Membership, nil }); err != nil {
		return err
	}
	mem := func(ctx workflow.Context) domain.Membership { return w.Membership }
	regs := []func() error{
		func() error {
			return workflow.SetUpdateHandlerWithOptions(ctx, UpdateRegister, w.register,
				workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, r RegisterWorksite) error {
					if w.Registered {
						return appErr(domain.Errorf(domain.ECONFLICT, "this worksite is registered already"))
					}
					if r.Write.Worksite == nil {
						return appErr(domain.Errorf(domain.EINVALID, "a registration needs its worksite"))
					}
					return appErr(notAfter(ctx, r.NotAfter))
				}})
		},
		func() error {
			return setUpdate(ctx, w, UpdateSignDeclaration, func(s SignDeclaration) error {
				if err := notAfter(ctx, s.NotAfter); err != nil {
					return err
				}
				return domain.CanSignDeclaration(w.Status.State, s.SignerName, s.SignerTitle)
			}, w.signDeclaration)
		},
		func() error {
			return setUpdate(ctx, w, UpdateDecide, func(d Decision) error {
				if w.Decision != nil {
					return domain.Errorf(domain.ECONFLICT, "the enrolment team has already decided on this worksite")
				}
				return domain.CanDecideWorksite(w.Status.State, w.TypePolicy, d.Approve, d.Reason)
			}, w.decide)
		},
		func() error {
			return setUpdate(ctx, w, UpdateRequestJoin, func(a JoinRequestArgs) error {
				return w.Membership.CanRequestJoin(a.Requester.Subject, a.Comment)
			}, func(ctx workflow.Context, a JoinRequestArgs) domain.Membership {
				w.requestJoin(ctx, a)
				return w.Membership
			})
		},
		func() error {
			return setUpdate(ctx, w, UpdateDecideJoin, func(d JoinDecision) error {
				if err := w.Membership.CanDecideJoin(d.Actor, d.JoinRequestID); err != nil {
					return err
				}
				if err := domain.RequireReason(d.Reason, " when rejecting"); err != nil && !d.Approve {
					return err
				}
				if d.Approve && d.EndsAt != nil && !d.EndsAt.After(workflow.Now(ctx)) {
					return (domain.FieldErrors{"endsAt": "must be in the future"}).Err()
				}
				return nil
			}, func(ctx workflow.Context, d JoinDecision) domain.Membership {
				w.decideJoin(ctx, d)
				return w.Membership
			})
		},
		func() error {
			return setUpdate(ctx, w, UpdateInvite, func(a InviteArgs) error { return w.Membership.CanInvite(a.Actor, a.Email) },
				func(ctx workflow.Context, a InviteArgs) domain.Membership { w.invite(ctx, a); return w.Membership })
		},
		func() error {
			return setUpdate(ctx, w, UpdateResendInvitation, func(r InvitationRef) error { return w.Membership.CanResendInvitation(r.Actor, r.InvitationID) },
				func(ctx workflow.Context, r InvitationRef) domain.Membership {
					w.resendInvitation(ctx, r)
					return w.Membership
				})
		},
		func() error {
			return setUpdate(ctx, w, UpdateAcceptInvitation, func(a AcceptInvitation) error {
				return w.Membership.CanAcceptInvitation(a.Member.Subject, a.AccountEmail, a.InvitationID)
			}, func(ctx workflow.Context, a AcceptInvitation) domain.Membership {
				w.acceptInvitation(ctx, a)
				return w.Membership
			})
		},
		func() error {
			return setUpdate(ctx, w, UpdatePromote, func(c MemberChange) error { return w.Membership.CanPromote(c.Actor, c.Target) },
				func(ctx workflow.Context, c MemberChange) domain.Membership {
					w.changeMember(ctx, c, "promoted", "you are now an administrator of this worksite", func(x *domain.Member) { x.Admin = true })
					return mem(ctx)
				})
		},
		func() error {
			return setUpdate(ctx, w, UpdateDemote, func(c MemberChange) error { return w.Membership.CanDemote(c.Actor, c.Target) },
				func(ctx workflow.Context, c MemberChange) domain.Membership {
					w.changeMember(ctx, c, "demoted", "you are no longer an administrator of this worksite", func(x *domain.Member) { x.Admin = false })
					return mem(ctx)
				})
		},
		func() error {
			return setUpdate(ctx, w, UpdateDeactivate, func(c MemberChange) error { return w.Membership.CanDeactivate(c.Actor, c.Target) },
				func(ctx workflow.Context, c MemberChange) domain.Membership {
					w.deactivate(ctx, c.Target, c.Actor, c.Reason, c.RequestID)
					return mem(ctx)
				})
		},
		func() error {
			return setUpdate(ctx, w, UpdateReactivate, func(c MemberChange) error {
				return w.Membership.CanReactivate(c.Actor, c.Target, c.EndsAt, workflow.Now(ctx))
			}, func(ctx workflow.Context, c MemberChange) domain.Membership {
				now := workflow.Now(ctx)
				w.changeMember(ctx, c, "reactivated", "your membership is active again", func(x *domain.Member) {
					x.Reactivate(now, c.EndsAt)
				})
				return mem(ctx)
			})
		},
		func() error {
			return setUpdate(ctx, w, UpdateSetMemberEnd, func(c MemberChange) error { return w.canSetEnd(ctx, c) },
				func(ctx workflow.Context, c MemberChange) domain.Membership {
					change := "your membership no longer has an end date"
					if c.EndsAt != nil {
						change = "your membership ends on " + c.EndsAt.Format(time.DateOnly)
					}
					w.changeMember(ctx, c, "end_date_set", change, func(x *domain.Member) { x.EndsAt = c.EndsAt })
					return mem(ctx)
				})
		},
		func() error {
			return workflow.SetUpdateHandlerWithOptions(ctx, UpdateWorksiteChanged,
				func(ctx workflow.Context, c WorksiteChange) (domain.WorksiteStatus, error) {
					if c.Write != nil {
						// A new address may be another worksite's: the store says so.
						if err := w.fx.own(ctx, *c.Write, nil, nil); err != nil {
							return domain.WorksiteStatus{}, appErr(err)
						}
					}
					w.worksiteChanged(ctx, c)
					w.fx.settle(ctx)
					return w.Status, nil
				},
				workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, c WorksiteChange) error {
					if err := w.ended(); err != nil {
						return appErr(err)
					}
					if err := notAfter(ctx, c.NotAfter); err != nil {
						return appErr(err)
					}
					return appErr(w.canChangeWorksite(c))
				}})
		},
		func() error {
			return setUpdate(ctx, w, UpdateSuspend, func(c WorksiteChange) error {
				if c.ActorRole != domain.RoleTeam {
					return domain.Errorf(domain.EFORBIDDEN, "only the enrolment team suspends a worksite")
				}
				if w.Status.Suspended {
					return domain.Errorf(domain.ECONFLICT, "the worksite is already suspended")
				}
				return domain.RequireReason(c.Reason, "")
			}, func(ctx workflow.Context, c WorksiteChange) domain.WorksiteStatus {
				w.suspend(ctx, c, true)
				return w.Status
			})
		},
		func() error {
			return setUpdate(ctx, w, UpdateReinstate, func(c WorksiteChange) error {
				if c.ActorRole != domain.RoleTeam {
					return domain.Errorf(domain.EFORBIDDEN, "only the enrolment team reinstates a worksite")
				}
				if !w.Status.Suspended {
					return domain.Errorf(domain.ECONFLICT, "the worksite is not suspended")
				}
				return domain.RequireReason(c.Reason, "")
			}, func(ctx workflow.Context, c WorksiteChange) domain.WorksiteStatus {
				w.suspend(ctx, c, false)
				return w.Status
			})
		},
		func() error {
			return setUpdate(ctx, w, UpdateClose, w.canChangeWorksite, func(ctx workflow.Context, c WorksiteChange) domain.WorksiteStatus {
				w.close(ctx, c)
				return w.Status
			})
		},
	}
	for _, r := range regs {
		if err := r(); err != nil {
			return err
		}
	}
	return nil
}

// register stores the worksite (its first projection write) and, once
// stored, begins its enrolment; a refused registration (the address and
// unit are taken) leaves no row, and the workflow ends.
func (w *worksiteRun) register(ctx workflow.Context, r RegisterWorksite) (domain.WorksiteStatus, error) {
	// The row and the enrolment's beginning (status, membership, audit,
	// email) are one projection write: a refused row rolls it all back.
	before := w.WorksiteState
	apply := func() {
		w.Registered = true
		w.begin(ctx)
	}
	undo := func() {
		calendar := w.Calendar // a calendar change is not the registration's
		w.WorksiteState = before
		w.Calendar = calendar
	}
	if err := w.fx.own(ctx, r.Write, apply, undo); err != nil {
		return domain.WorksiteStatus{}, appErr(err)
	}
	return w.Status, nil
}

func (w *worksiteRun) signDeclaration(ctx workflow.Context, s SignDeclaration) domain.WorksiteStatus {
	if s.Write != nil {
		w.fx.write(*s.Write) // the declaration row, from its staged upload
	}
	s.Write = nil // the state keeps who signed, not the write
	w.Signer = &s
	w.event(ctx, "declaration_signed", fmt.Sprintf("signed by %s (%s)", s.SignerName, s.SignerTitle))
	w.enter(ctx, domain.WorksiteAwaitingReview)
	w.expect(domain.TeamReviewMilestones(w.Status.WaitingSince, w.in.Schedule, w.calendar()))
	w.audit(ctx, "declaration signed", fmt.Sprintf("by %s, %s", s.SignerName, s.SignerTitle),
		s.SignerName, "signing_authority", "declaration/"+s.RequestID, s.RequestID)
	w.email(domain.MailDeclarationReceived, domain.ToSiteAdmins, 1, nil)
	w.email(domain.MailDeclarationSigned, domain.ToEnrolmentTeam, 1, nil)
	return w.Status
}

func (w *worksiteRun) decide(ctx workflow.Context, d Decision) domain.WorksiteStatus {
	w.Decision = &d
	if d.Approve {
		w.event(ctx, "approved", d.Reason)
		w.enter(ctx, domain.WorksiteApproved)
		w.audit(ctx, "worksite approved", d.Reason, d.Actor, "enrolment_team", "decision/"+d.RequestID, d.RequestID)
		w.email(domain.MailWorksiteApproved, domain.ToSiteAdmins, 1, nil)
		w.notifyMembers(ctx, "worksite approved")
	} else {
		w.event(ctx, "rejected", d.Reason)
		w.Status.Reason = d.Reason
		w.enter(ctx, domain.WorksiteRejected)
		w.audit(ctx, "worksite rejected", d.Reason, d.Actor, "enrolment_team", "decision/"+d.RequestID, d.RequestID)
		w.email(domain.MailWorksiteRejected, domain.ToSiteAdmins, 1, nil)
	}
	return w.Status
}

// memberEvent counts a membership change towards continue-as-new and the projection.
func (w *worksiteRun) memberEvent() {
	w.events++
	w.MembershipSeq++
}

func (w *worksiteRun) requestJoin(ctx workflow.Context, a JoinRequestArgs) {
	r := a.Requester
	id := a.ID
	if id == "" {
		id = "jr-" + a.RequestID
	}
	jr := domain.JoinRequest{ID: id, Subject: r.Subject, Name: r.Name, Email: r.Email,
		Profession: r.Profession, UserType: r.UserType, Comment: a.Comment, RequestedAt: workflow.Now(ctx)}
	w.Membership.Requests = append(w.Membership.Requests, jr)
	w.memberEvent()
	w.audit(ctx, "join requested", jr.Name, r.Subject, "applicant", "join/"+jr.ID, a.RequestID)
	w.emailJoinRequest(jr, 0)
	w.email(domain.MailJoinRequestReceived, "", 1, func(in *domain.WorksiteEmail) {
		in.Key = w.key("join_request_received", jr.ID)
		in.Recipients = []domain.Person{{Name: jr.Name, Email: jr.Email, Subject: jr.Subject}}
		in.Comment = jr.Comment
	})
}

// emailJoinRequest sends each active administrator their own signed link to
// answer request jr (reminder seq, 0 for the request itself).
func (w *worksiteRun) emailJoinRequest(jr domain.JoinRequest, seq int) {
	for _, admin := range w.adminPeople() {
		admin := admin
		w.email(domain.MailJoinRequest, domain.ToSiteAdmins, seq, func(in *domain.WorksiteEmail) {
			in.Key = w.key("join_request", jr.ID, fmt.Sprint(seq), admin.Subject)
			in.Recipients = []domain.Person{admin}
			in.MemberName, in.MemberProfession, in.Comment = jr.Name, jr.Profession, jr.Comment
			in.LinkPurpose, in.LinkSubject = domain.LinkJoinDecision, w.in.WorksiteID+"/"+jr.ID+"/"+admin.Subject
		})
	}
}

func (w *worksiteRun) decideJoin(ctx workflow.Context, d JoinDecision) {
	i, _ := w.Membership.Request(d.JoinRequestID)
	jr := w.Membership.Requests[i]
	w.Membership.Requests = append(w.Membership.Requests[:i:i], w.Membership.Requests[i+1:]...)
	w.memberEvent()
	to := []domain.Person{{Name: jr.Name, Email: jr.Email, Subject: jr.Subject}}
	if !d.Approve {
		w.audit(ctx, "join request rejected", jr.Name+": "+d.Reason, d.Actor, "site_administrator", "join/"+jr.ID+"/decision", d.RequestID)
		w.email(domain.MailJoinDecided, "", 1, func(in *domain.WorksiteEmail) {
			in.Key, in.Recipients, in.Reason = w.key("join_decided", jr.ID), to, d.Reason
		})
		return
	}
	w.addMember(ctx, domain.Member{Subject: jr.Subject, Name: jr.Name, Email: jr.Email, Profession: jr.Profession,
		UserType: jr.UserType, EndsAt: d.EndsAt}, "membership approved")
	w.audit(ctx, "join request approved", jr.Name, d.Actor, "site_administrator", "join/"+jr.ID+"/decision", d.RequestID)
	w.email(domain.MailJoinDecided, "", 1, func(in *domain.WorksiteEmail) {
		in.Key, in.Recipients, in.Reason = w.key("join_decided", jr.ID), to, ""
	})
}

// addMember makes m an active member (again), as a plain member, and
// tells their workflow.
func (w *worksiteRun) addMember(ctx workflow.Context, m domain.Member, change string) {
	now := workflow.Now(ctx)
	w.Membership.Admit(m, now)
	w.notify(ctx, m.Subject, change)
}

// notifyMembers tells every active member's workflow that the worksite changed.
func (w *worksiteRun) notifyMembers(ctx workflow.Context, change string) {
	for _, x := range w.Membership.Members {
		if x.Active {
			w.notify(ctx, x.Subject, change)
		}
	}
}

// notify queues a notice to subject's workflow for the outbox: the relay
// signals it once the change is written. Seq orders the worksite's notices,
// so that one delivered late (or twice) changes nothing there.
func (w *worksiteRun) notify(ctx workflow.Context, subject, change string) {
	x, _ := w.Membership.Member(subject)
	w.NoticeSeq++
	n := MembershipNotice{Key: w.key("notice", fmt.Sprint(w.NoticeSeq), subject), Seq: w.NoticeSeq,
		Subject: subject, WorksiteID: w.in.WorksiteID, Change: change, At: workflow.Now(ctx),
		WorksiteState: w.Status.State, Suspended: w.Status.Suspended, StateSince: w.Status.WaitingSince, TypePolicy: w.TypePolicy}
	if x != nil {
		n.Active, n.Admin = x.Active, x.Admin
	}
	w.fx.notice(n)
}

// applyProfile makes the member and join request records of n's person
// carry their profession, name and address in force, unless a later
// notice of theirs was applied already (the relay delivered this one late,
// or again); it reports whether anything changed. A profession correction
// is on the worksite's timeline and audit trail: it changes the member's
// user type, so whether they may sponsor and how they are listed.
func (w *worksiteRun) applyProfile(ctx workflow.Context, n domain.MemberProfileNotice) bool {
	if w.Status.State.Ended() || n.Subject == "" {
		return false
	}
	if n.Seq > 0 {
		if n.Seq <= w.ProfileSeqs[n.Subject] {
			return false
		}
		w.ProfileSeqs[n.Subject] = n.Seq
	}
	x, from, changed := w.Membership.ApplyProfile(n)
	if !changed {
		return false
	}
	w.memberEvent()
	if x != nil {
		d := fmt.Sprintf("%s: profession corrected from %s to %s", x.Name, from, x.Profession)
		if from == "" {
			d = fmt.Sprintf("%s: profession recorded as %s", x.Name, x.Profession)
		}
		w.event(ctx, "member_profession_changed", d)
		w.audit(ctx, "member profession changed", d, "system", "system", fmt.Sprintf("member/%s/profile/%d", n.Subject, n.Seq))
	}
	return true
}

func (w *worksiteRun) invite(ctx workflow.Context, a InviteArgs) {
	now := workflow.Now(ctx)
	id := a.ID
	if id == "" {
		id = "inv-" + a.RequestID
	}
	inv := domain.Invitation{ID: id, Email: a.Email, InvitedBy: a.ActorName, InvitedOn: now, LastSentAt: now,
		EmailsSent: 1, ExpiresAt: now.Add(time.Duration(w.in.Schedule.InvitationExpiresAfter))}
	w.Membership.Invitations = append(w.Membership.Invitations, inv)
	w.memberEvent()
	w.audit(ctx, "member invited", a.Email, a.Actor, "site_administrator", "invitation/"+inv.ID, a.RequestID)
	w.emailInvitation(inv)
}

func (w *worksiteRun) emailInvitation(inv domain.Invitation) {
	w.email(domain.MailInvitation, "", inv.EmailsSent, func(in *domain.WorksiteEmail) {
		in.Key = w.key("invitation", inv.ID, fmt.Sprint(inv.EmailsSent))
		in.Recipients = []domain.Person{{Email: inv.Email}}
		in.MemberName, in.Deadline = inv.InvitedBy, inv.ExpiresAt
		in.LinkPurpose, in.LinkSubject, in.LinkExpires = domain.LinkInvitation, w.in.WorksiteID+"/"+inv.ID, inv.ExpiresAt
	})
}

func (w *worksiteRun) resendInvitation(ctx workflow.Context, r InvitationRef) {
	i, _ := w.Membership.Invitation(r.InvitationID)
	inv := &w.Membership.Invitations[i]
	inv.EmailsSent++
	inv.LastSentAt = workflow.Now(ctx)
	w.memberEvent()
	w.audit(ctx, "invitation resent", inv.Email, r.Actor, "site_administrator", fmt.Sprintf("invitation/%s/%d", inv.ID, inv.EmailsSent), r.RequestID)
	w.emailInvitation(*inv)
}

func (w *worksiteRun) acceptInvitation(ctx workflow.Context, a AcceptInvitation) {
	i, _ := w.Membership.Invitation(a.InvitationID)
	inv := w.Membership.Invitations[i]
	w.Membership.Invitations = append(w.Membership.Invitations[:i:i], w.Membership.Invitations[i+1:]...)
	w.memberEvent()
	w.addMember(ctx, a.Member, "invitation accepted; membership approved")
	w.audit(ctx, "invitation accepted", a.Member.Name, a.Member.Subject, "applicant", "invitation/"+inv.ID+"/accepted", a.RequestID)
	w.email(domain.MailMembershipChanged, "", 1, func(in *domain.WorksiteEmail) {
		in.Key = w.key("membership_changed", a.Member.Subject, "accepted", inv.ID)
		in.Recipients = []domain.Person{{Name: a.Member.Name, Email: a.Member.Email, Subject: a.Member.Subject}}
		in.Change, in.Reason = "you are now a member of this worksite", "" // not the worksite's own reason
	})
}

// changeMember applies change to c.Target and tells them.
func (w *worksiteRun) changeMember(ctx workflow.Context, c MemberChange, action, change string, apply func(*domain.Member)) {
	x, _ := w.Membership.Member(c.Target)
	apply(x)
	w.memberEvent()
	w.notify(ctx, x.Subject, action)
	w.audit(ctx, "member "+action, x.Name+detail(c.Reason), c.Actor, "site_administrator", fmt.Sprintf("member/%s/%s/%d", x.Subject, action, w.MembershipSeq), c.RequestID)
	w.emailMember(*x, action, change, c.Reason)
}

func detail(reason string) string {
	if reason == "" {
		return ""
	}
	return ": " + reason
}

func (w *worksiteRun) emailMember(x domain.Member, action, change, reason string) {
	w.email(domain.MailMembershipChanged, "", w.MembershipSeq, func(in *domain.WorksiteEmail) {
		in.Key = w.key("membership_changed", x.Subject, action, fmt.Sprint(w.MembershipSeq))
		in.Recipients = []domain.Person{{Name: x.Name, Email: x.Email, Subject: x.Subject}}
		in.Change, in.Reason = change, reason
	})
}

// deactivate sets target inactive, for reason, ending their access from here.
func (w *worksiteRun) deactivate(ctx workflow.Context, target, actor, reason, requestID string) {
	now := workflow.Now(ctx)
	w.changeMember(ctx, MemberChange{Actor: actor, Target: target, Reason: reason, RequestID: requestID}, "deactivated",
		"your membership is inactive: you no longer have CareConnect access from this worksite", func(x *domain.Member) {
			x.Deactivate(now, reason)
		})
}

func (w *worksiteRun) canSetEnd(ctx workflow.Context, c MemberChange) error {
	if !w.Membership.ActiveAdminOrErr(c.Actor) {
		return domain.Errorf(domain.EFORBIDDEN, "only an active administrator of this worksite can do that")
	}
	x, ok := w.Membership.Member(c.Target)
	switch {
	case !ok:
		return domain.Errorf(domain.ENOTFOUND, "that person is not a member of this worksite")
	case !x.Active:
		return domain.Errorf(domain.EUNPROCESSABLE, "reactivate the member first")
	case c.EndsAt != nil && !c.EndsAt.After(workflow.Now(ctx)):
		return (domain.FieldErrors{"endsAt": "must be in the future"}).Err()
	case c.EndsAt != nil && c.Actor == c.Target:
		return domain.Errorf(domain.EUNPROCESSABLE, "an administrator cannot set their own end date; another administrator must do it")
	}
	return nil
}

// canChangeWorksite: the team may change any worksite; an administrator
// may edit details and close their own.
func (w *worksiteRun) canChangeWorksite(c WorksiteChange) error {
	if c.ActorRole == domain.RoleTeam || w.Membership.ActiveAdminOrErr(c.Actor) {
		return nil
	}
	return domain.Errorf(domain.EFORBIDDEN, "only an active administrator of this worksite, or the enrolment team, can do that")
}

func (w *worksiteRun) worksiteChanged(ctx workflow.Context, c WorksiteChange) {
	if c.TypePolicy != nil {
		w.TypePolicy = *c.TypePolicy
		w.Status.WaitingOn, w.Status.NextAction = domain.WorksiteNextAction(w.Status.State, w.TypePolicy)
	}
	w.event(ctx, "worksite_changed", c.Change)
	w.events++
	w.audit(ctx, "worksite changed", c.Change, c.Actor, string(c.ActorRole), "changed/"+c.RequestID, c.RequestID)
	w.email(domain.MailWorksiteChanged, domain.ToSiteAdmins, w.Status.Seq, func(in *domain.WorksiteEmail) {
		in.Key, in.Change, in.Reason = w.key("worksite_changed", c.RequestID), c.Change, c.Reason
	})
}

// activePeople are the active members, who hear of suspension and closure.
func (w *worksiteRun) activePeople() []domain.Person {
	var out []domain.Person
	for _, x := range w.Membership.Members {
		if x.Active {
			out = append(out, domain.Person{Name: x.Name, Email: x.Email, Subject: x.Subject})
		}
	}
	return out
}

func (w *worksiteRun) suspend(ctx workflow.Context, c WorksiteChange, suspended bool) {
	w.Status.Suspended = suspended
	defer w.notifyMembers(ctx, "worksite "+map[bool]string{true: "suspended", false: "reinstated"}[suspended])
	kind, action, change := "worksite_suspended", "worksite suspended", "the worksite is suspended: nobody has CareConnect access from it until it is reinstated"
	if !suspended {
		kind, action, change = "worksite_reinstated", "worksite reinstated", "the worksite is reinstated"
	}
	w.event(ctx, kind, c.Reason)
	w.events++
	w.audit(ctx, action, c.Reason, c.Actor, string(c.ActorRole), "suspension/"+c.RequestID, c.RequestID)
	w.email(domain.MailWorksiteChanged, "", w.Status.Seq, func(in *domain.WorksiteEmail) {
		in.Key, in.Recipients, in.Change, in.Reason = w.key("worksite_changed", c.RequestID), w.activePeople(), change, c.Reason
	})
}

// close deactivates every membership, drops pending requests and
// invitations, and ends the worksite.
func (w *worksiteRun) close(ctx workflow.Context, c WorksiteChange) {
	people := w.activePeople()
	now := workflow.Now(ctx)
	for i := range w.Membership.Members {
		x := &w.Membership.Members[i]
		if x.Active {
			x.Active, x.InactiveSince, x.InactiveWhy, x.EndsAt = false, &now, "worksite closed", nil
			w.notify(ctx, x.Subject, "deactivated: worksite closed")
		}
	}
	w.Membership.Requests, w.Membership.Invitations = nil, nil
	w.memberEvent()
	w.Status.Reason = c.Reason
	w.event(ctx, "closed", c.Reason)
	w.enter(ctx, domain.WorksiteClosed)
	w.audit(ctx, "worksite closed", c.Reason, c.Actor, string(c.ActorRole), "closed", c.RequestID)
	w.email(domain.MailWorksiteChanged, "", 1, func(in *domain.WorksiteEmail) {
		in.Key, in.Recipients, in.Reason = w.key("worksite_changed", "closed"), people, c.Reason
		in.Change = "the worksite is closed and every membership is inactive"
	})
}

// fireMembershipDeadlines sends due join request reminders and invitation
// resends, expires invitations and ends locum memberships.
func (w *worksiteRun) fireMembershipDeadlines(ctx workflow.Context, now time.Time) {
	for i := range w.Membership.Requests {
		jr := &w.Membership.Requests[i]
		ms := domain.JoinRequestMilestones(jr.RequestedAt, w.in.Schedule.JoinRequestReminderDays, w.calendar())
		for jr.RemindersSent < len(ms) && !ms[jr.RemindersSent].At.After(now) {
			jr.RemindersSent++
			w.memberEvent()
			w.emailJoinRequest(*jr, jr.RemindersSent)
			if jr.RemindersSent == len(ms) {
				jr.Overdue = true
				w.event(ctx, "join_request_overdue", jr.Name+" has waited for an answer since "+jr.RequestedAt.Format(time.DateOnly))
			}
		}
	}
	kept := w.Membership.Invitations[:0]
	for _, inv := range w.Membership.Invitations {
		if !inv.ExpiresAt.After(now) {
			w.memberEvent()
			w.audit(ctx, "invitation expired", inv.Email, "system", "system", "invitation/"+inv.ID+"/expired")
			continue
		}
		if !inv.AutoResent && !inv.InvitedOn.Add(time.Duration(w.in.Schedule.InvitationResendAfter)).After(now) {
			inv.AutoResent = true
			inv.EmailsSent++
			inv.LastSentAt = now
			w.memberEvent()
			w.emailInvitation(inv)
		}
		kept = append(kept, inv)
	}
	w.Membership.Invitations = kept
	for i := range w.Membership.Members {
		x := &w.Membership.Members[i]
		if !x.Active || x.EndsAt == nil || x.EndsAt.After(now) {
			continue
		}
		if w.Membership.LastAdmin(x.Subject) {
			// The last administrator stays (the invariant outranks the end
			// date); clearing it keeps the loop from waking for it again.
			x.EndsAt = nil
			w.memberEvent()
			w.event(ctx, "end_date_kept_last_admin", x.Name+" is the last active administrator; their end date was not applied")
			continue
		}
		w.deactivate(ctx, x.Subject, "system", "the membership's end date was reached", "")
	}
}
