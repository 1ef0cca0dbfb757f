package vaultclient

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/cxgate/cxgate/pii"
)

// Tokenization on Vault transit.
//
// Each client has one encryption key, cxgate-<client>: aes256-gcm96,
// derived=true, convergent_encryption=true. The derivation context is the
// PII type's name ("EMAIL"), so Vault derives one key per (client, type) and
// equal (client, type, value) give equal ciphertexts within a key version;
// a token presented for another client or with its type text changed does
// not decrypt (AES-GCM authentication fails). The token text is
// pii.Token{Kind: pii.KindToken, Type, Version, Payload}: Version is the
// Vault key version from "vault:vN:", Payload the decoded ciphertext.
//
// Hashes (the `hash` field rule) use a second key per client,
// cxgate-<client>_hmac, of Vault type hmac, which `cxgate vault rotate`
// never rotates: a hash is a pseudonym that stays stable across retention
// rotations, while token equality spans one rotation period. The MAC input
// is "<TYPE>:<value>" ("EMAIL:alice@example.com"), so equal values of
// different types hash differently.
//
// Every method sends one batch_input request whatever the number of items
// and none for an empty slice. Per-item failures come back as a
// *pii.BatchError (by index) with the other items done; the result slice
// then has an empty entry at each failed index, never the input value.

// Tokenize returns one token per item, minted under the client's key.
func (c *Client) Tokenize(ctx context.Context, client string, items []pii.Item) ([]string, error) {
	if len(items) == 0 {
		return nil, nil
	}
	if err := ValidateClient(client); err != nil {
		return nil, err
	}
	if _, err := c.encKey(ctx, client); err != nil {
		return nil, err
	}
	return c.mint(ctx, mintSpec{
		op: "encrypt", path: c.cfg.TransitMount + "/encrypt/" + KeyName(client), kind: pii.KindToken,
		input: func(it pii.Item) map[string]string {
			return map[string]string{"plaintext": base64.StdEncoding.EncodeToString([]byte(it.Value)), "context": typeContext(it.Type)}
		},
		output: func(r batchResult) string { return r.Ciphertext },
	}, items)
}

// mintSpec is one of the two transit calls that turn items into text of
// cxgate's format: encrypt (tokens) and hmac (hashes).
type mintSpec struct {
	op, path string
	kind     pii.Kind
	extra    map[string]any // request members beside batch_input
	input    func(pii.Item) map[string]string
	output   func(batchResult) string
}

// mint sends every valid item in one batch_input call and formats each
// result; items Vault refuses come back by index in a *pii.BatchError.
func (c *Client) mint(ctx context.Context, m mintSpec, items []pii.Item) ([]string, error) {
	out := make([]string, len(items))
	var bad []pii.ItemError
	batch := make([]map[string]string, 0, len(items))
	idx := make([]int, 0, len(items))
	for i, it := range items {
		if err := checkItem(it); err != nil {
			bad = append(bad, pii.ItemError{Index: i, Err: err})
			continue
		}
		batch = append(batch, m.input(it))
		idx = append(idx, i)
	}
	if len(batch) > 0 {
		body := map[string]any{"batch_input": batch}
		for k, v := range m.extra {
			body[k] = v
		}
		res, err := c.batch(ctx, m.op, m.path, body, len(batch))
		if err != nil {
			return nil, err
		}
		for j, r := range res {
			i := idx[j]
			if r.Error != "" {
				bad = append(bad, pii.ItemError{Index: i, Err: fmt.Errorf("%w: %s: %s", ErrRejected, m.op, detail([]string{r.Error}))})
				continue
			}
			ver, payload, err := parseVaultText(m.output(r))
			if err != nil {
				bad = append(bad, pii.ItemError{Index: i, Err: fmt.Errorf("%w: %s: %w", ErrRejected, m.op, err)})
				continue
			}
			out[i] = pii.Token{Kind: m.kind, Type: items[i].Type, Version: ver, Payload: payload}.String()
		}
	}
	return out, batchError(bad)
}

// Detokenize returns the items the tokens stand for. A token that is not
// well formed, is a hash, or was minted for another client or PII type
// fails with pii.ErrInvalidToken; one whose key version was shredded by
// retention fails with pii.ErrExpired.
func (c *Client) Detokenize(ctx context.Context, client string, tokens []string) ([]pii.Item, error) {
	if len(tokens) == 0 {
		return nil, nil
	}
	if err := ValidateClient(client); err != nil {
		return nil, err
	}
	key := KeyName(client)
	info, err := c.encKey(ctx, client)
	if err != nil {
		return nil, err
	}
	out := make([]pii.Item, len(tokens))
	parsed := make([]pii.Token, len(tokens))
	var bad []pii.ItemError
	batch := make([]map[string]string, 0, len(tokens))
	idx := make([]int, 0, len(tokens))
	for i, s := range tokens {
		t, err := pii.ParseToken(s)
		switch {
		case err != nil:
			bad = append(bad, pii.ItemError{Index: i, Err: err})
			continue
		case t.Kind != pii.KindToken:
			bad = append(bad, pii.ItemError{Index: i, Err: fmt.Errorf("%w: a hash cannot be detokenized", pii.ErrInvalidToken)})
			continue
		case t.Version < info.MinDecryptionVersion:
			bad = append(bad, pii.ItemError{Index: i, Err: expired(t.Version, info.MinDecryptionVersion)})
			continue
		}
		parsed[i] = t
		batch = append(batch, map[string]string{
			"ciphertext": "vault:v" + strconv.Itoa(t.Version) + ":" + base64.StdEncoding.EncodeToString(t.Payload),
			"context":    typeContext(t.Type),
		})
		idx = append(idx, i)
	}
	if len(batch) > 0 {
		path := c.cfg.TransitMount + "/decrypt/" + key
		res, err := c.batch(ctx, "decrypt", path, map[string]any{"batch_input": batch}, len(batch))
		if err != nil {
			return nil, err
		}
		var failed []int
		for j, r := range res {
			i := idx[j]
			if r.Error != "" {
				failed = append(failed, i)
				continue
			}
			v, derr := base64.StdEncoding.DecodeString(r.Plaintext)
			if derr != nil {
				bad = append(bad, pii.ItemError{Index: i, Err: fmt.Errorf("%w: decrypt: Vault returned malformed plaintext", ErrRejected)})
				continue
			}
			out[i] = pii.Item{Type: parsed[i].Type, Value: string(v)}
		}
		if len(failed) > 0 {
			// Tell shredded from foreign tokens by the key's versions, read
			// fresh: another process may have rotated since we cached it.
			info, err := c.refreshKey(ctx, key)
			if err != nil {
				return nil, err
			}
			for _, i := range failed {
				v := parsed[i].Version
				switch {
				case v < info.MinDecryptionVersion:
					bad = append(bad, pii.ItemError{Index: i, Err: expired(v, info.MinDecryptionVersion)})
				case v > info.LatestVersion:
					bad = append(bad, pii.ItemError{Index: i, Err: fmt.Errorf("%w: key version %d does not exist for this client", pii.ErrInvalidToken, v)})
				default:
					bad = append(bad, pii.ItemError{Index: i, Err: fmt.Errorf("%w: it does not decrypt under this client's key (minted for another client or PII type, or altered)", pii.ErrInvalidToken)})
				}
			}
		}
	}
	return out, batchError(bad)
}

// HMAC returns one hash (cxh_...) per item: a stable one-way pseudonym.
func (c *Client) HMAC(ctx context.Context, client string, items []pii.Item) ([]string, error) {
	if len(items) == 0 {
		return nil, nil
	}
	if err := ValidateClient(client); err != nil {
		return nil, err
	}
	if _, err := c.hmacKey(ctx, client); err != nil {
		return nil, err
	}
	return c.mint(ctx, mintSpec{
		op: "hmac", path: c.cfg.TransitMount + "/hmac/" + HMACKeyName(client), kind: pii.KindHash,
		extra: map[string]any{"algorithm": "sha2-256"},
		input: func(it pii.Item) map[string]string {
			return map[string]string{"input": base64.StdEncoding.EncodeToString(hmacInput(it))}
		},
		output: func(r batchResult) string { return r.HMAC },
	}, items)
}

func checkItem(it pii.Item) error {
	if !it.Type.Valid() {
		return ErrUnknownType
	}
	if len(it.Value) > MaxValueLen {
		return fmt.Errorf("%w: %d bytes (at most %d)", ErrValueTooLong, len(it.Value), MaxValueLen)
	}
	return nil
}

// typeContext is the derivation context for a PII type: its name.
func typeContext(t pii.Type) string {
	return base64.StdEncoding.EncodeToString([]byte(t))
}

// hmacInput is "<TYPE>:<value>"; a type name never contains ':', so the
// encoding is unambiguous.
func hmacInput(it pii.Item) []byte {
	return []byte(string(it.Type) + ":" + it.Value)
}

func expired(v, min int) error {
	return fmt.Errorf("%w: key version %d is older than the client's retention allows (oldest usable version is %d)", pii.ErrExpired, v, min)
}

// parseVaultText reads "vault:v<N>:<base64>".
func parseVaultText(s string) (int, []byte, error) {
	rest, ok := strings.CutPrefix(s, "vault:v")
	if !ok {
		return 0, nil, errors.New("unexpected output format from Vault")
	}
	vs, b64, ok := strings.Cut(rest, ":")
	if !ok {
		return 0, nil, errors.New("unexpected output format from Vault")
	}
	v, err := strconv.Atoi(vs)
	if err != nil || v < 1 {
		return 0, nil, errors.New("unexpected key version from Vault")
	}
	p, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return 0, nil, errors.New("unexpected encoding from Vault")
	}
	return v, p, nil
}

// batchResult is one entry of batch_results.
type batchResult struct {
	Ciphertext string `json:"ciphertext"`
	Plaintext  string `json:"plaintext"`
	HMAC       string `json:"hmac"`
	Error      string `json:"error"`
}

// batch sends a batch_input request and returns exactly n results. Vault
// answers 400 when every item failed; the per-item results are still in
// the body, and are returned as such.
func (c *Client) batch(ctx context.Context, op, path string, body map[string]any, n int) ([]batchResult, error) {
	resp, err := c.call(ctx, op, http.MethodPut, path, body)
	var data struct {
		Results []batchResult `json:"batch_results"`
	}
	if resp != nil && len(resp.Data) > 0 && string(resp.Data) != "null" {
		if jerr := json.Unmarshal(resp.Data, &data); jerr != nil && err == nil {
			return nil, &Error{Op: op, Path: path, Status: resp.Status, Kind: ErrUnavailable, Detail: "unexpected answer from Vault"}
		}
	}
	if err != nil {
		var ve *Error
		if errors.As(err, &ve) && ve.Status == http.StatusBadRequest && len(data.Results) == n {
			return data.Results, nil
		}
		// The key may have gone since we checked it (rejected, or Vault
		// down, sealed or restarted with empty storage); check it again on
		// the next call rather than trusting the cache. Otherwise a token
		// allowed to create keys would have Vault upsert a missing key on
		// encrypt, with flags cxgate never checked.
		c.forgetKey(path[strings.LastIndex(path, "/")+1:])
		return nil, err
	}
	if len(data.Results) != n {
		return nil, &Error{Op: op, Path: path, Status: resp.Status, Kind: ErrUnavailable, Detail: fmt.Sprintf("Vault returned %d results for %d items", len(data.Results), n)}
	}
	return data.Results, nil
}
