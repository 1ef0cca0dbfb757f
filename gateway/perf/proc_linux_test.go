package perf

import (
	"syscall"
	"testing"
)

func TestReadProc(t *testing.T) {
	p, err := ReadProc(true)
	if err != nil {
		t.Fatal(err)
	}
	if p.RSS <= 0 || p.Goroutines <= 0 || p.HeapInuse == 0 || p.HeapAlloc == 0 {
		t.Errorf("implausible snapshot %+v", p)
	}
	// 64 MiB of fresh pages, touched, show in the resident set (mapped
	// outside the Go heap, which could reuse pages already resident).
	const size = 64 << 20
	mem, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = syscall.Munmap(mem) }()
	for i := 0; i < size; i += 4096 {
		mem[i] = 1
	}
	q, err := ReadProc(false)
	if err != nil {
		t.Fatal(err)
	}
	if q.RSS < p.RSS+size/2 {
		t.Errorf("RSS %s with 64 MiB more touched, %s before", MiB(q.RSS), MiB(p.RSS))
	}
}
