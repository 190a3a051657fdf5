package identity

import "strings"

// splitJWT returns the three parts of a compact JWS, or nil.
func splitJWT(raw string) []string {
	if len(raw) > 16<<10 {
		return nil
	}
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return nil
	}
	return parts
}
