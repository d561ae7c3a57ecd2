package main

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// cmdHealthcheck asks a running service whether it is ready (for Docker's HEALTHCHECK, where the
// image has no curl).
func cmdHealthcheck(ctx context.Context, a *app, args []string) error {
	fs := a.flags("healthcheck")
	url := fs.String("url", "http://127.0.0.1:8080/readyz", "readiness URL")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *url, nil)
	if err != nil {
		return &exitError{code: 2, msg: err.Error()}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return &exitError{code: 1, msg: err.Error()}
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return &exitError{code: 1, msg: fmt.Sprintf("%s answered %d", *url, resp.StatusCode)}
	}
	fmt.Fprintln(a.stdout, "ok")
	return nil
}
