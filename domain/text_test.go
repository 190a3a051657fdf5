package domain

import "testing"

func TestValidName(t *testing.T) {
	cases := []struct {
		name, in string
		ok       bool
	}{
		// Names as people write them.
		{"plain", "Priya Sharma", true},
		{"accents and apostrophe", "Zoë O'Brien-Lévesque", true},
		{"non-Latin script", "王秀英", true},
		{"a joiner some scripts need", "Mehr\u200cdad", true},
		{"punctuation and digits", "Dr. A. Lee, 2nd", true},
		{"empty (required is the caller's rule)", "", true},
		// Line breaks: an email header, a log line or a CSV row would split.
		{"LF", "Priya\nSharma", false},
		{"CR", "Priya\rSharma", false},
		{"CRLF header injection", "Priya\r\nBcc: x@example.ca", false},
		{"NEL (C1)", "Priya\u0085Sharma", false},
		{"line separator", "Priya\u2028Sharma", false},
		{"paragraph separator", "Priya\u2029Sharma", false},
		// Other control characters.
		{"tab", "Priya\tSharma", false},
		{"NUL", "Priya\x00", false},
		{"escape (terminal sequences)", "\x1b[31mPriya", false},
		{"DEL", "Priya\x7f", false},
		{"C1 CSI", "Priya\u009b", false},
		// Text that displays as other text.
		{"right-to-left override", "Priya \u202eamrahS", false},
		{"left-to-right embedding", "\u202aPriya", false},
		{"first strong isolate", "Priya \u2068x\u2069", false},
		// Not UTF-8.
		{"invalid byte", "Priya \xff", false},
	}
	for _, c := range cases {
		err := ValidName(c.in)
		if (err == nil) != c.ok {
			t.Errorf("%s: ValidName(%q) = %v; want ok %v", c.name, c.in, err, c.ok)
		}
		if err != nil && err.Error() == "" {
			t.Errorf("%s: empty problem", c.name)
		}
	}
}

func TestCleanName(t *testing.T) {
	cases := []struct {
		name, in, want string
	}{
		// Nothing to clean.
		{"plain", "Priya", "Priya"},
		{"non-Latin script", "王秀英", "王秀英"},
		// A line break becomes a space, so the name stays readable.
		{"LF", "Mary\nAnne", "Mary Anne"},
		{"CRLF and injected header", "Mary\r\nBcc: x@example.ca", "Mary Bcc: x@example.ca"},
		{"tabs and runs of space", "\tMary \t Anne  ", "Mary Anne"},
		{"override", "Mary\u202eAnne", "Mary Anne"},
		{"invalid byte", "Mary\xffAnne", "Mary Anne"},
		{"only control characters", "\r\n\t", ""},
	}
	for _, c := range cases {
		got := CleanName(c.in)
		if got != c.want {
			t.Errorf("%s: CleanName(%q) = %q; want %q", c.name, c.in, got, c.want)
		}
		if ValidName(got) != nil {
			t.Errorf("%s: CleanName(%q) = %q, which ValidName refuses", c.name, c.in, got)
		}
	}
}
