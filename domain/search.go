package domain

// StreetWordAbbreviations returns a copy of the street word abbreviations
// AddressKey applies ("EAST" -> "E", "AVENUE" -> "AVE"), keyed by the
// normalised word, so that address prefix search can turn what a person
// types into a prefix of the key. A copy, so no caller can change the key.
func StreetWordAbbreviations() map[string]string {
	out := make(map[string]string, len(streetWords))
	for w, a := range streetWords {
		out[w] = a
	}
	return out
}
