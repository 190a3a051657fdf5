package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"careconnect/config"
)

// healthcheck is `careconnect healthcheck`: it asks this process's admin
// listener (http.admin_addr) for /healthz, or /readyz with --ready, and
// fails unless the answer is 200. The image is distroless (no shell, no
// curl), so container health checks run this.
func healthcheck(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("healthcheck", flag.ContinueOnError)
	cfgPath := fs.String("config", os.Getenv("CARECONNECT_CONFIG"), "YAML configuration file")
	ready := fs.Bool("ready", false, "ask /readyz (dependencies answer) instead of /healthz (the process answers)")
	target := fs.String("url", "", "the URL to ask (default: http.admin_addr's /healthz or /readyz)")
	timeout := fs.Duration("timeout", 3*time.Second, "how long to wait for the answer")
	if err := fs.Parse(args); err != nil {
		return err
	}
	u := *target
	if u == "" {
		cfg, err := config.Load(*cfgPath, os.LookupEnv)
		if err != nil {
			return err
		}
		path := "/healthz"
		if *ready {
			path = "/readyz"
		}
		if u, err = adminURL(cfg.HTTP.AdminAddr, path); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 4<<10))
	fmt.Fprintf(out, "%s: %s %s\n", u, res.Status, body)
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s answered %s", u, res.Status)
	}
	return nil
}

// adminURL is the URL of path on the admin listener at addr, dialling
// loopback when it listens on every address.
func adminURL(addr, path string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("healthcheck: http.admin_addr %q: %w", addr, err)
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::", "[::]":
		host = "::1"
	}
	return "http://" + net.JoinHostPort(host, port) + path, nil
}
