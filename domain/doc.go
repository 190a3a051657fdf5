// Package domain holds CareConnect's enrolment types and rules: worksite
// types and their eligibility, the worksite ID format, address rules, the
// reminder schedule and "who must act next". It imports no adapter (gin,
// gorm, Temporal, SMTP); every adapter imports it.
package domain
