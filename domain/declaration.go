package domain

import "time"

// Attestation is one statement the signing authority must accept.
type Attestation struct {
	ID   string `json:"id" mapstructure:"id"`
	Text string `json:"text" mapstructure:"text"`
}

// DefaultAttestations are the statements of the worksite Privacy & Security Declaration.
func DefaultAttestations() []Attestation {
	return []Attestation{
		{ID: "signing_authority", Text: "I have legal signing authority for this organization."},
		{ID: "policies", Text: "Privacy and security policies, procedures and safeguards are in place at this worksite to protect the patient data available through CareConnect."},
		{ID: "access", Text: "Only staff who need it for direct clinical care will be given access, and access ends when they leave."},
		{ID: "antivirus", Text: "Every workstation used to open CareConnect runs up-to-date antivirus software; a screenshot is attached."},
	}
}

// MaxScreenshotBytes is the default upper bound of an antivirus screenshot.
const MaxScreenshotBytes = 5 << 20

// Declaration is a signed worksite Privacy & Security Declaration.
type Declaration struct {
	WorksiteID  string    `json:"worksiteId"`
	SignerName  string    `json:"signerName"`
	SignerTitle string    `json:"signerTitle"`
	SignerEmail string    `json:"signerEmail,omitempty"`
	Attestation []string  `json:"attestations"`
	SignedAt    time.Time `json:"signedAt"`
	// Screenshot is the antivirus screenshot; ScreenshotType is its sniffed type.
	Screenshot     []byte `json:"-"`
	ScreenshotType string `json:"screenshotType"`
	ScreenshotSHA  string `json:"screenshotSha256"`
}

// AuditEvent is one recorded state change (DOMAIN "Audit").
type AuditEvent struct {
	// Key makes recording idempotent: an event with a key already recorded is ignored.
	Key string    `json:"key,omitempty"`
	At  time.Time `json:"at"`
	// Actor is who acted: a subject ID, "system" or "learninghub".
	Actor string `json:"actor"`
	// ActorName is the person's name as it was when they acted (recorded
	// for the acts the API carries out) or, for earlier rows and the acts
	// workflows record, as it is now; empty for CareConnect and LearningHub.
	ActorName string `json:"actorName,omitempty"`
	// ActorLabel is Labels.AuditActor's words for the actor, set on read.
	ActorLabel string `json:"actorLabel,omitempty"`
	Role       string `json:"role"`
	WorksiteID string `json:"worksiteId,omitempty"`
	Subject    string `json:"subject"`
	Action     string `json:"action"`
	Detail     string `json:"detail,omitempty"`
	RequestID  string `json:"requestId,omitempty"`
}
