package djimport_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"notechondria-auth/api"
	"notechondria-auth/app"
	"notechondria-auth/db"
	"notechondria-auth/password"
)

// server is the HTTP API on an imported target, a minute after the import.
type server struct {
	t   *testing.T
	url string
}

func serve(t *testing.T, store *db.DB) *server {
	t.Helper()
	now := func() time.Time { return importTime.Add(time.Minute) }
	core, err := app.NewCore(t.Context(), store, app.DefaultConfig(), app.Options{Logger: zerolog.Nop(), Now: now})
	if err != nil {
		t.Fatal(err)
	}
	hasher := password.New(2, password.WithParams(password.Params{Time: 1, MemoryKiB: 64, Threads: 1}))
	srv, err := api.New(context.Background(), core, api.DefaultConfig(), api.Options{Logger: zerolog.Nop(), Hasher: hasher})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return &server{t: t, url: hs.URL}
}

// do sends a JSON request to /api/v1/path and decodes the answer.
func (s *server) do(method, path, auth string, body any) (int, map[string]any) {
	s.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, s.url+"/api/v1/"+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// A device signed in on Django stays signed in after the switch: its
// token authenticates, lists its session and works for settings; dead
// sessions and accounts that were not imported are refused as before.
func TestImport_Signin_SessionsKeepWorking(t *testing.T) {
	f := newFixture(t, 1000)
	store := newTarget(t)
	runImport(t, f.dj.URL, store, false)
	s := serve(t, store)

	st, probe := s.do("GET", "auth/session/", "Token "+f.aliceKey, nil)
	user, _ := probe["user"].(map[string]any)
	if st != 200 || probe["authenticated"] != true || probe["token"] != f.aliceKey || user["username"] != "alice" ||
		user["email"] != "alice@example.com" || user["motto"] != "curiouser" || probe["other_sessions_count"] != 0.0 {
		t.Fatalf("probe: %d %v", st, probe)
	}
	st, list := s.do("GET", "auth/sessions/", "Token "+f.aliceKey, nil)
	rows, _ := list["sessions"].([]any)
	if st != 200 || len(rows) != 1 {
		t.Fatalf("sessions: %d %v", st, list)
	}
	row := rows[0].(map[string]any)
	if row["device_label"] != "Mac" || row["ip_hash_prefix"] != "" || row["is_current"] != true ||
		row["created_at"] != "2026-02-28T12:00:00.654321+00:00" {
		t.Errorf("session row: %v", row)
	}
	if st, _ := s.do("GET", "auth/session/", "Token "+f.bobKey, nil); st != 200 {
		t.Errorf("bob's token: %d", st)
	}

	// The MCP API key, by its imported hash; a disabled account's key says
	// so, as in the original.
	st, settings := s.do("GET", "settings/", "Bearer "+f.aliceAPI, nil)
	if st != 200 || settings["api_key_prefix"] != f.aliceAPI[:8] || settings["theme_preset"] != "ocean" {
		t.Errorf("settings with the API key: %d %v", st, settings)
	}
	if st, body := s.do("GET", "settings/", "Bearer "+f.daveAPI, nil); st != 401 || body["detail"] != "User account is disabled." {
		t.Errorf("dave's API key: %d %v", st, body)
	}

	for name, key := range map[string]string{"revoked": f.aliceRevoked, "idle": f.aliceIdle, "too old": f.aliceOld,
		"disabled account": f.daveKey, "account not imported": f.upperKey} {
		if st, body := s.do("GET", "auth/sessions/", "Token "+key, nil); st != 401 || body["detail"] != "Invalid token." {
			t.Errorf("%s session: %d %v", name, st, body)
		}
	}

	// Logout works on an imported session like on any other.
	if st, _ := s.do("POST", "auth/logout/", "Token "+f.aliceKey, nil); st != 204 {
		t.Fatalf("logout: %d", st)
	}
	if _, probe := s.do("GET", "auth/session/", "Token "+f.aliceKey, nil); probe["authenticated"] != false {
		t.Errorf("after logout: %v", probe)
	}
}

// A Django password (pbkdf2_sha256, 600000 iterations as Django 4.2 makes
// them) signs in, and the sign-in replaces it with argon2id; the new hash
// signs in too. Unusable and pending accounts still cannot sign in.
func TestImport_Signin_DjangoPasswordIsUpgraded(t *testing.T) {
	f := newFixture(t, 600_000)
	store := newTarget(t)
	runImport(t, f.dj.URL, store, false)
	s := serve(t, store)
	ctx := t.Context()

	login := func(ident, pw string) (int, map[string]any) {
		return s.do("POST", "auth/login/", "", map[string]string{"identifier": ident, "password": pw})
	}
	if st, body := login("alice", "Alice-pw-2"); st != 400 {
		t.Fatalf("wrong password: %d %v", st, body)
	}
	if u, _ := store.UserByUsername(ctx, "alice"); !strings.HasPrefix(u.Password, "pbkdf2_sha256$600000$") {
		t.Fatalf("a failed sign-in changed the hash: %q", u.Password)
	}
	st, body := login("Alice@Example.com", f.alicePW)
	if st != 200 || body["token"] == nil {
		t.Fatalf("sign-in with the Django password: %d %v", st, body)
	}
	u, _ := store.UserByUsername(ctx, "alice")
	if !strings.HasPrefix(u.Password, "$argon2id$") {
		t.Fatalf("not upgraded: %q", u.Password)
	}
	if st, _ := s.do("GET", "auth/session/", "Token "+f.aliceKey, nil); st != 200 {
		t.Errorf("the upgrade signed the old device out: %d", st)
	}
	if st, body := login("alice", f.alicePW); st != 200 || body["other_sessions_count"] != 2.0 {
		t.Fatalf("sign-in with the argon2id hash: %d %v", st, body)
	}
	if st, _ := login("bob", f.bobPW); st != 200 {
		t.Errorf("bob: %d", st)
	}
	// The unusable marker itself is no password, nor is it after the "!".
	erin, _ := store.UserByUsername(ctx, "erin")
	for _, c := range [][2]string{{"erin", erin.Password}, {"erin", erin.Password[1:]}, {"carol", "Carol-pw-3"},
		{"dave", "Dave-pw-4"}} {
		if st, body := login(c[0], c[1]); st != 400 {
			t.Errorf("%s: %d %v", c[0], st, body)
		}
	}
}
