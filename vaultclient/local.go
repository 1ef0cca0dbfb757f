package vaultclient

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/cxgate/cxgate/pii"
)

// Local is a tokenizer without Vault, for `cxgate dev` and for tests of its
// callers. It has Client's three methods and the same token format, and is
// deterministic the same way: equal (client, type, value) give equal tokens.
//
// Construction (AES-SIV style, key version always 1):
//
//	k_enc || k_mac = HKDF-SHA256(master, info = "cxgate local token v1\x00" client "\x00" TYPE), 64 bytes
//	iv      = HMAC-SHA256(k_mac, value)[:16]          synthetic IV: deterministic, and the MAC
//	payload = iv || AES-256-CTR(k_enc, iv, value)
//
// Detokenize decrypts and recomputes the IV; a mismatch (another client,
// another type, an altered payload) is pii.ErrInvalidToken. Hashes are
// HMAC-SHA256(HKDF(master, "cxgate local hash v1\x00" client), "TYPE:value").
//
// It has no retention (no shredding) and its key lives in a file or only in
// the process. `cxgate serve` refuses it unless the config says
// `tokenizer: local`, and then warns at every start.
type Local struct {
	master [32]byte

	mu   sync.Mutex
	keys map[string][]byte // derived keys by info string
}

// LocalKeySize is the master key size in bytes.
const LocalKeySize = 32

// localVersion is the only key version a Local tokenizer mints.
const localVersion = 1

// NewLocal returns a local tokenizer under a 32-byte master key.
func NewLocal(key []byte) (*Local, error) {
	if len(key) != LocalKeySize {
		return nil, fmt.Errorf("local tokenizer key must be %d bytes, got %d", LocalKeySize, len(key))
	}
	l := &Local{keys: map[string][]byte{}}
	copy(l.master[:], key)
	return l, nil
}

// NewLocalRandom returns a local tokenizer under a key generated for this
// process only: its tokens mean nothing after a restart.
func NewLocalRandom() (*Local, error) {
	key := make([]byte, LocalKeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	return NewLocal(key)
}

// ReadLocalKey reads a master key file: 32 raw bytes, or their base64 or hex
// text (surrounding whitespace ignored).
func ReadLocalKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b) == LocalKeySize {
		return b, nil
	}
	t := strings.TrimSpace(string(b))
	if k, err := base64.StdEncoding.DecodeString(t); err == nil && len(k) == LocalKeySize {
		return k, nil
	}
	if k, err := hex.DecodeString(t); err == nil && len(k) == LocalKeySize {
		return k, nil
	}
	return nil, fmt.Errorf("%s: want %d bytes, raw or as base64 or hex text", path, LocalKeySize)
}

// WriteLocalKey creates path (mode 0600) with a new random key in base64
// and returns the key. It refuses to overwrite an existing file.
func WriteLocalKey(path string) ([]byte, error) {
	key := make([]byte, LocalKeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	if _, err := f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n"); err != nil {
		_ = f.Close()
		return nil, err
	}
	return key, f.Close()
}

func (l *Local) derive(info string, n int) ([]byte, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if k, ok := l.keys[info]; ok {
		return k, nil
	}
	k, err := hkdf.Key(sha256.New, l.master[:], nil, info, n)
	if err != nil {
		return nil, err
	}
	l.keys[info] = k
	return k, nil
}

func (l *Local) tokenKeys(client string, t pii.Type) (enc, mac []byte, err error) {
	k, err := l.derive("cxgate local token v1\x00"+client+"\x00"+string(t), 64)
	if err != nil {
		return nil, nil, err
	}
	return k[:32], k[32:], nil
}

func syntheticIV(mac []byte, value []byte) []byte {
	h := hmac.New(sha256.New, mac)
	h.Write(value)
	return h.Sum(nil)[:aes.BlockSize]
}

func ctr(key, iv, in []byte) ([]byte, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	out := make([]byte, len(in))
	cipher.NewCTR(b, iv).XORKeyStream(out, in)
	return out, nil
}

func localStart(ctx context.Context, client string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return ValidateClient(client)
}

// Tokenize returns one token per item (see Client.Tokenize).
func (l *Local) Tokenize(ctx context.Context, client string, items []pii.Item) ([]string, error) {
	if len(items) == 0 {
		return nil, nil
	}
	if err := localStart(ctx, client); err != nil {
		return nil, err
	}
	out := make([]string, len(items))
	var bad []pii.ItemError
	for i, it := range items {
		if err := checkItem(it); err != nil {
			bad = append(bad, pii.ItemError{Index: i, Err: err})
			continue
		}
		enc, mac, err := l.tokenKeys(client, it.Type)
		if err != nil {
			return nil, err
		}
		iv := syntheticIV(mac, []byte(it.Value))
		ct, err := ctr(enc, iv, []byte(it.Value))
		if err != nil {
			return nil, err
		}
		out[i] = pii.Token{Kind: pii.KindToken, Type: it.Type, Version: localVersion, Payload: append(iv, ct...)}.String()
	}
	return out, batchError(bad)
}

// Detokenize returns the items the tokens stand for (see Client.Detokenize).
func (l *Local) Detokenize(ctx context.Context, client string, tokens []string) ([]pii.Item, error) {
	if len(tokens) == 0 {
		return nil, nil
	}
	if err := localStart(ctx, client); err != nil {
		return nil, err
	}
	out := make([]pii.Item, len(tokens))
	var bad []pii.ItemError
	for i, s := range tokens {
		v, err := l.open(client, s)
		if err != nil {
			bad = append(bad, pii.ItemError{Index: i, Err: err})
			continue
		}
		out[i] = v
	}
	return out, batchError(bad)
}

var errForeign = fmt.Errorf("%w: it does not decrypt under this client's key (minted for another client or PII type, or altered)", pii.ErrInvalidToken)

func (l *Local) open(client, s string) (pii.Item, error) {
	t, err := pii.ParseToken(s)
	switch {
	case err != nil:
		return pii.Item{}, err
	case t.Kind != pii.KindToken:
		return pii.Item{}, fmt.Errorf("%w: a hash cannot be detokenized", pii.ErrInvalidToken)
	case t.Version != localVersion:
		return pii.Item{}, fmt.Errorf("%w: key version %d does not exist for this client", pii.ErrInvalidToken, t.Version)
	case len(t.Payload) < aes.BlockSize:
		return pii.Item{}, errForeign
	}
	enc, mac, err := l.tokenKeys(client, t.Type)
	if err != nil {
		return pii.Item{}, err
	}
	iv, ct := t.Payload[:aes.BlockSize], t.Payload[aes.BlockSize:]
	pt, err := ctr(enc, iv, ct)
	if err != nil {
		return pii.Item{}, err
	}
	if subtle.ConstantTimeCompare(iv, syntheticIV(mac, pt)) != 1 {
		return pii.Item{}, errForeign
	}
	return pii.Item{Type: t.Type, Value: string(pt)}, nil
}

// HMAC returns one hash per item (see Client.HMAC).
func (l *Local) HMAC(ctx context.Context, client string, items []pii.Item) ([]string, error) {
	if len(items) == 0 {
		return nil, nil
	}
	if err := localStart(ctx, client); err != nil {
		return nil, err
	}
	key, err := l.derive("cxgate local hash v1\x00"+client, 32)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(items))
	var bad []pii.ItemError
	for i, it := range items {
		if err := checkItem(it); err != nil {
			bad = append(bad, pii.ItemError{Index: i, Err: err})
			continue
		}
		h := hmac.New(sha256.New, key)
		h.Write(hmacInput(it))
		out[i] = pii.Token{Kind: pii.KindHash, Type: it.Type, Version: localVersion, Payload: h.Sum(nil)}.String()
	}
	return out, batchError(bad)
}
