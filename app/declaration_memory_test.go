package app_test

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"careconnect/app/apptest"
	"careconnect/domain"
)

// TestDeclarationScreenshotBombMemory: a decompression bomb (a 6320x6320
// 16-bit RGBA PNG: about 300 KB on the wire, 319 MB once decoded, under
// the old 40-megapixel cap) is refused with a field error on screenshot,
// and six of them in parallel leave the API's peak memory within 100 MB of
// its baseline.
//
// Peak memory is only honest in a process of its own, so the test starts
// the real `careconnect api` binary against this test's database and
// Temporal, and reads its VmHWM (peak resident set) from /proc before and
// after the bombs.
func TestDeclarationScreenshotBombMemory(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads the API process's peak memory from /proc")
	}
	env := apptest.Start(t, nil)
	admin := mustSignInAdmin(t, env)
	c := env.Checked()
	id := mustRegisterChecked(t, c, registration())
	_, token := apptest.DeclarationLink(t, waitMail(t, env, admin, id))
	waitStateChecked(t, c, id, domain.WorksiteAwaitingDeclaration)

	bomb := pngBomb(t, 6320, 6320)
	if len(bomb) > int(env.Config.Uploads.MaxScreenshotBytes) {
		t.Fatalf("bomb is %d bytes; want it under the upload limit", len(bomb))
	}
	t.Logf("bomb: %d bytes for 6320x6320x8 = %d MB decoded", len(bomb), 6320*6320*8>>20)

	base, pid := startAPIProcess(t, env)
	// One form read first, so the baseline is of a process that has served.
	if res := getURL(t, base+"/api/v1/declarations/"+token); res.Status != http.StatusOK {
		t.Fatalf("GET the declaration form from the API process: %d %s", res.Status, res.Body)
	}
	before := peakRSS(t, pid)

	const parallel = 6
	d := apptest.ValidDeclaration(t)
	d.File = bomb
	body, ct := d.Multipart(t)
	results := make([]apptest.Response, parallel)
	var wg sync.WaitGroup
	for i := range parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = postURL(t, base+"/api/v1/declarations/"+token, ct, body)
		}()
	}
	wg.Wait()
	after := peakRSS(t, pid)

	for i, res := range results {
		t.Run(fmt.Sprintf("bomb %d", i+1), func(t *testing.T) {
			e := mustErrorBody(t, res, http.StatusBadRequest, domain.EINVALID, "screenshot")
			t.Logf("refused: %s", e.Fields["screenshot"])
		})
	}
	grew := after - before
	t.Logf("API process peak RSS: %d MB before, %d MB after %d bombs in parallel", before>>20, after>>20, parallel)
	if grew >= 100<<20 {
		t.Errorf("peak RSS grew by %d MB (from %d MB to %d MB); want under 100 MB", grew>>20, before>>20, after>>20)
	}
	if _, err := env.Store.GetDeclaration(context.Background(), id); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("stored declaration: err = %v; want not found", err)
	}
}

// pngBomb returns a w x h 16-bit RGBA PNG of transparent black pixels,
// written row by row so that the test never holds the decoded image:
// zeros deflate about a thousandfold.
func pngBomb(t *testing.T, w, h int) []byte {
	t.Helper()
	var idat bytes.Buffer
	z, err := zlib.NewWriterLevel(&idat, zlib.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	row := make([]byte, 1+w*8) // filter type 0, then 8 bytes a pixel
	for range h {
		if _, err := z.Write(row); err != nil {
			t.Fatal(err)
		}
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	ihdr[8], ihdr[9] = 16, 6 // bit depth 16, colour type RGBA; compression, filter, interlace 0
	out := bytes.NewBufferString(pngSignature)
	for _, ch := range []struct {
		typ  string
		data []byte
	}{{"IHDR", ihdr}, {"IDAT", idat.Bytes()}, {"IEND", nil}} {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(ch.data)))
		out.Write(n[:])
		crc := crc32.NewIEEE()
		io.WriteString(crc, ch.typ)
		crc.Write(ch.data)
		out.WriteString(ch.typ)
		out.Write(ch.data)
		binary.BigEndian.PutUint32(n[:], crc.Sum32())
		out.Write(n[:])
	}
	return out.Bytes()
}

// startAPIProcess builds cmd/careconnect and runs `careconnect api` as a
// child process, configured through its environment to serve env's
// database and Temporal task queue with env's link secret and identity
// provider. It returns the API's base URL and the process ID; the process
// is stopped when t ends.
func startAPIProcess(t *testing.T, env *apptest.Env) (string, int) {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "careconnect")
	goCmd := "go"
	if _, err := exec.LookPath(goCmd); err != nil {
		goCmd = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	if out, err := exec.Command(goCmd, "build", "-o", bin, "careconnect/cmd/careconnect").CombinedOutput(); err != nil {
		t.Fatalf("building cmd/careconnect: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cfg := env.Config
	vars := map[string]string{
		"ENV": "test", "HTTP_ADDR": addr, "HTTP_PUBLIC_BASE_URL": "http://" + addr,
		"DATABASE_URL": cfg.Database.URL, "TEMPORAL_ADDRESS": cfg.Temporal.Address,
		"TEMPORAL_NAMESPACE": cfg.Temporal.Namespace, "TEMPORAL_TASK_QUEUE": cfg.Temporal.TaskQueue,
		"LINKS_SECRET": cfg.Links.Secret, "SMTP_DEV_CATCHER": "false", "AUTH_DEV_IDP_ENABLED": "false",
		"AUTH_APPLICANT_ISSUER": cfg.Auth.Applicant.Issuer, "AUTH_APPLICANT_CLIENT_SECRET": cfg.Auth.Applicant.ClientSecret,
		"AUTH_COOKIE_SECURE": "false", "CODEC_KEYS": strings.Join(cfg.Codec.Keys, ","), "CODEC_ACTIVE_KEY": cfg.Codec.ActiveKey,
	}
	var environ []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CARECONNECT_") {
			environ = append(environ, kv)
		}
	}
	for k, v := range vars {
		environ = append(environ, "CARECONNECT_"+k+"="+v)
	}
	logPath := filepath.Join(dir, "api.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "api")
	cmd.Env, cmd.Stdout, cmd.Stderr = environ, logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		logFile.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("--- careconnect api output ---\n%s", b)
		}
	})
	base := "http://" + addr
	deadline := time.Now().Add(time.Minute)
	for {
		select {
		case <-exited:
			b, _ := os.ReadFile(logPath)
			t.Fatalf("careconnect api exited at start:\n%s", b)
		default:
		}
		if res, err := http.Get(base + "/healthz"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return base, cmd.Process.Pid
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("careconnect api did not answer /healthz within a minute")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// peakRSS returns the peak resident set size (VmHWM) of process pid, in bytes.
func peakRSS(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatalf("no VmHWM in /proc/%d/status", pid)
	return 0
}

// getURL and postURL send a request to url (another process's API).
func getURL(t *testing.T, url string) apptest.Response {
	t.Helper()
	return sendURL(t, http.MethodGet, url, "", nil)
}

func postURL(t *testing.T, url, contentType string, body []byte) apptest.Response {
	return sendURL(t, http.MethodPost, url, contentType, body)
}

func sendURL(t *testing.T, method, url, contentType string, body []byte) apptest.Response {
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Error(err)
		return apptest.Response{}
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Errorf("%s %s: %v", method, url, err)
		return apptest.Response{}
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Error(err)
	}
	return apptest.Response{Status: res.StatusCode, Header: res.Header, Body: b}
}
