package domain

// Projection is what one workflow task of an enrolment writes to the
// database: the parts of its state that changed since its last write and
// the audit records it made meanwhile. The Project activity writes it in
// one transaction, so a reader sees all of it or none of it. Every part is
// idempotent: a status, membership or application is written unless a
// newer one (higher sequence number) is stored, and an audit record once
// per Key. A worksite's projection fills Worksite and Membership; a
// person's, User and Applications.
type Projection struct {
	Worksite     *WorksiteStatus         `json:",omitempty"`
	Membership   *MembershipProjection   `json:",omitempty"`
	User         *UserStatus             `json:",omitempty"`
	Applications []ApplicationProjection `json:",omitempty"`
	Audits       []AuditEvent            `json:",omitempty"`
}

// Empty reports whether p writes nothing.
func (p Projection) Empty() bool {
	return p.Worksite == nil && p.Membership == nil && p.User == nil && len(p.Applications) == 0 && len(p.Audits) == 0
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
