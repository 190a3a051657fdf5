package links

import "strconv"

// SignWith signs c under the ring's key kid, as Sign does under the active
// key; a test names which spelling an accepted token must have.
func SignWith(s *Signer, kid string, c Claims) string {
	signed := kid + "." + enc.EncodeToString([]byte(string(c.Purpose)+"|"+c.Subject+"|"+strconv.FormatInt(c.Expires.Unix(), 10)))
	return signed + "." + enc.EncodeToString(mac(s.keys[kid], signed))
}

// SignLegacy signs c as tokens were signed before key IDs existed:
// "<payload>.<mac>", the MAC over the payload alone.
func SignLegacy(secret string, c Claims) string { return signLegacy(secret, c) }
