// Command reststore is the Go baseline for goc's reststore server
// (patterns/reststore/reststore_main.c), workload W11: the users REST API
// as the Go tutorials build it, on net/http with a map guarded by a
// sync.RWMutex and an id counter under the same lock, encoding/json for
// bodies and answers.
//
// The same API, statuses and error bodies as the C server for the requests
// a load generator sends, so that both do the same work: GET/POST /users
// (the list ordered by id), GET/PUT/DELETE /users/{id}, GET /health; 400
// invalid JSON / name and email required / invalid user ID, 404, 405 with
// Allow, 413 over --max-body (http.MaxBytesReader); an X-Request-Id header
// (a decimal counter from 1) on every answer, as the C server sends. It is
// the tutorial's design, not a hardened server: no rate limiting, no idle
// timeout beyond net/http's defaults. Where encoding/json differs from the
// C server's strict parser and writer, the answers differ:
//   - duplicate keys: accepted (the last one wins); C answers 400;
//   - invalid UTF-8 in a string: replaced by U+FFFD and accepted; C: 400;
//   - \u0000 in a string: accepted; C: 400 (a C string cannot hold it);
//   - a body of just null: 400 name and email required (it decodes to an
//     empty userInput); C: 400 invalid JSON (the top level must be an object);
//   - every JSON answer ends with a newline (json.Encoder); C's do not;
//   - <, > and & in names and emails are written as \u003c, \u003e,
//     \u0026 (json.Encoder's HTML escaping); C writes them as they are.
//
// The same command line where it applies (--host, --port, --store rwlock,
// --max-body, --threads as GOMAXPROCS, --log, --users) and the same first line on
// stdout, "listening on http://HOST:PORT". SIGINT or SIGTERM shut it down
// gracefully (http.Server.Shutdown, bounded at 5 s); exit 0. Only the
// standard library is used, and nothing newer than Go 1.19.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// User is one stored user.
type User struct {
	ID    int    `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

// userInput is what a create or replace body may carry; an id is ignored.
type userInput struct {
	Name  *string `json:"name"`
	Email *string `json:"email"`
}

// Store is the tutorial's store: a map and the next id behind one RWMutex.
type Store struct {
	mu     sync.RWMutex
	users  map[int]User
	nextID int
}

func newStore() *Store {
	return &Store{users: make(map[int]User), nextID: 1}
}

type server struct {
	store   *Store
	maxBody int64
}

func writeJSON(w http.ResponseWriter, status int, v interface{}) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

func methodNotAllowed(w http.ResponseWriter, allow string) {
	w.Header().Set("Allow", allow)
	writeError(w, http.StatusMethodNotAllowed, "method not allowed")
}

// decodeUser reads a body into name and email, answering 400 or 413 itself.
func (s *server) decodeUser(w http.ResponseWriter, r *http.Request) (string, string, bool) {
	r.Body = http.MaxBytesReader(w, r.Body, s.maxBody)
	dec := json.NewDecoder(r.Body)
	var in userInput
	if err := dec.Decode(&in); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, "request body too large")
		} else {
			writeError(w, http.StatusBadRequest, "invalid JSON")
		}
		return "", "", false
	}
	if _, err := dec.Token(); err != io.EOF {
		writeError(w, http.StatusBadRequest, "invalid JSON")
		return "", "", false
	}
	if in.Name == nil || in.Email == nil || *in.Name == "" || *in.Email == "" {
		writeError(w, http.StatusBadRequest, "name and email required")
		return "", "", false
	}
	return *in.Name, *in.Email, true
}

func (s *server) users(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		s.store.mu.RLock()
		list := make([]User, 0, len(s.store.users))
		for _, u := range s.store.users {
			list = append(list, u)
		}
		s.store.mu.RUnlock()
		sort.Slice(list, func(i, j int) bool { return list[i].ID < list[j].ID })
		writeJSON(w, http.StatusOK, list)
	case http.MethodPost:
		name, email, ok := s.decodeUser(w, r)
		if !ok {
			return
		}
		s.store.mu.Lock()
		u := User{ID: s.store.nextID, Name: name, Email: email}
		s.store.nextID++
		s.store.users[u.ID] = u
		s.store.mu.Unlock()
		writeJSON(w, http.StatusCreated, u)
	default:
		methodNotAllowed(w, "GET, HEAD, POST")
	}
}

// parseID accepts digits only (no sign, space or dot) that fit an int.
func parseID(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	id, err := strconv.Atoi(s)
	return id, err == nil
}

func (s *server) user(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, "/users/")
	if strings.Contains(rest, "/") {
		writeError(w, http.StatusNotFound, "not found")
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete:
	default:
		methodNotAllowed(w, "GET, HEAD, PUT, DELETE")
		return
	}
	id, ok := parseID(rest)
	if !ok {
		writeError(w, http.StatusBadRequest, "invalid user ID")
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		s.store.mu.RLock()
		u, found := s.store.users[id]
		s.store.mu.RUnlock()
		if !found {
			writeError(w, http.StatusNotFound, "user not found")
			return
		}
		writeJSON(w, http.StatusOK, u)
	case http.MethodPut:
		name, email, ok := s.decodeUser(w, r)
		if !ok {
			return
		}
		s.store.mu.Lock()
		_, found := s.store.users[id]
		u := User{ID: id, Name: name, Email: email}
		if found {
			s.store.users[id] = u
		}
		s.store.mu.Unlock()
		if !found {
			writeError(w, http.StatusNotFound, "user not found")
			return
		}
		writeJSON(w, http.StatusOK, u)
	case http.MethodDelete:
		s.store.mu.Lock()
		_, found := s.store.users[id]
		delete(s.store.users, id)
		s.store.mu.Unlock()
		if !found {
			writeError(w, http.StatusNotFound, "user not found")
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

func (s *server) health(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		methodNotAllowed(w, "GET, HEAD")
		return
	}
	s.store.mu.RLock()
	n := len(s.store.users)
	s.store.mu.RUnlock()
	writeJSON(w, http.StatusOK, map[string]interface{}{"status": "ok", "users": n})
}

// statusWriter remembers the status and bytes of an answer, for --log.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(status int) {
	w.status = status
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

// requestID gives every answer an X-Request-Id: 1, 2, 3, ... in the order
// requests arrive, as the C server numbers them. The access log reads it
// back from the answer's header, so the request is not copied for it.
func requestID(next http.Handler) http.Handler {
	var last uint64
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-Id", strconv.FormatUint(atomic.AddUint64(&last, 1), 10))
		next.ServeHTTP(w, r)
	})
}

func accessLog(next http.Handler) http.Handler {
	logger := log.New(os.Stderr, "", 0)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		rid, _ := strconv.ParseUint(w.Header().Get("X-Request-Id"), 10, 64)
		line, _ := json.Marshal(map[string]interface{}{
			"ts": float64(time.Now().UnixNano()) / 1e9, "rid": rid,
			"method": r.Method, "path": r.URL.Path,
			"status": sw.status, "bytes": sw.bytes,
			"duration_us": float64(time.Since(start).Nanoseconds()) / 1e3,
		})
		logger.Println(string(line))
	})
}

func usageError(format string, a ...interface{}) {
	fmt.Fprintf(os.Stderr, "reststore: "+format+"\n", a...)
	os.Exit(2)
}

func main() {
	fs := flag.NewFlagSet("reststore", flag.ContinueOnError)
	host := fs.String("host", "127.0.0.1", "address to listen on")
	port := fs.Int("port", 8080, "port (0 picks a free one)")
	store := fs.String("store", "rwlock", "the store design (the Go twin has rwlock only)")
	maxBody := fs.Int64("max-body", 64*1024, "largest request body, below 1048576")
	threads := fs.Int("threads", 0, "GOMAXPROCS (0: the number of CPUs)")
	logOn := fs.Bool("log", false, "one JSON access log line per request, to stderr")
	users := fs.Int("users", 0, "start with N users, 1..N, named 'user K' <userK@example.com>, for benchmarks")
	fs.SetOutput(os.Stderr)
	if err := fs.Parse(os.Args[1:]); err != nil {
		if err == flag.ErrHelp {
			os.Exit(0)
		}
		os.Exit(2)
	}
	if fs.NArg() > 0 {
		usageError("unexpected argument '%s'", fs.Arg(0))
	}
	if *store != "rwlock" {
		usageError("--store: unknown value '%s' (the Go twin has rwlock only)", *store)
	}
	if *port < 0 || *port > 65535 {
		usageError("--port: %d is out of range", *port)
	}
	if *maxBody < 1 || *maxBody >= 1<<20 {
		usageError("--max-body: %d is out of range", *maxBody)
	}
	if *users < 0 || *users > 10000000 {
		usageError("--users: %d is out of range (0..10000000)", *users)
	}
	if *threads < 0 {
		usageError("--threads: %d is out of range", *threads)
	}
	if *threads > 0 {
		runtime.GOMAXPROCS(*threads)
	}

	s := &server{store: newStore(), maxBody: *maxBody}
	for k := 1; k <= *users; k++ {
		s.store.users[k] = User{ID: k, Name: fmt.Sprintf("user %d", k), Email: fmt.Sprintf("user%d@example.com", k)}
	}
	s.store.nextID = *users + 1
	mux := http.NewServeMux()
	mux.HandleFunc("/users", s.users)
	mux.HandleFunc("/users/", s.user)
	mux.HandleFunc("/health", s.health)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not found")
	})
	var handler http.Handler = mux
	if *logOn {
		handler = accessLog(handler)
	}
	handler = requestID(handler)

	ln, err := net.Listen("tcp", net.JoinHostPort(*host, strconv.Itoa(*port)))
	if err != nil {
		fmt.Fprintf(os.Stderr, "reststore: cannot listen: %v\n", err)
		os.Exit(1)
	}
	addr := ln.Addr().(*net.TCPAddr)
	fmt.Printf("listening on http://%s\n", net.JoinHostPort(*host, strconv.Itoa(addr.Port)))

	srv := &http.Server{Handler: handler}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		fmt.Fprintf(os.Stderr, "reststore: %v\n", err)
		os.Exit(1)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		srv.Close()
	}
}
