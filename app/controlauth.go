package main

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// How a CLI command knows it talks to the repo's holder and not to
// whoever listens on the port api.json names (a holder killed without
// cleaning up leaves api.json behind, and another local user may bind its
// port): before a connection carries the bearer token, the client sends a
// random challenge in a hello request and the server answers with an HMAC
// of it, keyed by the token and bound to the address the client dialled.
// Only a process that read the token file can answer, and answers cannot
// be relayed from a holder listening elsewhere. The proof is per
// connection, made in the dialer, so the token never travels on a
// connection that has not given it.
const (
	helloOp         = "hello"
	challengeHeader = "Ipfs-Tube-Challenge"
	proofHeader     = "Ipfs-Tube-Proof"
	proofContext    = "ipfs-tube control API server proof v1"
	// helloTimeout bounds the hello exchange: a silent listener must not
	// hold a command past it.
	helloTimeout = 10 * time.Second
)

// errNotHolder means the process at api.json's address could not prove it
// knows the repo's token: a stale api.json whose port another program now
// owns. Commands then behave as if no holder served the API.
var errNotHolder = errors.New("the process at the control API's address is not this repo's holder")

// errUnsafeToken means the token file could be read or changed by other
// users; it is not used (the holder writes a fresh one when it starts).
var errUnsafeToken = errors.New("unsafe control API token file")

// holderProof is what a holder that knows token answers to challenge on
// the connection to addr.
func holderProof(token, addr, challenge string) string {
	mac := hmac.New(sha256.New, []byte(token))
	io.WriteString(mac, proofContext+"\x00"+addr+"\x00"+challenge)
	return hex.EncodeToString(mac.Sum(nil))
}

// serveHello answers a client's challenge; it needs no token.
func (s *controlServer) serveHello(w http.ResponseWriter, r *http.Request) {
	challenge := r.Header.Get(challengeHeader)
	if raw, err := hex.DecodeString(challenge); err != nil || len(raw) != 32 {
		http.Error(w, "bad challenge", http.StatusBadRequest)
		return
	}
	local, _ := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if local == nil {
		http.Error(w, "no local address", http.StatusInternalServerError)
		return
	}
	w.Header().Set(proofHeader, holderProof(s.token, local.String(), challenge))
	w.WriteHeader(http.StatusNoContent)
}

// dialHolder dials the control API and has the server prove it holds the
// token before the connection is handed to the HTTP client.
func dialHolder(token string) func(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		if err := proveHolder(ctx, conn, addr, token); err != nil {
			conn.Close()
			return nil, err
		}
		return conn, nil
	}
}

// proveHolder runs the hello exchange on conn.
func proveHolder(ctx context.Context, conn net.Conn, addr, token string) error {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return fmt.Errorf("hello: %w", err)
	}
	challenge := hex.EncodeToString(raw)
	deadline := time.Now().Add(helloTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	conn.SetDeadline(deadline)
	defer conn.SetDeadline(time.Time{})
	req, err := http.NewRequest(http.MethodGet, "http://"+addr+apiPrefix+helloOp, nil)
	if err != nil {
		return fmt.Errorf("hello: %w", err)
	}
	req.Header.Set(challengeHeader, challenge)
	if err := req.Write(conn); err != nil {
		return fmt.Errorf("hello: %w", err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		return fmt.Errorf("hello %s: %w: %w", addr, errNotHolder, err)
	}
	resp.Body.Close()
	want := holderProof(token, addr, challenge)
	if resp.StatusCode != http.StatusNoContent || !hmac.Equal([]byte(resp.Header.Get(proofHeader)), []byte(want)) {
		return fmt.Errorf("hello %s: %w", addr, errNotHolder)
	}
	// The connection goes on to the HTTP client: nothing may be left
	// half-read in our buffer.
	if br.Buffered() > 0 || resp.Close {
		return fmt.Errorf("hello %s: %w: unexpected data after the answer", addr, errNotHolder)
	}
	return nil
}

// newToken makes the token of one run of a holder and writes it, mode
// 0600, replacing any older one: a token lives no longer than the process
// that serves it, and a file someone loosened is never reused.
func newToken(repo string) (string, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("new token: %w", err)
	}
	token := hex.EncodeToString(raw)
	if err := writeFileAtomic(filepath.Join(repo, apiTokenFile), []byte(token+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("new token: %w", err)
	}
	return token, nil
}

// readToken reads the holder's token, refusing a file other users could
// read or write (they could have taken or replaced the token).
func readToken(repo string) (string, error) {
	path := filepath.Join(repo, apiTokenFile)
	fi, err := os.Lstat(path)
	if err != nil {
		return "", err
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("%w: %s is not a regular file", errUnsafeToken, path)
	}
	// Windows reports no group or other bits; the repo's ACL protects it.
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("%w: %s has mode %04o, so other users may have read it; it is not used. "+
			"Restart the process holding the repo to get a fresh token (mode 0600)", errUnsafeToken, path, fi.Mode().Perm())
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	tok := strings.TrimSpace(string(raw))
	if len(tok) < 32 {
		return "", fmt.Errorf("%w: %s is too short", errUnsafeToken, path)
	}
	return tok, nil
}
