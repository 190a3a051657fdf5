package store

import (
	"errors"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"gorm.io/gorm"
)

const spanKey = "careconnect:span"

// Trace makes a client span of every statement the store runs, a child
// of the span in the statement's context: its operation and table, never
// its arguments (they hold personal information).
func (s *Store) Trace(tr trace.Tracer) error {
	cb := s.db.Callback()
	before := func(op string) func(*gorm.DB) {
		return func(db *gorm.DB) {
			ctx, span := tr.Start(db.Statement.Context, "sql "+op, trace.WithSpanKind(trace.SpanKindClient),
				trace.WithAttributes(attribute.String("db.system.name", s.dialect), attribute.String("db.operation.name", op)))
			db.Statement.Context = ctx
			db.InstanceSet(spanKey, span)
		}
	}
	after := func(db *gorm.DB) {
		v, ok := db.InstanceGet(spanKey)
		if !ok {
			return
		}
		span := v.(trace.Span)
		if db.Statement.Table != "" {
			span.SetAttributes(attribute.String("db.collection.name", db.Statement.Table))
		}
		if err := db.Error; err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
			span.SetStatus(codes.Error, "statement failed")
		}
		span.End()
	}
	return errors.Join(
		cb.Create().Before("gorm:create").Register("otel:before_create", before("INSERT")),
		cb.Create().After("gorm:create").Register("otel:after_create", after),
		cb.Query().Before("gorm:query").Register("otel:before_query", before("SELECT")),
		cb.Query().After("gorm:query").Register("otel:after_query", after),
		cb.Update().Before("gorm:update").Register("otel:before_update", before("UPDATE")),
		cb.Update().After("gorm:update").Register("otel:after_update", after),
		cb.Delete().Before("gorm:delete").Register("otel:before_delete", before("DELETE")),
		cb.Delete().After("gorm:delete").Register("otel:after_delete", after),
		cb.Row().Before("gorm:row").Register("otel:before_row", before("ROW")),
		cb.Row().After("gorm:row").Register("otel:after_row", after),
		cb.Raw().Before("gorm:raw").Register("otel:before_raw", before("RAW")),
		cb.Raw().After("gorm:raw").Register("otel:after_raw", after),
	)
}
