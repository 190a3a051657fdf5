package devtemporal

import (
	"slices"
	"testing"
)

func TestArgs(t *testing.T) {
	got := args(Options{IP: "127.0.0.1", Port: 7233, UIPort: 8233, DBFile: "data/t.db", Namespace: "careconnect",
		LogLevel: "error", SearchAttributes: map[string]string{"PractitionerID": "Keyword", "Stage": "Keyword", "Attempt": "Int"}})
	want := []string{"server", "start-dev", "--ip", "127.0.0.1", "--port", "7233", "--log-level", "error",
		"--dynamic-config-value", "system.enableActivityEagerExecution=true", "--ui-port", "8233", "--db-filename", "data/t.db", "--namespace", "careconnect",
		"--search-attribute", "Attempt=Int", "--search-attribute", "PractitionerID=Keyword", "--search-attribute", "Stage=Keyword"}
	if !slices.Equal(got, want) {
		t.Fatalf("args:\n got %q\nwant %q", got, want)
	}

	got = args(Options{IP: "127.0.0.1", Port: 1234, UIPort: -1, Namespace: DefaultNamespace, LogLevel: "warn"})
	want = []string{"server", "start-dev", "--ip", "127.0.0.1", "--port", "1234", "--log-level", "warn",
		"--dynamic-config-value", "system.enableActivityEagerExecution=true", "--headless"}
	if !slices.Equal(got, want) {
		t.Fatalf("headless args:\n got %q\nwant %q", got, want)
	}
}

// The web UI is told where the codec is; a headless server has no UI to tell.
func TestArgsUICodecEndpoint(t *testing.T) {
	got := args(Options{UIPort: 8233, UICodecEndpoint: "http://127.0.0.1:8080/codec"})
	if i := slices.Index(got, "--ui-codec-endpoint"); i < 0 || i+1 >= len(got) || got[i+1] != "http://127.0.0.1:8080/codec" {
		t.Errorf("args %q; want --ui-codec-endpoint http://127.0.0.1:8080/codec", got)
	}
	if got := args(Options{UIPort: -1, UICodecEndpoint: "http://127.0.0.1:8080/codec"}); slices.Contains(got, "--ui-codec-endpoint") {
		t.Errorf("headless args %q; want no codec endpoint", got)
	}
}

func TestDialHost(t *testing.T) {
	for in, want := range map[string]string{"0.0.0.0": "127.0.0.1", "::": "::1", "10.1.2.3": "10.1.2.3", "127.0.0.1": "127.0.0.1"} {
		if got := dialHost(in); got != want {
			t.Errorf("dialHost(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTailBuffer(t *testing.T) {
	b := newTailBuffer(5)
	b.Write([]byte("abc"))
	b.Write([]byte("defg"))
	if got := b.String(); got != "cdefg" {
		t.Fatalf("tail = %q, want %q", got, "cdefg")
	}
}
