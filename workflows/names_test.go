package workflows

import (
	"testing"

	"careconnect/config"
)

// The config package cannot import workflows, so it repeats the default
// task queue; this keeps the two equal.
func TestDefaultTaskQueueMatchesConfig(t *testing.T) {
	if config.DefaultTaskQueue != TaskQueue {
		t.Fatalf("config.DefaultTaskQueue = %q; want workflows.TaskQueue %q", config.DefaultTaskQueue, TaskQueue)
	}
}
