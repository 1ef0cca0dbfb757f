package scopes

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// File is one scope file's name (as shown in diagnostics) and content.
type File struct {
	Name string
	Data []byte
}

// MaxFileSize bounds one scope file; real ones are a few kilobytes.
const MaxFileSize = 4 << 20

// ReadPaths reads the scope files named by paths: files as given, folders
// searched recursively for *.yaml and *.yml (hidden entries skipped), in a
// stable order, each file once. Errors name the path that could not be
// read; a folder without scope files is an error too.
func ReadPaths(paths []string) ([]File, error) {
	if len(paths) == 0 {
		return nil, fmt.Errorf("no scope paths given")
	}
	var names []string
	seen := map[string]bool{}
	add := func(p string) {
		key := filepath.Clean(p)
		if abs, err := filepath.Abs(p); err == nil {
			key = abs
		}
		if !seen[key] {
			seen[key] = true
			names = append(names, p)
		}
	}
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("cannot read %s: %w", p, unwrapPath(err))
		}
		if !info.IsDir() {
			add(p)
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			name := d.Name()
			if path != p && strings.HasPrefix(name, ".") {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if !d.IsDir() && (strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml")) {
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				return nil, fmt.Errorf("cannot read %s: %w", pe.Path, pe.Err)
			}
			return nil, fmt.Errorf("cannot read %s: %w", p, err)
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("no scope files (*.yaml, *.yml) in %s", p)
		}
		sort.Strings(found)
		for _, f := range found {
			add(f)
		}
	}
	files := make([]File, 0, len(names))
	for _, n := range names {
		data, err := readLimited(n)
		if err != nil {
			return nil, err
		}
		files = append(files, File{Name: n, Data: data})
	}
	return files, nil
}

func readLimited(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", name, unwrapPath(err))
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", name, unwrapPath(err))
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("cannot read %s: not a regular file", name)
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", name, unwrapPath(err))
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("cannot read %s: larger than %d bytes; scope files are small", name, MaxFileSize)
	}
	return data, nil
}

// unwrapPath drops the *fs.PathError wrapper (whose text repeats the path)
// so messages name the path once.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
