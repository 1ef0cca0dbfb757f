package gateway

// OpenAPIRoutes exposes the route list to the external tests, which cannot
// live in this package (they build the server through gateway/dev, which
// imports it).
func OpenAPIRoutes() []string { return append([]string(nil), openAPIRoutes...) }
