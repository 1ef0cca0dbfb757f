package zendesk

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
)

// Pagination as Zendesk does it (reference §2.3): cursor when page[size]
// (or a page[after]/page[before] cursor) is present, offset otherwise.

const (
	maxPageSize     = 100
	offsetRecordCap = 10000 // offset pagination stops at the first 10,000 records
	searchResultCap = 1000  // /search returns at most 1,000 results
)

func wantsCursor(q url.Values) bool {
	return q.Has("page[size]") || q.Has("page[after]") || q.Has("page[before]")
}

func encodeCursor(id int64) string {
	b, _ := json.Marshal(map[string]int64{"id": id})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(c string) (int64, bool) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return 0, false
	}
	var m map[string]int64
	if json.Unmarshal(b, &m) != nil {
		return 0, false
	}
	id, ok := m["id"]
	return id, ok
}

// cursorPage cuts one page out of ids (already in the requested order) and
// writes the meta and links Zendesk sends, under key.
func cursorPage(w http.ResponseWriter, r *http.Request, base, path string, ids []int64, render func([]int64) any, key string) {
	q := r.URL.Query()
	size := maxPageSize
	if v := q.Get("page[size]"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			writeError(w, http.StatusBadRequest, "InvalidPaginationParameter", "page[size] must be a positive integer")
			return
		}
		if n > maxPageSize {
			writeError(w, http.StatusBadRequest, "InvalidPaginationParameter", "page[size] is greater than the maximum allowed of 100")
			return
		}
		size = n
	}
	index := func(c string) (int, bool) {
		id, ok := decodeCursor(c)
		if !ok {
			return 0, false
		}
		for i, v := range ids {
			if v == id {
				return i, true
			}
		}
		return 0, false
	}
	lo, hi := 0, min(size, len(ids))
	hasMore := hi < len(ids)
	switch {
	case q.Get("page[after]") != "":
		i, ok := index(q.Get("page[after]"))
		if !ok {
			writeError(w, http.StatusBadRequest, "InvalidPaginationParameter", "page[after] is not a valid cursor")
			return
		}
		lo = i + 1
		hi = min(lo+size, len(ids))
		hasMore = hi < len(ids)
	case q.Get("page[before]") != "":
		i, ok := index(q.Get("page[before]"))
		if !ok {
			writeError(w, http.StatusBadRequest, "InvalidPaginationParameter", "page[before] is not a valid cursor")
			return
		}
		hi = i
		lo = max(0, hi-size)
		hasMore = lo > 0
	}
	page := ids[lo:hi]
	meta := map[string]any{"has_more": hasMore, "after_cursor": nil, "before_cursor": nil}
	links := map[string]any{"next": nil, "prev": nil}
	link := func(dir, cursor string) string {
		v := url.Values{}
		v.Set("page["+dir+"]", cursor)
		v.Set("page[size]", strconv.Itoa(size))
		if s := q.Get("sort"); s != "" {
			v.Set("sort", s)
		}
		return base + path + ".json?" + v.Encode()
	}
	if len(page) > 0 {
		after, before := encodeCursor(page[len(page)-1]), encodeCursor(page[0])
		meta["after_cursor"], meta["before_cursor"] = after, before
		links["next"], links["prev"] = link("after", after), link("before", before)
	}
	writeJSON(w, http.StatusOK, map[string]any{key: render(page), "meta": meta, "links": links})
}

// offsetWindow reads page/per_page; ok is false when it already answered
// (bad parameters, or past the 10,000-record ceiling).
func offsetWindow(w http.ResponseWriter, r *http.Request) (page, perPage int, ok bool) {
	q := r.URL.Query()
	page, perPage = 1, maxPageSize
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			errBadRequest(w, "page must be a positive integer")
			return 0, 0, false
		}
		page = n
	}
	if v := q.Get("per_page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			errBadRequest(w, "per_page must be a positive integer")
			return 0, 0, false
		}
		perPage = min(n, maxPageSize)
	}
	if (page-1)*perPage >= offsetRecordCap {
		// Since 2023-08-15 Zendesk refuses offset pages past 10,000
		// records with a 400 (invented wording).
		errBadRequest(w, "Offset pagination is limited to the first 10,000 records; use cursor pagination.")
		return 0, 0, false
	}
	return page, perPage, true
}

// offsetLinks returns next_page and previous_page urls for an offset page.
func offsetLinks(r *http.Request, base, path string, page, perPage, total int) (next, prev any) {
	mk := func(p int) string {
		v := r.URL.Query()
		v.Set("page", strconv.Itoa(p))
		v.Set("per_page", strconv.Itoa(perPage))
		return base + path + ".json?" + v.Encode()
	}
	if page*perPage < total {
		next = mk(page + 1)
	}
	if page > 1 {
		prev = mk(page - 1)
	}
	return next, prev
}
