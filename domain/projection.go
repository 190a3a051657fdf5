package domain

import "time"

// Projection is what one workflow task of an enrolment writes to the
// database: the parts of its state that changed since its last write and
// the audit records it made meanwhile. The Project activity writes it in
// one transaction, so a reader sees all of it or none of it. Every part is
// idempotent: a status, membership or application is written unless a
// newer one (higher sequence number) is stored, and an audit record once
// per Key. A worksite's projection fills Worksite and Membership; a
// person's, User and Applications.
//
// Emails, Notices and ProfileNotices are the task's outbox: stored in the
// same transaction (once per key), so that each exists exactly when the
// change that caused it committed, and sent afterwards by the worker's
// relay. A worksite's workflow sends Notices to its members' workflows; a
// person's sends ProfileNotices to their worksites' workflows.
type Projection struct {
	Worksite     *WorksiteStatus         `json:",omitempty"`
	Membership   *MembershipProjection   `json:",omitempty"`
	User         *UserStatus             `json:",omitempty"`
	Applications []ApplicationProjection `json:",omitempty"`
	Audits       []AuditEvent            `json:",omitempty"`
	Emails       []Email                 `json:",omitempty"`
	Notices      []MembershipNotice      `json:",omitempty"`
	// ProfileNotices tell the person's worksites that their profession,
	// name or email changed (MemberProfileNotice).
	ProfileNotices []MemberProfileNotice `json:",omitempty"`
	// Writes are the business rows the workflow owns (domain.Write),
	// written first; a refused one rolls the whole projection back
	// (ProjectResult).
	Writes []Write `json:",omitempty"`
}

// Empty reports whether p writes nothing.
func (p Projection) Empty() bool {
	return p.Worksite == nil && p.Membership == nil && p.User == nil && len(p.Applications) == 0 && len(p.Audits) == 0 &&
		len(p.Emails) == 0 && len(p.Notices) == 0 && len(p.ProfileNotices) == 0 && len(p.Writes) == 0
}

// Outgoing reports whether p carries emails or notices for the relay.
func (p Projection) Outgoing() bool {
	return len(p.Emails) > 0 || len(p.Notices) > 0 || len(p.ProfileNotices) > 0
}

// MembershipNotice tells a person's workflow that their membership at a
// worksite changed, with the worksite as it stands, so their applications
// can judge their conditions. A worksite's workflow queues it with its
// projection; the relay signals it to the person's workflow.
type MembershipNotice struct {
	// Key is its idempotency key in the outbox:
	// "worksite/<ID>/notice/<Seq>/<Subject>".
	Key string `json:",omitempty"`
	// Seq numbers the worksite's notices (from 1, across runs). The relay
	// may deliver two of them out of order (or one twice), so a person's
	// workflow applies a notice only if its Seq is above the last it
	// applied for that worksite; 0 is always applied.
	Seq        int `json:",omitempty"`
	Subject    string
	WorksiteID string
	Change     string
	Active     bool
	Admin      bool
	At         time.Time
	// The worksite as it stands, so applications can judge their conditions.
	WorksiteName  string
	WorksiteState WorksiteState
	Suspended     bool
	StateSince    time.Time
	TypePolicy    WorksiteTypePolicy
}

// MemberProfileNotice tells the workflow of every worksite where a person
// is a member or has asked to join that the person's profession, name or
// email changed, so that the worksite's member and join request records
// (and what depends on the profession: the member's user type, whether
// they may sponsor) follow. A person's workflow queues one with its
// projection; the relay signals it to each of the person's worksites
// (those listed when it is sent), with the name and the address in force
// read from the account then, as emails are rendered when sent.
type MemberProfileNotice struct {
	// Key is its idempotency key in the outbox: "user/<Subject>/profile/<Seq>".
	Key string `json:",omitempty"`
	// Seq numbers the person's profile notices (from 1, across runs): a
	// worksite applies one only if its Seq is above the last it applied
	// for that person, so a late or repeated delivery changes nothing.
	Seq     int
	Subject string
	// Profession is the person's profession code, and UserType its type
	// in the policy table ("" when the workflow does not know it: the
	// worksite keeps the one it has).
	Profession string
	UserType   UserType `json:",omitempty"`
	// Name and Email are filled by the relay when it sends the notice:
	// the account's display name and its address in force then.
	Name  string `json:",omitempty"`
	Email string `json:",omitempty"`
	// Change says what changed, for the worksite's timeline.
	Change string
	At     time.Time
}

// MembershipProjection is a worksite's membership as its workflow last
// changed it; Seq numbers the changes across runs.
type MembershipProjection struct {
	WorksiteID string
	Membership Membership
	Seq        int
}

// ApplicationProjection is one of a person's applications, for the team's
// queue: who applied (Name, Profession) and the status sequence number at
// the change.
type ApplicationProjection struct {
	Subject     string
	Name        string
	Profession  string
	Application Application
	Seq         int
}
