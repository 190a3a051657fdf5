package domain

import (
	"encoding/json"
	"time"
)

// The read models: what the projections answer (lists, searches, the
// team's queue) and the filters and changes the store takes. The store
// implements the application layer's ports with them (package enrolment),
// so neither the application layer nor the HTTP layer imports the store.

// WorksiteRead is what one read of a worksite needs, in one query: the
// worksite, the subjects of its active administrators (to
// authorize the read) and its status projection as stored (StatusSeq 0:
// not projected yet).
type WorksiteRead struct {
	Worksite   Worksite
	Admins     []string
	StatusJSON json.RawMessage
	StatusSeq  int
}

// WorksiteSummary is one row of the team's worksite list.
type WorksiteSummary struct {
	ID                string       `json:"id"`
	Name              string       `json:"name"`
	LocationType      LocationType `json:"locationType"`
	Address           string       `json:"address"`
	State             string       `json:"state"`
	WaitingOn         string       `json:"waitingOn,omitempty"`
	WaitingSince      *time.Time   `json:"waitingSince,omitempty"`
	NextMilestoneKind string       `json:"nextMilestoneKind,omitempty"`
	NextMilestoneAt   *time.Time   `json:"nextMilestoneAt,omitempty"`
	Stalled           bool         `json:"stalled"`
	Escalated         bool         `json:"escalated"`
	Breached          bool         `json:"breached"`
	RegisteredAt      time.Time    `json:"registeredAt"`
	// BusinessDaysWaiting and WorkflowID are filled in by the application layer.
	BusinessDaysWaiting int    `json:"businessDaysWaiting,omitempty"`
	WorkflowID          string `json:"workflowId,omitempty"`
}

// WorksiteFilter narrows ListWorksites. Zero values match everything.
type WorksiteFilter struct {
	State        string
	WaitingOn    string
	LocationType string
	// Escalated keeps only the worksites escalated for waiting too long on the team.
	Escalated bool
	Limit     int
}

// EmailRecord is one email event as logged.
type EmailRecord struct {
	Key        string     `json:"key"`
	Kind       string     `json:"kind"`
	Recipients []string   `json:"recipients"`
	Subject    string     `json:"subject"`
	Status     string     `json:"status"`
	Attempts   int        `json:"attempts"`
	SentAt     *time.Time `json:"sentAt,omitempty"`
	// LastError and NextAttemptAt say how a pending email's retries go,
	// and why a failed one failed. Not in the API's answer.
	LastError     string     `json:"-"`
	NextAttemptAt *time.Time `json:"-"`
}

// AccountUpdate is a self-service change; nil fields are left alone.
type AccountUpdate struct {
	PreferredFirstName *string
	PreferredLastName  *string
	Email              *string
	Phone              *string
	Mobile             *string
}

// MemberWorksite is one worksite a person belongs to, as their worksite list shows it.
type MemberWorksite struct {
	WorksiteID  string    `json:"worksiteId"`
	Name        string    `json:"name"`
	AddressLine string    `json:"addressLine"`
	State       string    `json:"state"`
	Admin       bool      `json:"admin"`
	Active      bool      `json:"active"`
	Since       time.Time `json:"since"`
}

// WorksiteHit is one result of an address search.
type WorksiteHit struct {
	ID           string       `json:"id"`
	Name         string       `json:"name"`
	AddressLine  string       `json:"addressLine"`
	LocationType LocationType `json:"locationType"`
	State        string       `json:"state"`
}

// WorksiteDetails is an administrator's change to a worksite's details;
// nil fields are left alone. The caller validates the values.
type WorksiteDetails struct {
	Name      *string
	Phone     *string
	Extension *string
	Email     *string
	EMR       *string
}

// QueuedApplication is one row of the team's application queue.
// Application is the stored JSON of the Application, exactly as the store's
// SaveApplication wrote it: the queue passes it through undecoded, since
// decoding and re-encoding it was most of the queue's cost (docs/bench.md).
// What the application layer needs of it comes from columns: State and ReadySince.
type QueuedApplication struct {
	Subject     string          `json:"subject"`
	Name        string          `json:"name"`
	Profession  string          `json:"profession"`
	Application json.RawMessage `json:"application"`
	// BusinessDaysWaiting and WorkflowID are filled in by the application layer.
	BusinessDaysWaiting int    `json:"businessDaysWaiting"`
	WorkflowID          string `json:"workflowId"`
	// State and ReadySince are the application's, from their columns.
	State      ApplicationState `json:"-"`
	ReadySince *time.Time       `json:"-"`
	// SubmittedAt and WorksiteID complete the queue's sort key (a page's cursor).
	SubmittedAt time.Time `json:"-"`
	WorksiteID  string    `json:"-"`
}

// QueueCursorKeys is how many sort keys a queue cursor holds: ready
// since ("" for none), submitted at, subject and worksite ID.
const QueueCursorKeys = 4

// ApplicationPage is one page of the team's application queue.
type ApplicationPage struct {
	Applications []QueuedApplication
	// Total counts every application the filters match, on every page.
	Total int64
	// NextCursor fetches the next page; empty on the last.
	NextCursor string
}

// ApplicationFilter narrows ListApplications. Zero values match everything.
type ApplicationFilter struct {
	State        string
	Profession   string
	LocationType string
	// Escalated keeps only the applications escalated for waiting too long
	// on the team (the queue's overdue filter).
	Escalated bool
	Limit     int
	// Cursor is where the page starts (QueueCursorKeys keys); zero for the first.
	Cursor Cursor
}

// SponsorshipRequest is an application that waits for a sponsor.
type SponsorshipRequest struct {
	Subject     string
	Name        string
	Profession  string
	Application Application
}

// LearningHubEvent is a stored LearningHub callback. Email is lower-case.
// DeliveredAt is nil until the event reached Subject's workflow.
type LearningHubEvent struct {
	EventID       string
	Type          string
	CourseCode    string
	Email         string
	LearningHubID string
	OccurredAt    time.Time
	ReceivedAt    time.Time
	Body          string
	DeliveredAt   *time.Time
	Subject       string
}
