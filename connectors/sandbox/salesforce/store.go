package salesforce

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

//go:embed seed.json
var defaultSeed []byte

// store holds the org's records: object name -> id -> stored fields.
// Derived fields (Contact.Name, Case.ContactEmail, IsClosed, compound
// addresses...) are computed on read, as Salesforce does.
type store struct {
	schema schema
	recs   map[string]map[string]map[string]any
	order  map[string][]string // insertion order per object
	seq    int                 // new-id counter
	auto   map[string]int      // auto-number counters per object
	now    func() time.Time
}

func newStore(s schema, seed io.Reader, now func() time.Time) (*store, error) {
	st := &store{schema: s, recs: map[string]map[string]map[string]any{}, order: map[string][]string{},
		auto: map[string]int{}, now: now}
	var data []byte
	var err error
	if seed == nil {
		data = defaultSeed
	} else if data, err = io.ReadAll(io.LimitReader(seed, 64<<20)); err != nil {
		return nil, fmt.Errorf("reading the seed: %w", err)
	}
	var raw map[string][]map[string]any
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	// Objects in dependency order so references resolve.
	names := make([]string, 0, len(raw))
	for n := range raw {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		obj, ok := s.object(name)
		if !ok {
			return nil, fmt.Errorf("seed: unknown object %q", name)
		}
		for i, r := range raw[name] {
			rec := map[string]any{}
			for k, v := range r {
				f, ok := obj.field(k)
				if !ok {
					return nil, fmt.Errorf("seed: %s[%d]: unknown field %q", obj.Name, i, k)
				}
				if n, isNum := v.(json.Number); isNum {
					fv, err := n.Float64()
					if err != nil {
						return nil, fmt.Errorf("seed: %s[%d].%s: %v", obj.Name, i, k, err)
					}
					v = fv
				}
				rec[f.Name] = v
			}
			id, _ := rec["Id"].(string)
			if id == "" {
				id = st.newID(obj)
				rec["Id"] = id
			} else if canon, ok := NormalizeID(id); !ok || canon != id || !strings.HasPrefix(id, obj.Prefix) {
				return nil, fmt.Errorf("seed: %s[%d]: bad Id", obj.Name, i)
			}
			if obj.auto != "" {
				if n, ok := rec[obj.auto].(string); ok {
					var v int
					fmt.Sscanf(n, "%d", &v)
					st.auto[obj.Name] = max(st.auto[obj.Name], v)
				}
			}
			st.put(obj, rec)
		}
	}
	for _, name := range []string{"Case", "Order"} {
		obj, _ := s.object(name)
		for _, id := range st.order[obj.Name] {
			rec := st.recs[obj.Name][id]
			if _, ok := rec[obj.auto]; !ok {
				rec[obj.auto] = st.nextAuto(obj)
			}
		}
	}
	return st, nil
}

func (st *store) put(obj *objectDef, rec map[string]any) {
	id := rec["Id"].(string)
	if st.recs[obj.Name] == nil {
		st.recs[obj.Name] = map[string]map[string]any{}
	}
	if _, exists := st.recs[obj.Name][id]; !exists {
		st.order[obj.Name] = append(st.order[obj.Name], id)
	}
	st.recs[obj.Name][id] = rec
}

func (st *store) newID(obj *objectDef) string {
	st.seq++
	return withChecksum(fmt.Sprintf("%sSB%010d", obj.Prefix, st.seq))
}

func (st *store) nextAuto(obj *objectDef) string {
	st.auto[obj.Name]++
	width := 8
	return fmt.Sprintf("%0*d", width, st.auto[obj.Name])
}

// get finds a record by a 15- or 18-character id.
func (st *store) get(obj *objectDef, id string) (map[string]any, bool) {
	canon, ok := NormalizeID(id)
	if !ok {
		return nil, false
	}
	rec, ok := st.recs[obj.Name][canon]
	return rec, ok
}

func (st *store) all(obj *objectDef) []map[string]any {
	out := make([]map[string]any, 0, len(st.order[obj.Name]))
	for _, id := range st.order[obj.Name] {
		out = append(out, st.recs[obj.Name][id])
	}
	return out
}

// value is a field's value as Salesforce returns it, derived fields included.
func (st *store) value(obj *objectDef, rec map[string]any, f *fieldDef) any {
	switch obj.Name + "." + f.Name {
	case "Contact.Name":
		first, _ := rec["FirstName"].(string)
		last, _ := rec["LastName"].(string)
		return strings.TrimSpace(first + " " + last)
	case "Case.ContactEmail", "Case.ContactPhone", "Case.ContactMobile":
		src := map[string]string{"ContactEmail": "Email", "ContactPhone": "Phone", "ContactMobile": "MobilePhone"}[f.Name]
		cid, _ := rec["ContactId"].(string)
		contactObj, _ := st.schema.object("Contact")
		if c, ok := st.get(contactObj, cid); ok && cid != "" {
			return c[src]
		}
		return nil
	case "Case.IsClosed":
		return rec["Status"] == "Closed"
	case "Order.StatusCode":
		return rec["Status"]
	}
	switch f.Kind {
	case kAddress:
		parts := map[string]any{}
		any := false
		for _, c := range []struct{ key, field string }{{"city", "City"}, {"country", "Country"}, {"postalCode", "PostalCode"}, {"state", "State"}, {"street", "Street"}} {
			v := rec[f.Prefix+c.field]
			parts[c.key] = v
			any = any || v != nil
		}
		if !any {
			return nil
		}
		parts["geocodeAccuracy"], parts["latitude"], parts["longitude"] = nil, nil, nil
		return parts
	}
	switch f.Name {
	case "IsDeleted":
		return false
	case "SystemModstamp":
		return rec["LastModifiedDate"]
	case "CreatedById", "LastModifiedById":
		return rec["OwnerId"]
	}
	return rec[f.Name]
}

// parent follows a reference field to the parent record.
func (st *store) parent(f *fieldDef, rec map[string]any) (*objectDef, map[string]any) {
	pobj, ok := st.schema.object(f.RefTo)
	if !ok {
		return nil, nil
	}
	id, _ := rec[f.Name].(string)
	if id == "" {
		return pobj, nil
	}
	p, ok := st.get(pobj, id)
	if !ok {
		return pobj, nil
	}
	return pobj, p
}

// writeError is a REST error for a write.
type writeError struct {
	status int
	code   string
	msg    string
	fields []string
}

// apply validates and applies fields to rec (insert or update). It returns
// the text written to Case.Comments, which the caller turns into a private
// CaseComment once the case has its id.
func (st *store) apply(obj *objectDef, rec map[string]any, body map[string]any, insert bool) (comment string, werr *writeError) {
	var unwritable []string
	keys := make([]string, 0, len(body))
	for k := range body {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		f, ok := obj.field(k)
		if !ok {
			return "", &writeError{400, "INVALID_FIELD", fmt.Sprintf("No such column '%s' on sobject of type %s", k, obj.Name), nil}
		}
		if insert && !f.Create || !insert && !f.Update {
			unwritable = append(unwritable, f.Name)
		}
	}
	if len(unwritable) > 0 {
		return "", &writeError{400, "INVALID_FIELD_FOR_INSERT_UPDATE", fmt.Sprintf("Unable to create/update fields: %s. Please check the security settings of this field and verify that it is read/write for your profile or permission set.", strings.Join(unwritable, ", ")), unwritable}
	}
	staged := map[string]any{}
	for _, k := range keys {
		f, _ := obj.field(k)
		v := body[k]
		if err := checkValue(obj, f, v); err != nil {
			return "", err
		}
		if obj.Name == "Case" && f.Name == "Comments" {
			if s, ok := v.(string); ok {
				comment = s
			}
			continue
		}
		if f.Kind == kRef && v != nil {
			id, _ := v.(string)
			canon, ok := NormalizeID(id)
			target, known := st.schema.object(f.RefTo)
			if !ok || (known && !strings.HasPrefix(canon, target.Prefix)) {
				return "", &writeError{400, "MALFORMED_ID", fmt.Sprintf("%s: id value of incorrect type: %s", f.Name, id), []string{f.Name}}
			}
			if known {
				if _, exists := st.get(target, canon); !exists {
					return "", &writeError{400, "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", []string{f.Name}}
				}
			}
			v = canon
		}
		staged[f.Name] = v
	}
	if insert {
		var missing []string
		for _, f := range obj.fields {
			if f.Required && staged[f.Name] == nil {
				missing = append(missing, f.Name)
			}
		}
		if len(missing) > 0 {
			return "", &writeError{400, "REQUIRED_FIELD_MISSING", fmt.Sprintf("Required fields are missing: [%s]", strings.Join(missing, ", ")), missing}
		}
	}
	now := st.now().UTC().Format(sfTimeLayout)
	for k, v := range staged {
		rec[k] = v
	}
	if insert {
		rec["CreatedDate"] = now
		if _, ok := obj.field("OwnerId"); ok && rec["OwnerId"] == nil {
			rec["OwnerId"] = defaultOwner
		}
	}
	rec["LastModifiedDate"] = now
	if obj.Name == "Case" {
		if rec["Status"] == nil {
			rec["Status"] = "New"
		}
		if rec["Status"] == "Closed" && rec["ClosedDate"] == nil {
			rec["ClosedDate"] = now
		} else if rec["Status"] != "Closed" {
			rec["ClosedDate"] = nil
		}
	}
	return comment, nil
}

const defaultOwner = "005RO00000Abc12YAB"

// checkValue checks a written value against the field's type.
func checkValue(obj *objectDef, f *fieldDef, v any) *writeError {
	if v == nil {
		if f.Kind == kBool {
			return &writeError{400, "INVALID_TYPE_ON_FIELD_IN_RECORD", fmt.Sprintf("%s: value not of required type: null", f.Name), []string{f.Name}}
		}
		return nil
	}
	bad := func() *writeError {
		return &writeError{400, "JSON_PARSER_ERROR", fmt.Sprintf("Cannot deserialize instance of %s from the given value for field %s", kindName(f.Kind), f.Name), []string{f.Name}}
	}
	switch f.Kind {
	case kBool:
		if _, ok := v.(bool); !ok {
			return bad()
		}
	case kNumber:
		if _, ok := v.(float64); !ok {
			return bad()
		}
	case kDate:
		s, ok := v.(string)
		if _, err := time.Parse("2006-01-02", s); !ok || err != nil {
			return bad()
		}
	case kDateTime:
		s, ok := v.(string)
		if _, err := parseSOQLDateTime(s); !ok || err != nil {
			return bad()
		}
	default:
		s, ok := v.(string)
		if !ok {
			return bad()
		}
		if len(f.Picklist) > 0 {
			valid := false
			for _, p := range f.Picklist {
				valid = valid || p == s
			}
			if !valid {
				return &writeError{400, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", fmt.Sprintf("%s: bad value for restricted picklist field: %s", f.Name, s), []string{f.Name}}
			}
		}
	}
	return nil
}

func kindName(k kind) string {
	switch k {
	case kBool:
		return "boolean"
	case kNumber:
		return "double"
	case kDate:
		return "date"
	case kDateTime:
		return "datetime"
	}
	return "string"
}

// sfTimeLayout is how Salesforce prints datetimes.
const sfTimeLayout = "2006-01-02T15:04:05.000-0700"

func parseSOQLDateTime(s string) (time.Time, error) {
	for _, l := range []string{"2006-01-02T15:04:05Z07:00", "2006-01-02T15:04:05.000Z07:00", "2006-01-02T15:04:05-0700", "2006-01-02T15:04:05.000-0700"} {
		if t, err := time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("not a datetime")
}

// NormalizeID validates a 15- or 18-character Salesforce id and returns its
// 18-character form (with the case-restoring checksum suffix).
func NormalizeID(id string) (string, bool) {
	if len(id) != 15 && len(id) != 18 {
		return "", false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return "", false
		}
	}
	if len(id) == 15 {
		return withChecksum(id), true
	}
	// An 18-character id is case-insensitive: restore the case of the
	// first 15 characters from the suffix.
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
	b := []byte(id[:15])
	for chunk := 0; chunk < 3; chunk++ {
		bits := strings.IndexByte(alphabet, upper(id[15+chunk]))
		if bits < 0 {
			return "", false
		}
		for j := 0; j < 5; j++ {
			c := &b[chunk*5+j]
			if bits&(1<<j) != 0 {
				*c = upper(*c)
			} else if *c >= 'A' && *c <= 'Z' {
				*c += 'a' - 'A'
			}
		}
	}
	return withChecksum(string(b)), true
}

func upper(c byte) byte {
	if c >= 'a' && c <= 'z' {
		return c - ('a' - 'A')
	}
	return c
}

func withChecksum(id15 string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
	suffix := make([]byte, 3)
	for chunk := 0; chunk < 3; chunk++ {
		v := 0
		for j := 0; j < 5; j++ {
			if c := id15[chunk*5+j]; c >= 'A' && c <= 'Z' {
				v |= 1 << j
			}
		}
		suffix[chunk] = alphabet[v]
	}
	return id15 + string(suffix)
}
