package store

import (
	"context"
	"database/sql"

	"github.com/pressly/goose/v3"
)

// streetKeyVersion is the migration that adds worksites.street_key (streetKeyColumn).
const streetKeyVersion = 24

// streetKeyColumn is migration 24: worksites.street_key, the address key
// without its street number (domain.StreetKey), so that a search by street
// name alone ("Broadway E, Vancouver") is a prefix search with an index,
// as a search from the street number is on address_key. Existing rows get
// their key from address_key (everything after its first word, the street
// number). It is Go because the statements differ by dialect, as in
// migration 4: PostgreSQL gets text_pattern_ops (LIKE prefixes whatever the
// collation) and strpos; SQLite a plain index (its byte-range query) and instr.
func streetKeyColumn(dialect string) *goose.Migration {
	up := []string{
		"ALTER TABLE worksites ADD COLUMN street_key TEXT NOT NULL DEFAULT ''",
		"UPDATE worksites SET street_key = substr(address_key, instr(address_key, ' ') + 1)",
		"CREATE INDEX worksites_street_key ON worksites (street_key, unit_key)",
	}
	if dialect == Postgres {
		up[1] = "UPDATE worksites SET street_key = substr(address_key, strpos(address_key, ' ') + 1)"
		up[2] = "CREATE INDEX worksites_street_key ON worksites (street_key text_pattern_ops)"
	}
	down := []string{"DROP INDEX IF EXISTS worksites_street_key", "ALTER TABLE worksites DROP COLUMN street_key"}
	run := func(stmts []string) func(context.Context, *sql.Tx) error {
		return func(ctx context.Context, tx *sql.Tx) error {
			for _, st := range stmts {
				if _, err := tx.ExecContext(ctx, st); err != nil {
					return err
				}
			}
			return nil
		}
	}
	return goose.NewGoMigration(streetKeyVersion, &goose.GoFunc{RunTx: run(up)}, &goose.GoFunc{RunTx: run(down)})
}
