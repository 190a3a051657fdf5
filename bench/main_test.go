package bench

import (
	"testing"

	"careconnect/app/apptest"
)

// TestMain stops the shared Temporal dev server after the run.
func TestMain(m *testing.M) { apptest.Main(m) }
