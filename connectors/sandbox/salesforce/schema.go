package salesforce

import "strings"

// kind is a Salesforce field type, as far as the sandbox needs it: how a
// value compares, which literal a filter takes, whether it can be filtered.
type kind int

const (
	kString   kind = iota // string, email, phone, url, picklist, auto-number
	kTextarea             // long text: selectable, not filterable
	kID                   // the record id
	kRef                  // a reference (lookup) id
	kBool
	kNumber
	kDate
	kDateTime
	kAddress // compound, read-only, not filterable
)

type fieldDef struct {
	Name     string
	Kind     kind
	Create   bool     // settable on insert
	Update   bool     // settable on update
	Query    bool     // selectable (false for write-only helpers like Case.Comments)
	Picklist []string // restricted values, when set
	RefTo    string   // kRef: the parent object
	RelName  string   // kRef: the relationship name ("Account" for AccountId)
	Required bool     // needed on insert
	Prefix   string   // kAddress: component prefix ("Mailing")
}

type childRel struct {
	Name   string // CaseComments
	Object string // CaseComment
	Field  string // ParentId
}

type objectDef struct {
	Name     string
	Prefix   string // id key prefix
	fields   []*fieldDef
	byLower  map[string]*fieldDef
	parents  map[string]*fieldDef // lower relationship name -> reference field
	children map[string]childRel  // lower relationship name -> child relation
	auto     string               // auto-number field, if any
}

func (o *objectDef) field(name string) (*fieldDef, bool) {
	f, ok := o.byLower[strings.ToLower(name)]
	return f, ok
}

type schema map[string]*objectDef // lower object name -> def

func (s schema) object(name string) (*objectDef, bool) {
	o, ok := s[strings.ToLower(name)]
	return o, ok
}

// rw: createable and updateable; ro: read-only.
func rw(name string, k kind) *fieldDef {
	return &fieldDef{Name: name, Kind: k, Create: true, Update: true, Query: true}
}
func ro(name string, k kind) *fieldDef { return &fieldDef{Name: name, Kind: k, Query: true} }
func ref(name, to, rel string) *fieldDef {
	return &fieldDef{Name: name, Kind: kRef, Create: true, Update: true, Query: true, RefTo: to, RelName: rel}
}

func address(prefix string) []*fieldDef {
	return []*fieldDef{
		rw(prefix+"Street", kTextarea), rw(prefix+"City", kString), rw(prefix+"State", kString),
		rw(prefix+"PostalCode", kString), rw(prefix+"Country", kString),
		{Name: prefix + "Address", Kind: kAddress, Query: true, Prefix: prefix},
	}
}

func audit() []*fieldDef {
	return []*fieldDef{
		ro("IsDeleted", kBool), ro("CreatedDate", kDateTime), ro("CreatedById", kRef),
		ro("LastModifiedDate", kDateTime), ro("LastModifiedById", kRef), ro("SystemModstamp", kDateTime),
	}
}

// newSchema describes the standard objects the sandbox serves, with the
// standard field API names of the object reference (crm-api-facts §1.4).
func newSchema() schema {
	defs := []*objectDef{
		{Name: "Account", Prefix: "001", fields: flat(
			[]*fieldDef{ro("Id", kID), req(rw("Name", kString)), rw("Type", kString), ref("ParentId", "Account", "Parent"),
				rw("AccountNumber", kString), rw("Phone", kString), rw("Website", kString), rw("Industry", kString),
				rw("AnnualRevenue", kNumber), rw("NumberOfEmployees", kNumber), rw("Description", kTextarea),
				ref("OwnerId", "User", "Owner")},
			address("Billing"), address("Shipping"), audit())},
		{Name: "Contact", Prefix: "003", fields: flat(
			[]*fieldDef{ro("Id", kID), ref("AccountId", "Account", "Account"), rw("Salutation", kString),
				rw("FirstName", kString), req(rw("LastName", kString)), ro("Name", kString), rw("Title", kString),
				rw("Email", kString), rw("Phone", kString), rw("MobilePhone", kString), rw("Description", kTextarea),
				ref("OwnerId", "User", "Owner"), rw("HasOptedOutOfEmail", kBool), ro("LastActivityDate", kDate),
				ro("LastViewedDate", kDateTime), ro("LastReferencedDate", kDateTime)},
			address("Mailing"), audit())},
		{Name: "Case", Prefix: "500", auto: "CaseNumber", fields: flat(
			[]*fieldDef{ro("Id", kID), ro("CaseNumber", kString), ref("ContactId", "Contact", "Contact"),
				ref("AccountId", "Account", "Account"), ref("AssetId", "Asset", "Asset"), ref("ParentId", "Case", "Parent"),
				rw("SuppliedName", kString), rw("SuppliedEmail", kString), rw("SuppliedPhone", kString),
				rw("SuppliedCompany", kString), rw("Type", kString),
				pick(rw("Status", kString), "New", "Working", "Escalated", "Closed"),
				rw("Reason", kString), pick(rw("Origin", kString), "Phone", "Email", "Web"), rw("Subject", kString),
				pick(rw("Priority", kString), "High", "Medium", "Low"), rw("Description", kTextarea),
				ro("IsClosed", kBool), ro("ClosedDate", kDateTime), rw("IsEscalated", kBool),
				ref("OwnerId", "User", "Owner"), ro("ContactEmail", kString), ro("ContactPhone", kString),
				ro("ContactMobile", kString),
				{Name: "Comments", Kind: kTextarea, Create: true, Update: true}}, // write-only helper
			audit())},
		{Name: "CaseComment", Prefix: "00a", fields: flat(
			[]*fieldDef{ro("Id", kID), req(&fieldDef{Name: "ParentId", Kind: kRef, Create: true, Query: true, RefTo: "Case", RelName: "Parent"}),
				rw("IsPublished", kBool), rw("CommentBody", kTextarea)},
			audit())},
		{Name: "Order", Prefix: "801", auto: "OrderNumber", fields: flat(
			[]*fieldDef{ro("Id", kID), ro("OrderNumber", kString), req(ref("AccountId", "Account", "Account")),
				ref("BillToContactId", "Contact", "BillToContact"), ref("ShipToContactId", "Contact", "ShipToContact"),
				ref("Pricebook2Id", "Pricebook2", "Pricebook2"), req(rw("EffectiveDate", kDate)), rw("EndDate", kDate),
				req(pick(rw("Status", kString), "Draft", "Activated")), ro("StatusCode", kString), rw("Type", kString),
				ro("TotalAmount", kNumber), rw("Description", kTextarea), rw("PoNumber", kString),
				rw("OrderReferenceNumber", kString), ro("ActivatedDate", kDateTime), ref("OwnerId", "User", "Owner")},
			address("Billing"), address("Shipping"), audit())},
	}
	s := schema{}
	for _, o := range defs {
		o.byLower = map[string]*fieldDef{}
		o.parents = map[string]*fieldDef{}
		o.children = map[string]childRel{}
		for _, f := range o.fields {
			o.byLower[strings.ToLower(f.Name)] = f
			if f.Kind == kRef && f.RelName != "" {
				o.parents[strings.ToLower(f.RelName)] = f
			}
		}
		s[strings.ToLower(o.Name)] = o
	}
	child := func(parent, rel, obj, field string) {
		s[strings.ToLower(parent)].children[strings.ToLower(rel)] = childRel{Name: rel, Object: obj, Field: field}
	}
	child("Case", "CaseComments", "CaseComment", "ParentId")
	child("Case", "Cases", "Case", "ParentId")
	child("Account", "Contacts", "Contact", "AccountId")
	child("Account", "Cases", "Case", "AccountId")
	child("Account", "Orders", "Order", "AccountId")
	child("Contact", "Cases", "Case", "ContactId")
	return s
}

func flat(groups ...[]*fieldDef) []*fieldDef {
	var out []*fieldDef
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

func req(f *fieldDef) *fieldDef { f.Required = true; return f }

func pick(f *fieldDef, values ...string) *fieldDef { f.Picklist = values; return f }

func (f *fieldDef) filterable() bool {
	return f.Query && f.Kind != kTextarea && f.Kind != kAddress
}
