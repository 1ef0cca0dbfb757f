// Package sandbox is the in-process stand-in for "Hearth", the simple REST
// CRM of the copy-me connector: an OAuth client-credentials token
// endpoint and a customers API, with the shared fault knobs rendered in
// Hearth's error format. Copy it when you add a connector: every
// connector needs a sandbox that speaks its vendor's real wire format.
//
//	POST  /oauth/token                 {"grant_type":"client_credentials","client_id":..,"client_secret":..}
//	GET   /api/v1/customers/{id}?fields=a,b
//	GET   /api/v1/customers?email=..&fields=a,b&limit=n
//	PATCH /api/v1/customers/{id}        {"customer":{"notes":".."}}
//	POST  /api/v1/customers             {"customer":{...}} (create, for tests and dev)
//
// Errors are {"error":{"code":"not_found","message":"..."}}; 429 carries
// Retry-After; 401 means the token expired.
package sandbox
