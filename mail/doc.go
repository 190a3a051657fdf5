// Package mail renders and sends CareConnect's emails. Render turns a Kind
// and its TemplateData into a subject and text and HTML bodies; Sender
// delivers a Message over SMTP with go-mail, with a Message-ID derived from
// the message's idempotency key; Catcher is the in-process SMTP server that
// development and tests send to. Nothing here logs an email address.
package mail
