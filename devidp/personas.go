package devidp

// Persona keys of DefaultPersonas. Tests and dev configuration refer to
// personas by these keys.
const (
	PersonaPhysician = "physician"
	// PersonaPhysician2 is a second physician, for flows with two authorizers.
	PersonaPhysician2        = "physician_2"
	PersonaNursePractitioner = "nurse_practitioner"
	PersonaRegisteredNurse   = "registered_nurse"
	PersonaMOA               = "moa"
	PersonaPharmacist        = "pharmacist"
	PersonaResident          = "resident"
	PersonaTeam              = "team"
	PersonaLowAssurance      = "low_assurance"
)

// RoleEnrolmentTeam is the roles claim value carried by the enrolment team persona.
const RoleEnrolmentTeam = "enrolment_team"

// Persona is an identity the Provider can sign in. Its fields become the
// claims of the ID token and of the userinfo response.
type Persona struct {
	// Key names the persona on the picker form and in the token helpers.
	Key string
	// Subject is the stable opaque sub claim, like BCSC's directed identifier.
	Subject string
	// GivenName, FamilyName and Email become given_name, family_name and email.
	GivenName, FamilyName, Email string
	// IAL is the identity_assurance_level claim: 3 for a fully verified
	// BC Services Card, 1 for a low-assurance identity.
	IAL int
	// Roles is the roles claim, omitted when empty.
	Roles []string
	// Description is shown on the picker, e.g. "Dr. Priya Sharma — family physician".
	Description string
}

// clone returns a copy that shares no slice with p.
func (p Persona) clone() Persona {
	p.Roles = append([]string(nil), p.Roles...)
	if len(p.Roles) == 0 {
		p.Roles = nil
	}
	return p
}

// DefaultPersonas returns one persona per profession the enrolment flow
// treats differently (authorizers, an independent user, on-behalf-of users),
// an enrolment team member, and a low-assurance identity for refusal tests.
// Each call returns a fresh slice.
func DefaultPersonas() []Persona {
	return []Persona{
		{
			Key: PersonaPhysician, Subject: "bcsc-physician-0001",
			GivenName: "Priya", FamilyName: "Sharma", Email: "priya.sharma@example.com",
			IAL: 3, Description: "Dr. Priya Sharma — family physician (authorizer)",
		},
		{
			Key: PersonaPhysician2, Subject: "bcsc-physician-0002",
			GivenName: "Marcus", FamilyName: "Chen", Email: "marcus.chen@example.com",
			IAL: 3, Description: "Dr. Marcus Chen — a second family physician (authorizer)",
		},
		{
			Key: PersonaNursePractitioner, Subject: "bcsc-nurse-practitioner-0001",
			GivenName: "Daniel", FamilyName: "Tremblay", Email: "daniel.tremblay@example.com",
			IAL: 3, Description: "Daniel Tremblay — nurse practitioner (authorizer)",
		},
		{
			Key: PersonaRegisteredNurse, Subject: "bcsc-registered-nurse-0001",
			GivenName: "Maria", FamilyName: "Santos", Email: "maria.santos@example.com",
			IAL: 3, Description: "Maria Santos — registered nurse (authorizer)",
		},
		{
			Key: PersonaMOA, Subject: "bcsc-moa-0001",
			GivenName: "Kevin", FamilyName: "Nguyen", Email: "kevin.nguyen@example.com",
			IAL: 3, Description: "Kevin Nguyen — medical office assistant (on behalf of an authorizer)",
		},
		{
			Key: PersonaPharmacist, Subject: "bcsc-pharmacist-0001",
			GivenName: "Amrit", FamilyName: "Gill", Email: "amrit.gill@example.com",
			IAL: 3, Description: "Amrit Gill — community pharmacist (independent user)",
		},
		{
			Key: PersonaResident, Subject: "bcsc-resident-0001",
			GivenName: "Samuel", FamilyName: "Whitehorse", Email: "samuel.whitehorse@example.com",
			IAL: 3, Description: "Dr. Samuel Whitehorse — physician in residency (on behalf of a sponsor)",
		},
		{
			Key: PersonaTeam, Subject: "idir-enrolment-team-0001",
			GivenName: "Helen", FamilyName: "Chow", Email: "helen.chow@example.com",
			IAL: 3, Roles: []string{RoleEnrolmentTeam},
			Description: "Helen Chow — CareConnect enrolment team member",
		},
		{
			Key: PersonaLowAssurance, Subject: "bcsc-low-assurance-0001",
			GivenName: "Casey", FamilyName: "Morgan", Email: "casey.morgan@example.com",
			IAL: 1, Description: "Casey Morgan — low-assurance identity (IAL 1), to test refusals",
		},
	}
}
