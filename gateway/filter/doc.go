// Package filter finds personal data in free text (chat messages, ticket
// descriptions, order notes) and masks or tokenizes it without damaging the
// business identifiers experts need: order and tracking numbers, SKUs,
// prices, order dates, versions, UUIDs, coupons, card last-4 and cxgate
// tokens.
//
// Detection is a single pass that splits the text into words and looks each
// word up once in a table of cue words, name lists and word classes; the
// detectors then work on those words. Every detector validates what it
// finds (Luhn and issuer ranges for cards, mod-97 for IBANs, libphonenumber
// metadata for phones, net/netip for IP addresses, issued ranges for SSNs
// and NINOs, the ABA checksum for routing numbers) or requires a context cue,
// and business identifiers are protected before detection runs. There is
// no backtracking regular expression anywhere: the allow patterns are RE2
// and everything else is hand-written scanning, so cost is linear in the
// input.
//
// See docs/filter.md for every detector, its validation and known misses,
// and for the overlap rule.
package filter
