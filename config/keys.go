package config

import (
	"encoding/base64"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
)

// DefaultKeyID is the ID a single secret (links.secret, learninghub.secret)
// has in its key ring. It must equal links.DefaultKeyID and
// learninghub.DefaultKeyID (config imports no adapter; a test checks).
const DefaultKeyID = "default"

// Dev-only codec key: DevCodecKeyID names it, and DevCodecKey is its 32
// bytes (base64 in codec.keys). Production refuses it.
const (
	DevCodecKeyID = "dev-only"
	DevCodecKey   = "dev-only-codec-key-not-for-prod!"
)

// CodecKeySize is the size of a codec key: AES-256.
const CodecKeySize = 32

// Codec configures the encryption of workflow and activity payloads
// (AES-256-GCM) and the codec endpoint the Temporal Web UI calls.
type Codec struct {
	// Keys are "<key ID>:<base64 of 32 bytes>" entries.
	Keys []string `mapstructure:"keys"`
	// KeyFiles are "<key ID>:<path>" entries: each file holds a key in
	// base64 (a mounted Kubernetes Secret, for example).
	KeyFiles []string `mapstructure:"key_files"`
	// ActiveKey names the key new payloads are encrypted with; every key
	// decrypts. It may be empty when there is one key.
	ActiveKey string `mapstructure:"active_key"`
	// UIOrigin is the Temporal Web UI's origin (scheme://host[:port]), the
	// one origin whose pages may call /codec/* with credentials. Empty
	// means the origin of temporal.ui_url.
	UIOrigin string `mapstructure:"ui_origin"`
}

// NamedSecret is one key of a key ring: its ID and its secret.
type NamedSecret struct {
	ID     string
	Secret string
}

// CodecKey is one AES-256 key of the codec's ring.
type CodecKey struct {
	ID  string
	Key []byte
	// Text is the key as configured (base64), for the entropy rule.
	Text string
	// From is the setting it came from: codec.keys or codec.key_files.
	From string
}

// validKeyID says whether id may name a key: 1 to 32 characters of A-Z,
// a-z, 0-9, '-' and '_' (it travels in link tokens, signature headers and
// payload metadata as it is).
func validKeyID(id string) bool {
	if id == "" || len(id) > 32 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// Ring is the link signing key ring: the active key's ID and every key.
// With links.keys empty it is links.secret alone, as DefaultKeyID.
// Errors name the key.
func (l Links) Ring() (string, []NamedSecret, error) {
	return secretRing("links", l.Secret, DevLinkSecret, l.Keys, l.ActiveKey)
}

// Ring is the LearningHub key ring: the active key's ID and every key.
// With learninghub.keys empty it is learninghub.secret alone, as DefaultKeyID.
func (l LearningHub) Ring() (string, []NamedSecret, error) {
	return secretRing("learninghub", l.Secret, DevLearningHubSecret, l.Keys, l.ActiveKey)
}

// secretRing builds the ring of prefix.secret or prefix.keys. Both at once
// would leave one of them silently unused, so that is an error, unless the
// secret is the dev default nobody set.
func secretRing(prefix, secret, devSecret string, entries []string, active string) (string, []NamedSecret, error) {
	bad := func(key, format string, args ...any) error {
		return &KeyError{Key: prefix + "." + key, Problem: fmt.Sprintf(format, args...)}
	}
	if len(entries) == 0 {
		if len(secret) < 32 {
			return "", nil, bad("secret", "must be at least 32 characters")
		}
		if active != "" && active != DefaultKeyID {
			return "", nil, bad("active_key", "must be empty or %q without %s.keys", DefaultKeyID, prefix)
		}
		return DefaultKeyID, []NamedSecret{{ID: DefaultKeyID, Secret: secret}}, nil
	}
	if secret != "" && secret != devSecret {
		return "", nil, bad("secret", "set either %[1]s.secret or %[1]s.keys, not both; keep the current secret in %[1]s.keys as %[2]s:<secret>",
			prefix, DefaultKeyID)
	}
	var ring []NamedSecret
	seen := map[string]bool{}
	for i, e := range entries {
		id, sec, ok := strings.Cut(strings.TrimSpace(e), ":")
		switch {
		case !ok:
			return "", nil, bad(fmt.Sprintf("keys[%d]", i), "must be <key ID>:<secret>")
		case !validKeyID(id):
			return "", nil, bad(fmt.Sprintf("keys[%d]", i), "key ID %q must be 1 to 32 characters of A-Z, a-z, 0-9, '-' and '_'", id)
		case seen[id]:
			return "", nil, bad(fmt.Sprintf("keys[%d]", i), "key ID %q is used twice", id)
		case len(sec) < 32:
			return "", nil, bad(fmt.Sprintf("keys[%d]", i), "the secret of key %q must be at least 32 characters", id)
		}
		seen[id] = true
		ring = append(ring, NamedSecret{ID: id, Secret: sec})
	}
	if active == "" {
		if len(ring) > 1 {
			return "", nil, bad("active_key", "is required with more than one key in %s.keys", prefix)
		}
		active = ring[0].ID
	}
	if !seen[active] {
		return "", nil, bad("active_key", "names %q, which is not in %s.keys", active, prefix)
	}
	return active, ring, nil
}

// Ring is the codec's key ring: the active key's ID and every key, from
// codec.keys and the files of codec.key_files. An empty ring means payloads
// are not encrypted (refused in production). Errors name the key.
func (c Codec) Ring() (string, []CodecKey, error) {
	bad := func(key, format string, args ...any) error {
		return &KeyError{Key: "codec." + key, Problem: fmt.Sprintf(format, args...)}
	}
	var ring []CodecKey
	seen := map[string]bool{}
	add := func(key, id, text, from string) error {
		if !validKeyID(id) {
			return bad(key, "key ID %q must be 1 to 32 characters of A-Z, a-z, 0-9, '-' and '_'", id)
		}
		if seen[id] {
			return bad(key, "key ID %q is used twice", id)
		}
		text = strings.TrimSpace(text)
		k, err := base64.StdEncoding.DecodeString(text)
		if err != nil {
			return bad(key, "key %q is not base64 (openssl rand -base64 32)", id)
		}
		if len(k) != CodecKeySize {
			return bad(key, "key %q has %d bytes; AES-256 needs %d (openssl rand -base64 32)", id, len(k), CodecKeySize)
		}
		seen[id] = true
		ring = append(ring, CodecKey{ID: id, Key: k, Text: text, From: from})
		return nil
	}
	for i, e := range c.Keys {
		key := fmt.Sprintf("keys[%d]", i)
		id, text, ok := strings.Cut(strings.TrimSpace(e), ":")
		if !ok {
			return "", nil, bad(key, "must be <key ID>:<base64 key>")
		}
		if err := add(key, id, text, "codec.keys"); err != nil {
			return "", nil, err
		}
	}
	for i, e := range c.KeyFiles {
		key := fmt.Sprintf("key_files[%d]", i)
		id, path, ok := strings.Cut(strings.TrimSpace(e), ":")
		if !ok || path == "" {
			return "", nil, bad(key, "must be <key ID>:<path of a file holding the base64 key>")
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return "", nil, bad(key, "key %q: %v", id, err)
		}
		if err := add(key, id, string(b), "codec.key_files"); err != nil {
			return "", nil, err
		}
	}
	active := c.ActiveKey
	switch {
	case len(ring) == 0 && active != "":
		return "", nil, bad("active_key", "names %q, but there are no keys", active)
	case len(ring) == 0:
		return "", nil, nil
	case active == "" && len(ring) > 1:
		return "", nil, bad("active_key", "is required with more than one key")
	case active == "":
		active = ring[0].ID
	case !seen[active]:
		return "", nil, bad("active_key", "names %q, which is not in codec.keys or codec.key_files", active)
	}
	return active, ring, nil
}

// CodecUIOrigin is the origin allowed to call the codec endpoint with
// credentials: codec.ui_origin, or the origin of temporal.ui_url.
func (c Config) CodecUIOrigin() string {
	if c.Codec.UIOrigin != "" {
		return c.Codec.UIOrigin
	}
	u, err := url.Parse(c.Temporal.UIURL)
	if err != nil || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// validOrigin says what is wrong with a browser origin, or "": it must be
// http(s)://host[:port] and nothing else, as a browser sends it.
func validOrigin(o string) string {
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		u.Path != "" || u.RawQuery != "" || u.Fragment != "" || o != u.Scheme+"://"+u.Host || strings.ToLower(o) != o {
		return "must be an origin, scheme://host[:port] in lower case with no path (e.g. https://temporal.example.ca)"
	}
	return ""
}

// secureOrigin says whether a browser treats origin as potentially
// trustworthy: https, or http on a loopback host.
func secureOrigin(o string) bool {
	u, err := url.Parse(o)
	if err != nil {
		return false
	}
	if u.Scheme == "https" {
		return true
	}
	h := u.Hostname()
	ip := net.ParseIP(h)
	return u.Scheme == "http" && (h == "localhost" || ip != nil && ip.IsLoopback())
}

// validateKeys checks the three key rings and the codec's UI origin.
func (c Config) validateKeys() error {
	if _, _, err := c.Links.Ring(); err != nil {
		return err
	}
	if _, _, err := c.LearningHub.Ring(); err != nil {
		return err
	}
	if _, _, err := c.Codec.Ring(); err != nil {
		return err
	}
	if c.Codec.UIOrigin != "" {
		if why := validOrigin(c.Codec.UIOrigin); why != "" {
			return &KeyError{Key: "codec.ui_origin", Problem: why}
		}
	}
	return nil
}

// refuseWeakKeys refuses, in production, every key of every ring that is a
// dev-only default or has too little entropy (SecretProblem), payloads in
// clear text, and a codec origin that is not a secure context.
func (c Config) refuseWeakKeys() error {
	dev := func(key, why string) error {
		return &KeyError{Key: key, Problem: fmt.Sprintf("%s: %v", why, ErrDevDefault), cause: ErrDevDefault}
	}
	weak := func(key, why string) error {
		return &KeyError{Key: key, Problem: fmt.Sprintf("%s: %v", why, ErrWeakSetting), cause: ErrWeakSetting}
	}
	for _, r := range []struct {
		prefix, dev, hint string
		entries           []string
		ring              func() (string, []NamedSecret, error)
	}{
		{"links", "set a random secret (CARECONNECT_LINKS_SECRET)", "openssl rand -hex 32", c.Links.Keys, c.Links.Ring},
		{"learninghub", "set the secret shared with LearningHub (CARECONNECT_LEARNINGHUB_SECRET)", "agree a random one with LearningHub, e.g. openssl rand -hex 32",
			c.LearningHub.Keys, c.LearningHub.Ring},
	} {
		_, keys, err := r.ring()
		if err != nil {
			return err
		}
		for _, k := range keys {
			key := r.prefix + ".secret"
			if len(r.entries) > 0 {
				key = r.prefix + ".keys[" + k.ID + "]"
			}
			if strings.Contains(k.Secret, devMarker) {
				return dev(key, r.dev)
			}
			if why := SecretProblem(k.Secret); why != "" {
				return weak(key, why+" ("+r.hint+")")
			}
		}
	}
	_, keys, err := c.Codec.Ring()
	if err != nil {
		return err
	}
	if len(keys) == 0 {
		return weak("codec.keys", "workflow histories would hold personal information in clear text; "+
			"set codec.keys or codec.key_files (openssl rand -base64 32)")
	}
	for _, k := range keys {
		key := k.From + "[" + k.ID + "]"
		if strings.Contains(k.ID, devMarker) || strings.Contains(string(k.Key), devMarker) {
			return dev(key, "the dev codec key is public; set a random key (openssl rand -base64 32)")
		}
		if why := SecretProblem(k.Text); why != "" {
			return weak(key, why+" (openssl rand -base64 32)")
		}
	}
	if o := c.CodecUIOrigin(); validOrigin(o) != "" || !secureOrigin(o) {
		return weak("codec.ui_origin", fmt.Sprintf("%q: the Temporal Web UI's origin must be https (or http on a loopback host)", o))
	}
	return nil
}
