// Command fuzz runs every fuzz target of the module in turn, each for
// -fuzztime. `go test -fuzz` takes one target of one package at a time,
// so this finds the targets (a line "func FuzzXxx(" in a _test.go file),
// builds each package's instrumented test binary once
// (`go test -c -fuzz . ./pkg`: linking one costs more than a short
// fuzz run) and runs it once per target, in the package's directory,
// as `go test -run '^$' -fuzz '^FuzzXxx$' -fuzztime T` would.
//
// The Makefile runs it through its go command, whose
// environment (the libmpv compatibility GOFLAGS and CGO_CFLAGS) the go
// commands started here inherit; $GO names the go binary (default
// "go"). `make test` gives each target a few seconds, `make fuzz` a
// minute (FUZZTIME). A failure leaves the failing input under the
// package's testdata/fuzz/FuzzXxx/, where it stays as a regression seed
// once committed. Every parser of untrusted input gets a target.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
)

var fuzzFunc = regexp.MustCompile(`^func (Fuzz[A-Za-z0-9_]*)\(\w+ \*testing\.F\)`)

// target is one fuzz function in one package directory.
type target struct {
	dir, name string
}

func main() {
	fuzztime := flag.String("fuzztime", "3s", "how long to fuzz each target (go test -fuzztime)")
	root := flag.String("root", ".", "module directory to search")
	match := flag.String("match", "", "run only targets whose name matches this regular expression")
	flag.Parse()
	only, err := regexp.Compile(*match)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fuzz: -match:", err)
		os.Exit(2)
	}
	targets, err := findTargets(*root)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fuzz:", err)
		os.Exit(1)
	}
	goCmd := os.Getenv("GO")
	if goCmd == "" {
		goCmd = "go"
	}
	cacheDir, err := exec.Command(goCmd, "env", "GOCACHE").Output()
	if err != nil {
		fmt.Fprintln(os.Stderr, "fuzz: go env GOCACHE:", err)
		os.Exit(1)
	}
	bin, err := os.MkdirTemp("", "fuzz-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "fuzz:", err)
		os.Exit(1)
	}
	defer os.RemoveAll(bin)
	r := runner{goCmd: goCmd, root: *root, bin: bin, fuzztime: *fuzztime,
		cacheDir: filepath.Join(strings.TrimSpace(string(cacheDir)), "fuzz")}
	var failed []string
	start := time.Now()
	ran := 0
	for _, t := range targets {
		if !only.MatchString(t.name) {
			continue
		}
		ran++
		if err := r.run(t); err != nil {
			fmt.Fprintf(os.Stderr, "fuzz: %s %s: %v\n", t.dir, t.name, err)
			failed = append(failed, "./"+filepath.ToSlash(t.dir)+" "+t.name)
		}
	}
	fmt.Printf("==> %d fuzz targets in %s\n", ran, time.Since(start).Round(time.Second))
	if ran == 0 {
		fmt.Fprintln(os.Stderr, "fuzz: no fuzz targets found")
		os.Exit(1)
	}
	if len(failed) > 0 {
		fmt.Fprintf(os.Stderr, "fuzz: %d failed (inputs under each package's testdata/fuzz/):\n  %s\n", len(failed), strings.Join(failed, "\n  "))
		os.Exit(1)
	}
}

// runner builds each package's fuzz binary once and runs its targets.
type runner struct {
	goCmd, root, bin, fuzztime, cacheDir string
	built                                map[string]string // package dir → binary
}

func (r *runner) run(t target) error {
	pkg := "./" + filepath.ToSlash(t.dir)
	exe, ok := r.built[t.dir]
	if !ok {
		exe = filepath.Join(r.bin, fmt.Sprintf("%d.test", len(r.built)))
		if r.built == nil {
			r.built = map[string]string{}
		}
		r.built[t.dir] = ""
		fmt.Printf("==> build %s\n", pkg)
		if err := r.command(r.root, r.goCmd, "test", "-c", "-fuzz", ".", "-o", exe, pkg); err != nil {
			return fmt.Errorf("build: %w", err)
		}
		r.built[t.dir] = exe
	}
	if exe == "" {
		return fmt.Errorf("%s did not build", pkg)
	}
	fmt.Printf("==> %s %s (%s)\n", pkg, t.name, r.fuzztime)
	// What go test passes: the fuzz cache is per import path, but any
	// stable directory per package serves.
	return r.command(filepath.Join(r.root, t.dir), exe, "-test.run", "^$", "-test.fuzz", "^"+t.name+"$",
		"-test.fuzztime", r.fuzztime, "-test.paniconexit0",
		"-test.fuzzcachedir", filepath.Join(r.cacheDir, "ipfs-tube", filepath.ToSlash(t.dir)))
}

func (r *runner) command(dir, name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	return cmd.Run()
}

// findTargets lists the fuzz functions under root, by package directory
// and name, in a stable order.
func findTargets(root string) ([]target, error) {
	var out []target
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if p != root && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" || name == "vendor") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, "_test.go") {
			return nil
		}
		names, err := fuzzNames(p)
		if err != nil {
			return err
		}
		dir, err := filepath.Rel(root, filepath.Dir(p))
		if err != nil {
			return err
		}
		for _, n := range names {
			out = append(out, target{dir: dir, name: n})
		}
		return nil
	})
	slices.SortFunc(out, func(a, b target) int {
		return strings.Compare(a.dir+" "+a.name, b.dir+" "+b.name)
	})
	return out, err
}

func fuzzNames(file string) ([]string, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var names []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		if m := fuzzFunc.FindStringSubmatch(sc.Text()); m != nil {
			names = append(names, m[1])
		}
	}
	return names, sc.Err()
}
