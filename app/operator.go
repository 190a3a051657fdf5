package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"time"

	"go.temporal.io/sdk/client"

	"careconnect/config"
	"careconnect/domain"
	"careconnect/enrolment"
	enrolmenttemporal "careconnect/enrolment/temporal"
	"careconnect/store"
)

// operationsStore adapts the store to the operators' port.
type operationsStore struct{ *store.Store }

// PendingLearners implements enrolment.OperationsStore.
func (o operationsStore) PendingLearners(ctx context.Context, before time.Time, limit int) ([]enrolment.Learner, error) {
	ls, err := o.Store.PendingLearners(ctx, before, limit)
	out := make([]enrolment.Learner, len(ls))
	for i, l := range ls {
		out[i] = enrolment.Learner{Email: l.Email, LearningHubID: l.LearningHubID}
	}
	return out, err
}

var _ enrolment.OperationsStore = operationsStore{}

// Operator is what the operators' commands (`careconnect email resend`,
// `export`, `timeline`, ...) run on: the application layer the API uses,
// over the configured database and Temporal, acting as the enrolment
// team under the operator's name.
type Operator struct {
	App *enrolment.Service
	// Caller is the operator: a team principal "operator:<name>", with a
	// request ID of its own that the audit records and logs carry.
	Caller   enrolment.Caller
	store    *store.Store
	temporal client.Client
}

// OpenOperator connects to cfg's database and (lazily: only the commands
// that send to a workflow need it) Temporal; temporal.address empty means
// the dev server `careconnect dev` runs. Close it after use.
func OpenOperator(ctx context.Context, cfg config.Config, logger *slog.Logger, operator string) (*Operator, error) {
	if cfg.Temporal.Address == "" {
		cfg.Temporal.Address = net.JoinHostPort(cfg.Temporal.DevServer.IP, strconv.Itoa(cfg.Temporal.DevServer.Port))
	}
	st, err := store.Open(ctx, cfg.Database.URL, cfg.Database.SQLitePath)
	if err != nil {
		return nil, err
	}
	c, _, err := temporalClient(cfg, logger, nil, nil)
	if err != nil {
		_ = st.Close()
		return nil, err
	}
	signer, err := LinkSigner(cfg.Links)
	if err != nil {
		_ = st.Close()
		c.Close()
		return nil, err
	}
	hub, err := LearningHubKeyring(cfg.LearningHub)
	if err != nil {
		_ = st.Close()
		c.Close()
		return nil, err
	}
	svc := enrolment.New(enrolment.Deps{Config: cfg, Store: st, Workflows: enrolmenttemporal.New(startingClient{c}, cfg.Temporal.TaskQueue),
		Links: signer, LearningHub: hub, Hasher: enrolment.Bcrypt{Cost: cfg.Auth.BcryptCost}, Logger: logger, Operations: operationsStore{st}})
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("app: operator request ID: %w", err)
	}
	return &Operator{App: svc, store: st, temporal: c, Caller: enrolment.Caller{RequestID: "cli-" + hex.EncodeToString(b),
		Principal: &domain.Principal{Subject: "operator:" + operator, Role: domain.RoleTeam, GivenName: "Operator", FamilyName: operator}}}, nil
}

// Close disconnects.
func (o *Operator) Close() error {
	o.temporal.Close()
	return o.store.Close()
}
