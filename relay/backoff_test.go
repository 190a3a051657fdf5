package relay

import (
	"testing"
	"time"
)

// The back-off between attempts starts at a second and doubles, up to
// five minutes, as the email activities' retry policy did.
func TestBackoff(t *testing.T) {
	cases := []struct {
		attempt int
		want    time.Duration
	}{
		{1, time.Second},
		{2, 2 * time.Second},
		{3, 4 * time.Second},
		{8, 128 * time.Second},
		{9, 256 * time.Second},
		{10, 5 * time.Minute}, // 512 s, capped
		{1000, 5 * time.Minute},
	}
	for _, c := range cases {
		if got := backoff(c.attempt); got != c.want {
			t.Errorf("backoff(%d) = %s; want %s", c.attempt, got, c.want)
		}
	}
}
